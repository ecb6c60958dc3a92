// The port the health checkers call, as values: per real server of each virtual server, each
// checker's last verdict and its dynamic weight (misc_dynamic, FILE_CHECK weight). A real
// server is alive while all its checkers are up, so one without checkers always is, as in
// keepalived 2.2.7 (ipwrapper.c init_service_rs, set_checker_state, migrate_checkers). Pure.
import type { ResolvedRealServer, ResolvedVirtualServer } from "./resolved-plan.ts";

/** ip_vs.h (keepalived's copy) IPVS_WEIGHT_LIMIT: the kernel keeps weights as an int. */
export const IPVS_WEIGHT_LIMIT = 2147483647;
/** IPVS_WEIGHT_FAULT: a FILE_CHECK value at or below it marks the checker down. */
export const IPVS_WEIGHT_FAULT = -2147483648;

export interface CheckerHealth {
  up: boolean;
  /** Has given a verdict since it was created (keepalived's has_run). */
  hasRun: boolean;
  /** A weight to add while up (FILE_CHECK: the file's value times its weight). */
  weightDelta: number;
  /**
   * misc_dynamic: the weight the script's exit status asks for (status - 2). It replaces the
   * configured weight rather than adding to it, and keeps doing so across a reload that changes
   * the configured weight (migrate_misc_check recomputes cur_weight against the new weight).
   */
  dynamicWeight?: number;
}

export interface RealServerHealth {
  checkers: Readonly<Record<string, CheckerHealth>>;
}

/** Virtual server id -> real server id -> health. */
export type HealthTable = Readonly<Record<string, Readonly<Record<string, RealServerHealth>>>>;

/** What a checker reports: up or down, and for the dynamic checkers the weight they give. */
export interface CheckerVerdict {
  up: boolean;
  weightDelta?: number;
  dynamicWeight?: number;
}

export interface CheckerTarget {
  virtualServer: string;
  realServer: string;
  checker: string;
}

/** What the checkers are given to report through (the daemon updates its HealthTable with reportChecker). */
export interface RealServerHealthPort {
  report(target: CheckerTarget, verdict: CheckerVerdict): void;
}

/**
 * validate_check_config: in alpha mode a checker starts failed, so a real server with an alpha
 * checker starts dead and comes up on its first success; otherwise it starts alive.
 */
export function initialRealServerHealth(rs: ResolvedRealServer): RealServerHealth {
  return { checkers: Object.fromEntries(rs.checkers.map((c) => [c.id, { up: !c.alpha, hasRun: false, weightDelta: 0 }])) };
}

export function initialHealth(virtualServers: readonly ResolvedVirtualServer[]): HealthTable {
  return Object.fromEntries(virtualServers.map((vs) => [vs.id, Object.fromEntries(vs.realServers.map((rs) => [rs.id, initialRealServerHealth(rs)]))]));
}

/** The health of one real server; one the table does not hold yet has its initial health. */
export function realServerHealth(table: HealthTable, virtualServer: string, rs: ResolvedRealServer): RealServerHealth {
  return table[virtualServer]?.[rs.id] ?? initialRealServerHealth(rs);
}

/** keepalived's num_failed_checkers == 0; vacuously true without checkers. */
export function isAlive(health: RealServerHealth): boolean {
  return Object.values(health.checkers).every((c) => c.up);
}

/** check_data.h real_weight: what the kernel is given, 0..IPVS_WEIGHT_LIMIT. */
export function realWeight(effectiveWeight: number): number {
  return Math.min(IPVS_WEIGHT_LIMIT, Math.max(0, effectiveWeight));
}

/**
 * set_effective_weights: the configured weight plus each checker's cur_weight, clamped by
 * real_weight. A down checker adds nothing (keepalived zeroes cur_weight on failure).
 */
export function effectiveWeight(configuredWeight: number, health: RealServerHealth): number {
  let sum = configuredWeight;
  for (const c of Object.values(health.checkers)) {
    if (!c.up) continue;
    sum += c.dynamicWeight !== undefined ? c.dynamicWeight - configuredWeight : c.weightDelta;
  }
  return realWeight(sum);
}

/** A checker's verdict into the table; undefined when the table has no such checker. */
export function reportChecker(table: HealthTable, target: CheckerTarget, verdict: CheckerVerdict): HealthTable | undefined {
  const servers = table[target.virtualServer];
  const health = servers?.[target.realServer];
  if (!servers || !health?.checkers[target.checker]) return undefined;
  const checker: CheckerHealth = { up: verdict.up, hasRun: true, weightDelta: verdict.up ? (verdict.weightDelta ?? 0) : 0 };
  if (verdict.up && verdict.dynamicWeight !== undefined) checker.dynamicWeight = verdict.dynamicWeight;
  const updated: RealServerHealth = { checkers: { ...health.checkers, [target.checker]: checker } };
  return { ...table, [target.virtualServer]: { ...servers, [target.realServer]: updated } };
}

/**
 * check_misc.c misc_check_child_thread: exit 0 is up; with misc_dynamic, 2..255 is up with
 * weight status - 2 (0..253); anything else is down.
 */
export function miscCheckVerdict(exitStatus: number, dynamic: boolean): CheckerVerdict {
  if (exitStatus === 0) return { up: true };
  if (dynamic && exitStatus >= 2 && exitStatus <= 255) return { up: true, dynamicWeight: exitStatus - 2 };
  return { up: false };
}

/**
 * track_file.c update_track_file_status for a FILE_CHECK: weight 0 means a non-zero value
 * (with reverse, a zero one) is a failure; otherwise the value times the weight (negated by
 * reverse), clamped to an int, is the weight added, and IPVS_WEIGHT_FAULT or below is a failure.
 */
export function trackFileVerdict(value: number, weight: number, reverse: boolean): CheckerVerdict {
  if (weight === 0) return { up: reverse ? value !== 0 : value === 0 };
  const status = Math.min(IPVS_WEIGHT_LIMIT, Math.max(IPVS_WEIGHT_FAULT, value * weight * (reverse ? -1 : 1)));
  return status <= IPVS_WEIGHT_FAULT ? { up: false } : { up: true, weightDelta: status };
}

/**
 * The health after a reload: a real server kept by the reload keeps the verdicts of its kept
 * checkers that have run (migrate_checkers); its checkers that have not run start up, except
 * alpha ones when the server has a failed checker or is dead with none run. A new real server
 * starts afresh (check_new_rs_state: alpha checkers down).
 */
export function reloadHealth(previous: HealthTable, virtualServers: readonly ResolvedVirtualServer[]): HealthTable {
  const table: Record<string, Record<string, RealServerHealth>> = {};
  for (const vs of virtualServers) {
    const before = previous[vs.id];
    let servers: Record<string, RealServerHealth> | undefined;
    let same = before !== undefined && Object.keys(before).length === vs.realServers.length;
    const healths = vs.realServers.map((rs) => {
      const old = before?.[rs.id];
      const health = old ? migrate(old, rs) : initialRealServerHealth(rs);
      same &&= health === old;
      return health;
    });
    // A virtual server whose every server's health came through unchanged keeps its very entry: the steps after pass over it.
    if (same) servers = before!;
    else {
      servers = {};
      vs.realServers.forEach((rs, i) => (servers![rs.id] = healths[i]!));
    }
    table[vs.id] = servers;
  }
  return table;
}

/** migrate_checkers for one kept server; the health it had, the object itself, when nothing changes. */
function migrate(old: RealServerHealth, rs: ResolvedRealServer): RealServerHealth {
  const ran = rs.checkers.map((c) => old.checkers[c.id]).filter((c): c is CheckerHealth => c !== undefined && c.hasRun);
  const failed = ran.some((c) => !c.up);
  const pessimistic = failed || (!isAlive(old) && ran.length === 0);
  const checkers: Record<string, CheckerHealth> = {};
  let same = Object.keys(old.checkers).length === rs.checkers.length;
  for (const c of rs.checkers) {
    const kept = old.checkers[c.id];
    const next = kept?.hasRun ? kept : { up: !(c.alpha && pessimistic), hasRun: false, weightDelta: 0 };
    same &&= kept !== undefined && (next === kept || (!kept.hasRun && next.up === kept.up && kept.weightDelta === 0 && kept.dynamicWeight === undefined));
    checkers[c.id] = same && kept ? kept : next;
  }
  return same ? old : { checkers };
}
