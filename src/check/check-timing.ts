// A checker's timers and retry count as keepalived 2.2.7 resolves them (check_data.c
// validate_check_config): the checker's own value, else its real server's (which already holds
// the virtual server's, and keepalived's 5 s connect_timeout and 60 s delay_loop where neither
// set one), else the checker kind's default. Pure; milliseconds.
import type { CheckerKind } from "./check-spec.ts";

/** The timer options a checker, a real server or a virtual server may set (keepalived.conf's names, in seconds). */
export interface CheckTimerOptions {
  connectTimeoutS?: number;
  retry?: number;
  delayBeforeRetryS?: number;
  delayLoopS?: number;
  warmupS?: number;
}

export interface CheckTiming {
  /** Consecutive failures past the first before a checker counts as down (keepalived's retry). */
  retry: number;
  /** From a check's end to the next one, while nothing is being retried. */
  delayLoopMs: number;
  /** From a failed check's end to its retry. */
  delayBeforeRetryMs: number;
  /** The first check waits BOOTSTRAP_DELAY plus a random share of this (spreads a start's checks). */
  warmupMs: number;
  /** A connection (or a reply) not made within this fails the check. */
  connectTimeoutMs: number;
}

/** check_api.h BOOTSTRAP_DELAY: every checker's first run waits at least this. */
export const BOOTSTRAP_DELAY_MS = 1_000;

/** check_api.c queue_checker: default_retry 1; check_dns.c DNS_DEFAULT_RETRY 3; check_misc.c 0. */
export function defaultRetry(kind: CheckerKind): number {
  if (kind === "DNS_CHECK") return 3;
  if (kind === "MISC_CHECK") return 0;
  return 1;
}

/**
 * default_delay_before_retry: 1 s (check_api.c); 3 s for HTTP_GET and SSL_GET (check_http.c);
 * 0 for DNS_CHECK, which keepalived reads as "delay_loop".
 */
function defaultDelayBeforeRetryMs(kind: CheckerKind, delayLoopMs: number): number {
  if (kind === "HTTP_GET" || kind === "SSL_GET") return 3_000;
  if (kind === "DNS_CHECK") return delayLoopMs;
  return 1_000;
}

const ms = (seconds: number): number => Math.round(seconds * 1000);

/**
 * `realServer` is the real server's checkDefaults (its own over its virtual server's, with
 * connectTimeoutS and delayLoopS always set by the config's finish step).
 */
export function checkTiming(kind: CheckerKind, checker: CheckTimerOptions, realServer: CheckTimerOptions): CheckTiming {
  const delayLoopMs = ms(checker.delayLoopS ?? realServer.delayLoopS ?? 60);
  // A delay_before_retry set to 0 stays 0 (keepalived's "unset" is ULONG_MAX, not 0).
  const delayBeforeRetryS = checker.delayBeforeRetryS ?? realServer.delayBeforeRetryS;
  return {
    retry: checker.retry ?? realServer.retry ?? defaultRetry(kind),
    delayLoopMs,
    delayBeforeRetryMs: delayBeforeRetryS === undefined ? defaultDelayBeforeRetryMs(kind, delayLoopMs) : ms(delayBeforeRetryS),
    // Unset, the warmup is the delay_loop: the first checks of a start spread over one interval.
    warmupMs: ms(checker.warmupS ?? realServer.warmupS ?? delayLoopMs / 1000),
    connectTimeoutMs: ms(checker.connectTimeoutS ?? realServer.connectTimeoutS ?? 5),
  };
}

/** register_checkers_thread: BOOTSTRAP_DELAY plus warmup * random() / RAND_MAX; `random` in [0, 1]. */
export function firstCheckDelayMs(timing: CheckTiming, random: number): number {
  return BOOTSTRAP_DELAY_MS + Math.floor(timing.warmupMs * random);
}
