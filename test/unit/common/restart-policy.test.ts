import { expect, test } from "bun:test";
import { RestartPolicy } from "../../../src/common/restart-policy.ts";

test("the delay doubles while the child keeps dying young, up to the ceiling; a long run resets it", () => {
  const policy = new RestartPolicy({ firstDelayMs: 500, maxDelayMs: 4_000, healthyAfterMs: 60_000 });
  const delays = [0, 1, 2, 3, 4, 5].map((i) => policy.delayAfter(i * 1000, i * 1000 + 100));
  expect(delays).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
  expect(policy.delayAfter(10_000, 80_000)).toBe(500);
  expect(policy.delayAfter(80_000, 80_500)).toBe(1000);
});
