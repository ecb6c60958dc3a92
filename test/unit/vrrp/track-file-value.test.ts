import { describe, expect, test } from "bun:test";
import { parseTrackFileValue, trackFileEffect } from "../../../src/vrrp/track-file-value.ts";

describe("parseTrackFileValue (strtol base 0, keepalived limits)", () => {
  test.each([
    [undefined, 0],
    ["", 0],
    ["0\n", 0],
    ["5\n", 5],
    ["  -12 trailing text", -12],
    ["+7", 7],
    ["0x1F", 31],
    ["-0x10", -16],
    ["010", 8],
    ["09", 0],
    ["0x", 0],
    ["abc", 0],
    ["\t\n 42", 42],
    ["2147483648", 2147483648],
    ["-2147483648", -2147483648],
  ])("%p reads as %p", (content, value) => {
    expect(parseTrackFileValue(content)).toEqual({ ok: true, value });
  });

  test("out of range values are refused so the previous value stays", () => {
    for (const content of ["2147483649", "-2147483649", "99999999999999999999999"]) {
      const reading = parseTrackFileValue(content);
      expect(reading.ok).toBe(false);
      if (!reading.ok) expect(reading.reason).toContain("out of range");
    }
  });

  test("only the first 127 bytes are read", () => {
    expect(parseTrackFileValue(" ".repeat(127) + "7")).toEqual({ ok: true, value: 0 });
    expect(parseTrackFileValue(" ".repeat(125) + "789")).toEqual({ ok: true, value: 78 });
  });
});

describe("trackFileEffect (keepalived track_file semantics)", () => {
  test("weight 0: a non-zero value is FAULT, zero is OK", () => {
    expect(trackFileEffect(0, 0, false)).toEqual({ fault: false, priorityDelta: 0 });
    expect(trackFileEffect(1, 0, false)).toEqual({ fault: true, priorityDelta: 0 });
    expect(trackFileEffect(-3, 0, false)).toEqual({ fault: true, priorityDelta: 0 });
  });

  test("weight 0 reverse: zero is FAULT, non-zero is OK", () => {
    expect(trackFileEffect(0, 0, true)).toEqual({ fault: true, priorityDelta: 0 });
    expect(trackFileEffect(9, 0, true)).toEqual({ fault: false, priorityDelta: 0 });
  });

  test("weighted: value * weight is added to the priority", () => {
    expect(trackFileEffect(5, 1, false)).toEqual({ fault: false, priorityDelta: 5 });
    expect(trackFileEffect(-5, 3, false)).toEqual({ fault: false, priorityDelta: -15 });
    expect(trackFileEffect(5, -2, false)).toEqual({ fault: false, priorityDelta: -10 });
  });

  test("reverse negates the weighted value", () => {
    expect(trackFileEffect(5, 2, true)).toEqual({ fault: false, priorityDelta: -10 });
    expect(trackFileEffect(-5, 2, true)).toEqual({ fault: false, priorityDelta: 10 });
  });

  test("clamped to [-254, 253]; -254 or below is FAULT", () => {
    expect(trackFileEffect(1000, 1, false)).toEqual({ fault: false, priorityDelta: 253 });
    expect(trackFileEffect(-253, 1, false)).toEqual({ fault: false, priorityDelta: -253 });
    expect(trackFileEffect(-254, 1, false)).toEqual({ fault: true, priorityDelta: 0 });
    expect(trackFileEffect(-1, 254, false)).toEqual({ fault: true, priorityDelta: 0 });
    expect(trackFileEffect(2147483648, -254, false)).toEqual({ fault: true, priorityDelta: 0 });
  });

  test("zero with any weight is neutral", () => {
    expect(trackFileEffect(0, 254, false)).toEqual({ fault: false, priorityDelta: 0 });
    expect(trackFileEffect(0, -254, true)).toEqual({ fault: false, priorityDelta: 0 });
  });
});
