// tandem's `slowstart` (beyond keepalived; HAProxy's slowstart, nginx's slow_start): a real
// server that comes back from a failure seen in this run takes its weight in steps over its
// slowstart period, not all at once. As values: the servers seen failed, when each ramp began,
// the weight a ramp gives at a time, and when its next step is due. Pure; time is an input.
import { effectiveWeight, isAlive, realServerHealth, type HealthTable, type RealServerHealth } from "./real-server-health.ts";
import type { ResolvedRealServer, ResolvedVirtualServer } from "./resolved-plan.ts";

/** When a ramp began: on the clock's monotonic line (its steps) and on the wall clock (for people). */
export interface RampStart {
  atMs: number;
  atWallMs: number;
}

/** Virtual server id -> real server id -> T; a virtual server with none has no entry. */
export type ByRealServer<T> = Readonly<Record<string, Readonly<Record<string, T>>>>;

export interface SlowStartState {
  /**
   * Real servers down after a checker's failed verdict in this run: only these ramp when they
   * come back. Never those alive at the start, nor an alpha server before its first failure
   * (HAProxy never applies slowstart at startup, only to a server seen failed).
   */
  failed: ByRealServer<true>;
  /** The ramps under way. Each virtual server's entry is the same object while none of its ramps changes (desired-table.ts reuses its share). */
  ramps: ByRealServer<RampStart>;
}

export const NO_SLOW_START: SlowStartState = Object.freeze({ failed: {}, ramps: {} });

/** At most this many steps in a ramp (HAProxy's warmup steps every twentieth of slowstart too)... */
export const SLOW_START_MAX_STEPS = 20;
/** ...and none closer than this to the one before: a long list of servers ramping must not write the table continuously. */
export const SLOW_START_MIN_STEP_MS = 250;
/** A timer is armed as "now + delay", which may land an ulp before the step it was armed for: that counts as reached. */
const TOLERANCE_MS = 0.001;

/** How many steps a ramp of `periodMs` takes: the last one is the end of the period, at full weight. */
function stepCount(periodMs: number): number {
  return Math.max(1, Math.min(SLOW_START_MAX_STEPS, Math.floor(periodMs / SLOW_START_MIN_STEP_MS)));
}

/** Step k's time after the recovery: whole ms, the last exactly the period. */
function stepOffsetMs(k: number, steps: number, periodMs: number): number {
  return k >= steps ? periodMs : Math.ceil((k * periodMs) / steps);
}

/** The last step reached at nowMs: 0 (the recovery itself) to steps (the end). */
function stepReached(start: RampStart, steps: number, periodMs: number, nowMs: number): number {
  const reached = (k: number) => nowMs >= start.atMs + stepOffsetMs(k, steps, periodMs) - TOLERANCE_MS;
  // The quotient is an estimate (fractions, the ceiling of each step's time): settled on the step times themselves.
  let k = Math.min(steps, Math.max(0, Math.floor(((nowMs - start.atMs) * steps) / periodMs)));
  while (k < steps && reached(k + 1)) k++;
  while (k > 0 && !reached(k)) k--;
  return k;
}

/** max(1, ceil(weight * offset / period)): exact with integers beyond 2^53 too (weights reach 2^31, periods 8.64e7 ms). */
function scaledWeight(weight: number, offsetMs: number, periodMs: number): number {
  const product = weight * offsetMs;
  const scaled =
    product <= Number.MAX_SAFE_INTEGER ? Math.ceil(product / periodMs) : Number((BigInt(weight) * BigInt(offsetMs) + BigInt(periodMs) - 1n) / BigInt(periodMs));
  return Math.max(1, scaled);
}

function weightAtStep(k: number, steps: number, periodMs: number, weight: number): number {
  if (k >= steps || weight <= 0) return weight;
  return Math.min(weight, scaledWeight(weight, stepOffsetMs(k, steps, periodMs), periodMs));
}

/**
 * The weight a ramp gives at nowMs: max(1, ceil(weight * elapsed / period)) with elapsed taken
 * at the last step reached (0 stays 0); undefined when no ramp is under way (none, over, or a
 * slowstart of 0, which a reload may have set).
 */
export function rampedWeight(start: RampStart | undefined, periodMs: number, weight: number, nowMs: number): number | undefined {
  if (!start || periodMs <= 0) return undefined;
  const steps = stepCount(periodMs);
  const k = stepReached(start, steps, periodMs, nowMs);
  return k >= steps ? undefined : weightAtStep(k, steps, periodMs, weight);
}

/** When the ramp's next step that changes the weight is due, else its end (monotonic ms); undefined when it is over. */
export function nextRampStepMs(start: RampStart, periodMs: number, weight: number, nowMs: number): number | undefined {
  if (periodMs <= 0) return undefined;
  const steps = stepCount(periodMs);
  const k = stepReached(start, steps, periodMs, nowMs);
  if (k >= steps) return undefined;
  const now = weightAtStep(k, steps, periodMs, weight);
  let next = k + 1;
  while (next < steps && weightAtStep(next, steps, periodMs, weight) === now) next++;
  return start.atMs + stepOffsetMs(next, steps, periodMs);
}

/** A checker has said down (an alpha checker that has not run yet has not). */
function failedOnVerdict(health: RealServerHealth): boolean {
  for (const c of Object.values(health.checkers)) if (c.hasRun && !c.up) return true;
  return false;
}

/** `table` with (vs, rs) set to `value` (undefined: removed); the very same objects when that changes nothing. */
function withEntry<T>(table: ByRealServer<T>, vs: string, rs: string, value: T | undefined): ByRealServer<T> {
  const servers = table[vs];
  if ((servers?.[rs] ?? undefined) === value) return table;
  if (value !== undefined) return { ...table, [vs]: { ...servers, [rs]: value } };
  const { [rs]: _gone, ...rest } = servers!;
  const { [vs]: _entry, ...others } = table;
  return Object.keys(rest).length === 0 ? others : { ...others, [vs]: rest };
}

/**
 * After the health of these virtual servers changed (checkers' verdicts, a reload's migration):
 * a server down on a failed verdict is seen failed, and stops any ramp; one seen failed that is
 * alive again starts its ramp at `at` (if it has a slowstart). Virtual servers whose health
 * entry is the same object in both tables are passed over.
 */
export function afterHealth(
  state: SlowStartState,
  virtualServers: Iterable<ResolvedVirtualServer>,
  before: HealthTable,
  after: HealthTable,
  at: RampStart,
): SlowStartState {
  let { failed, ramps } = state;
  for (const vs of virtualServers) {
    if (before[vs.id] === after[vs.id] && before[vs.id] !== undefined) continue;
    for (const rs of vs.realServers) {
      const health = realServerHealth(after, vs.id, rs);
      const seenFailed = failed[vs.id]?.[rs.id] === true;
      if (!isAlive(health)) {
        ramps = withEntry(ramps, vs.id, rs.id, undefined);
        if (!seenFailed && failedOnVerdict(health)) failed = withEntry(failed, vs.id, rs.id, true);
      } else if (seenFailed) {
        failed = withEntry(failed, vs.id, rs.id, undefined);
        if (rs.slowStartMs > 0) ramps = withEntry(ramps, vs.id, rs.id, at);
      }
    }
  }
  return failed === state.failed && ramps === state.ramps ? state : { failed, ramps };
}

/** A reload: what its virtual servers no longer have is forgotten (a real server added back later starts afresh). */
export function keptBy(state: SlowStartState, byId: ReadonlyMap<string, ResolvedVirtualServer>): SlowStartState {
  const failed = kept(state.failed, byId);
  const ramps = kept(state.ramps, byId);
  return failed === state.failed && ramps === state.ramps ? state : { failed, ramps };
}

function kept<T>(table: ByRealServer<T>, byId: ReadonlyMap<string, ResolvedVirtualServer>): ByRealServer<T> {
  let out = table;
  for (const [vsId, servers] of Object.entries(table)) {
    const vs = byId.get(vsId);
    for (const rsId of Object.keys(servers)) if (!vs || !realServerOf(vs, rsId)) out = withEntry(out, vsId, rsId, undefined);
  }
  return out;
}

/** The ramps that are over at nowMs (or whose slowstart a reload set to 0) leave: their servers are at full weight. */
export function withoutFinished(state: SlowStartState, byId: ReadonlyMap<string, ResolvedVirtualServer>, nowMs: number): SlowStartState {
  let ramps = state.ramps;
  for (const [vsId, servers] of Object.entries(state.ramps)) {
    const vs = byId.get(vsId);
    for (const [rsId, start] of Object.entries(servers)) {
      const rs = vs && realServerOf(vs, rsId);
      // The weight does not matter to when a ramp ends.
      if (!rs || rampedWeight(start, rs.slowStartMs, 1, nowMs) === undefined) ramps = withEntry(ramps, vsId, rsId, undefined);
    }
  }
  return ramps === state.ramps ? state : { ...state, ramps };
}

/**
 * When the next ramp step that changes a kernel weight is due, or a ramp ends (monotonic ms),
 * with each server's current effective weight (a dynamic weight may change it mid-ramp);
 * undefined with no ramp under way.
 */
export function nextSlowStartMs(
  state: SlowStartState,
  byId: ReadonlyMap<string, ResolvedVirtualServer>,
  health: HealthTable,
  nowMs: number,
): number | undefined {
  let next: number | undefined;
  for (const [vsId, servers] of Object.entries(state.ramps)) {
    const vs = byId.get(vsId);
    if (!vs) continue;
    for (const [rsId, start] of Object.entries(servers)) {
      const rs = realServerOf(vs, rsId);
      if (!rs) continue;
      const due = nextRampStepMs(start, rs.slowStartMs, effectiveWeight(rs.weight, realServerHealth(health, vsId, rs)), nowMs);
      if (due !== undefined && (next === undefined || due < next)) next = due;
    }
  }
  return next;
}

/** Each resolved virtual server's real servers by id, built once: resolved virtual servers are values nobody changes. */
const serversById = new WeakMap<ResolvedVirtualServer, ReadonlyMap<string, ResolvedRealServer>>();

function realServerOf(vs: ResolvedVirtualServer, id: string): ResolvedRealServer | undefined {
  let servers = serversById.get(vs);
  if (!servers) serversById.set(vs, (servers = new Map(vs.realServers.map((rs) => [rs.id, rs]))));
  return servers.get(id);
}
