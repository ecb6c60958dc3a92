// tandem's `rise` / `fall` (HAProxy's names and meaning), for an operator who wants more than
// one check to decide: a server that is up goes down after `fall` consecutive failed checks,
// one that is down comes up after `rise` consecutive good ones. While it is changing state
// (a failure or a success counted towards the other state) the next check comes after
// delay_before_retry instead of delay_loop, so a server is judged sooner without checking a
// steady one more often. An HTTP_GET walks its urls one per check, as keepalived's does: a
// good check moves to the next url (after the last, the first), a failure checks the same url
// again. Without rise and fall a checker follows keepalived's own rule for its kind
// (checker-state.ts). `jitteredDelayMs` spreads checks around their interval. Pure.
import type { CheckTiming } from "./check-timing.ts";
import type { CheckerState, Epilog } from "./checker-state.ts";

export interface RiseFall {
  /** Consecutive good checks that bring a down server up (>= 1). */
  rise: number;
  /** Consecutive failed checks that take an up server down (>= 1). */
  fall: number;
}

export interface RiseFallState extends CheckerState {
  /** Good checks counted towards `rise` while down (retryIt counts failures towards `fall`). */
  riseIt: number;
  /** The url the next check fetches (HTTP_GET / SSL_GET; 0 otherwise). */
  urlIndex: number;
}

export function initialRiseFallState(alpha: boolean): RiseFallState {
  return { up: !alpha, hasRun: false, retryIt: 0, riseIt: 0, urlIndex: 0 };
}

/**
 * One check's end. The first verdict comes with the first check that decides: a success for a
 * server that starts up, a failure for one that starts down (alpha); the other state needs
 * its full count, as later.
 */
export function riseFallEpilog(state: RiseFallState, ok: boolean, timing: CheckTiming, rule: RiseFall, urls = 1): Epilog<RiseFallState> {
  const next: RiseFallState = { ...state, urlIndex: ok ? (state.urlIndex + 1) % Math.max(1, urls) : state.urlIndex };
  let verdict: boolean | undefined;
  if (ok) {
    next.retryIt = 0;
    if (state.up) {
      if (!state.hasRun) verdict = true;
    } else if (state.riseIt + 1 >= rule.rise) {
      next.up = true;
      next.riseIt = 0;
      verdict = true;
    } else next.riseIt = state.riseIt + 1;
  } else {
    next.riseIt = 0;
    if (!state.up) {
      if (!state.hasRun) verdict = false;
    } else if (state.retryIt + 1 >= rule.fall) {
      next.up = false;
      next.retryIt = 0;
      verdict = false;
    } else next.retryIt = state.retryIt + 1;
  }
  if (verdict !== undefined) next.hasRun = true;
  const changing = next.retryIt > 0 || next.riseIt > 0;
  return { state: next, ...(verdict === undefined ? {} : { verdict }), delayMs: changing ? timing.delayBeforeRetryMs : timing.delayLoopMs };
}

/**
 * The delay moved by up to `jitter` of itself either way (jitter in [0, 0.5]; `random` in
 * [0, 1)): checks that started together drift apart instead of hitting a server at once.
 */
export function jitteredDelayMs(delayMs: number, jitter: number, random: number): number {
  if (jitter <= 0) return delayMs;
  const share = Math.min(0.5, jitter);
  return Math.max(0, Math.round(delayMs * (1 + share * (2 * random - 1))));
}
