import { describe, expect, test } from "bun:test";
import { FakeClock, type Clock } from "../../../src/common/clock.ts";
import {
  LATENESS_SLOT_MS,
  LATENESS_SLOTS,
  LatenessWindow,
  LOOP_LAG_PERIOD_MS,
  LOOP_LAG_SAMPLES,
  LoopLagMonitor,
  RecentSamples,
} from "../../../src/check/scheduler-health.ts";

/** A clock whose timers the test fires itself, as late as it likes. */
function lateClock() {
  let now = 0;
  const timers: { atMs: number; fn: () => void; live: boolean }[] = [];
  const clock: Clock = {
    nowMs: () => now,
    wallMs: () => now,
    at: (atMs, fn) => {
      const timer = { atMs, fn, live: true };
      timers.push(timer);
      return { cancel: () => void (timer.live = false) };
    },
  };
  /** Fires the one live timer `lateMs` after it was due. */
  const fireLate = (lateMs: number) => {
    const timer = timers.find((t) => t.live)!;
    timer.live = false;
    now = timer.atMs + lateMs;
    timer.fn();
  };
  return {
    clock,
    fireLate,
    live: () => timers.filter((t) => t.live).length,
    dueMs: () => timers.find((t) => t.live)?.atMs,
    setNow: (ms: number) => void (now = ms),
  };
}

describe("the checks' scheduler's health", () => {
  test("recent samples: p50, p99 and max of the last ones only", () => {
    const samples = new RecentSamples(100);
    expect(samples.summary()).toBeUndefined();
    for (let i = 1; i <= 100; i++) samples.add(i);
    expect(samples.summary()).toEqual({ p50: 50, p99: 99, max: 100, samples: 100 });
    // A hundred more push the first hundred out.
    for (let i = 0; i < 100; i++) samples.add(1_000);
    expect(samples.summary()).toEqual({ p50: 1_000, p99: 1_000, max: 1_000, samples: 100 });
  });

  test("the loop's lag: how late each timer on the second's grid fired, the next one the grid's next point after it did, none after stop", () => {
    const { clock, fireLate, live, dueMs, setNow } = lateClock();
    setNow(12_345);
    const monitor = new LoopLagMonitor(clock);
    monitor.start();
    monitor.start();
    expect(live()).toBe(1);
    expect(dueMs()).toBe(13_000);
    fireLate(0);
    expect(dueMs()).toBe(14_000);
    fireLate(3);
    fireLate(2_250);
    expect(monitor.summary()).toEqual({ p50: 3, p99: 2_250, max: 2_250, samples: 3 });
    // The stall gave one late sample, not a burst of catch-up ones: the next is due at the grid's next point after it ended.
    expect(dueMs()).toBe(18_000);
    fireLate(0);
    expect(monitor.summary()!.samples).toBe(4);
    monitor.stop();
    expect(live()).toBe(0);
    expect(LOOP_LAG_SAMPLES * LOOP_LAG_PERIOD_MS).toBe(60_000);
  });

  test("start lateness over the last minute: percentiles to within a bucket, never above the most seen; a minute later it is gone", () => {
    const clock = new FakeClock();
    const window = new LatenessWindow(clock);
    expect(window.summary()).toBeUndefined();
    // 10,000 checks on time, 90 a little late, 10 late by a pause.
    for (let i = 0; i < 10_000; i++) window.add(0);
    for (let i = 0; i < 90; i++) window.add(3);
    clock.advance(LATENESS_SLOT_MS);
    for (let i = 0; i < 10; i++) window.add(70);
    expect(window.summary()).toEqual({ p50: 0, p99: 0, max: 70, samples: 10_100 });
    for (let i = 0; i < 200; i++) window.add(70);
    // 210 of 10,300 past 20 ms: the p99 is in the (50, 100] bucket, read as the most seen.
    expect(window.summary()).toEqual({ p50: 0, p99: 70, max: 70, samples: 10_300 });
    for (let i = 0; i < 300; i++) window.add(3);
    expect(window.summary()!.p99).toBe(70);
    // The first slot leaves the window a minute after it began; the second ten seconds later.
    clock.advance(LATENESS_SLOT_MS * (LATENESS_SLOTS - 1));
    expect(window.summary()).toEqual({ p50: 5, p99: 70, max: 70, samples: 510 });
    clock.advance(LATENESS_SLOT_MS);
    expect(window.summary()).toBeUndefined();
  });
});
