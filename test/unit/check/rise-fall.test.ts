// tandem's rise / fall as golden sequences: the counts, the first verdict, the faster retry
// interval while a server is changing state, the url walk, and the jitter's bounds.
import { describe, expect, test } from "bun:test";
import type { CheckTiming } from "../../../src/check/check-timing.ts";
import { initialRiseFallState, jitteredDelayMs, riseFallEpilog, type RiseFallState } from "../../../src/check/rise-fall.ts";

const TIMING: CheckTiming = { retry: 1, delayLoopMs: 10_000, delayBeforeRetryMs: 2_000, warmupMs: 0, connectTimeoutMs: 1_000 };

/** Each check's (verdict, delay) for a run of outcomes. */
function run(outcomes: boolean[], rule: { rise: number; fall: number }, alpha = false, urls = 1) {
  let state: RiseFallState = initialRiseFallState(alpha);
  return outcomes.map((ok) => {
    const e = riseFallEpilog(state, ok, TIMING, rule, urls);
    state = e.state;
    return [e.verdict ?? "-", e.delayMs, state.urlIndex];
  });
}

describe("rise / fall", () => {
  test("fall 3: down after three consecutive failures, a success in between starts the count again; rise 2: up after two good ones", () => {
    expect(run([true, false, false, true, false, false, false, true, true, true], { rise: 2, fall: 3 })).toEqual([
      [true, 10_000, 0], // the first verdict, a server that starts up
      ["-", 2_000, 0], // 1 of 3: changing, check sooner
      ["-", 2_000, 0], // 2 of 3
      ["-", 10_000, 0], // good: the count starts again
      ["-", 2_000, 0],
      ["-", 2_000, 0],
      [false, 10_000, 0], // 3 of 3: down
      ["-", 2_000, 0], // 1 of 2 towards up
      [true, 10_000, 0], // up
      ["-", 10_000, 0],
    ]);
  });

  test("alpha: a first failure is the first verdict (down); rise successes bring it up", () => {
    expect(run([false, true, false, true, true], { rise: 2, fall: 1 }, true)).toEqual([
      [false, 10_000, 0],
      ["-", 2_000, 0],
      ["-", 10_000, 0], // a failure while down starts the rise count again
      ["-", 2_000, 0],
      [true, 10_000, 0],
    ]);
  });

  test("rise 1 fall 1: every change at once", () => {
    expect(run([false, true, false], { rise: 1, fall: 1 }).map((r) => r[0])).toEqual([false, true, false]);
  });

  test("an HTTP_GET's urls: a good check moves on (wrapping), a failure fetches the same url again", () => {
    expect(run([true, true, false, true, true], { rise: 1, fall: 2 }, false, 3).map((r) => r[2])).toEqual([1, 2, 2, 0, 1]);
  });

  test("jitter moves a delay by at most its share either way, and not at all when 0", () => {
    expect(jitteredDelayMs(10_000, 0, 0.99)).toBe(10_000);
    expect(jitteredDelayMs(10_000, 0.1, 0)).toBe(9_000);
    expect(jitteredDelayMs(10_000, 0.1, 0.5)).toBe(10_000);
    expect(jitteredDelayMs(10_000, 0.1, 0.999999)).toBe(11_000);
    expect(jitteredDelayMs(10_000, 2, 0)).toBe(5_000);
  });
});
