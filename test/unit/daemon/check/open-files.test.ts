import { describe, expect, test } from "bun:test";
import { concurrentChecksFor, maxConcurrentChecks, RESERVED_DESCRIPTORS, softOpenFilesLimit } from "../../../../src/daemon/check/open-files.ts";

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes
`;

describe("how many checks may run at once", () => {
  test("the soft open-files limit from /proc/self/limits", () => {
    expect(softOpenFilesLimit(LIMITS)).toBe(1024);
    expect(softOpenFilesLimit(LIMITS.replace("1024     ", "unlimited"))).toBe(Number.POSITIVE_INFINITY);
    expect(softOpenFilesLimit("Max cpu time unlimited unlimited seconds\n")).toBeUndefined();
  });

  test("two descriptors a check, after the process's own; never fewer than 16; an unlimited limit is bounded", () => {
    expect(concurrentChecksFor(1024)).toBe((1024 - RESERVED_DESCRIPTORS) / 2);
    expect(concurrentChecksFor(100)).toBe(16);
    expect(concurrentChecksFor(Number.POSITIVE_INFINITY)).toBe(((1 << 20) - RESERVED_DESCRIPTORS) / 2);
    expect(maxConcurrentChecks()).toBeGreaterThanOrEqual(16);
  });
});
