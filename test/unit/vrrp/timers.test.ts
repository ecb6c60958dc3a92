import { describe, expect, test } from "bun:test";
import { initialMasterWaitMs, masterDownIntervalMs, skewTimeMs } from "../../../src/vrrp/timers.ts";

describe("RFC timer formulas", () => {
  test("v2 skew is (256 - priority) / 256 s, whatever the advert interval", () => {
    expect(skewTimeMs(2, 90, 100)).toBeCloseTo(648.4375, 6);
    expect(skewTimeMs(2, 90, 300)).toBeCloseTo(648.4375, 6);
    expect(skewTimeMs(2, 255, 100)).toBeCloseTo(3.90625, 6);
  });
  test("v3 skew scales with the master's advert interval", () => {
    expect(skewTimeMs(3, 90, 10)).toBeCloseTo(64.84375, 6);
    expect(skewTimeMs(3, 90, 1)).toBeCloseTo(6.484375, 6);
  });
  test("Master_Down_Interval = 3 x interval + skew (keepalived measured 3.19 s median, v2 prio 90)", () => {
    expect(masterDownIntervalMs(2, 90, 100)).toBeCloseTo(3648.4375, 6);
    expect(masterDownIntervalMs(3, 90, 10)).toBeCloseTo(364.84375, 6);
  });
  test("state MASTER waits one interval plus the smallest skew before claiming", () => {
    expect(initialMasterWaitMs(2, 100)).toBeCloseTo(1003.90625, 6);
    expect(initialMasterWaitMs(3, 10)).toBeCloseTo(100.390625, 6);
  });
});
