// slowstart's ramps as values (slow-start.ts): the weight a ramp gives at each step, when the
// next step that changes it is due, and which recoveries start one (only from a failure a
// checker reported in this run: never at the start, nor an alpha server's first success).
import { describe, expect, test } from "bun:test";
import { initialHealth, reportChecker, type HealthTable } from "../../../src/ipvs/real-server-health.ts";
import { resolvePlans } from "../../../src/ipvs/resolve-plan.ts";
import type { ResolvedVirtualServer } from "../../../src/ipvs/resolved-plan.ts";
import {
  afterHealth,
  keptBy,
  nextRampStepMs,
  nextSlowStartMs,
  NO_SLOW_START,
  rampedWeight,
  withoutFinished,
  type RampStart,
  type SlowStartState,
} from "../../../src/ipvs/slow-start.ts";
import type { RealServerPlan } from "../../../src/ipvs/virtual-server-plan.ts";
import { realServer, virtualServer } from "./support/plans.ts";

const AT: RampStart = { atMs: 1_000, atWallMs: 1_800_000_001_000 };

/** The weights a ramp gives at `times` (ms after it began). */
const weightsAt = (periodMs: number, weight: number, times: number[]) => times.map((t) => rampedWeight(AT, periodMs, weight, AT.atMs + t));

describe("rampedWeight: max(1, ceil(weight * elapsed / slowstart)), elapsed taken at the last step", () => {
  test("10 s to weight 20: a step every 500 ms (a twentieth), 1 at the recovery, full weight exactly at the end", () => {
    expect(weightsAt(10_000, 20, [0, 499, 500, 999, 1_000, 1_500, 5_000, 9_499, 9_500, 9_999])).toEqual([1, 1, 1, 1, 2, 3, 10, 18, 19, 19]);
    // Over: no ramp, the server has its weight.
    expect(weightsAt(10_000, 20, [10_000, 60_000])).toEqual([undefined, undefined]);
  });

  test("a short slowstart steps no faster than every 250 ms: 1 s takes four steps, 0.3 s jumps to full weight at its end", () => {
    expect(weightsAt(1_000, 100, [0, 249, 250, 500, 750, 999])).toEqual([1, 1, 25, 50, 75, 75]);
    expect(weightsAt(300, 100, [0, 299, 300])).toEqual([1, 1, undefined]);
  });

  test("weight 0 stays 0; no ramp, or a slowstart of 0, gives none", () => {
    expect(weightsAt(10_000, 0, [0, 5_000])).toEqual([0, 0]);
    expect(rampedWeight(undefined, 10_000, 20, 5_000)).toBeUndefined();
    expect(rampedWeight(AT, 0, 20, AT.atMs)).toBeUndefined();
  });

  test("exact at the largest weight and slowstart (beyond 2^53 the product is worked out in integers)", () => {
    const day = 86_400_000;
    // Step 1 of 20 of a day: ceil((2^31 - 1) / 20).
    expect(rampedWeight(AT, day, 2147483647, AT.atMs + day / 20)).toBe(107374183);
    expect(rampedWeight(AT, day, 2147483647, AT.atMs + (19 * day) / 20)).toBe(2040109465);
  });

  test("a timer that lands a hair before its step (now + delay rounding) counts as at it", () => {
    expect(rampedWeight(AT, 10_000, 20, AT.atMs + 1_000 - 1e-9)).toBe(2);
    expect(rampedWeight(AT, 10_000, 20, AT.atMs + 1_000 - 0.5)).toBe(1);
  });
});

describe("nextRampStepMs: the next step that changes the weight, else the end", () => {
  test("weight 20 over 10 s: the first change at 1 s (step 1 still gives 1), then every 500 ms, the last at the end", () => {
    expect(nextRampStepMs(AT, 10_000, 20, AT.atMs)).toBe(AT.atMs + 1_000);
    expect(nextRampStepMs(AT, 10_000, 20, AT.atMs + 1_000)).toBe(AT.atMs + 1_500);
    expect(nextRampStepMs(AT, 10_000, 20, AT.atMs + 9_600)).toBe(AT.atMs + 10_000);
    expect(nextRampStepMs(AT, 10_000, 20, AT.atMs + 10_000)).toBeUndefined();
  });

  test("a weight the ramp never changes (1, or 0) wakes only at the end, when the ramp leaves", () => {
    expect(nextRampStepMs(AT, 10_000, 1, AT.atMs)).toBe(AT.atMs + 10_000);
    expect(nextRampStepMs(AT, 10_000, 0, AT.atMs + 3_000)).toBe(AT.atMs + 10_000);
  });
});

describe("which recoveries ramp (afterHealth)", () => {
  const checked = (address: string, more: Partial<RealServerPlan> = {}) => realServer(address, 80, { checkers: [{ id: "tcp" }], ...more });
  const vsOf = (servers: RealServerPlan[], alpha = false): ResolvedVirtualServer =>
    resolvePlans([virtualServer("10.0.0.1", 80, servers, { slowStartMs: 10_000, alpha })]).virtualServers[0]!;

  /** Verdicts one after another, the ramps stepped after each as the director steps them. */
  function run(vs: ResolvedVirtualServer, verdicts: [string, boolean, number][], checker = "tcp") {
    let health: HealthTable = initialHealth([vs]);
    let state: SlowStartState = NO_SLOW_START;
    for (const [rs, up, atMs] of verdicts) {
      const next = reportChecker(health, { virtualServer: vs.id, realServer: rs, checker }, { up })!;
      state = afterHealth(state, [vs], health, next, { atMs, atWallMs: 1_800_000_000_000 + atMs });
      health = next;
    }
    return { state, health };
  }

  test("a failure then a success starts the ramp at the success; a success while alive starts none", () => {
    const vs = vsOf([checked("10.0.0.2"), checked("10.0.0.3")]);
    const { state } = run(vs, [
      ["10.0.0.2:80", true, 100],
      ["10.0.0.2:80", false, 200],
      ["10.0.0.2:80", true, 700],
      ["10.0.0.3:80", true, 800],
    ]);
    expect(state.ramps).toEqual({ [vs.id]: { "10.0.0.2:80": { atMs: 700, atWallMs: 1_800_000_000_700 } } });
    expect(state.failed).toEqual({});
  });

  test("a failure during a ramp ends it; the next recovery starts another from the beginning", () => {
    const vs = vsOf([checked("10.0.0.2")]);
    const failedAgain = run(vs, [
      ["10.0.0.2:80", false, 100],
      ["10.0.0.2:80", true, 200],
      ["10.0.0.2:80", false, 3_000],
    ]);
    expect(failedAgain.state).toEqual({ failed: { [vs.id]: { "10.0.0.2:80": true } }, ramps: {} });
    const back = run(vs, [
      ["10.0.0.2:80", false, 100],
      ["10.0.0.2:80", true, 200],
      ["10.0.0.2:80", false, 3_000],
      ["10.0.0.2:80", true, 4_000],
    ]);
    expect(back.state.ramps[vs.id]?.["10.0.0.2:80"]?.atMs).toBe(4_000);
  });

  test("alpha: the first success at the start takes full weight; a success after a failure ramps", () => {
    const vs = vsOf([checked("10.0.0.2"), checked("10.0.0.3")], true);
    const { state } = run(vs, [
      ["10.0.0.2:80", true, 100],
      ["10.0.0.3:80", false, 100],
      ["10.0.0.3:80", true, 900],
    ]);
    expect(state.ramps).toEqual({ [vs.id]: { "10.0.0.3:80": { atMs: 900, atWallMs: 1_800_000_000_900 } } });
  });

  test("seen failed sticks until the server is alive: a failed checker back up while another alpha one has not run, then that one's success, ramps", () => {
    const vs = vsOf([realServer("10.0.0.2", 80, { checkers: [{ id: "a" }, { id: "b" }] })], true);
    let health = initialHealth([vs]);
    let state = NO_SLOW_START;
    const verdict = (checker: string, up: boolean, atMs: number) => {
      const next = reportChecker(health, { virtualServer: vs.id, realServer: "10.0.0.2:80", checker }, { up })!;
      state = afterHealth(state, [vs], health, next, { atMs, atWallMs: atMs });
      health = next;
    };
    verdict("a", false, 100);
    verdict("a", true, 200); // b (alpha) has not run: still down
    expect(state.ramps).toEqual({});
    verdict("b", true, 300);
    expect(state.ramps[vs.id]?.["10.0.0.2:80"]?.atMs).toBe(300);
  });

  test("no slowstart (0): a recovery starts no ramp, as in keepalived", () => {
    const vs = resolvePlans([virtualServer("10.0.0.1", 80, [checked("10.0.0.2")])]).virtualServers[0]!;
    expect(vs.realServers[0]!.slowStartMs).toBe(0);
    expect(
      run(vs, [
        ["10.0.0.2:80", false, 100],
        ["10.0.0.2:80", true, 200],
      ]).state,
    ).toEqual(NO_SLOW_START);
  });

  test("nothing changed for a virtual server: the state is the very object it was", () => {
    const vs = vsOf([checked("10.0.0.2")]);
    const { state, health } = run(vs, [
      ["10.0.0.2:80", false, 100],
      ["10.0.0.2:80", true, 200],
    ]);
    expect(afterHealth(state, [vs], health, health, AT)).toBe(state);
    const again = reportChecker(health, { virtualServer: vs.id, realServer: "10.0.0.2:80", checker: "tcp" }, { up: true })!;
    expect(afterHealth(state, [vs], health, again, AT)).toBe(state);
  });
});

describe("ramps leave: over, or their server gone (withoutFinished, keptBy); the next step over all of them (nextSlowStartMs)", () => {
  const plan = (servers: { address: string; slowStartMs?: number; weight?: number }[]) =>
    resolvePlans([
      virtualServer(
        "10.0.0.1",
        80,
        servers.map((s) => realServer(s.address, 80, { weight: s.weight ?? 20, ...(s.slowStartMs !== undefined ? { slowStartMs: s.slowStartMs } : {}) })),
      ),
    ]).virtualServers;
  const ramping = (vsId: string, starts: Record<string, number>): SlowStartState => ({
    failed: {},
    ramps: { [vsId]: Object.fromEntries(Object.entries(starts).map(([rs, atMs]) => [rs, { atMs, atWallMs: atMs }])) },
  });

  test("a ramp over at nowMs leaves, the others stay; a slowstart a reload set to 0 ends its ramp", () => {
    const [vs] = plan([
      { address: "10.0.0.2", slowStartMs: 10_000 },
      { address: "10.0.0.3", slowStartMs: 10_000 },
      { address: "10.0.0.4", slowStartMs: 0 },
    ]);
    const byId = new Map([[vs!.id, vs!]]);
    const state = ramping(vs!.id, { "10.0.0.2:80": 0, "10.0.0.3:80": 5_000, "10.0.0.4:80": 5_000 });
    expect(Object.keys(withoutFinished(state, byId, 10_000).ramps[vs!.id]!)).toEqual(["10.0.0.3:80"]);
    expect(withoutFinished(state, byId, 15_000).ramps).toEqual({});
    const unchanged = ramping(vs!.id, { "10.0.0.2:80": 0 });
    expect(withoutFinished(unchanged, byId, 9_999)).toBe(unchanged);
  });

  test("a reload forgets the ramps and failures of the servers and virtual servers it removed", () => {
    const [vs] = plan([{ address: "10.0.0.2", slowStartMs: 10_000 }]);
    const state: SlowStartState = {
      failed: { [vs!.id]: { "10.0.0.9:80": true }, "TCP 10.0.0.7:80": { "10.0.0.2:80": true } },
      ramps: { [vs!.id]: { "10.0.0.2:80": AT, "10.0.0.3:80": AT } },
    };
    expect(keptBy(state, new Map([[vs!.id, vs!]]))).toEqual({ failed: {}, ramps: { [vs!.id]: { "10.0.0.2:80": AT } } });
  });

  test("the earliest step due over every ramp, with each server's weight now", () => {
    const [vs] = plan([
      { address: "10.0.0.2", slowStartMs: 10_000, weight: 20 },
      { address: "10.0.0.3", slowStartMs: 10_000, weight: 1 },
    ]);
    const byId = new Map([[vs!.id, vs!]]);
    const health = initialHealth([vs!]);
    expect(nextSlowStartMs(ramping(vs!.id, { "10.0.0.2:80": 0, "10.0.0.3:80": 200 }), byId, health, 100)).toBe(1_000);
    expect(nextSlowStartMs(ramping(vs!.id, { "10.0.0.3:80": 200 }), byId, health, 300)).toBe(10_200);
    expect(nextSlowStartMs(NO_SLOW_START, byId, health, 300)).toBeUndefined();
  });
});
