import { expect, test } from "bun:test";
import { FakeClock } from "../../../src/common/clock.ts";
import { Reopener } from "../../../src/common/reopener.ts";

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

test("attempts back off while they fail, stop once one succeeds, and a short-lived success keeps the backoff growing", async () => {
  const clock = new FakeClock();
  const attempts: number[] = [];
  const failures: number[] = [];
  let failNext = 2;
  const reopener = new Reopener({
    clock,
    policy: { firstDelayMs: 100, maxDelayMs: 1_000, healthyAfterMs: 10_000 },
    attempt: async () => {
      attempts.push(clock.nowMs());
      if (failNext-- > 0) throw new Error("EMFILE");
    },
    onAttemptFailed: (_error, next) => failures.push(next),
  });
  expect(reopener.stopped()).toBe(100);
  for (let i = 0; i < 15; i++) {
    clock.advance(50);
    await settle();
  }
  expect(attempts).toEqual([100, 300, 700]);
  expect(failures).toEqual([200, 400]);
  // Dead again 100 ms after the success: not healthy yet, so the next delay keeps doubling.
  clock.advanceTo(800);
  expect(reopener.stopped()).toBe(800);
  // After a long healthy run, it starts again from the first delay.
  clock.advance(800);
  await settle();
  expect(attempts.at(-1)).toBe(1_600);
  clock.advance(20_000);
  expect(reopener.stopped()).toBe(100);
  reopener.cancel();
  clock.advance(10_000);
  await settle();
  expect(attempts.length).toBe(4);
});
