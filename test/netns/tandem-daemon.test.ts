// The tandem daemon as an operator sees it: reloads, unicast peers, notify scripts, pid
// files, sync groups on real boxes, and hostile packets that must not hurt it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  Capture,
  VipWatcher,
  cleanupStale,
  configFor,
  createTopology,
  delay,
  exec,
  holdsVip,
  tandemBin,
  tandemImpl,
  waitFor,
  wallMs,
  ownLog,
  type DaemonHandle,
  type Topology,
} from "./lib/index.ts";
import { isRoot } from "./support/pair-scenarios.ts";

const VIP = "10.99.0.41";
const unavailable = tandemImpl.unavailableReason();

describe.skipIf(!isRoot || unavailable !== null)("tandem daemon (root, netns)", () => {
  let topo: Topology;
  const running: DaemonHandle[] = [];
  const start = async (side: "a" | "b", config: string, extraArgs: string[] = []) => {
    const box = topo.box(side);
    const d = await tandemImpl.start({ ns: box.ns, runDir: box.runDir, config, extraArgs });
    running.push(d);
    return d;
  };
  const stopAll = async () => {
    for (const d of running.splice(0)) if (d.alive()) await d.stop("SIGTERM", 5000);
  };
  const log = ownLog;

  beforeAll(async () => {
    await cleanupStale();
    topo = await createTopology();
  }, 30_000);

  afterAll(async () => {
    await stopAll();
    await topo?.destroy();
  }, 30_000);

  test("SIGHUP: an invalid file is rejected with file:line:col and nothing moves; a valid unchanged file keeps the master", async () => {
    const good = configFor({ box: "a", state: "MASTER", priority: 100, version: 3, advertInt: 0.1, vip: `${VIP}/24` });
    const d = await start("a", good);
    const watcher = await VipWatcher.start(topo.box("a").ns, VIP);
    try {
      await watcher.waitFor(true, { afterMs: 0, timeoutMs: 3000 });
      const t0 = wallMs();
      writeFileSync(d.confPath, `${good}\nvrrp_instance BROKEN {\n    virtual_router_id 300\n}\n`);
      process.kill(d.mainPid, "SIGHUP");
      await waitFor(() => log(d).includes("reload rejected"), { timeoutMs: 3000, intervalMs: 20, what: "reload rejected" });
      expect(log(d)).toMatch(/tandem\.conf:\d+:\d+: error: virtual_router_id must be 1\.\.255, got 300/);
      writeFileSync(d.confPath, good);
      process.kill(d.mainPid, "SIGHUP");
      await waitFor(() => log(d).includes("reload complete"), { timeoutMs: 3000, intervalMs: 20, what: "reload complete" });
      await delay(500);
      expect(watcher.events.filter((e) => e.tMs >= t0)).toEqual([]);
      expect(await holdsVip(topo.box("a").ns, VIP)).toBe(true);
      expect(d.alive()).toBe(true);
    } finally {
      await watcher.stop();
      await stopAll();
    }
  }, 30_000);

  test("SIGHUP with issue 8's self-doubling definition: rejected within a second, adverts never pause, memory stays put", async () => {
    const good = configFor({ box: "a", state: "MASTER", priority: 100, version: 3, advertInt: 0.1, vip: `${VIP}/24` });
    const d = await start("a", good);
    const capture = await Capture.start(topo, { file: join(topo.runDir, "reload-bomb.pcap"), filter: "ip proto 112" });
    const rss = () => Number(readFileSync(`/proc/${d.mainPid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) / 1024;
    try {
      await delay(500);
      const before = rss();
      writeFileSync(d.confPath, `$X=$X=\${X}\${X}\n${good.replace("global_defs {", "global_defs {\n    router_id \${X}")}`);
      const sentAt = performance.now();
      process.kill(d.mainPid, "SIGHUP");
      await waitFor(() => log(d).includes("reload rejected"), { timeoutMs: 3000, intervalMs: 10, what: "reload rejected" });
      const rejectedMs = performance.now() - sentAt;
      expect(log(d)).toMatch(/tandem\.conf:\d+:\d+: error: parameter substitution makes this line longer than 64 KiB/);
      await delay(500);
      const adverts = (await capture.stop()).adverts.filter((a) => a.srcIp === topo.box("a").ip).map((a) => a.tMs);
      const gaps = adverts.slice(1).map((t, i) => t - adverts[i]!);
      console.log(
        `reload of the bomb: rejected in ${rejectedMs.toFixed(0)} ms, largest advert gap ${Math.max(...gaps).toFixed(0)} ms, RSS ${before.toFixed(0)} -> ${rss().toFixed(0)} MB`,
      );
      expect(rejectedMs).toBeLessThan(1000);
      expect(Math.max(...gaps)).toBeLessThan(250);
      expect(rss() - before).toBeLessThan(64);
      expect(d.alive()).toBe(true);
    } finally {
      await stopAll();
    }
  }, 30_000);

  test("a reload while the link is down keeps the instance in FAULT (link states survive reloads)", async () => {
    const a = topo.box("a");
    const config = configFor({ box: "a", state: "MASTER", priority: 100, version: 3, advertInt: 0.1, vip: `${VIP}/24` });
    const d = await start("a", config);
    try {
      await waitFor(() => holdsVip(a.ns, VIP), { timeoutMs: 3000, intervalMs: 20, what: "A holds the VIP" });
      await exec(a.ns, ["ip", "link", "set", "eth0", "down"]);
      await waitFor(() => log(d).includes("MASTER -> FAULT"), { timeoutMs: 3000, intervalMs: 20, what: "FAULT" });
      process.kill(d.mainPid, "SIGHUP");
      await waitFor(() => log(d).includes("reload complete"), { timeoutMs: 3000, intervalMs: 20, what: "reload complete" });
      await delay(500);
      expect(log(d)).not.toContain("FAULT -> ");
      expect(await holdsVip(a.ns, VIP)).toBe(false);
      await exec(a.ns, ["ip", "link", "set", "eth0", "up"]);
      await waitFor(() => holdsVip(a.ns, VIP), { timeoutMs: 3000, intervalMs: 20, what: "A holds the VIP again" });
    } finally {
      await exec(a.ns, ["ip", "link", "set", "eth0", "up"]);
      await stopAll();
    }
  }, 30_000);

  test("unicast peers: adverts go to the peer's address, and failover works without multicast", async () => {
    const [a, b] = [topo.box("a"), topo.box("b")];
    const unicast = (side: "a" | "b", state: string, priority: number) => `
vrrp_instance VI_1 {
    state ${state}
    interface eth0
    virtual_router_id 61
    priority ${priority}
    advert_int 0.1
    version 3
    unicast_src_ip ${side === "a" ? a.ip : b.ip}
    unicast_peer {
        ${side === "a" ? b.ip : a.ip}
    }
    virtual_ipaddress {
        ${VIP}/24
    }
}
`;
    const cap = await Capture.start(topo, { file: join(topo.runDir, "unicast.pcap") });
    const da = await start("a", unicast("a", "MASTER", 100));
    await start("b", unicast("b", "BACKUP", 90));
    const watcher = await VipWatcher.start(b.ns, VIP);
    try {
      await waitFor(() => holdsVip(a.ns, VIP), { timeoutMs: 3000, intervalMs: 20, what: "A holds the VIP" });
      await delay(300);
      const t0 = wallMs();
      da.kill9();
      await watcher.waitFor(true, { afterMs: t0, timeoutMs: 2000 });
      const { adverts } = await cap.stop();
      const fromA = adverts.filter((x) => x.srcIp === a.ip);
      expect(fromA.length).toBeGreaterThan(2);
      expect(fromA.every((x) => x.dstIp === b.ip && x.vrid === 61)).toBe(true);
      expect(adverts.some((x) => x.dstIp === "224.0.0.18")).toBe(false);
    } finally {
      await watcher.stop();
      await stopAll();
    }
  }, 30_000);

  test("notify scripts get keepalived's arguments, in order, and notify_master runs", async () => {
    const dir = topo.box("a").runDir;
    const script = join(dir, "notify.sh");
    writeFileSync(script, `#!/bin/sh\necho "$@" >> ${dir}/notify.out\n`, { mode: 0o755 });
    const config = `
global_defs {
    script_user root
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 71
    priority 100
    advert_int 0.1
    version 3
    virtual_ipaddress {
        ${VIP}/24
    }
    notify "${script} generic"
    notify_master "${script} became-master"
}
`;
    const d = await start("a", config);
    await waitFor(() => existsSync(`${dir}/notify.out`) && readFileSync(`${dir}/notify.out`, "utf8").includes("MASTER"), {
      timeoutMs: 5000,
      intervalMs: 20,
      what: "notify output",
    });
    await d.stop("SIGTERM", 5000);
    await delay(200);
    const lines = readFileSync(`${dir}/notify.out`, "utf8").trim().split("\n");
    // keepalived order per transition: the state script first, then the generic one.
    expect(lines).toEqual(["generic INSTANCE VI_1 BACKUP 100", "became-master", "generic INSTANCE VI_1 MASTER 100", "generic INSTANCE VI_1 STOP 100"]);
    await stopAll();
  }, 30_000);

  test("pid file: written at start, a second daemon on it refuses to start, removed on exit", async () => {
    const box = topo.box("a");
    const config = configFor({ box: "a", state: "BACKUP", priority: 100, version: 3, advertInt: 0.1, vip: `${VIP}/24` });
    const d = await start("a", config);
    const pidFile = join(box.runDir, "tandem.pid");
    expect(readFileSync(pidFile, "utf8").trim()).toBe(String(d.mainPid));
    const second = await exec(box.ns, [tandemBin(), "-f", d.confPath, "-n", "-l", "-p", pidFile], { check: false });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`another tandem (pid ${d.mainPid}) owns the pid file`);
    expect(await d.stop("SIGTERM", 5000)).toBe(0);
    expect(existsSync(pidFile)).toBe(false);
    await stopAll();
  }, 30_000);

  test("a sync group moves together on real boxes: one member's fault hands both VIPs to the peer", async () => {
    const [a, b] = [topo.box("a"), topo.box("b")];
    const flag = (side: "a" | "b") => join(topo.box(side).runDir, "eth-down");
    const grouped = (side: "a" | "b", priority: number) => `
global_defs {
    script_user root
}
vrrp_script chk_flag {
    script "/usr/bin/test ! -e ${flag(side)}"
    interval 1
}
vrrp_sync_group G {
    group {
        VI_1
        VI_2
    }
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 81
    priority ${priority}
    advert_int 0.1
    version 3
    virtual_ipaddress {
        10.99.0.41/24
    }
    track_script {
        chk_flag
    }
}
vrrp_instance VI_2 {
    state BACKUP
    interface eth0
    virtual_router_id 82
    priority ${priority}
    advert_int 0.1
    version 3
    virtual_ipaddress {
        10.99.0.51/24
    }
}
`;
    await start("a", grouped("a", 100));
    await start("b", grouped("b", 90));
    try {
      const both = async (ns: string) => (await holdsVip(ns, "10.99.0.41")) && (await holdsVip(ns, "10.99.0.51"));
      await waitFor(() => both(a.ns), { timeoutMs: 5000, intervalMs: 20, what: "A holds both VIPs" });
      writeFileSync(flag("a"), "");
      await waitFor(() => both(b.ns), { timeoutMs: 5000, intervalMs: 20, what: "B holds both VIPs" });
      expect(await holdsVip(a.ns, "10.99.0.51")).toBe(false);
      await exec(null, ["rm", "-f", flag("a")]);
      await waitFor(() => both(a.ns), { timeoutMs: 5000, intervalMs: 20, what: "A holds both VIPs again" });
      expect(await holdsVip(b.ns, "10.99.0.41")).toBe(false);
    } finally {
      await stopAll();
    }
  }, 40_000);

  test("systemd Type=notify: READY=1 once running, STOPPING=1 on SIGTERM (Debian's keepalived.service unchanged)", async () => {
    const box = topo.box("a");
    const socketPath = join(box.runDir, "notify.sock");
    const received = join(box.runDir, "notify.received");
    // A stand-in for systemd's notify socket: a datagram listener that records what arrives.
    const listener = Bun.spawn(
      [
        "python3",
        "-c",
        `
import socket, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("${socketPath}")
with open("${received}", "a") as out:
    while True:
        out.write(s.recv(4096).decode() + "\\n"); out.flush()
`,
      ],
      { stdout: "ignore", stderr: "ignore" },
    );
    try {
      await waitFor(() => existsSync(socketPath), { timeoutMs: 3000, intervalMs: 10, what: "notify socket" });
      const config = configFor({ box: "a", state: "MASTER", priority: 100, version: 3, advertInt: 0.1, vip: `${VIP}/24` });
      writeFileSync(join(box.runDir, "notify.conf"), config);
      const daemon = Bun.spawn(["ip", "netns", "exec", box.ns, tandemBin(), "--dont-fork", "-f", join(box.runDir, "notify.conf")], {
        env: { ...process.env, NOTIFY_SOCKET: socketPath },
        stdout: "ignore",
        stderr: "ignore",
      });
      await waitFor(() => existsSync(received) && readFileSync(received, "utf8").includes("READY=1"), { timeoutMs: 5000, intervalMs: 20, what: "READY=1" });
      daemon.kill("SIGTERM");
      expect(await daemon.exited).toBe(0);
      await delay(100);
      expect(readFileSync(received, "utf8").trim().split("\n")).toEqual(["READY=1", "STOPPING=1"]);
    } finally {
      listener.kill("SIGKILL");
    }
  }, 30_000);

  test("vrrp_track_file: the value times the weight moves the priority; the backup takes over when it falls below", async () => {
    const [a, b] = [topo.box("a"), topo.box("b")];
    const trackPath = join(a.runDir, "weight");
    writeFileSync(trackPath, "0\n");
    const withFile = (side: "a" | "b", state: string, priority: number) => `
${side === "a" ? `vrrp_track_file tf {\n    file ${trackPath}\n    weight -5\n}\n` : ""}
vrrp_instance VI_1 {
    state ${state}
    interface eth0
    virtual_router_id 91
    priority ${priority}
    advert_int 0.1
    version 3
    virtual_ipaddress {
        ${VIP}/24
    }
${side === "a" ? "    track_file {\n        tf\n    }\n" : ""}}
`;
    await start("a", withFile("a", "MASTER", 100));
    await start("b", withFile("b", "BACKUP", 90));
    try {
      await waitFor(() => holdsVip(a.ns, VIP), { timeoutMs: 3000, intervalMs: 20, what: "A holds the VIP" });
      writeFileSync(trackPath, "1\n"); // 100 - 5 = 95 > 90: A stays master
      await delay(500);
      expect(await holdsVip(a.ns, VIP)).toBe(true);
      writeFileSync(trackPath, "3\n"); // 100 - 15 = 85 < 90: B takes over
      await waitFor(() => holdsVip(b.ns, VIP), { timeoutMs: 2000, intervalMs: 10, what: "B holds the VIP" });
      writeFileSync(trackPath, "0\n");
      await waitFor(() => holdsVip(a.ns, VIP), { timeoutMs: 2000, intervalMs: 10, what: "A holds the VIP again" });
    } finally {
      await stopAll();
    }
  }, 30_000);

  test("SIGTERM during start-up (a slow first script run) still ends in a clean stop", async () => {
    const a = topo.box("a");
    const config = `
global_defs {
    script_user root
}
vrrp_script slow {
    script "/bin/sleep 1.5"
    interval 5
    timeout 3
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 95
    priority 100
    advert_int 0.1
    version 3
    virtual_ipaddress {
        ${VIP}/24
    }
    track_script {
        slow
    }
}
`;
    const d = await start("a", config);
    // start() waits for the first result of every track script: the daemon is starting now.
    process.kill(d.mainPid, "SIGTERM");
    expect(await d.waitExit(10_000)).toBe(0);
    expect(await holdsVip(a.ns, VIP)).toBe(false);
    expect(log(d)).toContain("stopped");
    await stopAll();
  }, 30_000);

  test("hostile packets (wrong TTL, bad checksum, wrong password, truncated, random) are dropped, logged, and the master stays", async () => {
    const [a, c] = [topo.box("a"), topo.box("c")];
    const d = await start("a", configFor({ box: "a", state: "MASTER", priority: 100, version: 2, advertInt: 1, vip: `${VIP}/24` }));
    await waitFor(() => holdsVip(a.ns, VIP), { timeoutMs: 5000, intervalMs: 20, what: "A holds the VIP" });
    // From the client box: a real-looking advert (VRID 51, priority 200) with a wrong TTL,
    // one with a bad checksum, one with a wrong password, a truncated one and random bytes.
    const sender = `
import socket, os, struct
def csum(b):
    if len(b) % 2: b += b"\\0"
    s = sum(struct.unpack("!%dH" % (len(b)//2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff
def advert(pw=b"1111", prio=200):
    body = struct.pack("!BBBBBBH", 0x21, 51, prio, 1, 1, 1, 0) + socket.inet_aton("${VIP}") + pw.ljust(8, b"\\0")
    return body[:6] + struct.pack("!H", csum(body)) + body[8:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("${c.ip}"))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 64)
for p in [advert(), ]: s.sendto(p, ("224.0.0.18", 0))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
bad = bytearray(advert()); bad[7] ^= 0xff
for p in [bytes(bad), advert(pw=b"nope"), advert()[:9], os.urandom(40), os.urandom(3)]: s.sendto(p, ("224.0.0.18", 0))
`;
    const sent = await exec(c.ns, ["python3", "-c", sender], { check: false });
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    await delay(1500);
    const text = log(d);
    expect(text).toContain("TTL is 64; must be 255");
    expect(text).toMatch(/dropped VRRP packet from 10\.99\.0\.100: .*checksum/);
    expect(text).toMatch(/dropped VRRP packet from 10\.99\.0\.100: .*password/i);
    expect(d.alive()).toBe(true);
    expect(await holdsVip(a.ns, VIP)).toBe(true);
    expect(text).not.toContain("MASTER -> ");
    await stopAll();
  }, 30_000);
});
