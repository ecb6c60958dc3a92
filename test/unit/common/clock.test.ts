import { describe, expect, test } from "bun:test";
import { FakeClock, nextOnGrid } from "../../../src/common/clock.ts";

describe("FakeClock", () => {
  test("fires timers in time order and sets now to each timer's due time", () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    clock.at(30, () => fired.push(`b@${clock.nowMs()}`));
    clock.at(10, () => fired.push(`a@${clock.nowMs()}`));
    clock.advance(20);
    expect(fired).toEqual(["a@10"]);
    clock.advance(20);
    expect(fired).toEqual(["a@10", "b@30"]);
    expect(clock.nowMs()).toBe(40);
  });

  test("a cancelled timer never fires; timers armed while firing run in the same advance", () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    const handle = clock.at(5, () => fired.push(5));
    handle.cancel();
    clock.at(10, () => clock.at(15, () => fired.push(15)));
    clock.advance(100);
    expect(fired).toEqual([15]);
  });
});

describe("nextOnGrid", () => {
  test("the first point of the grid after now (at least 2 ms away), so timers of one period armed at different times fall due together", () => {
    expect(nextOnGrid(0, 1_000)).toBe(1_000);
    expect(nextOnGrid(997.9, 1_000)).toBe(1_000);
    // A timer that fired a little early (Bun rounds delays) re-arms for the next point, not the one it fired for.
    expect(nextOnGrid(999.2, 1_000)).toBe(2_000);
    expect(nextOnGrid(1_000, 1_000)).toBe(2_000);
    expect(nextOnGrid(12_345.6, 1_000)).toBe(13_000);
    expect(nextOnGrid(12_345.6, 500)).toBe(12_500);
  });
});
