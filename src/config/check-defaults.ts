// The checker options a virtual_server or real_server block may set as defaults (connect_timeout,
// retry, delay_before_retry, warmup, delay_loop), with keepalived 2.2.7's ranges, and its timer bounds.

import { decimalField, intField, type Keyword, type Located } from "./keyword-table.ts";
import type { CheckerDefaults } from "./model.ts";

/** keepalived's timers count microseconds: the smallest non-zero one. */
export const TIMER_MIN_S = 0.000001;
/** keepalived's TIMER_MAXIMUM (ULONG_MAX - 1 microseconds), in seconds. */
export const TIMER_MAX_S = 18446744073709.55;
/** connect_timeout is an unsigned int of microseconds there. */
export const CONNECT_TIMEOUT_MAX_S = 4294.967295;
export const UINT_MAX = 4294967295;

/** In virtual_server and real_server, a retry of 0 is refused (checkers accept it). */
export function checkDefaultKeywords<T extends Located & CheckerDefaults>(): Keyword<T>[] {
  return [
    decimalField("connect_timeout", "connectTimeoutS", TIMER_MIN_S, CONNECT_TIMEOUT_MAX_S),
    intField("retry", "retry", 1, UINT_MAX),
    decimalField("delay_before_retry", "delayBeforeRetryS", 0, TIMER_MAX_S),
    decimalField("warmup", "warmupS", 0, TIMER_MAX_S),
    decimalField("delay_loop", "delayLoopS", TIMER_MIN_S, TIMER_MAX_S),
  ];
}

/** The defaults `own` sets, over those it inherits (one property at a time: this runs for every real server). */
export function mergeCheckDefaults(inherited: CheckerDefaults, own: CheckerDefaults): CheckerDefaults {
  const out: CheckerDefaults = { ...inherited };
  if (own.connectTimeoutS !== undefined) out.connectTimeoutS = own.connectTimeoutS;
  if (own.retry !== undefined) out.retry = own.retry;
  if (own.delayBeforeRetryS !== undefined) out.delayBeforeRetryS = own.delayBeforeRetryS;
  if (own.delayLoopS !== undefined) out.delayLoopS = own.delayLoopS;
  if (own.warmupS !== undefined) out.warmupS = own.warmupS;
  if (own.alpha !== undefined) out.alpha = own.alpha;
  return out;
}
