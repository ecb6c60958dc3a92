// Time slices: pause() yields only once a slice has run its length, and a new slice starts after.
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../src/common/clock.ts";
import { timeSlices } from "../../../src/common/time-slices.ts";

describe("timeSlices", () => {
  test("yields once per slice of work, not once per item", async () => {
    const clock = new FakeClock();
    let yields = 0;
    const slices = timeSlices(clock, 5, async () => void yields++);
    for (let item = 0; item < 100; item++) {
      clock.advance(1); // each item takes 1 ms
      await slices.pause();
    }
    expect(yields).toBe(20);
  });

  test("no yield while the slice lasts: pause() returns nothing to await", () => {
    const clock = new FakeClock();
    const slices = timeSlices(clock, 5, async () => {});
    clock.advance(4.9);
    expect(slices.pause()).toBeUndefined();
    clock.advance(0.1);
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
    await slices.pause();
    order.push("work goes on");
    expect(order).toEqual(["work", "timer", "work goes on"]);
  });
});
