// UDP_CHECK's and DNS_CHECK's bind options against real servers, each seen from the server's
// side: Debian's inetutils-inetd (echo) and yadifa (its BIND-style query log), unpacked by
// scripts/install-test-servers.sh, in box c; the built binary (-C) in box a.
// - bindto and bind_port: the checks come from 10.99.0.21 (box a's second address) and the
//   port given; inetd's side is read by tcpdump in box c, yadifa's in its query log.
// - bind_if: 10.96.0.100 is on box c's eth1 only, answered for there only (arp_ignore 1), and
//   box a routes it through its own eth1. Bound to eth1 (with a bind_port too) the checks pass
//   and arrive on c's eth1 from a's eth1 address; bound to eth0 (the lookup limited to eth0
//   takes the address as on-link there) nobody answers their ARP: no reply within
//   connect_timeout.
// - the failures said before anything is sent: a bindto box a does not have, a bind_port
//   another socket holds, a bind_if box a does not have.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupStale, createTopology, exec, ownLog, tandemImpl, waitFor, type DaemonHandle, type Topology } from "./lib/index.ts";
import { isRoot } from "./support/pair-scenarios.ts";
import { loggedAt } from "./support/check-logs.ts";

const SERVERS = process.env.TEST_SERVERS ?? "/var/cache/tandem-test";
const INETD = join(SERVERS, "inetutils-inetd/usr/sbin/inetutils-inetd");
const YADIFAD = join(SERVERS, "yadifa/usr/sbin/yadifad");
/** Box c on the main link. */
const RS = "10.99.0.100";
/** Box c on its eth1 only; box a reaches it through its own eth1 (10.98.0.11). */
const BOUND_RS = "10.96.0.100";
/** Box a's second address on eth0, the checks' bindto; and one it does not have. */
const SOURCE = "10.99.0.21";
const ABSENT_SOURCE = "10.99.0.77";
const A_ETH1 = "10.98.0.11";
/** The bind_ports: seen by the servers; and one another socket of box a holds. */
const PORT = { udp: 5007, udpBoundIf: 5008, dns: 5353, dnsBoundIf: 5354, taken: 5099 };
const PAYLOAD = Buffer.from("tandem udp bind check\n").toString("hex");
const unavailable =
  tandemImpl.unavailableReason() ??
  [INETD, YADIFAD].filter((path) => !existsSync(path)).map((path) => `${path} is missing (scripts/install-test-servers.sh)`)[0] ??
  (Bun.which("tcpdump") ? null : "tcpdump is missing (apt-get install tcpdump; .ci/run installs it)");

const timers = `connect_timeout 1
            retry 0
            delay_loop 1`;
const udpCheck = (options: string) => `UDP_CHECK {
            payload ${PAYLOAD}
            require_reply ${PAYLOAD}
            ${timers}
            ${options}
        }`;
const dnsCheck = (options: string) => `DNS_CHECK {
            type A
            name www.test.example
            ${timers}
            ${options}
        }`;

// Each checker on its own port, so that each has its own log name; the ones that fail before sending need no server there.
const CONFIG = `
virtual_server 10.99.0.52 7 {
    protocol UDP
    lb_algo rr
    lb_kind NAT
    real_server ${RS} 7 {
        ${udpCheck(`bindto ${SOURCE}\n            bind_port ${PORT.udp}`)}
    }
    real_server ${RS} 17 {
        ${udpCheck(`bindto ${ABSENT_SOURCE}`)}
    }
    real_server ${RS} 18 {
        ${udpCheck(`bindto ${SOURCE}\n            bind_port ${PORT.taken}`)}
    }
    real_server ${BOUND_RS} 7 {
        ${udpCheck(`bind_if eth1\n            bind_port ${PORT.udpBoundIf}`)}
    }
    real_server ${BOUND_RS} 17 {
        ${udpCheck("bind_if eth0")}
    }
    real_server ${BOUND_RS} 18 {
        ${udpCheck("bind_if eth9")}
    }
}
virtual_server 10.99.0.53 53 {
    protocol UDP
    lb_algo rr
    lb_kind NAT
    real_server ${RS} 53 {
        ${dnsCheck(`bindto ${SOURCE}\n            bind_port ${PORT.dns}`)}
    }
    real_server ${RS} 54 {
        ${dnsCheck(`bindto ${ABSENT_SOURCE}`)}
    }
    real_server ${RS} 55 {
        ${dnsCheck(`bindto ${SOURCE}\n            bind_port ${PORT.taken}`)}
    }
    real_server ${BOUND_RS} 53 {
        ${dnsCheck(`bind_if eth1\n            bind_port ${PORT.dnsBoundIf}`)}
    }
    real_server ${BOUND_RS} 54 {
        ${dnsCheck("bind_if eth0")}
    }
    real_server ${BOUND_RS} 55 {
        ${dnsCheck("bind_if eth9")}
    }
}
`;

const ZONE = `$TTL 300
@   IN SOA ns1.test.example. hostmaster.test.example. 1 3600 600 86400 300
    IN NS  ns1.test.example.
ns1 IN A   ${RS}
www IN A   10.99.0.80
`;

/**
 * yadifad in the foreground on both of box c's addresses, logging its queries in its own
 * format, "query [ID] {FLAGS} NAME IN A (ADDRESS#PORT)" (yadifad 2.6 dies at the first query
 * with queries-log-type 2, BIND's format).
 */
function yadifaConfig(dir: string): string {
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
    listen ${RS}, ${BOUND_RS}
    port 53
    allow-query any
    allow-update none
    allow-transfer none
    allow-notify none
    queries-log-type 1
</main>
<rrl>
    enabled false
</rrl>
<channels>
    stderr STDERR
    queries queries.log 0644
</channels>
<loggers>
    server EMERG,ALERT,CRIT,ERR,WARNING,NOTICE stderr
    zone EMERG,ALERT,CRIT,ERR,WARNING stderr
    queries * queries
</loggers>
<zone>
    type primary
    domain test.example
    file test.example.zone
</zone>
`;
}

const udp = (address: string, port: number) => `[${address}]:udp:${port}`;
const udpUp = (address: string, port: number) => [`UDP connection to ${udp(address, port)} success.`];
const udpDown = (address: string, port: number, reason: string) => [`UDP_CHECK on service ${udp(address, port)} failed: ${reason}`];
const dnsUp = (address: string, port: number) => [`DNS_CHECK (${udp(address, port)}) succeeded`];
const dnsDown = (address: string, port: number, reason: string) => [`DNS_CHECK (${udp(address, port)}) ${reason}`];

describe.skipIf(!isRoot || unavailable !== null)("UDP_CHECK and DNS_CHECK bindto, bind_port and bind_if against inetd and yadifa (root, netns)", () => {
  let topo: Topology;
  let daemon: DaemonHandle;
  const spawned: ReturnType<typeof Bun.spawn>[] = [];
  let dir: string;
  /** Just before the daemon started: its first checks' lines come after it. */
  let startedMs = 0;
  const inBox = (box: string, command: string[]) => exec(topo.box(box).ns, command);
  const spawnIn = (box: string, command: string[], output: string) => {
    const child = Bun.spawn(["ip", "netns", "exec", topo.box(box).ns, ...command], { stdout: Bun.file(output), stderr: Bun.file(`${output}.err`) });
    spawned.push(child);
    return child;
  };
  const detected = (parts: string[], timeoutMs = 8_000) =>
    waitFor(() => loggedAt(ownLog(daemon), parts, startedMs), { timeoutMs, intervalMs: 20, what: `the log line ${JSON.stringify(parts)}` });
  const captured = () => readFileSync(join(dir, "tcpdump.txt"), "utf8");
  const queries = () => readFileSync(join(dir, "yadifa/queries.log"), "utf8");

  beforeAll(async () => {
    await cleanupStale();
    topo = await createTopology({
      extraInterfaces: [
        { box: "a", dev: "eth1", cidr: `${A_ETH1}/24` },
        { box: "c", dev: "eth1", cidr: "10.98.0.100/24" },
      ],
    });
    dir = join(topo.runDir, "servers");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, "yadifa/data/keys"), { recursive: true });
    mkdirSync(join(dir, "yadifa/data/xfr"), { recursive: true });
    await inBox("a", ["ip", "addr", "add", `${SOURCE}/24`, "dev", "eth0"]);
    await inBox("a", ["ip", "route", "add", `${BOUND_RS}/32`, "via", "10.98.0.100", "dev", "eth1"]);
    await inBox("c", ["ip", "addr", "add", `${BOUND_RS}/32`, "dev", "eth1"]);
    await inBox("c", ["sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1"]);

    // Box c's view of the datagrams to its echo and to the ports of the checkers that must send nothing: link, source address and port.
    spawnIn("c", ["tcpdump", "-n", "-l", "-i", "any", "udp and (port 7 or port 17 or port 18 or port 54 or port 55)"], join(dir, "tcpdump.txt"));
    await waitFor(() => existsSync(join(dir, "tcpdump.txt.err")) && readFileSync(join(dir, "tcpdump.txt.err"), "utf8").includes("listening on"), {
      timeoutMs: 5_000,
      intervalMs: 20,
      what: "tcpdump capturing in box c",
    });
    writeFileSync(join(dir, "inetd.conf"), `${RS}:echo dgram udp wait root internal\n${BOUND_RS}:echo dgram udp wait root internal\n`);
    spawnIn("c", [INETD, "-d", join(dir, "inetd.conf")], join(dir, "inetd.log"));
    writeFileSync(join(dir, "yadifa/data/test.example.zone"), ZONE);
    writeFileSync(join(dir, "yadifa/yadifad.conf"), yadifaConfig(join(dir, "yadifa")));
    spawnIn("c", [YADIFAD, "-c", join(dir, "yadifa/yadifad.conf")], join(dir, "yadifa/stdout.log"));
    await waitFor(
      async () => {
        const listening = (await inBox("c", ["ss", "-lun"])).stdout;
        return [`${RS}:7`, `${BOUND_RS}:7`, `${RS}:53`, `${BOUND_RS}:53`].every((endpoint) => listening.includes(endpoint));
      },
      { timeoutMs: 10_000, intervalMs: 20, what: "inetd and yadifad listening in box c" },
    );
    // Another socket of box a holds the bind_port the third checker of each kind asks for.
    spawnIn("a", [process.execPath, "-e", `require("node:dgram").createSocket("udp4").bind(${PORT.taken}, "${SOURCE}")`], join(dir, "holder.log"));
    await waitFor(async () => (await inBox("a", ["ss", "-lun"])).stdout.includes(`${SOURCE}:${PORT.taken}`), {
      timeoutMs: 5_000,
      intervalMs: 20,
      what: `${SOURCE}:${PORT.taken} held in box a`,
    });
    const box = topo.box("a");
    startedMs = Date.now();
    daemon = await tandemImpl.start({ ns: box.ns, runDir: box.runDir, config: CONFIG, extraArgs: ["-C"] });
  }, 40_000);

  afterAll(async () => {
    if (daemon?.alive()) await daemon.stop("SIGTERM", 5000);
    for (const child of spawned) child.kill("SIGKILL");
    await topo?.destroy();
  }, 30_000);

  test("UDP_CHECK bindto and bind_port: the echo passes, and box c sees it come from that address and port", async () => {
    await detected(udpUp(RS, 7));
    await waitFor(() => captured().includes(`IP ${SOURCE}.${PORT.udp} > ${RS}.7: UDP`), { timeoutMs: 3_000, intervalMs: 20, what: "the probe in the capture" });
    // From that source only: no probe to this server left from another one.
    const toRs = captured()
      .split("\n")
      .filter((line) => line.includes(`> ${RS}.7: UDP`));
    expect(toRs.length).toBeGreaterThan(0);
    expect(toRs.every((line) => line.includes(`IP ${SOURCE}.${PORT.udp} >`))).toBe(true);
    console.log(`checks-udp-dns-bind: inetd's side of UDP_CHECK bindto/bind_port: ${toRs[0]!.trim()}`);
  }, 15_000);

  test("DNS_CHECK bindto and bind_port: the answer passes, and yadifa logs the query from that address and port", async () => {
    await detected(dnsUp(RS, 53));
    // yadifad's logger thread writes its lines some seconds after the queries.
    await waitFor(() => existsSync(join(dir, "yadifa/queries.log")) && queries().includes(`${SOURCE}#${PORT.dns}`), {
      timeoutMs: 12_000,
      intervalMs: 20,
      what: `yadifa's log of a query from ${SOURCE}#${PORT.dns}`,
    });
    const logged = queries()
      .split("\n")
      .filter((line) => line.includes("www.test.example"));
    const fromRs = logged.filter((line) => !line.includes(`${A_ETH1}#`));
    expect(fromRs.length).toBeGreaterThan(0);
    expect(fromRs.every((line) => line.includes(`${SOURCE}#${PORT.dns}`))).toBe(true);
    console.log(`checks-udp-dns-bind: yadifa's side of DNS_CHECK bindto/bind_port: ${fromRs[0]!.trim()}`);
  }, 20_000);

  test("bind_if eth1 (with a bind_port): both pass, and arrive on c's eth1 from a's eth1 address; through eth0 nobody answers", async () => {
    await detected(udpUp(BOUND_RS, 7));
    await detected(dnsUp(BOUND_RS, 53));
    await waitFor(() => captured().includes(`eth1  In  IP ${A_ETH1}.${PORT.udpBoundIf} > ${BOUND_RS}.7: UDP`), {
      timeoutMs: 3_000,
      intervalMs: 20,
      what: "the bound probe in the capture, on eth1",
    });
    await waitFor(() => queries().includes(`${A_ETH1}#${PORT.dnsBoundIf}`), { timeoutMs: 12_000, intervalMs: 20, what: "yadifa's log of the bound query" });
    expect(captured().includes(`eth0  In  IP ${A_ETH1}`)).toBe(false);
    await detected(udpDown(BOUND_RS, 17, "no reply within 1 s"));
    await detected(dnsDown(BOUND_RS, 54, "no answer within 1 s"));
    expect(loggedAt(ownLog(daemon), udpUp(BOUND_RS, 17), startedMs)).toBeUndefined();
  }, 20_000);

  test("what cannot be bound is said, for each kind: an address box a does not have, a port another socket holds, an interface it does not have", async () => {
    await detected(udpDown(RS, 17, "bindto address not available on this host"));
    await detected(dnsDown(RS, 54, "bindto address not available on this host"));
    await detected(udpDown(RS, 18, "bind_port already in use"));
    await detected(dnsDown(RS, 55, "bind_port already in use"));
    await detected(udpDown(BOUND_RS, 18, "bind_if eth9: no such interface"));
    await detected(dnsDown(BOUND_RS, 55, "bind_if eth9: no such interface"));
    // Nothing was sent for them: no datagram to their ports reached box c.
    for (const endpoint of [`${RS}.17`, `${RS}.18`, `${BOUND_RS}.18`, `${RS}.54`, `${RS}.55`, `${BOUND_RS}.55`])
      expect(captured()).not.toContain(`> ${endpoint}:`);
  }, 15_000);
});
