// What a checker remembers between checks, and what keepalived 2.2.7 does after each one
// ends: its "epilog" (check_tcp.c tcp_epilog, check_udp.c udp_epilog, check_ping.c
// icmp_epilog, check_dns.c dns_final, check_http.c epilog and timeout_epilog, check_misc.c
// misc_check_child_thread). The checkers do not share one rule: a TCP_CHECK retries a failure
// even while down, a UDP_CHECK, PING_CHECK or DNS_CHECK only while up, an HTTP_GET walks its
// urls one per check with its own counting, and a MISC_CHECK counts from its script's start
// and carries misc_dynamic's weight. Each function here is one of those rules, pure: the state after the check, the
// verdict keepalived hands update_svr_checker_state (it hands one also when nothing changes,
// the first time: that is when a real server's initial notifies run), and the delay to the
// next check. The scheduler (probe-scheduler.ts) arms it.
import type { CheckTiming } from "./check-timing.ts";

export interface CheckerState {
  /** keepalived's is_up: what this checker says of its real server. */
  up: boolean;
  /** has_run: a verdict has been given (or, for some checkers, a check has ended). */
  hasRun: boolean;
  /** retry_it: failures counted towards `retry`. */
  retryIt: number;
}

/** validate_check_config: an alpha checker starts down, any other up; neither has run. */
export function initialCheckerState(alpha: boolean): CheckerState {
  return { up: !alpha, hasRun: false, retryIt: 0 };
}

export interface Epilog<S extends CheckerState = CheckerState> {
  state: S;
  /** update_svr_checker_state(verdict): up or down, given also when it is no change (the first one). */
  verdict?: boolean;
  /** Until the next check: delay_loop, delay_before_retry, or what the rule makes of them. */
  delayMs: number;
}

/** update_svr_checker_state: the checker takes the verdict, and has run from now on. */
function judged<S extends CheckerState>(state: S, up: boolean): S {
  return { ...state, up, hasRun: true };
}

/**
 * TCP_CHECK (tcp_epilog): a failure is retried `retry` times, delay_before_retry apart, whether
 * the checker is up or already down; then the verdict, and delay_loop.
 */
export function tcpEpilog(state: CheckerState, ok: boolean, timing: CheckTiming): Epilog {
  if (ok || state.retryIt >= timing.retry) return concluded(state, ok, timing);
  return { state: { ...state, retryIt: state.retryIt + 1, hasRun: true }, delayMs: timing.delayBeforeRetryMs };
}

/**
 * A success, or a failure with no retry left (tcp_epilog's and udp_epilog's common branch):
 * the count starts again, a verdict where it changes the state or is the first, delay_loop.
 */
function concluded(state: CheckerState, ok: boolean, timing: CheckTiming): Epilog {
  const reset = { ...state, retryIt: 0 };
  if (ok && (!state.up || !state.hasRun)) return { state: judged(reset, true), verdict: true, delayMs: timing.delayLoopMs };
  if (!ok && (state.up || !state.hasRun)) return { state: judged(reset, false), verdict: false, delayMs: timing.delayLoopMs };
  return { state: { ...reset, hasRun: true }, delayMs: timing.delayLoopMs };
}

/**
 * SMTP_CHECK (check_smtp.c smtp_final): tcp_epilog's rule (a failure retried `retry` times,
 * delay_before_retry apart, up or already down; then the verdict, and delay_loop), except that
 * a failure being retried does not make the checker one that has run: only a verdict or a
 * success does. So a start whose first check fails still gets its first verdict (when the
 * initial notifies run) from the next success, or, alpha and failing, once its retries are
 * spent; a TCP_CHECK gives neither.
 */
export function smtpEpilog(state: CheckerState, ok: boolean, timing: CheckTiming): Epilog {
  if (ok || state.retryIt >= timing.retry) return concluded(state, ok, timing);
  return { state: { ...state, retryIt: state.retryIt + 1 }, delayMs: timing.delayBeforeRetryMs };
}

/**
 * UDP_CHECK and PING_CHECK (udp_epilog, icmp_epilog): retries only while up; a checker already
 * down checks again after delay_loop. A checker that starts down (alpha) and fails before its
 * first verdict is never judged down: it already is.
 */
export function datagramEpilog(state: CheckerState, ok: boolean, timing: CheckTiming): Epilog {
  if (ok || ((state.up || !state.hasRun) && state.retryIt >= timing.retry)) return concluded(state, ok, timing);
  if (state.up) return { state: { ...state, retryIt: state.retryIt + 1, hasRun: true }, delayMs: timing.delayBeforeRetryMs };
  return { state: { ...state, hasRun: true }, delayMs: timing.delayLoopMs };
}

/** DNS_CHECK (dns_final): like the datagram checkers, but a success or a verdict always resets the count. */
export function dnsEpilog(state: CheckerState, ok: boolean, timing: CheckTiming): Epilog {
  if (!ok && (state.up || !state.hasRun)) {
    if (state.retryIt < timing.retry) return { state: { ...state, retryIt: state.retryIt + 1, hasRun: true }, delayMs: timing.delayBeforeRetryMs };
    return { state: judged({ ...state, retryIt: 0 }, false), verdict: false, delayMs: timing.delayLoopMs };
  }
  if (ok && (!state.up || !state.hasRun)) return { state: judged({ ...state, retryIt: 0 }, true), verdict: true, delayMs: timing.delayLoopMs };
  return { state: { ...state, retryIt: 0 }, delayMs: timing.delayLoopMs };
}

/** An HTTP_GET or SSL_GET checker's place in its urls. */
export interface HttpCheckerState extends CheckerState {
  /** url_it: the url the next check fetches; undefined once the last one succeeded (reset at once). */
  urlIndex: number;
  /** failed_url: the url that brought the checker down; checked until it answers again. */
  failedUrl?: number;
}

export function initialHttpCheckerState(alpha: boolean): HttpCheckerState {
  return { ...initialCheckerState(alpha), urlIndex: 0 };
}

export interface HttpEpilogOptions {
  urls: number;
  /** fast_recovery: before the first verdict, or down with no url known to fail, check again at once. */
  fastRecovery: boolean;
}

/**
 * HTTP_GET and SSL_GET (epilog and timeout_epilog). One url per check, delay_loop apart; a
 * server is judged up when every url answered in turn. A url that fails is fetched again
 * delay_before_retry later, and after `retry` more failures the checker is down and that url
 * is fetched every max(delay_before_retry, delay_loop) until it answers; then the walk starts
 * again from the first url. Before the first verdict the retry count is already spent, so a
 * failure right after a start's first good url judges at once.
 */
export function httpEpilog(state: HttpCheckerState, ok: boolean, timing: CheckTiming, options: HttpEpilogOptions): Epilog<HttpCheckerState> {
  let next: HttpCheckerState = { ...state };
  let verdict: boolean | undefined;
  // keepalived's three methods: NEW (the url answered), RETRY (failed while up or before a
  // verdict; timeout_epilog marks has_run first), FAILED (failed while known down).
  const method = ok ? "new" : state.up || !state.hasRun ? "retry" : "failed";
  let pastLast = false;
  if (method === "new") {
    pastLast = next.urlIndex >= options.urls - 1;
    if (!pastLast) next.urlIndex++;
    next.retryIt = 0;
  } else if (method === "retry") {
    next.hasRun = true;
    next.retryIt++;
  }

  if (method === "new" && pastLast && next.failedUrl === undefined) {
    if (!next.up || !next.hasRun) {
      next = judged(next, true);
      verdict = true;
    }
    next.urlIndex = 0;
    next.retryIt = 0;
  } else if (method === "retry" && next.retryIt > timing.retry) {
    // has_run is already set here (timeout_epilog), so only a checker that was up is judged down.
    if (next.up) {
      next = judged(next, false);
      verdict = false;
    }
    next.failedUrl = next.urlIndex;
  } else if (method === "new" && next.failedUrl !== undefined) {
    next.failedUrl = undefined;
    next.urlIndex = 0;
    next.retryIt = 0;
  }

  let delayMs: number;
  if (method === "new") {
    delayMs = timing.delayLoopMs;
    if (!next.hasRun) next.retryIt = timing.retry;
  } else if (next.failedUrl !== undefined) delayMs = Math.max(timing.delayBeforeRetryMs, timing.delayLoopMs);
  else delayMs = timing.delayBeforeRetryMs;
  if (options.fastRecovery && (!next.hasRun || (!next.up && next.failedUrl === undefined))) delayMs = 0;
  return { state: next, ...(verdict === undefined ? {} : { verdict }), delayMs };
}

/** How a MISC_CHECK's script ended. */
export type MiscExit = { kind: "exited"; status: number } | { kind: "signaled"; signal: string; timedOut: boolean } | { kind: "not started"; error: string };

export interface MiscCheckerState extends CheckerState {
  /** last_exit_code: the status whose weight is in force (misc_dynamic), once one was. */
  lastExitCode?: number;
}

export interface MiscEpilog extends Epilog<MiscCheckerState> {
  /**
   * misc_dynamic: the script asked for another weight, to hand the director whether or not the
   * state changed: exit status - 2, or undefined for status 0 (the configured weight again).
   */
  weightChange?: { dynamicWeight: number | undefined };
  /** keepalived's word for a run that gave a verdict: "succeeded", "failed" or "timed out". */
  outcome?: "succeeded" | "failed" | "timed out";
}

/**
 * MISC_CHECK (check_misc.c misc_check_child_thread). Exit 0 passes; with misc_dynamic 2 to
 * 255 pass too and set the weight to the status minus 2 (given to the director whenever the
 * status changes, up or not); anything else, a signal, or the timeout fails. A failure while
 * up (or before a verdict) is retried `retry` times, then judged down; a failure while down
 * changes nothing. The next run is due delay_loop (delay_before_retry while retrying) after
 * the last one STARTED, so `durationMs` is taken off. keepalived 2.2.7 left the dynamic
 * weight in the real server's effective weight when a script was killed at its timeout
 * (#2720); here a down verdict always drops it.
 */
export function miscEpilog(state: MiscCheckerState, exit: MiscExit, timing: CheckTiming, options: { dynamic: boolean; durationMs: number }): MiscEpilog {
  let next: MiscCheckerState = { ...state };
  let verdict: boolean | undefined;
  let weightChange: MiscEpilog["weightChange"];
  let outcome: MiscEpilog["outcome"];
  const status = exit.kind === "exited" ? exit.status : undefined;
  const passed = status !== undefined && (status === 0 || (options.dynamic && status >= 2 && status <= 255));
  if (passed) {
    if (options.dynamic && status !== state.lastExitCode) {
      next.lastExitCode = status;
      weightChange = { dynamicWeight: status === 0 ? undefined : status - 2 };
    }
    if (!state.up || !state.hasRun) {
      verdict = true;
      outcome = "succeeded";
      next = judged(next, true);
    }
    next.retryIt = 0;
  } else if (state.up || !state.hasRun) {
    outcome = exit.kind === "signaled" && exit.timedOut ? "timed out" : "failed";
    if (state.retryIt < timing.retry) next.retryIt++;
    else {
      next.retryIt = 0;
      // The weight in force goes with the verdict: after a signal (a timeout) no status is, so the next success sets its own.
      if (status !== undefined) next.lastExitCode = status;
      else delete next.lastExitCode;
      verdict = false;
      next = judged(next, false);
    }
  }
  next.hasRun = true;
  const baseMs = next.retryIt > 0 ? timing.delayBeforeRetryMs : timing.delayLoopMs;
  const result: MiscEpilog = { state: next, delayMs: Math.max(0, baseMs - options.durationMs) };
  if (verdict !== undefined) {
    result.verdict = verdict;
    result.outcome = outcome!;
  }
  if (weightChange) result.weightChange = weightChange;
  return result;
}
