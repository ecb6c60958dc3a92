// DNS_CHECK of the built binary against Debian's yadifa (yadifad, unpacked by
// scripts/install-test-servers.sh) on the client box, serving the zone test.example, and the
// ways a name server really fails injected into it: stopped (the kernel's port unreachable),
// hung (SIGSTOP: the socket stays, nothing answers), and serving the wrong thing (restarted
// without the zone: REFUSED). Beside it, keepalived's rule against tandem's require_answer on
// the same server: an empty answer (NODATA) passes the first and fails the second, a name that
// does not exist (NXDOMAIN) fails both. tandem runs with -C (no IPVS on the host). The
// detection times are measured from the fault to the log line and checked against what the
// configuration implies (delay_loop 1, retry 1, delay_before_retry 1, connect_timeout 1; set
// explicitly, as keepalived's DNS_CHECK defaults are retry 3 and delay_before_retry = delay_loop).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupStale, createTopology, exec, ownLog, tandemImpl, waitFor, type DaemonHandle, type Topology } from "./lib/index.ts";
import { isRoot } from "./support/pair-scenarios.ts";
import { loggedAt } from "./support/check-logs.ts";

const YADIFAD = join(process.env.TEST_SERVERS ?? "/var/cache/tandem-test", "yadifa/usr/sbin/yadifad");
/** Box c's own address, and three more on its eth0: one real server per way of asking. */
const RS = { a: "10.99.0.100", nodata: "10.99.0.101", requireNodata: "10.99.0.102", requireNxdomain: "10.99.0.103" };
const unavailable = tandemImpl.unavailableReason() ?? (existsSync(YADIFAD) ? null : `${YADIFAD} is missing (scripts/install-test-servers.sh)`);

const timers = `connect_timeout 1
            retry 1
            delay_before_retry 1
            delay_loop 1`;
const dnsChecker = (type: string, name: string, requireAnswer = false) => `DNS_CHECK {
            type ${type}
            name ${name}
            ${requireAnswer ? "require_answer" : ""}
            ${timers}
        }`;

const CONFIG = `
virtual_server 10.99.0.51 53 {
    protocol UDP
    lb_algo rr
    lb_kind NAT
    delay_loop 1
    real_server ${RS.a} 53 {
        ${dnsChecker("A", "www.test.example")}
    }
    real_server ${RS.nodata} 53 {
        ${dnsChecker("AAAA", "www.test.example")}
    }
    real_server ${RS.requireNodata} 53 {
        ${dnsChecker("AAAA", "www.test.example", true)}
    }
    real_server ${RS.requireNxdomain} 53 {
        ${dnsChecker("A", "nope.test.example", true)}
    }
}
`;

const ZONE = `$TTL 300
@   IN SOA ns1.test.example. hostmaster.test.example. 1 3600 600 86400 300
    IN NS  ns1.test.example.
ns1 IN A   ${RS.a}
www IN A   10.99.0.80
`;

/** yadifad in the foreground, as root, on the four addresses; with the zone, or with none (it then refuses every query). */
function yadifaConfig(dir: string, withZone: boolean): string {
  return `<main>
    daemon off
    chroot off
    user root
    group root
    logpath "${dir}"
    pidfile "${dir}/yadifad.pid"
    datapath "${dir}/data"
    keyspath "${dir}/data/keys"
    xfrpath "${dir}/data/xfr"
    listen ${Object.values(RS).join(", ")}
    port 53
    allow-query any
    allow-update none
    allow-transfer none
    allow-notify none
</main>
<rrl>
    enabled false
</rrl>
<channels>
    stderr STDERR
</channels>
<loggers>
    server EMERG,ALERT,CRIT,ERR,WARNING,NOTICE stderr
    zone EMERG,ALERT,CRIT,ERR,WARNING stderr
</loggers>
${
  withZone
    ? `<zone>
    type primary
    domain test.example
    file test.example.zone
</zone>`
    : ""
}
`;
}

/** A log line sought: every one of `parts` in it. */
interface LineSought {
  parts: string[];
  what: string;
}

const service = (address: string) => `[${address}]:udp:53`;
/**
 * The verdict lines: keepalived's dns_log_message for a failure, "DNS_CHECK ([ip]:udp:53)
 * REASON after N retries", with tandem's reason; keepalived logs no success line of its own
 * (tandem's is "DNS_CHECK ([ip]:udp:53) succeeded: ...").
 */
const upLine = (address: string): LineSought => ({ parts: [`DNS_CHECK (${service(address)}) succeeded`], what: `${service(address)} up` });
const downLine = (address: string, reason: string): LineSought => ({
  parts: [`DNS_CHECK (${service(address)}) `, reason, "after 1 retries"],
  what: `${service(address)} down: ${reason}`,
});

describe.skipIf(!isRoot || unavailable !== null)("DNS_CHECK against yadifa (root, netns)", () => {
  let topo: Topology;
  let daemon: DaemonHandle;
  let yadifad: ReturnType<typeof Bun.spawn> | undefined;
  let dir: string;
  let startedMs: number;
  const startYadifa = async (withZone: boolean) => {
    writeFileSync(join(dir, "yadifad.conf"), yadifaConfig(dir, withZone));
    rmSync(join(dir, "yadifad.pid"), { force: true });
    const ns = topo.box("c").ns;
    yadifad = Bun.spawn(["ip", "netns", "exec", ns, YADIFAD, "-c", join(dir, "yadifad.conf")], {
      stdout: "ignore",
      stderr: Bun.file(join(dir, "yadifad.log")),
    });
    await waitFor(async () => (await exec(ns, ["ss", "-lun", "sport = :53"])).stdout.split(RS.requireNxdomain).length > 1, {
      timeoutMs: 10_000,
      intervalMs: 20,
      what: "yadifad listening",
    });
  };
  const stopYadifa = async () => {
    yadifad?.kill("SIGKILL");
    await yadifad?.exited;
  };
  /** Waits for the line and returns how long after `fromMs` it was logged. */
  const detected = async (sought: LineSought, fromMs: number, timeoutMs: number) =>
    (await waitFor(() => loggedAt(ownLog(daemon), sought.parts, fromMs), { timeoutMs, intervalMs: 20, what: `the log line "${sought.what}"` })) - fromMs;

  beforeAll(async () => {
    await cleanupStale();
    topo = await createTopology();
    const c = topo.box("c");
    for (const address of [RS.nodata, RS.requireNodata, RS.requireNxdomain]) await exec(c.ns, ["ip", "addr", "add", `${address}/24`, "dev", c.dev]);
    dir = join(topo.runDir, "yadifa");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, "data/keys"), { recursive: true });
    mkdirSync(join(dir, "data/xfr"), { recursive: true });
    writeFileSync(join(dir, "data/test.example.zone"), ZONE);
    await startYadifa(true);
    const box = topo.box("a");
    startedMs = Date.now();
    daemon = await tandemImpl.start({ ns: box.ns, runDir: box.runDir, config: CONFIG, extraArgs: ["-C"] });
  }, 30_000);

  afterAll(async () => {
    if (daemon?.alive()) await daemon.stop("SIGTERM", 5000);
    yadifad?.kill("SIGKILL");
    await topo?.destroy();
  }, 30_000);

  test("keepalived's rule passes NOERROR, an empty answer too; require_answer fails the empty answer and NXDOMAIN, after its retry", async () => {
    const fromMs = startedMs;
    await detected(upLine(RS.a), fromMs, 8_000);
    await detected(upLine(RS.nodata), fromMs, 8_000);
    // Up at the start (not alpha): down after the first check (within the warmup) and its retry delay_before_retry later.
    const nodataMs = await detected(downLine(RS.requireNodata, "no AAAA record in the answer"), fromMs, 8_000);
    const nxdomainMs = await detected(downLine(RS.requireNxdomain, "reply code NXDOMAIN"), fromMs, 8_000);
    expect(ownLog(daemon)).toContain("IPVS director unavailable");
    expect(loggedAt(ownLog(daemon), [`DNS_CHECK (${service(RS.nodata)}) `, "after 1 retries"], fromMs)).toBeUndefined();
    // The first check within the warmup (up to delay_loop), its retry delay_before_retry later: 1-2 s after the start.
    expect(nodataMs).toBeLessThan(4_000);
    console.log(
      `checks-dns: require_answer down ${nodataMs} ms after the start (empty answer), ${nxdomainMs} ms (NXDOMAIN); config implies 1-2 s plus the start`,
    );
  }, 15_000);

  test("a stopped server: connection refused (port unreachable) at once, down after the retry", async () => {
    const faultMs = Date.now();
    await stopYadifa();
    const downMs = await detected(downLine(RS.a, "connection refused"), faultMs, 6_000);
    // The next check within delay_loop, refused at once; its retry delay_before_retry later.
    expect(downMs).toBeGreaterThanOrEqual(900);
    expect(downMs).toBeLessThan(3_000);
    const fixMs = Date.now();
    await startYadifa(true);
    const upMs = await detected(upLine(RS.a), fixMs, 6_000);
    console.log(`checks-dns: stopped server detected in ${downMs} ms (config implies 1-2 s), up again ${upMs} ms after the restart began`);
  }, 20_000);

  test("a hung server (SIGSTOP): no answer within connect_timeout, twice, then down", async () => {
    const pid = yadifad!.pid;
    const faultMs = Date.now();
    process.kill(pid, "SIGSTOP");
    try {
      const downMs = await detected(downLine(RS.a, "no answer within 1 s"), faultMs, 8_000);
      // Next check within delay_loop, 1 s of silence, delay_before_retry 1 s, 1 s of silence: 3-4 s.
      expect(downMs).toBeGreaterThanOrEqual(2_900);
      expect(downMs).toBeLessThan(5_000);
      console.log(`checks-dns: hung server detected in ${downMs} ms (config implies 3-4 s)`);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await detected(upLine(RS.a), faultMs, 8_000);
  }, 20_000);

  test("a server that lost the zone answers REFUSED: down after the retry; back with the zone", async () => {
    await stopYadifa();
    await startYadifa(false);
    const faultMs = Date.now();
    const downMs = await detected(downLine(RS.a, "reply code REFUSED"), faultMs, 6_000);
    expect(downMs).toBeLessThan(3_000);
    await stopYadifa();
    const fixMs = Date.now();
    await startYadifa(true);
    const upMs = await detected(upLine(RS.a), fixMs, 6_000);
    console.log(
      `checks-dns: REFUSED detected in ${downMs} ms after the refusing server listened (config implies 1-2 s), up again ${upMs} ms after the restart began`,
    );
  }, 25_000);
});
