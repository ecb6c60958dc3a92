import { describe, expect, test } from "bun:test";
import { constantTimeEqual } from "../../../src/common/constant-time.ts";

describe("constantTimeEqual", () => {
  test.each([
    ["abc", "abc", true],
    ["abc", "abd", false],
    ["ab", "abc", false],
    ["abcd", "abc", false],
    ["", "abc", false],
    ["", "", true],
    ["é", "é", true],
    ["é", "e", false],
  ])("%p vs %p -> %p", (a, b, equal) => {
    expect(constantTimeEqual(a, b)).toBe(equal);
  });
});
