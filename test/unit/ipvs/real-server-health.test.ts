// The health port's values: liveness from the checkers, dynamic weights, alpha, reloads; one
// golden test per keepalived 2.2.7 rule, each naming the function it mirrors.
import { describe, expect, test } from "bun:test";
import {
  effectiveWeight,
  initialHealth,
  IPVS_WEIGHT_LIMIT,
  isAlive,
  miscCheckVerdict,
  realServerHealth,
  reloadHealth,
  reportChecker,
  trackFileVerdict,
  type HealthTable,
} from "../../../src/ipvs/real-server-health.ts";
import { resolvePlans } from "../../../src/ipvs/resolve-plan.ts";
import type { ResolvedVirtualServer } from "../../../src/ipvs/resolved-plan.ts";
import type { CheckerPlan, RealServerPlan } from "../../../src/ipvs/virtual-server-plan.ts";
import { realServer, virtualServer } from "./support/plans.ts";

const VS = "TCP 10.0.0.1:80";

function plan(servers: RealServerPlan[], alpha = false): ResolvedVirtualServer[] {
  return resolvePlans([virtualServer("10.0.0.1", 80, servers, { alpha })]).virtualServers;
}

function withCheckers(...checkers: CheckerPlan[]): RealServerPlan {
  return realServer("10.0.0.2", 80, { weight: 10, checkers });
}

function report(table: HealthTable, checker: string, verdict: Parameters<typeof reportChecker>[2], rs = "10.0.0.2:80"): HealthTable {
  const next = reportChecker(table, { virtualServer: VS, realServer: rs, checker }, verdict);
  expect(next).toBeDefined();
  return next!;
}

const healthOf = (table: HealthTable, plans: ResolvedVirtualServer[], index = 0) => realServerHealth(table, VS, plans[0]!.realServers[index]!);

describe("liveness (ipwrapper.c init_service_rs, set_checker_state; check_data.c validate_check_config)", () => {
  test("a real server without a checker is always alive, even in alpha mode (init_service_rs)", () => {
    const plans = plan([realServer("10.0.0.2", 80)], true);
    expect(isAlive(healthOf(initialHealth(plans), plans))).toBe(true);
  });

  test("alpha: a server with checkers starts dead; without alpha alive; a checker's own alpha wins (validate_check_config)", () => {
    const alpha = plan([withCheckers({ id: "tcp" })], true);
    expect(isAlive(healthOf(initialHealth(alpha), alpha))).toBe(false);
    const plain = plan([withCheckers({ id: "tcp" })]);
    expect(isAlive(healthOf(initialHealth(plain), plain))).toBe(true);
    const mixed = plan([withCheckers({ id: "tcp" }, { id: "http", alpha: true })]);
    expect(isAlive(healthOf(initialHealth(mixed), mixed))).toBe(false);
  });

  test("alive while every checker is up: one failure is enough (num_failed_checkers)", () => {
    const plans = plan([withCheckers({ id: "a" }, { id: "b" })]);
    let table = report(initialHealth(plans), "a", { up: false });
    expect(isAlive(healthOf(table, plans))).toBe(false);
    table = report(table, "b", { up: true });
    expect(isAlive(healthOf(table, plans))).toBe(false);
    table = report(table, "a", { up: true });
    expect(isAlive(healthOf(table, plans))).toBe(true);
  });

  test("a verdict for a checker the table does not hold is refused", () => {
    const plans = plan([withCheckers({ id: "a" })]);
    expect(reportChecker(initialHealth(plans), { virtualServer: VS, realServer: "10.0.0.2:80", checker: "zz" }, { up: true })).toBeUndefined();
    expect(reportChecker(initialHealth(plans), { virtualServer: "FWM 1 IPv4", realServer: "10.0.0.2:80", checker: "a" }, { up: true })).toBeUndefined();
  });
});

describe("weights (check_daemon.c set_effective_weights, check_data.h real_weight)", () => {
  test("effective weight: the configured weight plus the dynamic weights, clamped to 0..INT32_MAX (real_weight)", () => {
    const plans = plan([withCheckers({ id: "file1" }, { id: "file2" })]);
    let table = report(initialHealth(plans), "file1", { up: true, weightDelta: 5 });
    table = report(table, "file2", { up: true, weightDelta: -2 });
    expect(effectiveWeight(10, healthOf(table, plans))).toBe(13);
    table = report(table, "file2", { up: true, weightDelta: -100 });
    expect(effectiveWeight(10, healthOf(table, plans))).toBe(0);
    table = report(table, "file2", { up: true, weightDelta: IPVS_WEIGHT_LIMIT });
    expect(effectiveWeight(10, healthOf(table, plans))).toBe(IPVS_WEIGHT_LIMIT);
  });

  test("a failed checker's dynamic weight is dropped (misc_check_child_thread, process_update_checker_track_file_status)", () => {
    const plans = plan([withCheckers({ id: "file" })]);
    const table = report(report(initialHealth(plans), "file", { up: true, weightDelta: 7 }), "file", { up: false, weightDelta: 7 });
    expect(healthOf(table, plans).checkers.file).toEqual({ up: false, hasRun: true, weightDelta: 0 });
  });

  test("misc_dynamic: exit 0 is up, 2..255 is up with weight status - 2, 1 is down; without dynamic only 0 is up (misc_check_child_thread)", () => {
    expect(miscCheckVerdict(0, true)).toEqual({ up: true });
    expect(miscCheckVerdict(2, true)).toEqual({ up: true, dynamicWeight: 0 });
    expect(miscCheckVerdict(255, true)).toEqual({ up: true, dynamicWeight: 253 });
    expect(miscCheckVerdict(1, true)).toEqual({ up: false });
    expect(miscCheckVerdict(2, false)).toEqual({ up: false });
  });

  test("misc_dynamic's weight replaces the configured weight, and keeps doing so when a reload changes it (migrate_misc_check)", () => {
    const plans = plan([withCheckers({ id: "misc" })]);
    const table = report(initialHealth(plans), "misc", miscCheckVerdict(42, true));
    expect(effectiveWeight(10, healthOf(table, plans))).toBe(40);
    const reloaded = plan([{ ...withCheckers({ id: "misc" }), weight: 25 }]);
    const migrated = reloadHealth(table, reloaded);
    expect(effectiveWeight(25, realServerHealth(migrated, VS, reloaded[0]!.realServers[0]!))).toBe(40);
  });

  test("FILE_CHECK: weight 0 fails on a non-zero value (zero with reverse); else value x weight, reversed by reverse, FAULT at INT_MIN (update_track_file_status)", () => {
    expect(trackFileVerdict(0, 0, false)).toEqual({ up: true });
    expect(trackFileVerdict(3, 0, false)).toEqual({ up: false });
    expect(trackFileVerdict(0, 0, true)).toEqual({ up: false });
    expect(trackFileVerdict(3, 0, true)).toEqual({ up: true });
    expect(trackFileVerdict(3, 5, false)).toEqual({ up: true, weightDelta: 15 });
    expect(trackFileVerdict(3, 5, true)).toEqual({ up: true, weightDelta: -15 });
    expect(trackFileVerdict(-2147483648, 1, false)).toEqual({ up: false });
    expect(trackFileVerdict(2 ** 40, -1, false)).toEqual({ up: false });
    expect(trackFileVerdict(2 ** 40, 1, false)).toEqual({ up: true, weightDelta: IPVS_WEIGHT_LIMIT });
  });
});

describe("reload (ipwrapper.c migrate_checkers, check_new_rs_state)", () => {
  test("a kept real server keeps its checkers' verdicts; a new one starts afresh", () => {
    const before = plan([withCheckers({ id: "tcp" })], true);
    const table = report(initialHealth(before), "tcp", { up: true });
    const after = plan([withCheckers({ id: "tcp" }), realServer("10.0.0.3", 80, { checkers: [{ id: "tcp" }] })], true);
    const migrated = reloadHealth(table, after);
    expect(isAlive(realServerHealth(migrated, VS, after[0]!.realServers[0]!))).toBe(true);
    expect(isAlive(realServerHealth(migrated, VS, after[0]!.realServers[1]!))).toBe(false);
  });

  test("a new alpha checker on a healthy server starts up; on a server with a failed checker it starts down", () => {
    const before = plan([withCheckers({ id: "tcp" })]);
    const healthy = report(initialHealth(before), "tcp", { up: true });
    const failed = report(initialHealth(before), "tcp", { up: false });
    const after = plan([withCheckers({ id: "tcp" }, { id: "http", alpha: true })]);
    const rs = after[0]!.realServers[0]!;
    expect(realServerHealth(reloadHealth(healthy, after), VS, rs).checkers.http).toEqual({ up: true, hasRun: false, weightDelta: 0 });
    expect(realServerHealth(reloadHealth(failed, after), VS, rs).checkers.http).toEqual({ up: false, hasRun: false, weightDelta: 0 });
  });

  test("a dead server whose checkers have not run keeps its alpha checkers down", () => {
    const before = plan([withCheckers({ id: "tcp" })], true);
    const after = plan([withCheckers({ id: "tcp" }, { id: "http" })], true);
    const migrated = realServerHealth(reloadHealth(initialHealth(before), after), VS, after[0]!.realServers[0]!);
    expect(migrated.checkers).toEqual({ tcp: { up: false, hasRun: false, weightDelta: 0 }, http: { up: false, hasRun: false, weightDelta: 0 } });
  });

  test("a checker removed by the reload no longer counts, so the server comes up", () => {
    const before = plan([withCheckers({ id: "tcp" }, { id: "http" })]);
    const table = report(report(initialHealth(before), "tcp", { up: true }), "http", { up: false });
    const after = plan([withCheckers({ id: "tcp" })]);
    expect(isAlive(realServerHealth(reloadHealth(table, after), VS, after[0]!.realServers[0]!))).toBe(true);
  });
});
