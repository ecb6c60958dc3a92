// The director's process logic on the fake kernel: it starts, programs the table and says
// so in its status and events; where there is no IPVS it reports itself unavailable and
// tries again; drains come and go through intent messages and the drains in progress go
// back to the supervisor; a stop removes tandem's services, or with -I leaves them serving.
// The preflight reads (and with ipvs_set_sysctls sets) the sysctls on a fake host.
import { describe, expect, test } from "bun:test";
import { DRIFT_SCAN_MS, KERNEL_RETRY_MS, STATUS_REFRESH_MS } from "../../../../src/daemon/director/director-service.ts";
import { NO_FLAGS } from "../../../../src/ipvs/types.ts";
import { ip, realServer, virtualServer } from "../../ipvs/support/plans.ts";
import { CONFIG, DEFAULT_SYSCTLS, fakeHost, PLANS, rig, settle, weights } from "./director-rig.ts";
import { fromJsonText, toJsonText } from "../../../../src/daemon/ipc/json-text.ts";

describe("DirectorService", () => {
  test("start: the table is programmed, the status shows desired beside kernel weights, the events say what happened", async () => {
    const { service, kernel, sent, statuses, events } = rig();
    await service.start();
    // "started" once the table is programmed: the supervisor opens the director-ready gate on it.
    expect(sent.filter((m) => m.type === "started")).toEqual([{ type: "started", ipvsAvailable: true }]);
    expect(weights(kernel)).toEqual([
      ["10.0.1.2", 3],
      ["10.0.1.3", 1],
    ]);
    const status = statuses().at(-1)!;
    expect(status.available).toBe(true);
    expect(status.virtualServers.map((v) => v.id)).toEqual(["TCP 10.0.0.1:80"]);
    expect(status.virtualServers[0]!.realServers.map((r) => [r.id, r.desiredWeight, r.kernelWeight, r.alive])).toEqual([
      ["10.0.1.2:80", 3, 3, true],
      ["10.0.1.3:80", 1, 1, true],
    ]);
    expect(status.lastApply?.writes).toBe(3);
    expect(events().map((e) => e.kind as string)).toContain("ipvs.apply");
    // Recorded together, sent together: the real servers' records of one pass in one message, all before "started".
    const perMessage = sent.flatMap((m) => (m.type === "events" ? [fromJsonText(m.events).map((e) => e.kind as string)] : []));
    expect(perMessage.some((kinds) => kinds.filter((k) => k === "ipvs.real-server").length === 2)).toBe(true);
    expect(sent.findLastIndex((m) => m.type === "events")).toBeLessThan(sent.findIndex((m) => m.type === "started"));
  });

  test("the status is sent when a pass or a reload may have changed it; the other seconds carry only a heartbeat", async () => {
    const { service, clock, sent, statuses } = rig();
    await service.start();
    const afterStart = statuses().length;
    const heartbeats = () => sent.filter((m) => m.type === "alive").length;
    // Five quiet seconds: nothing was read or written, so the same status is not built and sent again.
    for (let second = 1; second <= 5; second++) {
      clock.advance(STATUS_REFRESH_MS);
      await settle();
    }
    expect(statuses()).toHaveLength(afterStart);
    expect(heartbeats()).toBe(5);
    // The drift scan reads the kernel again (its counters): the next second sends that view.
    clock.advance(DRIFT_SCAN_MS - 5 * STATUS_REFRESH_MS);
    await settle();
    clock.advance(STATUS_REFRESH_MS);
    await settle();
    expect(statuses().length).toBeGreaterThan(afterStart);
    expect(statuses().at(-1)!.observedAtMs).toBeGreaterThanOrEqual(DRIFT_SCAN_MS);
  });

  test("under traffic only the kernel's counters move: they go alone each second, the view is not built and sent again", async () => {
    const HEADER = "   Total Incoming Outgoing         Incoming         Outgoing\n   Conns  Packets  Packets            Bytes            Bytes\n";
    const RATES = " Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n";
    let connections = 1;
    const host = { ...fakeHost(DEFAULT_SYSCTLS()), ipvsStats: async () => `${HEADER}${connections.toString(16).padStart(8)} 0 0 0 0\n\n${RATES} 0 0 0 0 0\n` };
    const { service, clock, sent, statuses } = rig({ host });
    await service.start();
    clock.advance(STATUS_REFRESH_MS);
    await settle();
    const views = statuses().length;
    const totals = () => sent.flatMap((m) => (m.type === "totals" ? [m.totals?.connections] : []));
    for (let second = 1; second <= 3; second++) {
      connections += 10;
      clock.advance(STATUS_REFRESH_MS);
      await settle();
    }
    expect(statuses()).toHaveLength(views);
    // Each round sends what the round before read (/proc is read after the message, for the next one).
    expect(totals()).toEqual([1, 11, 21]);
  });

  test("no IPVS in the kernel: reported unavailable, with why, and tried again later", async () => {
    let available = false;
    const { service, clock, kernel, statuses, sent } = rig({ kernelAvailable: () => available });
    await service.start();
    expect(statuses().at(-1)).toMatchObject({ available: false, reason: "the kernel has no IPVS (generic netlink family IPVS not found)" });
    expect(sent.filter((m) => m.type === "started")).toEqual([
      { type: "started", ipvsAvailable: false, reason: "the kernel has no IPVS (generic netlink family IPVS not found)" },
    ]);
    // What the configuration asks for is shown all the same, with nothing in the kernel.
    expect(
      statuses()
        .at(-1)!
        .virtualServers.map((v) => [v.id, v.realServers.map((r) => r.kernelWeight)]),
    ).toEqual([["TCP 10.0.0.1:80", [undefined, undefined]]]);
    available = true;
    clock.advance(KERNEL_RETRY_MS);
    await settle();
    expect(kernel.dump().services).toHaveLength(1);
    expect(statuses().at(-1)!.available).toBe(true);
  });

  test("a drain through intent holds the server at weight 0 and hands the drains in progress to the supervisor", async () => {
    const { service, kernel, sent } = rig();
    await service.start();
    kernel.setConnections({ kind: "address", protocol: "TCP", address: ip("10.0.0.1"), port: 80 }, { address: ip("10.0.1.3"), port: 80 }, 2, 0);
    service.handle({ type: "intent", intent: { drained: [{ virtualServer: "TCP 10.0.0.1:80", realServer: "10.0.1.3:80" }] } });
    await settle();
    expect(weights(kernel)).toEqual([
      ["10.0.1.2", 3],
      ["10.0.1.3", 0],
    ]);
    const drainStates = sent.flatMap((m) => (m.type === "drain-state" ? [m.state] : []));
    expect(drainStates.at(-1)!.entries.map((e) => [e.destination.address.text, e.cause, e.phase])).toEqual([["10.0.1.3", "operator", "draining"]]);
  });

  test("stop removes tandem's services; with -I the table keeps serving", async () => {
    const released = rig();
    await released.service.start();
    await released.service.stop("SIGTERM");
    expect(released.kernel.dump().services).toEqual([]);
    expect(released.sent.at(-1)).toEqual({ type: "stopped" });

    const kept = rig({ keepIpvsOnStop: true });
    await kept.service.start();
    await kept.service.stop("SIGTERM");
    expect(kept.kernel.dump().services).toHaveLength(1);
  });

  test("lvs_flush empties the table before tandem's own (a foreign service too); lvs_timeouts is set at start and at a reload", async () => {
    const { service, kernel, settings } = rig({ globals: { flushAtStart: true, timeouts: { tcpS: 900, udpS: 60 } } });
    kernel.apply([
      {
        kind: "add-service",
        service: {
          key: { kind: "address", protocol: "UDP", address: ip("10.9.9.9"), port: 53 },
          scheduler: "rr",
          flags: NO_FLAGS,
          timeoutS: 0,
          netmask: 0xffffffff,
        },
      },
    ]);
    await service.start();
    expect(settings).toEqual(["flush", 'timeouts {"tcpS":900,"udpS":60}']);
    expect(kernel.dump().services.map((s) => s.key.kind === "address" && s.key.address.text)).toEqual(["10.0.0.1"]);
    service.handle({ type: "apply", config: toJsonText(CONFIG) });
    await settle();
    expect(settings).toEqual(["flush", 'timeouts {"tcpS":900,"udpS":60}', 'timeouts {"tcpS":900,"udpS":60}']);
  });

  test("lvs_flush_on_stop (full) flushes the whole table at stop; without it only tandem's services go", async () => {
    const full = rig({ globals: { flushOnStop: "full" } });
    await full.service.start();
    await full.service.stop("SIGTERM");
    expect(full.settings).toEqual(["flush"]);
    const plain = rig();
    await plain.service.start();
    await plain.service.stop("SIGTERM");
    expect(plain.settings).toEqual([]);
    expect(plain.kernel.dump().services).toEqual([]);
  });

  test("lvs_sync_daemon follows its VRRP instance: backup until MASTER, master while MASTER, backup again after; stopped at stop", async () => {
    const { service, settings, events } = rig({ globals: { syncDaemon: { interfaceName: "eth0", syncId: 5, instance: "VI_1" } } });
    await service.start();
    expect(settings).toEqual(["start backup eth0 5"]);
    service.handle({ type: "vrrp", states: { VI_1: "MASTER" } });
    await settle();
    expect(settings.slice(1)).toEqual(["stop backup", "start master eth0 5"]);
    service.handle({ type: "vrrp", states: { VI_1: "MASTER", VI_2: "BACKUP" } }); // no change for VI_1: nothing
    await settle();
    expect(settings).toHaveLength(3);
    service.handle({ type: "vrrp", states: { VI_1: "FAULT" } });
    await settle();
    expect(settings.slice(3)).toEqual(["stop master", "start backup eth0 5"]);
    await service.stop("SIGTERM");
    expect(settings.at(-1)).toBe("stop backup");
    expect(
      events()
        .filter((e) => e.kind === "ipvs.sync-daemon")
        .map((e) => (e.data as { state: string }).state),
    ).toEqual(["backup", "stopped", "master", "stopped", "backup", "stopped"]);
  });

  test("preflight at start: IPVS's version and table size, and each sysctl the NAT service depends on; without ipvs_set_sysctls only warned about", async () => {
    const sysctls = DEFAULT_SYSCTLS();
    const { service, statuses, events, logger } = rig({ host: fakeHost(sysctls) });
    await service.start();
    const preflight = statuses().at(-1)!.preflight!;
    expect(preflight).toMatchObject({ version: "1.2.1", connectionTableSize: 4096, setSysctls: false });
    // NAT (ip_forward) and the director itself (expire_nodest_conn); nothing persistent, no stateful filter.
    expect(preflight.sysctls.map((s) => [s.name, s.value, s.wanted, s.ok])).toEqual([
      ["net.ipv4.ip_forward", 0, 1, false],
      ["net.ipv4.vs.expire_nodest_conn", 0, 1, false],
    ]);
    expect(logger.lines).toContain("info preflight: IPVS 1.2.1, connection table of 4096 entries");
    expect(logger.lines.filter((l) => l.startsWith("warn preflight:"))).toHaveLength(2);
    expect(logger.lines.find((l) => l.includes("expire_nodest_conn"))).toEndWith("(ipvs_set_sysctls in global_defs has tandem set it)");
    expect(sysctls.get("net.ipv4.ip_forward")).toBe(0);
    expect(events().filter((e) => e.kind === "ipvs.sysctl")).toEqual([]);
  });

  test("ipvs_set_sysctls: the wrong ones are set and read back, the history says what changed, a refused write is reported", async () => {
    const sysctls = DEFAULT_SYSCTLS();
    const host = fakeHost(sysctls, { modules: ["nft_ct"], refuse: ["net.ipv4.vs.conntrack"] });
    const { service, statuses, events, logger } = rig({ host, globals: { setSysctls: true } });
    await service.start();
    expect(sysctls.get("net.ipv4.ip_forward")).toBe(1);
    expect(sysctls.get("net.ipv4.vs.expire_nodest_conn")).toBe(1);
    // A stateful filter (nft_ct) with a NAT service wants conntrack; this host refuses the write.
    expect(
      statuses()
        .at(-1)!
        .preflight!.sysctls.map((s) => [s.name, s.value, s.ok]),
    ).toEqual([
      ["net.ipv4.ip_forward", 1, true],
      ["net.ipv4.vs.expire_nodest_conn", 1, true],
      ["net.ipv4.vs.conntrack", 0, false],
    ]);
    const event = events().find((e) => e.kind === "ipvs.sysctl")!;
    expect(event.data).toEqual({
      changes: [
        { name: "net.ipv4.ip_forward", from: 0, to: 1 },
        { name: "net.ipv4.vs.expire_nodest_conn", from: 0, to: 1 },
      ],
      failures: [{ name: "net.ipv4.vs.conntrack", reason: "net.ipv4.vs.conntrack: EACCES" }],
    });
    expect(event.summary).toBe(
      "ipvs_set_sysctls: net.ipv4.ip_forward 0 -> 1; net.ipv4.vs.expire_nodest_conn 0 -> 1; net.ipv4.vs.conntrack not set (net.ipv4.vs.conntrack: EACCES)",
    );
    expect(logger.lines).toContain("error preflight: could not set net.ipv4.vs.conntrack to 1: net.ipv4.vs.conntrack: EACCES");
  });

  test("a reload checks again: a persistent service brings expire_quiescent_template, and only what changed is logged", async () => {
    let plans = PLANS;
    const { service, statuses, logger } = rig({ plans: () => plans });
    await service.start();
    const before = logger.lines.length;
    plans = [virtualServer("10.0.0.1", 80, [realServer("10.0.1.2", 80)], { persistence: { timeoutS: 300 } })];
    service.handle({ type: "apply", config: toJsonText(CONFIG) });
    await settle();
    expect(
      statuses()
        .at(-1)!
        .preflight!.sysctls.map((s) => s.name),
    ).toEqual(["net.ipv4.ip_forward", "net.ipv4.vs.expire_nodest_conn", "net.ipv4.vs.expire_quiescent_template"]);
    const logged = logger.lines.slice(before).filter((l) => l.includes("preflight:"));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toStartWith("warn preflight: net.ipv4.vs.expire_quiescent_template is 0; it should be 1:");
  });

  test("the kernel's totals from /proc/net/ip_vs_stats reach the status; none without IPVS", async () => {
    const stats =
      "   Total Incoming Outgoing         Incoming         Outgoing\n   Conns  Packets  Packets            Bytes            Bytes\n       5       22       1A              873              999\n\n Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n       0        3        2               CB               E6\n";
    const { service, clock, sent } = rig({ host: fakeHost(DEFAULT_SYSCTLS(), { stats }) });
    await service.start();
    clock.advance(STATUS_REFRESH_MS);
    await settle();
    // Only the counters changed since the last status: they come alone.
    expect(sent.at(-1)).toEqual({
      type: "totals",
      totals: { connections: 5, incomingPackets: 0x22, outgoingPackets: 0x1a, incomingBytes: 0x873, outgoingBytes: 0x999 },
    });

    const down = rig({ kernelAvailable: () => false, host: fakeHost(DEFAULT_SYSCTLS(), { stats }) });
    await down.service.start();
    down.clock.advance(STATUS_REFRESH_MS);
    await settle();
    expect(down.statuses().at(-1)!.totals).toBeUndefined();
    expect(down.statuses().at(-1)!.preflight).toBeUndefined();
  });

  test("-C/--check: a sync daemon that follows a VRRP instance is the VRRP process's, so none runs; one that follows none runs both", async () => {
    const following = rig({ vrrpRuns: false, globals: { syncDaemon: { interfaceName: "eth0", syncId: 5, instance: "VI_1" } } });
    await following.service.start();
    await following.service.stop("SIGTERM");
    expect(following.settings).toEqual([]);
    expect(following.logger.lines.some((l) => l.includes("lvs_sync_daemon follows VRRP instance VI_1, and no VRRP runs (-C/--check)"))).toBe(true);
    const free = rig({ vrrpRuns: false, globals: { syncDaemon: { interfaceName: "eth0", syncId: 5 } } });
    await free.service.start();
    expect(free.settings).toEqual(["start master eth0 5", "start backup eth0 5"]);
  });
});
