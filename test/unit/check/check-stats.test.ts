// A checker's counters: failures by a bounded class of their reason, flaps, the recent
// durations' nearest-rank percentiles over a ring that forgets the oldest, the histogram.
import { describe, expect, test } from "bun:test";
import { CHECK_DURATION_BOUNDS_S } from "../../../src/api/ipvs-metrics.ts";
import {
  CHECK_DURATION_BUCKETS_S,
  RECENT_CHECKS,
  emptyCheckStats,
  failureClass,
  percentile,
  recordCheck,
  recordFlap,
  summarizeCheckStats,
} from "../../../src/check/check-stats.ts";

describe("check stats", () => {
  test("the reasons the probes give fall in their classes", () => {
    expect(failureClass("connection refused")).toBe("refused");
    expect(failureClass("no answer within 1 s")).toBe("timeout");
    expect(failureClass("no greeting banner within 1 s")).toBe("timeout");
    expect(failureClass("connection reset by the server")).toBe("reset");
    expect(failureClass("host unreachable")).toBe("unreachable");
    expect(failureClass("the server closed the connection before answering HELO")).toBe("closed");
    expect(failureClass("status 503; expected 200-299")).toBe("status");
    expect(failureClass("reply code NXDOMAIN")).toBe("status");
    expect(failureClass("digest 0f... ; expected 2b...")).toBe("content");
    expect(failureClass("exited with status 1")).toBe("script");
    expect(failureClass("timed out after 5 s")).toBe("timeout");
    expect(failureClass("certificate expired on 2026-11-30")).toBe("tls");
    expect(failureClass("reply of 3 bytes; min_reply_length is 4")).toBe("content");
    expect(failureClass("the body ended after 10 of its 20 bytes")).toBe("content");
    expect(failureClass("something new")).toBe("other");
  });

  test("counters, flaps and the histogram", () => {
    const stats = emptyCheckStats();
    recordCheck(stats, { durationMs: 0.5, ok: true });
    recordCheck(stats, { durationMs: 30, ok: false, reason: "connection refused" });
    recordCheck(stats, { durationMs: 3_000, ok: false, reason: "no answer within 3 s" });
    recordFlap(stats);
    const summary = summarizeCheckStats(stats);
    expect(summary).toMatchObject({ checks: 3, failures: 2, failuresByClass: { refused: 1, timeout: 1 }, flaps: 1, durationSumMs: 3030.5 });
    expect(summary.bucketCounts).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3]);
    expect(summary.latencyMs).toEqual({ p50: 30, p99: 3_000, samples: 3 });
  });

  test("the percentiles cover the last RECENT_CHECKS checks only", () => {
    const stats = emptyCheckStats();
    for (let i = 0; i < RECENT_CHECKS; i++) recordCheck(stats, { durationMs: 1_000, ok: true });
    for (let i = 0; i < RECENT_CHECKS; i++) recordCheck(stats, { durationMs: i + 1, ok: true });
    expect(summarizeCheckStats(stats).latencyMs).toEqual({ p50: RECENT_CHECKS / 2, p99: RECENT_CHECKS, samples: RECENT_CHECKS });
    expect(stats.recentMs).toHaveLength(RECENT_CHECKS);
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([5, 1, 3], 50)).toBe(3);
  });

  test("the API's histogram bounds are the counters'", () => {
    expect([...CHECK_DURATION_BOUNDS_S]).toEqual([...CHECK_DURATION_BUCKETS_S]);
  });
});
