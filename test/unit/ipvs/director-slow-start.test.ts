// slowstart on the director over the fake kernel and the fake clock: a real server back from a
// failure is written at weight 1, then at each step that changes its weight, reaching its full
// weight exactly at the end of its slowstart; never at the start, nor for an alpha server's
// first success; a failure stops the ramp, a drain holds it at 0, a reload keeps it, a dynamic
// weight re-aims it; the quorum counts the full weight from the recovery on.
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../src/common/clock.ts";
import { memoryLogger } from "../../../src/common/logger.ts";
import { Director, type DirectorReport } from "../../../src/ipvs/director.ts";
import { NO_INTENT } from "../../../src/ipvs/director-types.ts";
import { serviceKeyText, type ServiceKey } from "../../../src/ipvs/types.ts";
import type { VirtualServerPlan } from "../../../src/ipvs/virtual-server-plan.ts";
import { FakeIpvsKernel } from "../support/fake-ipvs-kernel.ts";
import { ip, realServer, virtualServer } from "./support/plans.ts";
import { MemoryOwnership } from "./support/memory-ownership.ts";

const WEB: ServiceKey = { kind: "address", protocol: "TCP", address: ip("10.0.0.1"), port: 80 };
const WEB_ID = "TCP 10.0.0.1:80";
const SMALL = "10.0.1.2:80";
const BIG = "10.0.1.3:80";

/** 10.0.1.2 at weight 1 and 10.0.1.3 at weight 20, each with a TCP_CHECK; slowstart 10 s unless `more` says otherwise. */
function plans(more: Partial<VirtualServerPlan> = {}, weights = [1, 20]): VirtualServerPlan[] {
  const servers = weights.map((weight, i) => realServer(`10.0.1.${i + 2}`, 80, { weight, checkers: [{ id: "TCP_CHECK" }] }));
  return [virtualServer("10.0.0.1", 80, servers, { scheduler: "wrr", slowStartMs: 10_000, ...more })];
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function rig() {
  const kernel = new FakeIpvsKernel();
  const clock = new FakeClock();
  const reports: DirectorReport[] = [];
  const director = new Director({
    kernel: kernel.port(),
    ownership: new MemoryOwnership(),
    clock,
    logger: memoryLogger(),
    report: (r) => reports.push(r),
    drainTimeoutMs: 300_000,
    driftScanMs: 0,
  });
  const weights = () =>
    Object.fromEntries((kernel.dump().services.find((s) => serviceKeyText(s.key) === WEB_ID)?.destinations ?? []).map((d) => [d.address.text, d.weight]));
  /** 10.0.1.3's weight in the kernel (undefined: not there). */
  const big = (): number | undefined => weights()["10.0.1.3"];
  const verdict = (rs: string, up: boolean, more: { dynamicWeight?: number } = {}) =>
    director.reportChecker({ virtualServer: WEB_ID, realServer: rs, checker: "TCP_CHECK" }, { up, ...more });
  /** Time passes in `stepMs` steps (the director's timers fire on the way); 10.0.1.3's weight after each. */
  const walk = async (ms: number, stepMs = 250): Promise<(number | undefined)[]> => {
    const seen: (number | undefined)[] = [];
    for (let t = 0; t < ms; t += stepMs) {
      clock.advance(Math.min(stepMs, ms - t));
      await settle();
      seen.push(big());
    }
    return seen;
  };
  const slowStartWrites = () => reports.filter((r): r is Extract<DirectorReport, { kind: "applied" }> => r.kind === "applied" && r.cause === "slow-start");
  const view = (rs: string) => director.snapshot()!.desired.realServers.find((v) => v.realServer === rs)!;
  return { kernel, clock, reports, director, weights, big, verdict, walk, slowStartWrites, view };
}

/** A rig started, with 10.0.1.3 failed at 0 s and back up at 5 s: its ramp begins at 5 s. */
async function recovered(more: Partial<VirtualServerPlan> = {}, weights?: number[]) {
  const r = rig();
  await r.director.start(plans(more, weights), NO_INTENT);
  await r.verdict(BIG, false);
  await r.walk(5_000, 1_000);
  await r.verdict(BIG, true);
  return r;
}

describe("slowstart on the director", () => {
  test("back from a failure: weight 1, then each step that changes it (every 500 ms of 10 s), full weight exactly at the end", async () => {
    const r = await recovered();
    expect(r.weights()).toEqual({ "10.0.1.2": 1, "10.0.1.3": 1 });
    const seen = await r.walk(9_750);
    // Every 250 ms; the weight steps at each 500 ms of its ramp.
    expect(seen).toEqual(Array.from({ length: 39 }, (_, j) => Math.max(1, Math.floor((j + 1) / 2))));
    r.clock.advance(249);
    await settle();
    expect(r.big()).toBe(19); // 9.999 s into the ramp
    r.clock.advance(1);
    await settle();
    expect(r.big()).toBe(20); // 10 s: full weight
    // One write per weight that changed (2..20), each a set-destination at that weight; then no timer is left.
    expect(r.slowStartWrites().map((w) => w.ops.map((op) => (op.kind === "set-destination" ? op.destination.weight : op.kind)))).toEqual(
      Array.from({ length: 19 }, (_, k) => [k + 2]),
    );
    expect(r.clock.pendingTimers()).toBe(0);
    expect(r.view(BIG)).toMatchObject({ reason: "alive", desiredWeight: 20, effectiveWeight: 20 });
    expect(r.view(BIG).slowStart).toBeUndefined();
  });

  test("the view while ramping: reason slow-start, the full effective weight beside the ramped one, and the ramp's ends (wall clock)", async () => {
    const r = await recovered();
    const recoveredAtWallMs = r.clock.wallMs();
    await r.walk(5_000);
    expect(r.view(BIG)).toEqual({
      virtualServer: WEB_ID,
      realServer: BIG,
      alive: true,
      drained: false,
      effectiveWeight: 20,
      desiredWeight: 10,
      reason: "slow-start",
      slowStart: { sinceMs: recoveredAtWallMs, untilMs: recoveredAtWallMs + 10_000 },
    });
    expect(r.view(SMALL).reason).toBe("alive");
  });

  test("no ramp at the start: the servers presumed alive take full weight at once, and no step follows", async () => {
    const r = rig();
    await r.director.start(plans(), NO_INTENT);
    expect(r.weights()).toEqual({ "10.0.1.2": 1, "10.0.1.3": 20 });
    await r.walk(12_000);
    expect(r.slowStartWrites()).toEqual([]);
    expect(r.clock.pendingTimers()).toBe(0);
  });

  test("alpha: a server's first success at the start takes full weight; one whose first verdict failed ramps when it comes up", async () => {
    const r = rig();
    await r.director.start(plans({ alpha: true }, [10, 20]), NO_INTENT);
    expect(r.weights()).toEqual({});
    await r.verdict(BIG, true);
    expect(r.weights()).toEqual({ "10.0.1.3": 20 });
    await r.verdict(SMALL, false);
    await r.walk(1_000);
    await r.verdict(SMALL, true);
    expect(r.weights()).toEqual({ "10.0.1.2": 1, "10.0.1.3": 20 });
    expect(r.view(SMALL).reason).toBe("slow-start");
  });

  test("a failure during the ramp stops it (the server is out); its next recovery ramps again from the beginning", async () => {
    const r = await recovered();
    await r.walk(3_000);
    expect(r.big()).toBe(6);
    await r.verdict(BIG, false);
    expect(r.big()).toBeUndefined();
    const writes = r.slowStartWrites().length;
    expect(await r.walk(10_000, 500)).toEqual(Array(20).fill(undefined));
    expect(r.slowStartWrites().length).toBe(writes);
    await r.verdict(BIG, true);
    expect(r.big()).toBe(1);
    expect(await r.walk(1_000, 500)).toEqual([1, 2]);
  });

  test("drained during the ramp: drained wins (weight 0, no step writes it up); undrained, it takes the ramp's weight of that moment", async () => {
    const r = await recovered();
    await r.walk(2_000);
    expect(r.big()).toBe(4);
    r.kernel.setConnections(WEB, { address: ip("10.0.1.3"), port: 80 }, 5, 0); // held at 0 while its connections last
    await r.director.setIntent({ drained: [{ virtualServer: WEB_ID, realServer: BIG }] });
    expect(r.big()).toBe(0);
    expect(await r.walk(4_000, 500)).toEqual(Array(8).fill(0));
    expect(r.view(BIG)).toMatchObject({ reason: "drained", desiredWeight: 0 });
    await r.director.setIntent(NO_INTENT);
    expect(r.big()).toBe(12); // 6 s into the ramp
    await r.walk(4_000);
    expect(r.big()).toBe(20);
  });

  test("the quorum counts the full weight: it comes back, and the sorry server leaves, at the recovery, not at the end of the ramp", async () => {
    const r = rig();
    await r.director.start(plans({ quorum: 20, sorryServer: { address: ip("10.0.9.9"), port: 80, inhibit: false } }), NO_INTENT);
    await r.verdict(BIG, false);
    expect(r.weights()).toEqual({ "10.0.9.9": 1 });
    const before = r.reports.length;
    await r.verdict(BIG, true);
    expect(r.weights()).toEqual({ "10.0.1.2": 1, "10.0.1.3": 1 });
    const records = r.reports.slice(before).flatMap((x) => (x.kind === "quorum" && x.effect.kind === "record" ? [x.effect.event] : []));
    expect(records).toContain("quorum-gained");
    expect(records).toContain("sorry-server-out");
    expect(r.director.liveWeight(WEB_ID)).toBe(21);
    expect(r.director.snapshot()!.desired.virtualServers[0]).toMatchObject({ quorumUp: true, sorryServerActive: false });
    await r.walk(10_000);
    expect(r.weights()).toEqual({ "10.0.1.2": 1, "10.0.1.3": 20 });
  });

  test("a reload that keeps the server keeps its ramp; one that changes its slowstart applies the new period, the time elapsed kept", async () => {
    const r = await recovered();
    await r.walk(2_000);
    expect(r.big()).toBe(4);
    await r.director.reload(plans()); // a fresh copy of the same plans
    expect(r.big()).toBe(4);
    await r.walk(3_000);
    expect(r.big()).toBe(10); // 5 s of 10
    await r.director.reload(plans({ slowStartMs: 20_000 }));
    expect(r.big()).toBe(5); // 5 s of 20
    expect(r.view(BIG).slowStart?.untilMs).toBe(r.clock.wallMs() + 15_000);
    await r.walk(14_999, 1_000);
    expect(r.big()).toBe(19);
    r.clock.advance(1);
    await settle();
    expect(r.big()).toBe(20); // 20 s after the recovery
  });

  test("a reload to slowstart 0 mid-ramp ends the ramp: full weight at once", async () => {
    const r = await recovered();
    await r.walk(2_000);
    await r.director.reload(plans({ slowStartMs: 0 }));
    expect(r.big()).toBe(20);
    expect(r.clock.pendingTimers()).toBe(0);
  });

  test("slowstart 0 (the default) is keepalived's behaviour: back at full weight at once, no step", async () => {
    const r = await recovered({ slowStartMs: undefined });
    expect(r.big()).toBe(20);
    expect(r.view(BIG).reason).toBe("alive");
    await r.walk(12_000);
    expect(r.slowStartWrites()).toEqual([]);
  });

  test("a dynamic weight that changes during the ramp: the ramp goes on to the new weight", async () => {
    const r = await recovered();
    await r.walk(5_000);
    expect(r.big()).toBe(10);
    await r.verdict(BIG, true, { dynamicWeight: 40 }); // misc_dynamic
    expect(r.big()).toBe(20); // half of 40
    expect(r.view(BIG)).toMatchObject({ reason: "slow-start", effectiveWeight: 40, desiredWeight: 20 });
    await r.walk(5_000);
    expect(r.big()).toBe(40);
  });

  test("many servers ramping at once: their steps are applied together, never two slow-start passes within 250 ms", async () => {
    const weights = Array.from({ length: 8 }, () => 100);
    const r = rig();
    await r.director.start(plans({ slowStartMs: 1_000 }, weights), NO_INTENT);
    for (let i = 0; i < weights.length; i++) await r.verdict(`10.0.1.${i + 2}:80`, false);
    // Back 30 ms apart: each ramp's grid (every 250 ms) differs from the others'.
    for (let i = 0; i < weights.length; i++) {
      await r.verdict(`10.0.1.${i + 2}:80`, true);
      await r.walk(30, 30);
    }
    // When each slow-start pass wrote (the clock moves 10 ms at a time).
    const passes: number[] = [];
    let writes = r.slowStartWrites().length;
    for (let t = 0; t < 2_000; t += 10) {
      r.clock.advance(10);
      await settle();
      if (r.slowStartWrites().length > writes) passes.push(r.clock.nowMs());
      writes = r.slowStartWrites().length;
    }
    expect(passes.length).toBeGreaterThan(1);
    for (let i = 1; i < passes.length; i++) expect(passes[i]! - passes[i - 1]!).toBeGreaterThanOrEqual(250);
    expect(Object.values(r.weights())).toEqual(weights);
  });
});
