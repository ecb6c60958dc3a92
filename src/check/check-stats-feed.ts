// The checks' counters on their way to the API's side, a slice at a time. Each check moves its
// checker's counters, so under load every checker has something new every second; summing up
// and sending all of them at once stalled the checkers' event loop (30-60 ms at 4,000
// checkers, far more at 10,000, structured-cloned three times on the way to the observer).
// A slice is at most a fifth of the checkers (CHECK_STATS_ROUND_SLICES), taken round-robin
// among those whose counters moved since they were last sent, so each checker's counters are
// at most that many slices old and no slice costs more than a fifth of the whole. Pure.
import { summarizeCheckStats, type CheckStats, type CheckStatsSummary } from "./check-stats.ts";

/** Where a checker's counters belong, and what they are. */
export type CheckStatsEntry = [virtualServer: string, realServer: string, checker: string, summary: CheckStatsSummary];

export interface CheckStatsSlice {
  /** The receiver drops what it holds first: the checkers changed (a reload) and this starts again. */
  reset: boolean;
  entries: CheckStatsEntry[];
}

/** A full round of the checkers takes this many slices. */
export const CHECK_STATS_ROUND_SLICES = 5;
/** Small configurations go whole in one slice. */
export const CHECK_STATS_MIN_SLICE = 500;

export interface FedChecker {
  target: { virtualServer: string; realServer: string; checker: string };
  stats: CheckStats;
}

export class CheckStatsFeed {
  private members: readonly FedChecker[] = [];
  private cursor = 0;
  private pendingReset = true;
  /** The version of each checker's counters when last sent (a migrated checker keeps its CheckStats). */
  private sent = new WeakMap<CheckStats, number>();

  /** The checkers from now on (a reload): the next slice is a reset, and every counter is sent again. */
  replace(members: readonly FedChecker[]): void {
    this.members = members;
    this.cursor = 0;
    this.pendingReset = true;
    this.sent = new WeakMap();
  }

  /** The next slice; undefined when nothing moved and nothing is to be reset. */
  next(): CheckStatsSlice | undefined {
    const count = this.members.length;
    const max = Math.max(CHECK_STATS_MIN_SLICE, Math.ceil(count / CHECK_STATS_ROUND_SLICES));
    const entries: CheckStatsEntry[] = [];
    let looked = 0;
    while (looked < count && entries.length < max) {
      const member = this.members[this.cursor]!;
      this.cursor = (this.cursor + 1) % count;
      looked++;
      const { stats, target } = member;
      if (stats.version === (this.sent.get(stats) ?? 0)) continue;
      this.sent.set(stats, stats.version);
      entries.push([target.virtualServer, target.realServer, target.checker, summarizeCheckStats(stats)]);
    }
    if (entries.length === 0 && !this.pendingReset) return undefined;
    const slice = { reset: this.pendingReset, entries };
    this.pendingReset = false;
    return slice;
  }
}
