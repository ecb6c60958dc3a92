// UDP_CHECK and PING_CHECK of the built binary against a real UDP service: Debian's
// inetutils-inetd (scripts/install-test-servers.sh) with its built-in echo and daytime, on
// the client box, and the box's own kernel answering pings. The faults: a hung inetd
// (SIGSTOP: nothing answers, nothing refuses; with require_reply that is down, without it
// keepalived's "no reply = up" holds), a stopped one (ICMP port unreachable: down), a wrong
// reply (daytime where the echo is expected), a host that ignores echo requests and one whose
// link is down. tandem runs with -C; the detection times, from the fault to the log line, are
// checked against what the configuration implies (delay_loop 1, connect_timeout 1, retry 1,
// delay_before_retry 1) and printed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupStale, createTopology, exec, ownLog, tandemImpl, waitFor, type DaemonHandle, type Topology } from "./lib/index.ts";
import { isRoot } from "./support/pair-scenarios.ts";
import { loggedAt } from "./support/check-logs.ts";

const INETD = join(process.env.TEST_SERVERS ?? "/var/cache/tandem-test", "inetutils-inetd/usr/sbin/inetutils-inetd");
const RS = "10.99.0.100"; // box c
const RS2 = "10.99.0.101"; // a second address of box c, so that each checker has its own log name
const PAYLOAD = Buffer.from("tandem udp check\n").toString("hex");
const unavailable = tandemImpl.unavailableReason() ?? (existsSync(INETD) ? null : `${INETD} is missing (scripts/install-test-servers.sh)`);

const timers = `connect_timeout 1
            retry 1
            delay_before_retry 1`;

const CONFIG = `
virtual_server 10.99.0.52 7 {
    protocol UDP
    lb_algo rr
    lb_kind NAT
    delay_loop 1
    real_server ${RS} 7 {
        UDP_CHECK {
            payload ${PAYLOAD}
            require_reply ${PAYLOAD.slice(0, 8)} xx ${PAYLOAD.slice(10)}
            ${timers}
        }
    }
    real_server ${RS2} 7 {
        UDP_CHECK {
            payload ${PAYLOAD}
            ${timers}
        }
    }
    real_server ${RS} 13 {
        UDP_CHECK {
            payload ${PAYLOAD}
            require_reply ${PAYLOAD}
            ${timers}
        }
    }
    real_server ${RS} 9 {
        PING_CHECK {
            ${timers}
        }
    }
}
`;

const echoRequired = `[${RS}]:udp:7`;
const echoSilenceOk = `[${RS2}]:udp:7`;
const daytime = `[${RS}]:udp:13`;
const ping = `[${RS}]:udp:9`;

/**
 * Milliseconds since the epoch of the first line after `sinceMs` holding every piece. A success
 * is matched by "connection to NAME success." and a failure by "on service NAME" and "failed",
 * which hold for tandem's lines today and for keepalived's own wording too.
 */
const success = (name: string) => [`connection to ${name} success.`];
const failure = (name: string, reason: string) => [`on service ${name}`, "failed", reason];

describe.skipIf(!isRoot || unavailable !== null)("UDP_CHECK and PING_CHECK against inetutils-inetd and a kernel (root, netns)", () => {
  let topo: Topology;
  let daemon: DaemonHandle;
  let inetd: ReturnType<typeof Bun.spawn> | undefined;
  let dir: string;
  const inC = (command: string[]) => exec(topo.box("c").ns, command);
  const startInetd = async () => {
    inetd = Bun.spawn(["ip", "netns", "exec", topo.box("c").ns, INETD, "-d", join(dir, "inetd.conf")], { stdout: "ignore", stderr: "ignore" });
    await waitFor(async () => (await inC(["ss", "-lun", "sport = :7"])).stdout.includes(RS2), { timeoutMs: 5000, intervalMs: 20, what: "inetd listening" });
  };
  const detected = async (pieces: string[], fromMs: number, timeoutMs: number) =>
    (await waitFor(() => loggedAt(ownLog(daemon), pieces, fromMs), { timeoutMs, intervalMs: 20, what: `the log line with ${JSON.stringify(pieces)}` })) -
    fromMs;

  beforeAll(async () => {
    await cleanupStale();
    topo = await createTopology();
    dir = join(topo.runDir, "inetd");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "inetd.conf"),
      [`${RS}:echo dgram udp wait root internal`, `${RS2}:echo dgram udp wait root internal`, `${RS}:daytime dgram udp wait root internal`, ""].join("\n"),
    );
    await inC(["ip", "addr", "add", `${RS2}/24`, "dev", topo.box("c").dev]);
    await startInetd();
    const box = topo.box("a");
    daemon = await tandemImpl.start({ ns: box.ns, runDir: box.runDir, config: CONFIG, extraArgs: ["-C"] });
  }, 30_000);

  afterAll(async () => {
    if (daemon?.alive()) await daemon.stop("SIGTERM", 5000);
    inetd?.kill("SIGKILL");
    await topo?.destroy();
  }, 30_000);

  test("the echo and the ping are judged up by their first check; daytime's reply is not the echo: down after its retry", async () => {
    const fromMs = Date.now() - 2_000; // the daemon started just before
    await detected(success(echoRequired), fromMs, 8_000);
    await detected(success(echoSilenceOk), fromMs, 8_000);
    await detected(success(ping), fromMs, 8_000);
    await detected(failure(daytime, "does not match"), fromMs, 10_000);
    expect(ownLog(daemon)).toContain("IPVS director unavailable");
  }, 20_000);

  test("a hung inetd (SIGSTOP): with require_reply down after two silent checks; without it keepalived's no reply = up holds", async () => {
    const pid = inetd!.pid;
    const faultMs = Date.now();
    process.kill(pid, "SIGSTOP");
    try {
      const downMs = await detected(failure(echoRequired, "no reply within 1 s"), faultMs, 8_000);
      // Up to delay_loop to the next check, connect_timeout, delay_before_retry, connect_timeout.
      expect(downMs).toBeGreaterThanOrEqual(2_900);
      expect(downMs).toBeLessThan(4_800);
      expect(loggedAt(ownLog(daemon), [`on service ${echoSilenceOk}`, "failed"], faultMs)).toBeUndefined();
      console.log(`checks-udp-ping: hung UDP service (require_reply) detected in ${downMs} ms (expected 3-4 s); without require_reply still up`);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    const upMs = await detected(success(echoRequired), faultMs, 8_000);
    expect(loggedAt(ownLog(daemon), [`on service ${echoSilenceOk}`, "failed"], faultMs)).toBeUndefined();
    console.log(`checks-udp-ping: hung UDP service: back up ${upMs} ms after the fault`);
  }, 25_000);

  test("a stopped inetd: the ICMP port unreachable fails both echo checkers, require_reply or not", async () => {
    const faultMs = Date.now();
    inetd!.kill("SIGKILL");
    await inetd!.exited;
    const requiredMs = await detected(failure(echoRequired, "connection refused"), faultMs, 6_000);
    const silenceOkMs = await detected(failure(echoSilenceOk, "connection refused"), faultMs, 6_000);
    // Up to delay_loop to the next check, delay_before_retry to its retry; the refusal is immediate.
    expect(requiredMs).toBeLessThan(2_600);
    expect(silenceOkMs).toBeLessThan(2_600);
    expect(requiredMs).toBeGreaterThanOrEqual(900);
    const restartMs = Date.now();
    await startInetd();
    await detected(success(echoRequired), restartMs, 6_000);
    await detected(success(echoSilenceOk), restartMs, 6_000);
    console.log(`checks-udp-ping: stopped UDP service detected in ${requiredMs} ms (require_reply) and ${silenceOkMs} ms (without), expected 1-2 s`);
  }, 25_000);

  test("a host that ignores echo requests (icmp_echo_ignore_all): PING_CHECK down after two unanswered echoes, up when it answers", async () => {
    const faultMs = Date.now();
    await inC(["sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1"]);
    let downMs: number;
    try {
      downMs = await detected(failure(ping, "no echo reply within 1 s"), faultMs, 8_000);
      expect(downMs).toBeGreaterThanOrEqual(2_900);
      expect(downMs).toBeLessThan(4_800);
    } finally {
      await inC(["sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=0"]);
    }
    const fixMs = Date.now();
    const upMs = await detected(success(ping), fixMs, 6_000);
    expect(upMs).toBeLessThan(2_600);
    console.log(`checks-udp-ping: ignored pings detected in ${downMs} ms (expected 3-4 s), answered again: up in ${upMs} ms`);
  }, 25_000);

  test("a host whose link is down: PING_CHECK down; back up with the link", async () => {
    const c = topo.box("c");
    const faultMs = Date.now();
    await inC(["ip", "link", "set", c.dev, "down"]);
    let downMs: number;
    try {
      downMs = await detected(failure(ping, "no echo reply within 1 s"), faultMs, 8_000);
      expect(downMs).toBeLessThan(4_800);
    } finally {
      await inC(["ip", "link", "set", c.dev, "up"]);
    }
    const fixMs = Date.now();
    const upMs = await detected(success(ping), fixMs, 8_000);
    // keepalived's IP_RECVERR socket would see the kernel's host unreachable once ARP gives up; node:dgram's does not (udp-probe.ts).
    const silenceOkFailed = loggedAt(ownLog(daemon), [`on service ${echoSilenceOk}`, "failed"], faultMs) !== undefined;
    console.log(
      `checks-udp-ping: host link down: PING_CHECK down in ${downMs} ms, up ${upMs} ms after the link; UDP_CHECK without require_reply ${silenceOkFailed ? "went down" : "stayed up"}`,
    );
  }, 25_000);
});
