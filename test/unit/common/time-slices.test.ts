// Time slices: pause() yields only once a slice has run its length (looking at the clock every
// CLOCK_EVERY items), and a new slice starts after.
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../src/common/clock.ts";
import { CLOCK_EVERY, timeSlices } from "../../../src/common/time-slices.ts";

describe("timeSlices", () => {
  test("yields once per slice of work, not once per item", async () => {
    const clock = new FakeClock();
    let yields = 0;
    const slices = timeSlices(clock, 5, async () => void yields++);
    for (let item = 0; item < 100 * CLOCK_EVERY; item++) {
      clock.advance(1 / CLOCK_EVERY); // CLOCK_EVERY items take 1 ms
      await slices.pause();
    }
    expect(yields).toBe(20);
  });

  test("the clock is read once per CLOCK_EVERY items, not at each", () => {
    const clock = new FakeClock();
    let reads = 0;
    const counting = { ...clock, nowMs: () => (reads++, clock.nowMs()), at: clock.at.bind(clock), wallMs: () => clock.wallMs() };
    const slices = timeSlices(counting, 5, async () => {});
    reads = 0;
    for (let item = 0; item < 10 * CLOCK_EVERY; item++) slices.pause();
    expect(reads).toBe(10);
  });

  test("no yield while the slice lasts: pause() returns nothing to await", () => {
    const clock = new FakeClock();
    const slices = timeSlices(clock, 5, async () => {});
    clock.advance(4.9);
    for (let item = 0; item < CLOCK_EVERY; item++) expect(slices.pause()).toBeUndefined();
    clock.advance(0.1);
    for (let item = 1; item < CLOCK_EVERY; item++) expect(slices.pause()).toBeUndefined();
    expect(slices.pause()).toBeInstanceOf(Promise);
  });

  test("the real yield lets a timer that fell due during the work run before the work goes on", async () => {
    const order: string[] = [];
    const clock = { nowMs: () => performance.now(), wallMs: () => Date.now(), at: () => ({ cancel() {} }) };
    const slices = timeSlices(clock, 5);
    setTimeout(() => order.push("timer"), 1);
    const started = performance.now();
    while (performance.now() - started < 6); // the timer falls due; the loop cannot run it yet
    order.push("work");
    for (let item = 1; item < CLOCK_EVERY; item++) expect(slices.pause()).toBeUndefined();
    await slices.pause();
    order.push("work goes on");
    expect(order).toEqual(["work", "timer", "work goes on"]);
  });
});
