// The director over the fake kernel: a start programs the table and a second start adopts it
// with zero writes; a reload writes exactly the difference; a failed check removes a real
// server (keepalived) and a success brings it back; a drained server is held at weight 0
// until its connections end; drift is repaired by the scan; a foreign service is never
// touched; a stop removes what tandem owns unless asked to keep it.
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../src/common/clock.ts";
import { memoryLogger } from "../../../src/common/logger.ts";
import { Director, type DirectorReport, type IpvsKernelPort } from "../../../src/ipvs/director.ts";
import { NO_INTENT } from "../../../src/ipvs/director-types.ts";
import { serviceKeyText, type ServiceKey } from "../../../src/ipvs/types.ts";
import type { VirtualServerPlan } from "../../../src/ipvs/virtual-server-plan.ts";
import { FakeIpvsKernel } from "../support/fake-ipvs-kernel.ts";
import { destination, observed, service } from "../support/ipvs-tables.ts";
import { ip, realServer, virtualServer } from "./support/plans.ts";
import { MemoryOwnership } from "./support/memory-ownership.ts";

const WEB: ServiceKey = { kind: "address", protocol: "TCP", address: ip("10.0.0.1"), port: 80 };
const WEB_ID = "TCP 10.0.0.1:80";

function plans(weights: number[] = [1, 2], more: Partial<VirtualServerPlan> = {}): VirtualServerPlan[] {
  const servers = weights.map((weight, i) => realServer(`10.0.1.${i + 2}`, 80, { weight, checkers: [{ id: "TCP_CHECK" }] }));
  return [virtualServer("10.0.0.1", 80, servers, { scheduler: "wrr", ...more })];
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** A director over the fake kernel, or over a port onto it that a test wraps (to count or hold its reads). */
function rig(kernel = new FakeIpvsKernel(), ownership = new MemoryOwnership(), port: IpvsKernelPort = kernel.port()) {
  const clock = new FakeClock();
  const reports: DirectorReport[] = [];
  const director = new Director({
    kernel: port,
    ownership,
    clock,
    logger: memoryLogger(),
    report: (r) => reports.push(r),
    drainTimeoutMs: 300_000,
    driftScanMs: 10_000,
  });
  const weights = () =>
    Object.fromEntries((kernel.dump().services.find((s) => serviceKeyText(s.key) === WEB_ID)?.destinations ?? []).map((d) => [d.address.text, d.weight]));
  return { clock, kernel, ownership, director, reports, weights };
}

describe("director", () => {
  test("start programs the table; a second start over it adopts it with zero writes", async () => {
    const first = rig();
    await first.director.start(plans(), NO_INTENT);
    expect(first.weights()).toEqual({ "10.0.1.2": 1, "10.0.1.3": 2 });
    expect(first.kernel.dump().services[0]!.scheduler).toBe("wrr");
    expect(first.ownership.set).toEqual(new Set([WEB_ID]));

    // kill -9 and a new start on the same kernel and record.
    const second = rig(first.kernel, first.ownership);
    const writesBefore = first.kernel.writes;
    await second.director.start(plans(), NO_INTENT);
    expect(first.kernel.writes).toBe(writesBefore);
    expect(second.reports.filter((r) => r.kind === "applied")).toEqual([]);
  });

  test("a matching entry with another weight and scheduler is corrected in place, not re-created", async () => {
    const kernel = new FakeIpvsKernel(
      observed({ services: [service(WEB, [destination("10.0.1.2", 80, { weight: 5 }), destination("10.0.1.3", 80, { weight: 2 })], { scheduler: "rr" })] }),
    );
    const { director, reports, weights } = rig(kernel);
    await director.start(plans(), NO_INTENT);
    expect(weights()).toEqual({ "10.0.1.2": 1, "10.0.1.3": 2 });
    const applied = reports.find((r) => r.kind === "applied");
    expect(applied?.kind === "applied" && applied.ops.map((op) => op.kind).sort()).toEqual(["set-destination", "set-service"]);
  });

  test("a reload writes exactly the difference; an unchanged reload writes nothing", async () => {
    const { director, kernel, weights } = rig();
    await director.start(plans([1, 2]), NO_INTENT);
    const before = kernel.writes;
    await director.reload(plans([1, 2]));
    expect(kernel.writes).toBe(before);
    await director.reload(plans([1, 7]));
    expect(kernel.writes).toBe(before + 1);
    expect(weights()).toEqual({ "10.0.1.2": 1, "10.0.1.3": 7 });
  });

  test("a failed check removes the real server, as keepalived does; a success brings it back", async () => {
    const { director, weights } = rig();
    await director.start(plans(), NO_INTENT);
    await director.reportChecker({ virtualServer: WEB_ID, realServer: "10.0.1.3:80", checker: "TCP_CHECK" }, { up: false });
    expect(weights()).toEqual({ "10.0.1.2": 1 });
    await director.reportChecker({ virtualServer: WEB_ID, realServer: "10.0.1.3:80", checker: "TCP_CHECK" }, { up: true });
    expect(weights()).toEqual({ "10.0.1.2": 1, "10.0.1.3": 2 });
  });

  test("a drained server is held at weight 0 while it has connections, then removed; undrained it returns", async () => {
    const { director, kernel, clock, weights, reports } = rig();
    await director.start(plans(), NO_INTENT);
    kernel.setConnections(WEB, { address: ip("10.0.1.3"), port: 80 }, 3, 1);
    await director.setIntent({ drained: [{ virtualServer: WEB_ID, realServer: "10.0.1.3:80" }] });
    expect(weights()).toEqual({ "10.0.1.2": 1, "10.0.1.3": 0 });
    expect(reports.some((r) => r.kind === "drain" && r.effect.kind === "drain-started")).toBe(true);
    clock.advance(5_000);
    await settle();
    expect(weights()).toEqual({ "10.0.1.2": 1, "10.0.1.3": 0 });
    kernel.setConnections(WEB, { address: ip("10.0.1.3"), port: 80 }, 0, 0);
    clock.advance(1_000); // the director looks every second while something drains
    await settle();
    expect(weights()).toEqual({ "10.0.1.2": 1 });
    await director.setIntent(NO_INTENT);
    expect(weights()).toEqual({ "10.0.1.2": 1, "10.0.1.3": 2 });
  });

  test("a real server a reload removes is held at weight 0 with connections until the reload's drain timeout, then deleted", async () => {
    const { director, kernel, clock, weights } = rig(); // started with the 300 s default
    await director.start(plans([1, 2]), NO_INTENT);
    kernel.setConnections(WEB, { address: ip("10.0.1.3"), port: 80 }, 2, 0);
    await director.reload(plans([1]), { drainTimeoutMs: 4_000 });
    expect(weights()).toEqual({ "10.0.1.2": 1, "10.0.1.3": 0 });
    clock.advance(3_000);
    await settle();
    expect(weights()).toEqual({ "10.0.1.2": 1, "10.0.1.3": 0 }); // its connections last, within the timeout
    clock.advance(1_000);
    await settle();
    expect(weights()).toEqual({ "10.0.1.2": 1 }); // the new timeout, not the 300 s the director started with
  });

  test("what is deleted behind tandem's back comes back at the next drift scan, reported as a repair", async () => {
    const { director, kernel, clock, weights, reports } = rig();
    await director.start(plans(), NO_INTENT);
    kernel.apply([{ kind: "delete-destination", service: WEB, destination: { address: ip("10.0.1.2"), port: 80 }, breaksConnections: true }]);
    expect(weights()).toEqual({ "10.0.1.3": 2 });
    clock.advance(10_000);
    await settle();
    expect(weights()).toEqual({ "10.0.1.2": 1, "10.0.1.3": 2 });
    expect(reports.filter((r) => r.kind === "drift-repaired")).toHaveLength(1);
  });

  test("a foreign service is left alone at start, reload and stop", async () => {
    const foreign: ServiceKey = { kind: "address", protocol: "UDP", address: ip("10.9.9.9"), port: 53 };
    const kernel = new FakeIpvsKernel(observed({ services: [service(foreign, [destination("10.9.9.10", 53)])] }));
    const { director } = rig(kernel);
    await director.start(plans(), NO_INTENT);
    await director.reload([]);
    await director.stop(true);
    expect(kernel.dump().services.map((s) => serviceKeyText(s.key))).toEqual(["UDP 10.9.9.9:53"]);
  });

  test("a service dropped from the config while tandem was down is removed at the next start, because the record says tandem made it", async () => {
    const first = rig();
    await first.director.start(plans(), NO_INTENT);
    const second = rig(first.kernel, first.ownership);
    await second.director.start([], NO_INTENT);
    expect(first.kernel.dump().services).toEqual([]);
    expect(first.ownership.set).toEqual(new Set());
  });

  test("stop removes tandem's services; stop with -I keeps the table serving", async () => {
    const released = rig();
    await released.director.start(plans(), NO_INTENT);
    await released.director.stop(true);
    expect(released.kernel.dump().services).toEqual([]);

    const kept = rig();
    await kept.director.start(plans(), NO_INTENT);
    await kept.director.stop(false);
    expect(kept.weights()).toEqual({ "10.0.1.2": 1, "10.0.1.3": 2 });
  });

  test("a kernel that cannot be read is reported and tried again", async () => {
    const kernel = new FakeIpvsKernel();
    let failing = true;
    const clock = new FakeClock();
    const reports: DirectorReport[] = [];
    const director = new Director({
      kernel: {
        dump: async () => {
          if (failing) throw new Error("genetlink family IPVS not found (no ip_vs module)");
          return kernel.dump();
        },
        dumpServices: async (keys) => kernel.dumpServices(keys),
        apply: async (ops) => kernel.apply(ops),
      },
      ownership: new MemoryOwnership(),
      clock,
      logger: memoryLogger(),
      report: (r) => reports.push(r),
      drainTimeoutMs: 300_000,
      driftScanMs: 0,
      retryMs: 500,
    });
    await director.start(plans(), NO_INTENT);
    expect(reports).toContainEqual({ kind: "kernel-unreachable", reason: "genetlink family IPVS not found (no ip_vs module)" });
    failing = false;
    clock.advance(500);
    await settle();
    expect(kernel.dump().services.length).toBe(1);
  });
});

describe("between full reads (known-table.ts)", () => {
  const API: ServiceKey = { kind: "address", protocol: "TCP", address: ip("10.0.0.2"), port: 443 };
  const two = (apiWeight: number): VirtualServerPlan[] => [
    ...plans(),
    virtualServer("10.0.0.2", 443, [realServer("10.0.2.2", 443, { weight: apiWeight }), realServer("10.0.2.3", 443, { weight: 1 })]),
  ];

  /** The rig, counting the kernel reads: whole dumps, and the services read one by one. */
  function counted(dumpTakesMs = 0) {
    const kernel = new FakeIpvsKernel();
    const reads = { dumps: 0, services: [] as string[] };
    const r = rig(kernel, new MemoryOwnership(), {
      dump: async () => {
        reads.dumps++;
        r.clock.advance(dumpTakesMs);
        return kernel.dump();
      },
      dumpServices: async (keys) => (reads.services.push(...keys.map(serviceKeyText)), kernel.dumpServices(keys)),
      apply: async (ops) => kernel.apply(ops),
    });
    return { ...r, reads };
  }

  test("a reload that re-weighs writes without reading; one that removes a server reads its service first (its counts); one that changes nothing reads nothing", async () => {
    const { director, kernel, reads } = counted();
    await director.start(two(1), NO_INTENT);
    expect(reads).toEqual({ dumps: 1, services: [] });
    await director.reload(two(5), {});
    expect(reads).toEqual({ dumps: 1, services: [] });
    expect(kernel.dumpServices([API]).services[0]!.destinations.map((d) => d.weight)).toEqual([1, 5]);
    await director.reload(two(5), {});
    expect(reads).toEqual({ dumps: 1, services: [] });
    const [web, api] = two(5);
    await director.reload([web!, { ...api!, realServers: api!.realServers.slice(0, 1) }], {});
    expect(reads).toEqual({ dumps: 1, services: ["TCP 10.0.0.2:443"] });
  });

  test("a destination deleted behind tandem's back: the reload's SET_DEST meets ENOENT, and the retry, a whole read, adds it", async () => {
    const { director, kernel, reports, clock } = counted();
    await director.start(two(1), NO_INTENT);
    kernel.apply([{ kind: "delete-destination", service: API, destination: { address: ip("10.0.2.2"), port: 443 }, breaksConnections: true }]);
    await director.reload(two(5), {});
    const refused = reports.filter((r) => r.kind === "applied").at(-1);
    expect(refused).toMatchObject({ cause: "reload", ops: [{ kind: "set-destination" }], failures: [{ reason: expect.stringContaining("ENOENT") }] });
    clock.advance(1_000);
    await settle();
    const retried = reports.filter((r) => r.kind === "applied").at(-1);
    expect(retried).toMatchObject({ cause: "retry", failures: [], ops: [{ kind: "add-destination", destination: { weight: 5 } }] });
    expect(
      kernel
        .dumpServices([API])
        .services[0]!.destinations.map((d) => d.weight)
        .sort(),
    ).toEqual([1, 5]);
  });

  test("the drift scan reads the whole table, and waits at least ten times as long as the last whole read took", async () => {
    const { director, clock, reads } = counted(2_000);
    await director.start(two(1), NO_INTENT); // the start's read took 2 s: the next scan 20 s later, not 10
    clock.advance(10_000);
    await settle();
    expect(reads.dumps).toBe(1);
    clock.advance(10_000);
    await settle();
    expect(reads.dumps).toBe(2);
  });

  test("the drift scan reads beside the passes: a reload during its read is done at once, and the scan's compare counts the reload's writes", async () => {
    const kernel = new FakeIpvsKernel();
    let release: (() => void) | undefined;
    let dumps = 0;
    const r = rig(kernel, new MemoryOwnership(), {
      ...kernel.port(),
      // The start's read is quick; the scan's reads the table as it is then, and answers once released.
      dump: async () => {
        const table = kernel.dump();
        return dumps++ === 0 ? table : new Promise((resolve) => (release = () => resolve(table)));
      },
    });
    const director = r.director;
    await director.start(two(1), NO_INTENT);
    r.clock.advance(10_000);
    await settle();
    expect(release).toBeDefined(); // the scan is reading
    await director.reload(two(5), {}); // resolves although the read is under way
    expect(kernel.dumpServices([API]).services[0]!.destinations.map((d) => d.weight)).toEqual([1, 5]);
    const writes = kernel.writes;
    release!(); // the scan's read, from before the reload's write
    await settle();
    // The reload's write was replayed on what the scan read: nothing to repair, nothing undone.
    expect(kernel.writes).toBe(writes);
    expect(r.reports.filter((x) => x.kind === "drift-repaired")).toEqual([]);
  });

  test("while a server drains, its service is read every second, and the whole table still every ten", async () => {
    const { director, kernel, clock, reads } = counted();
    await director.start(two(1), NO_INTENT);
    kernel.setConnections(WEB, { address: ip("10.0.1.3"), port: 80 }, 3, 0);
    await director.setIntent({ drained: [{ virtualServer: WEB_ID, realServer: "10.0.1.3:80" }] });
    reads.services.length = 0;
    for (let s = 0; s < 10; s++) {
      clock.advance(1_000);
      await settle();
    }
    expect(reads.dumps).toBe(2); // the start's, and the scan 10 s after it
    expect(new Set(reads.services)).toEqual(new Set([WEB_ID]));
    expect(reads.services.length).toBeGreaterThanOrEqual(8);
  });

  test("quorum back: the sorry server leaves at once, connections or not (keepalived's update_quorum_state deletes it)", async () => {
    const { director, kernel, weights } = rig();
    await director.start(plans([1, 1], { sorryServer: { address: ip("10.0.9.9"), port: 80, inhibit: false } }), NO_INTENT);
    const target = (rs: string) => ({ virtualServer: WEB_ID, realServer: rs, checker: "TCP_CHECK" });
    await director.reportChecker(target("10.0.1.2:80"), { up: false });
    await director.reportChecker(target("10.0.1.3:80"), { up: false });
    await settle();
    expect(weights()).toEqual({ "10.0.9.9": 1 });
    // Clients on the sorry server: a drain would hold it at weight 0 until they end.
    kernel.setConnections(WEB, { address: ip("10.0.9.9"), port: 80 }, 3, 10);
    await director.reportChecker(target("10.0.1.2:80"), { up: true });
    await settle();
    expect(weights()).toEqual({ "10.0.1.2": 1 });
  });
});
