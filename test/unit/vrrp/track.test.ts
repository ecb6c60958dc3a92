import { describe, expect, test } from "bun:test";
import { binaryTrackerEffect, effectivePriority, maintenanceStatus, type TrackerStatus } from "../../../src/vrrp/track.ts";

const status = (contribution: number, fault = false): TrackerStatus => ({ kind: "script", name: "s", healthy: !fault, contribution, fault, detail: "" });

describe("tracker weights (keepalived semantics)", () => {
  test("weight 0: failure means FAULT; with reverse, success means FAULT", () => {
    expect(binaryTrackerEffect(false, { weight: 0, reverse: false })).toEqual({ contribution: 0, fault: true });
    expect(binaryTrackerEffect(true, { weight: 0, reverse: false })).toEqual({ contribution: 0, fault: false });
    expect(binaryTrackerEffect(true, { weight: 0, reverse: true })).toEqual({ contribution: 0, fault: true });
  });
  test("negative weight applies while down, positive while up; reverse flips the sign", () => {
    expect(binaryTrackerEffect(false, { weight: -15, reverse: false }).contribution).toBe(-15);
    expect(binaryTrackerEffect(true, { weight: -15, reverse: false }).contribution).toBe(0);
    expect(binaryTrackerEffect(true, { weight: 10, reverse: false }).contribution).toBe(10);
    expect(binaryTrackerEffect(false, { weight: 10, reverse: false }).contribution).toBe(0);
    expect(binaryTrackerEffect(true, { weight: 10, reverse: true }).contribution).toBe(-10);
    expect(binaryTrackerEffect(false, { weight: -15, reverse: true }).contribution).toBe(15);
  });
  test("effective priority is clamped to 1..254 and an owner stays 255", () => {
    expect(effectivePriority(100, [status(-15)]).effectivePriority).toBe(85);
    expect(effectivePriority(100, [status(-200)]).effectivePriority).toBe(1);
    expect(effectivePriority(250, [status(20)]).effectivePriority).toBe(254);
    expect(effectivePriority(255, [status(-100)]).effectivePriority).toBe(255);
    const faulted = effectivePriority(100, [status(-15, true)]);
    expect(faulted.effectivePriority).toBe(100);
    expect(faulted.faults).toHaveLength(1);
  });

  test("maintenance lowers to priority 1 whatever else is tracked; an owner goes to FAULT", () => {
    expect(effectivePriority(100, [maintenanceStatus(100)]).effectivePriority).toBe(1);
    expect(effectivePriority(100, [maintenanceStatus(100), status(+50)]).effectivePriority).toBe(1);
    expect(effectivePriority(255, [maintenanceStatus(255)]).faults).toHaveLength(1);
  });
});
