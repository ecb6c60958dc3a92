// The director's process logic on the fake kernel: it starts, programs the table and says
// so in its status and events; where there is no IPVS it reports itself unavailable and
// tries again; drains come and go through intent messages and the drains in progress go
// back to the supervisor; a stop removes tandem's services, or with -I leaves them serving.
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../../src/common/clock.ts";
import { memoryLogger } from "../../../../src/common/logger.ts";
import type { Config } from "../../../../src/config/index.ts";
import { DirectorService, DRIFT_SCAN_MS, KERNEL_RETRY_MS, STATUS_REFRESH_MS, type KernelOpen } from "../../../../src/daemon/director/director-service.ts";
import type { FromDirector } from "../../../../src/daemon/ipc/messages.ts";
import { NO_DRAINS } from "../../../../src/ipvs/drain.ts";
import { NO_FLAGS } from "../../../../src/ipvs/types.ts";
import type { IpvsGlobalPlan } from "../../../../src/ipvs/plan-ipvs-globals.ts";
import type { VirtualServerPlan } from "../../../../src/ipvs/virtual-server-plan.ts";
import { FakeIpvsKernel } from "../../support/fake-ipvs-kernel.ts";
import { ip, realServer, virtualServer } from "../../ipvs/support/plans.ts";

const PLANS: VirtualServerPlan[] = [
  virtualServer("10.0.0.1", 80, [realServer("10.0.1.2", 80, { weight: 3 }), realServer("10.0.1.3", 80, { weight: 1 })], { scheduler: "wrr" }),
];
const CONFIG = {} as Config; // the plan function below stands for the config's virtual servers

/** [address, weight] of the one service's destinations, in address order. */
function weights(kernel: FakeIpvsKernel): [string, number][] {
  return kernel
    .dump()
    .services[0]!.destinations.map((d): [string, number] => [d.address.text, d.weight])
    .sort(([a], [b]) => a.localeCompare(b));
}

async function settle(): Promise<void> {
  for (let i = 0; i < 30; i++) await Promise.resolve();
}

const GLOBALS: IpvsGlobalPlan = { flushAtStart: false, flushOnStop: "none", drainTimeoutMs: 300_000 };

function rig(options: { kernelAvailable?: () => boolean; keepIpvsOnStop?: boolean; globals?: Partial<IpvsGlobalPlan> } = {}) {
  const settings: string[] = [];
  const clock = new FakeClock();
  const kernel = new FakeIpvsKernel();
  const sent: FromDirector[] = [];
  let owned = new Set<string>();
  const service = new DirectorService(
    {
      send: (m) => sent.push(m),
      clock,
      logger: memoryLogger(),
      openKernel: async (): Promise<KernelOpen> =>
        (options.kernelAvailable?.() ?? true)
          ? {
              ok: true,
              kernel: { dump: async () => kernel.dump(), apply: async (ops) => kernel.apply(ops) },
              settings: {
                setConnectionTimeouts: async (t) => (settings.push(`timeouts ${JSON.stringify(t)}`), { ok: true }),
                startSyncDaemon: async (d) => (settings.push(`start ${d.state} ${d.interfaceName} ${d.syncId}`), { ok: true }),
                stopSyncDaemon: async (state) => (settings.push(`stop ${state}`), { ok: true }),
                flush: async () => {
                  settings.push("flush");
                  for (const s of kernel.dump().services) kernel.apply([{ kind: "delete-service", key: s.key, breaksConnections: true }]);
                  return { ok: true };
                },
              },
              close: () => {},
            }
          : { ok: false, reason: "the kernel has no IPVS (generic netlink family IPVS not found)" },
      ownership: { owned: () => new Set(owned), replace: (s) => ((owned = new Set(s)), { ok: true }) },
      plan: () => ({ virtualServers: PLANS, globals: { ...GLOBALS, ...options.globals } }),
    },
    {
      type: "start",
      config: CONFIG,
      intent: { drained: [] },
      drainState: NO_DRAINS,
      keepIpvsOnStop: options.keepIpvsOnStop ?? false,
      ownershipFile: ":memory:",
      log: { console: false, syslog: false, facility: undefined, detail: false },
    },
  );
  const statuses = () => sent.flatMap((m) => (m.type === "status" ? [m.status] : []));
  const events = () => sent.flatMap((m) => (m.type === "events" ? m.events : []));
  return { clock, kernel, sent, service, statuses, events, settings };
}

describe("DirectorService", () => {
  test("start: the table is programmed, the status shows desired beside kernel weights, the events say what happened", async () => {
    const { service, kernel, sent, statuses, events } = rig();
    await service.start();
    expect(sent.filter((m) => m.type === "started")).toHaveLength(1);
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
    const perMessage = sent.flatMap((m) => (m.type === "events" ? [m.events.map((e) => e.kind as string)] : []));
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

  test("no IPVS in the kernel: reported unavailable, with why, and tried again later", async () => {
    let available = false;
    const { service, clock, kernel, statuses } = rig({ kernelAvailable: () => available });
    await service.start();
    expect(statuses().at(-1)).toMatchObject({ available: false, reason: "the kernel has no IPVS (generic netlink family IPVS not found)" });
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
    service.handle({ type: "apply", config: CONFIG });
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
});
