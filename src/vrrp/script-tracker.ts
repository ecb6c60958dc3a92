// vrrp_script state: keepalived 2.2.7's rise/fall counter (vrrp_scheduler.c
// vrrp_script_child_thread, vrrp_track.h "result"), pure: feed outcomes, get state changes.
//
// keepalived keeps one integer `result` in 0..rise+fall-1: 0..rise-1 is DOWN, rise.. is UP.
// In UP a success resets it to rise+fall-1 and each failure takes one off, so `fall`
// consecutive failures go DOWN (result 0); in DOWN a failure resets it to 0 and each success
// adds one, so `rise` consecutive successes go UP (result rise+fall-1).
// At start, without init_fail, result is rise-1 with "init" pending: the first outcome
// decides (one success is UP, one failure is DOWN) and is always reported, since instances
// tracking the script with weight 0 wait for it. With init_fail the script starts DOWN.

export interface ScriptTrackerConfig {
  rise: number;
  fall: number;
  initFail: boolean;
}

export type ScriptHealth = "unknown" | "healthy" | "failed";

export interface ScriptTrackerState {
  readonly result: number;
  /** No outcome seen yet and no init_fail: the health is not known. */
  readonly pending: boolean;
}

export interface ScriptTrackerStep {
  state: ScriptTrackerState;
  health: ScriptHealth;
  /** The health changed (from unknown counts) - the moment keepalived logs "VRRP_Script(x) succeeded/failed". */
  changed: boolean;
}

export type ScriptOutcome = "success" | "failure";

/** keepalived reads rise/fall as >= 1; clamp so a bad value cannot wedge the counter. */
function bounds(config: ScriptTrackerConfig): { rise: number; fall: number } {
  return { rise: Math.max(1, Math.floor(config.rise)), fall: Math.max(1, Math.floor(config.fall)) };
}

export function initialScriptState(config: ScriptTrackerConfig): ScriptTrackerState {
  const { rise } = bounds(config);
  return config.initFail ? { result: 0, pending: false } : { result: rise - 1, pending: true };
}

/**
 * A script kept by a reload (same name) starts from where it was, its counter moved to the new
 * rise/fall (keepalived vrrp.c clear_diff_script): "considered successful on reload" if it was
 * up, so a reload does not drop its instances into FAULT until the script has run again.
 */
export function carriedScriptState(previous: ScriptTrackerState, was: ScriptTrackerConfig, now: ScriptTrackerConfig): ScriptTrackerState {
  if (previous.pending) return initialScriptState(now);
  const old = bounds(was);
  const next = bounds(now);
  if (previous.result < old.rise) return { result: previous.result === 0 ? 0 : Math.max(0, next.rise - (old.rise - previous.result)), pending: false };
  const full = next.rise + next.fall - 1;
  if (previous.result === old.rise + old.fall - 1) return { result: full, pending: false };
  return { result: Math.min(full, next.rise + (previous.result - old.rise)), pending: false };
}

export function scriptHealth(state: ScriptTrackerState, config: ScriptTrackerConfig): ScriptHealth {
  if (state.pending) return "unknown";
  return state.result >= bounds(config).rise ? "healthy" : "failed";
}

export function applyScriptOutcome(state: ScriptTrackerState, config: ScriptTrackerConfig, outcome: ScriptOutcome): ScriptTrackerStep {
  const { rise, fall } = bounds(config);
  const full = rise + fall - 1;
  const before = scriptHealth(state, config);
  let result = state.result;
  if (outcome === "success") {
    if (result < rise - 1) result++;
    else result = full;
  } else if (result > rise) result--;
  else result = 0;
  const next = { result, pending: false };
  const health = scriptHealth(next, config);
  return { state: next, health, changed: health !== before };
}

/**
 * How keepalived counts one run. Exit 0 is success; any other exit status, death by a
 * signal, or a timeout (keepalived: "timed_out") is a failure.
 * A program that could not be started at all counts as SUCCESS in keepalived 2.2.7: its
 * forked child logs "Error exec-ing command" and exits 0 ("Don't treat a failure to execute
 * a script as a failure of the script", changelog 2.0). Pass spawnErrorIsFailure to differ.
 */
export function classifyScriptRun(
  run: { exitCode: number | null; signal: string | null; timedOut: boolean; spawnError?: string },
  spawnErrorIsFailure = false,
): { outcome: ScriptOutcome; reason: string } {
  if (run.spawnError !== undefined) {
    return { outcome: spawnErrorIsFailure ? "failure" : "success", reason: `could not run: ${run.spawnError}` };
  }
  if (run.timedOut) return { outcome: "failure", reason: "timed out" };
  if (run.signal) return { outcome: "failure", reason: `killed by signal ${run.signal}` };
  if (run.exitCode === 0) return { outcome: "success", reason: "exited with status 0" };
  return { outcome: "failure", reason: `exited with status ${run.exitCode}` };
}
