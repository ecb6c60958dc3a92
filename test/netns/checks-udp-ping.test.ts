// UDP_CHECK and PING_CHECK of the built binary against a real UDP service: Debian's
// inetutils-inetd (scripts/install-test-servers.sh) with its built-in echo and daytime, on
// the client box, and the box's own kernel answering pings. The faults: a hung inetd
// (SIGSTOP: nothing answers, nothing refuses; with require_reply that is down, without it
// keepalived's "no reply = up" holds), a stopped one (ICMP port unreachable: down), a wrong
// reply (daytime where the echo is expected), a host that ignores echo requests and one whose
// link is down. And the ICMP errors a router sends back, which the UDP_CHECK socket hears
// through IP_RECVERR as keepalived's does: box b routes 10.95.0.0/24 to box c and fd00:95::/64
// nowhere; its nft forward chain rejects 10.95.0.1 with an ICMP host unreachable, 10.95.0.2
// with communication administratively prohibited, 10.95.0.3 with network unreachable, and an
// `unreachable` route answers fd00:95::1 with an ICMPv6 no route. Host and network unreachable
// are "soft" errors a connected socket is not told of without IP_RECVERR: silence, which
// passes a check without require_reply. tandem runs with -C; the detection times, from the
// fault to the log line, are checked against what the configuration implies (delay_loop 1,
// connect_timeout 1, retry 1, delay_before_retry 1) and printed.
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
/** Behind box b (10.99.0.12 / fd00:99::12), which rejects them; 10.95.0.1 is on box c's lo, where b forwards it once it stops rejecting it. */
const REJECTED = { host: "10.95.0.1", prohibited: "10.95.0.2", noRoute: "10.95.0.3", v6: "fd00:95::1" };
const ROUTER = { v4: "10.99.0.12", v6: "fd00:99::12" };
const unavailable =
  tandemImpl.unavailableReason() ??
  (existsSync(INETD) ? null : `${INETD} is missing (scripts/install-test-servers.sh)`) ??
  (Bun.which("nft") ? null : "nft is missing (apt-get install nftables; .ci/run installs it)");

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
    real_server ${REJECTED.host} 7 {
        UDP_CHECK {
            payload ${PAYLOAD}
            require_reply ${PAYLOAD}
            ${timers}
        }
    }
    real_server ${REJECTED.prohibited} 7 {
        UDP_CHECK {
            ${timers}
        }
    }
    real_server ${REJECTED.noRoute} 7 {
        UDP_CHECK {
            ${timers}
        }
    }
}
virtual_server fd00:99::52 7 {
    protocol UDP
    lb_algo rr
    lb_kind NAT
    delay_loop 1
    real_server ${REJECTED.v6} 7 {
        UDP_CHECK {
            ${timers}
        }
    }
}
`;

const echoRequired = `[${RS}]:udp:7`;
const echoSilenceOk = `[${RS2}]:udp:7`;
const daytime = `[${RS}]:udp:13`;
const ping = `[${RS}]:udp:9`;
const udp7 = (address: string) => `[${address}]:udp:7`;

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
  /** Just before the daemon started: its first checks' lines come after it. */
  let startedMs = 0;
  const inC = (command: string[]) => exec(topo.box("c").ns, command);
  const inB = (command: string[]) => exec(topo.box("b").ns, command);
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
      [
        `${RS}:echo dgram udp wait root internal`,
        `${RS2}:echo dgram udp wait root internal`,
        `${RS}:daytime dgram udp wait root internal`,
        `${REJECTED.host}:echo dgram udp wait root internal`,
        "",
      ].join("\n"),
    );
    await inC(["ip", "addr", "add", `${RS2}/24`, "dev", topo.box("c").dev]);
    await inC(["ip", "addr", "add", `${REJECTED.host}/32`, "dev", "lo"]);
    // Box b: a router without rate limits on its ICMP errors (one a check, each must come). Its
    // IPv4 errors are nft's: the kernel's own for a reject route also pass a per-sender limit
    // (net.ipv4.route.error_cost, 1 a second, not per namespace), which three checkers exceed.
    // No redirects: forwarding to box c, on the link it came from, would teach box a a way round box b.
    const inA = (command: string[]) => exec(topo.box("a").ns, command);
    await inB(["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.icmp_ratelimit=0", "net.ipv6.conf.all.forwarding=1", "net.ipv6.icmp.ratelimit=0"]);
    await inB(["sysctl", "-qw", "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.eth0.send_redirects=0"]);
    await inB(["ip", "-6", "addr", "add", `${ROUTER.v6}/64`, "dev", "eth0", "nodad"]);
    await inA(["ip", "-6", "addr", "add", "fd00:99::11/64", "dev", "eth0", "nodad"]);
    await inB(["ip", "route", "add", "10.95.0.0/24", "via", RS]);
    writeFileSync(
      join(dir, "router.nft"),
      `table ip tandem_test {
      set host_unreachable { type ipv4_addr; elements = { ${REJECTED.host} } }
      chain forward {
        type filter hook forward priority 0; policy accept;
        ip daddr @host_unreachable reject with icmp type host-unreachable
        ip daddr ${REJECTED.prohibited} reject with icmp type admin-prohibited
        ip daddr ${REJECTED.noRoute} reject with icmp type net-unreachable
      }
    }
`,
    );
    await inB(["nft", "-f", join(dir, "router.nft")]);
    await inB(["ip", "-6", "route", "add", "unreachable", `${REJECTED.v6}/128`]);
    await inA(["ip", "route", "add", "10.95.0.0/24", "via", ROUTER.v4]);
    await inA(["ip", "-6", "route", "add", "fd00:95::/64", "via", ROUTER.v6]);
    await startInetd();
    const box = topo.box("a");
    startedMs = Date.now();
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
    // The kernel's own host unreachable comes once ARP gives up (3 s), after connect_timeout (1 s) closed the socket: usually it stays up.
    const silenceOkFailed = loggedAt(ownLog(daemon), [`on service ${echoSilenceOk}`, "failed"], faultMs) !== undefined;
    console.log(
      `checks-udp-ping: host link down: PING_CHECK down in ${downMs} ms, up ${upMs} ms after the link; UDP_CHECK without require_reply ${silenceOkFailed ? "went down" : "stayed up"}`,
    );
  }, 25_000);

  test("a router's ICMP errors through IP_RECVERR: host, network unreachable and prohibited fail at once, require_reply or not", async () => {
    const fromMs = startedMs;
    const cases = [
      [udp7(REJECTED.host), `host unreachable (ICMP from ${ROUTER.v4})`],
      [udp7(REJECTED.prohibited), `communication administratively prohibited (ICMP destination unreachable from ${ROUTER.v4})`],
      [udp7(REJECTED.noRoute), `network unreachable (ICMP from ${ROUTER.v4})`],
      [udp7(REJECTED.v6), `no route to destination (ICMPv6 destination unreachable from ${ROUTER.v6})`],
    ] as const;
    for (const [name, reason] of cases) await detected(failure(name, reason), fromMs, 10_000);
    // Not connect_timeout's silence: that passes without require_reply, and with it says "no reply within 1 s".
    for (const [name] of cases) expect(loggedAt(ownLog(daemon), [`on service ${name}`, "no reply within"], fromMs)).toBeUndefined();
    for (const [name] of cases) expect(loggedAt(ownLog(daemon), success(name), fromMs)).toBeUndefined();
    for (const [name, reason] of cases) console.log(`checks-udp-ping: ${name}: ${reason}`);
  }, 20_000);

  test("the router stops rejecting: the echo is answered, up; it rejects again, down at once", async () => {
    const name = udp7(REJECTED.host);
    const element = ["ip", "tandem_test", "host_unreachable", `{ ${REJECTED.host} }`];
    const fixMs = Date.now();
    await inB(["nft", "delete", "element", ...element]);
    let upMs: number;
    try {
      upMs = await detected(success(name), fixMs, 6_000);
      expect(upMs).toBeLessThan(2_600);
    } finally {
      await inB(["nft", "add", "element", ...element]);
    }
    const faultMs = Date.now();
    const downMs = await detected(failure(name, `host unreachable (ICMP from ${ROUTER.v4})`), faultMs, 6_000);
    // Up to delay_loop to the next check, delay_before_retry to its retry: the error comes back in a round trip, not after connect_timeout.
    expect(downMs).toBeLessThan(2_600);
    console.log(`checks-udp-ping: the router stopped rejecting: up in ${upMs} ms; rejecting again: host unreachable detected in ${downMs} ms (expected 1-2 s)`);
  }, 20_000);
});
