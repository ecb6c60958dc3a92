// What a checker's checks have come to over time, bounded whatever their number: how many ran
// and failed (by the class of their reason), the state changes after the first verdict (its
// flaps), the durations of the recent checks (p50 and p99) and a duration histogram since the
// start. Counters only grow; the recent durations are a ring of the last RECENT_CHECKS. Pure.

/** The durations kept for the percentiles: enough for a p99 to mean something, and 0.5 KiB a checker. */
export const RECENT_CHECKS = 64;

/** The histogram's upper bounds, in seconds (Prometheus le), and +Inf after them. */
export const CHECK_DURATION_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/**
 * A failure's class, from its reason: a small fixed set, so a metric labelled with it stays
 * bounded whatever a server answers.
 */
export type FailureClass = "refused" | "timeout" | "reset" | "unreachable" | "closed" | "status" | "content" | "tls" | "script" | "other";

const CLASSES: readonly [RegExp, FailureClass][] = [
  [/connection refused/, "refused"],
  [/\bno (answer|connection|reply|greeting banner)\b|within \d|timed out|time ran out/, "timeout"],
  [/reset/, "reset"],
  [/unreachable|not available|no such interface/, "unreachable"],
  [/closed|before (its|answering)/, "closed"],
  [/certificate|tls|ssl|handshake/i, "tls"],
  [/^status \d|reply code|answered \d|banner: \d|rcode|NXDOMAIN|REFUSED|SERVFAIL/, "status"],
  [/exited with status|killed by signal|could not start/, "script"],
  [/digest|regex|does not match|reply_length|body ended|no .* record|another question|not an SMTP reply|malformed|garbage|too long|longer than/, "content"],
];

export function failureClass(reason: string): FailureClass {
  for (const [pattern, name] of CLASSES) if (pattern.test(reason)) return name;
  return "other";
}

export interface CheckStats {
  checks: number;
  failures: number;
  failuresByClass: Partial<Record<FailureClass, number>>;
  /** State changes after the first verdict. */
  flaps: number;
  /** The last RECENT_CHECKS durations, oldest overwritten first. */
  recentMs: number[];
  /** Next slot of recentMs to overwrite once it is full. */
  nextSlot: number;
  /** Cumulative counts per CHECK_DURATION_BUCKETS_S bound (then +Inf = checks). */
  bucketCounts: number[];
  durationSumMs: number;
  /** Moves with every check and flap: what a reader compares to learn whether anything is new. */
  version: number;
}

export function emptyCheckStats(): CheckStats {
  return {
    checks: 0,
    failures: 0,
    failuresByClass: {},
    flaps: 0,
    recentMs: [],
    nextSlot: 0,
    bucketCounts: CHECK_DURATION_BUCKETS_S.map(() => 0),
    durationSumMs: 0,
    version: 0,
  };
}

/** One check ended (mutates: the runner owns its stats and hands out summaries). */
export function recordCheck(stats: CheckStats, check: { durationMs: number; ok: boolean; reason?: string }): void {
  const durationMs = Math.max(0, check.durationMs);
  stats.version++;
  stats.checks++;
  if (!check.ok) {
    stats.failures++;
    const name = failureClass(check.reason ?? "");
    stats.failuresByClass[name] = (stats.failuresByClass[name] ?? 0) + 1;
  }
  if (stats.recentMs.length < RECENT_CHECKS) stats.recentMs.push(durationMs);
  else {
    stats.recentMs[stats.nextSlot] = durationMs;
    stats.nextSlot = (stats.nextSlot + 1) % RECENT_CHECKS;
  }
  const seconds = durationMs / 1000;
  for (let i = CHECK_DURATION_BUCKETS_S.length - 1; i >= 0 && seconds <= CHECK_DURATION_BUCKETS_S[i]!; i--) stats.bucketCounts[i]!++;
  stats.durationSumMs += durationMs;
}

/** The state changed after a first verdict. */
export function recordFlap(stats: CheckStats): void {
  stats.version++;
  stats.flaps++;
}

/** The nearest-rank percentile (p in (0, 100]) of the values; undefined for none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  return nearestRank(
    [...values].sort((a, b) => a - b),
    p,
  );
}

/** The nearest-rank percentile of values sorted ascending (at least one). */
export function nearestRank(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

export interface CheckStatsSummary {
  checks: number;
  failures: number;
  failuresByClass: Partial<Record<FailureClass, number>>;
  flaps: number;
  /** Of the recent checks; absent before the first. */
  latencyMs?: { p50: number; p99: number; samples: number };
  /** Cumulative, per CHECK_DURATION_BUCKETS_S bound. */
  bucketCounts: number[];
  durationSumMs: number;
}

export function summarizeCheckStats(stats: CheckStats): CheckStatsSummary {
  const summary: CheckStatsSummary = {
    checks: stats.checks,
    failures: stats.failures,
    failuresByClass: { ...stats.failuresByClass },
    flaps: stats.flaps,
    bucketCounts: [...stats.bucketCounts],
    durationSumMs: stats.durationSumMs,
  };
  if (stats.recentMs.length > 0) {
    // One sort for both: at tens of thousands of checkers this runs for each of them every few seconds.
    const sorted = [...stats.recentMs].sort((a, b) => a - b);
    summary.latencyMs = { p50: nearestRank(sorted, 50), p99: nearestRank(sorted, 99), samples: sorted.length };
  }
  return summary;
}
