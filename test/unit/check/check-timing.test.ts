// keepalived 2.2.7's resolution of a checker's timers (check_data.c validate_check_config):
// checker, else real server (holding the virtual server's), else the kind's default.
import { describe, expect, test } from "bun:test";
import { BOOTSTRAP_DELAY_MS, checkTiming, firstCheckDelayMs } from "../../../src/check/check-timing.ts";

// What the config's finish step gives every real server: keepalived's 5 s connect_timeout and 60 s delay_loop.
const RS = { connectTimeoutS: 5, delayLoopS: 60 };

describe("checkTiming", () => {
  test("TCP_CHECK with nothing set: retry 1, delay_before_retry 1 s, warmup = delay_loop", () => {
    expect(checkTiming("TCP_CHECK", {}, RS)).toEqual({ retry: 1, delayLoopMs: 60_000, delayBeforeRetryMs: 1_000, warmupMs: 60_000, connectTimeoutMs: 5_000 });
  });

  test("HTTP_GET and SSL_GET wait 3 s before a retry", () => {
    expect(checkTiming("HTTP_GET", {}, RS).delayBeforeRetryMs).toBe(3_000);
    expect(checkTiming("SSL_GET", {}, RS).delayBeforeRetryMs).toBe(3_000);
  });

  test("DNS_CHECK: retry 3, and its default delay_before_retry is the delay_loop", () => {
    const t = checkTiming("DNS_CHECK", { delayLoopS: 7 }, RS);
    expect(t.retry).toBe(3);
    expect(t.delayBeforeRetryMs).toBe(7_000);
  });

  test("MISC_CHECK does not retry by default", () => {
    expect(checkTiming("MISC_CHECK", {}, RS).retry).toBe(0);
  });

  test("the real server's values (its virtual server's included) beat the kind's defaults; the checker's beat both", () => {
    const rs = { ...RS, retry: 4, delayBeforeRetryS: 2, warmupS: 9, delayLoopS: 10, connectTimeoutS: 3 };
    expect(checkTiming("HTTP_GET", {}, rs)).toEqual({ retry: 4, delayLoopMs: 10_000, delayBeforeRetryMs: 2_000, warmupMs: 9_000, connectTimeoutMs: 3_000 });
    expect(checkTiming("HTTP_GET", { retry: 0, delayBeforeRetryS: 0.5, warmupS: 0, delayLoopS: 2, connectTimeoutS: 1.5 }, rs)).toEqual({
      retry: 0,
      delayLoopMs: 2_000,
      delayBeforeRetryMs: 500,
      warmupMs: 0,
      connectTimeoutMs: 1_500,
    });
  });

  test("an explicit delay_before_retry 0 stays 0 (keepalived's unset is ULONG_MAX, not 0)", () => {
    expect(checkTiming("TCP_CHECK", { delayBeforeRetryS: 0 }, RS).delayBeforeRetryMs).toBe(0);
  });

  test("the warmup follows the checker's own delay_loop when neither sets a warmup", () => {
    expect(checkTiming("TCP_CHECK", { delayLoopS: 3 }, RS).warmupMs).toBe(3_000);
  });
});

describe("firstCheckDelayMs", () => {
  test("BOOTSTRAP_DELAY plus a random share of the warmup", () => {
    const t = checkTiming("TCP_CHECK", { warmupS: 10 }, RS);
    expect(firstCheckDelayMs(t, 0)).toBe(BOOTSTRAP_DELAY_MS);
    expect(firstCheckDelayMs(t, 0.5)).toBe(BOOTSTRAP_DELAY_MS + 5_000);
    expect(firstCheckDelayMs(t, 1)).toBe(BOOTSTRAP_DELAY_MS + 10_000);
    expect(firstCheckDelayMs(checkTiming("TCP_CHECK", { warmupS: 0 }, RS), 0.9)).toBe(BOOTSTRAP_DELAY_MS);
  });
});
