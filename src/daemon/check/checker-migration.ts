// What a reload keeps of a checker, as keepalived 2.2.7's migrate_checkers (ipwrapper.c) does:
// the same check with other timers keeps its state and counters, its failures fitted to the new
// retry; a new checker beside a failed one needs one failure only.
import type { CheckSpec } from "../../check/check-spec.ts";
import { usesRiseFall, type Entry } from "./checker-entry.ts";

/** keepalived's checker compare functions: the same check (what it connects to and asks), whatever its timers, retry or alpha. */
export function sameCheck(a: CheckSpec, b: CheckSpec): boolean {
  const identity = ({ timing: _timing, riseFall: _riseFall, jitter: _jitter, ...check }: CheckSpec) => JSON.stringify(check);
  return identity(a) === identity(b) && (a.riseFall === undefined) === (b.riseFall === undefined);
}

/**
 * ipwrapper.c migrate_checkers: a reload that changes only a checker's timers, retry or alpha
 * keeps what it knows (its verdict, whether it has run, its url and script memory, its
 * counters); the failures counted fit the new retry, so a checker that was failing needs one
 * more failure at most ("just require one more failure to trigger failed state").
 */
export function migrate(old: Entry, entry: Entry): void {
  const retry = entry.spec.timing.retry;
  const retryIt = old.state.retryIt && retry ? Math.min(old.state.retryIt, retry - 1) : 0;
  entry.state = { ...old.state, retryIt };
  for (const key of ["judged", "dynamicWeight", "weightDelta", "tls", "last", "lastChange"] as const) {
    if (old[key] !== undefined) (entry as unknown as Record<string, unknown>)[key] = old[key];
  }
  entry.stats = old.stats;
}

/**
 * migrate_checkers, after a reload: where one of a real server's checkers has failed, its new
 * checkers that have not run yet need one failure only ("One failure is enough"), keepalived's
 * retry_it = retry; an alpha one is down already. rise/fall count their own way and are left
 * as they start.
 */
export function oneFailureEnough(next: Iterable<Entry>, before: ReadonlyMap<string, Entry>): void {
  const byServer = new Map<string, Entry[]>();
  for (const entry of next) {
    const key = `${entry.target.virtualServer}|${entry.target.realServer}`;
    let list = byServer.get(key);
    if (!list) byServer.set(key, (list = []));
    list.push(entry);
  }
  for (const entries of byServer.values()) {
    if (!entries.some((e) => e.state.hasRun && !e.state.up)) continue;
    for (const entry of entries) {
      if (entry.state.hasRun || before.get(entry.id) === entry || usesRiseFall(entry.spec)) continue;
      entry.state = { ...entry.state, retryIt: entry.spec.timing.retry };
    }
  }
}
