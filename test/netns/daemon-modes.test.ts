// keepalived's -C/--check and -P/--vrrp on the built binary (keepalived main.c clears
// DAEMON_VRRP or DAEMON_CHECKERS): with -C only the director runs (unavailable here, the host
// kernel has no IPVS) and not one advert is sent; with -P the VRRP engine runs and becomes
// master, and no director process is started although the file has a virtual_server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Capture, cleanupStale, createTopology, delay, holdsVip, ownLog, tandemImpl, waitFor, type DaemonHandle, type Topology } from "./lib/index.ts";
import { isRoot } from "./support/pair-scenarios.ts";

const VIP = "10.99.0.51";
const unavailable = tandemImpl.unavailableReason();

const CONFIG = `
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 81
    priority 100
    advert_int 0.1
    version 3
    virtual_ipaddress {
        ${VIP}/24
    }
}
virtual_server ${VIP} 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.99.0.200 80 {
        weight 1
    }
}
`;

describe.skipIf(!isRoot || unavailable !== null)("tandem -C / -P (root, netns)", () => {
  let topo: Topology;
  let daemon: DaemonHandle | undefined;
  const start = async (extraArgs: string[]) => {
    const box = topo.box("a");
    daemon = await tandemImpl.start({ ns: box.ns, runDir: box.runDir, config: CONFIG, extraArgs });
    return daemon;
  };
  const log = ownLog;

  beforeAll(async () => {
    await cleanupStale();
    topo = await createTopology();
  }, 30_000);

  afterAll(async () => {
    if (daemon?.alive()) await daemon.stop("SIGTERM", 5000);
    await topo?.destroy();
  }, 30_000);

  test("-C: the director runs alone (unavailable without IPVS); no VRRP engine, no advert, no VIP", async () => {
    const capture = await Capture.start(topo, { file: join(topo.runDir, "check-only.pcap"), filter: "ip proto 112" });
    const d = await start(["-C"]);
    try {
      await waitFor(() => d.rolePids().director, { timeoutMs: 5000, intervalMs: 20, what: "the director process" });
      await waitFor(() => log(d).includes("IPVS director unavailable"), { timeoutMs: 5000, intervalMs: 20, what: "the director's report" });
      // Ten advert intervals: a VRRP engine would have sent adverts and taken the VIP by now.
      await delay(1000);
      const adverts = (await capture.stop()).adverts;
      expect(adverts).toHaveLength(0);
      expect(await holdsVip(topo.box("a").ns, VIP)).toBe(false);
      expect(Object.keys(d.rolePids()).sort()).toEqual(["director", "main", "observer"]);
      expect(log(d)).toContain("-C/--check: no VRRP engine");
      expect(log(d)).not.toContain("only VRRP runs");
    } finally {
      await capture.stop().catch(() => undefined);
      expect(await d.stop("SIGTERM", 5000)).toBe(0);
    }
  }, 30_000);

  test("-P: VRRP only: the engine sends adverts and holds the VIP; no director process for the virtual_server", async () => {
    const capture = await Capture.start(topo, { file: join(topo.runDir, "vrrp-only.pcap"), filter: "ip proto 112" });
    const d = await start(["-P"]);
    try {
      await waitFor(() => holdsVip(topo.box("a").ns, VIP), { timeoutMs: 5000, intervalMs: 20, what: "the VIP" });
      await delay(500);
      const adverts = (await capture.stop()).adverts.filter((a) => a.srcIp === topo.box("a").ip);
      expect(adverts.length).toBeGreaterThan(2);
      expect(Object.keys(d.rolePids()).sort()).toEqual(["main", "observer", "vrrp"]);
      // No director ran (it would say whether IPVS is there), and the log says why.
      expect(log(d)).not.toMatch(/IPVS director (un)?available/);
      expect(log(d)).toContain("--vrrp (-P): no IPVS director, only VRRP runs");
    } finally {
      await capture.stop().catch(() => undefined);
      expect(await d.stop("SIGTERM", 5000)).toBe(0);
    }
  }, 30_000);
});
