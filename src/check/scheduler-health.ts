// The checks' scheduler's own health, beside what probe-scheduler.ts counts (running, backlog,
// overdue): how late the recent checks started after their due time, and how late the
// checkers' event loop runs a timer. The first is what a check's lateness costs detection; the
// second says why (a loop busy with something else delays every timer it has). On the
// injected clock, so the fake clock tests it.
import { nextOnGrid, type Clock, type TimerHandle } from "../common/clock.ts";
import { nearestRank } from "./check-stats.ts";

export interface LatenessSummary {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

/** The last `capacity` values, oldest overwritten first. */
export class RecentSamples {
  private readonly values: number[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  add(value: number): void {
    if (this.values.length < this.capacity) this.values.push(value);
    else {
      this.values[this.next] = value;
      this.next = (this.next + 1) % this.capacity;
    }
  }

  summary(): LatenessSummary | undefined {
    if (this.values.length === 0) return undefined;
    const sorted = [...this.values].sort((a, b) => a - b);
    return { p50: nearestRank(sorted, 50), p99: nearestRank(sorted, 99), max: sorted.at(-1)!, samples: sorted.length };
  }
}

/**
 * The bounds (ms) of the lateness histogram's buckets: a percentile reads as the bound of the
 * bucket it falls in (never above the largest value seen), so it is exact to within a bucket.
 */
export const LATENESS_BOUNDS_MS = [0, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000] as const;
/** The window is one minute, in slots of ten seconds. */
export const LATENESS_SLOT_MS = 10_000;
export const LATENESS_SLOTS = 6;

interface LatenessSlot {
  index: number;
  /** Per bucket of LATENESS_BOUNDS_MS, then one past the last bound. */
  counts: number[];
  max: number;
  samples: number;
}

/**
 * How late the checks of the last minute started, whatever their rate: a histogram per ten
 * seconds, six of them kept. (The last N checks would be a tenth of a second at 10,000 checks
 * a second, and say nothing of the pause a minute ago.)
 */
export class LatenessWindow {
  private slots: LatenessSlot[] = [];

  constructor(private readonly clock: Clock) {}

  add(valueMs: number): void {
    const index = Math.floor(this.clock.nowMs() / LATENESS_SLOT_MS);
    let slot = this.slots.at(-1);
    if (!slot || slot.index !== index) {
      slot = { index, counts: new Array<number>(LATENESS_BOUNDS_MS.length + 1).fill(0), max: 0, samples: 0 };
      this.slots = [...this.slots.filter((s) => s.index > index - LATENESS_SLOTS), slot];
    }
    let bucket = 0;
    while (bucket < LATENESS_BOUNDS_MS.length && valueMs > LATENESS_BOUNDS_MS[bucket]!) bucket++;
    slot.counts[bucket]!++;
    slot.max = Math.max(slot.max, valueMs);
    slot.samples++;
  }

  summary(): LatenessSummary | undefined {
    const current = Math.floor(this.clock.nowMs() / LATENESS_SLOT_MS);
    const live = this.slots.filter((s) => s.index > current - LATENESS_SLOTS);
    const samples = live.reduce((sum, s) => sum + s.samples, 0);
    if (samples === 0) return undefined;
    const max = Math.max(...live.map((s) => s.max));
    const counts = LATENESS_BOUNDS_MS.map((_, i) => live.reduce((sum, s) => sum + s.counts[i]!, 0));
    const at = (p: number): number => {
      const rank = Math.max(1, Math.ceil((p / 100) * samples));
      let seen = 0;
      for (let i = 0; i < counts.length; i++) {
        seen += counts[i]!;
        if (seen >= rank) return Math.min(LATENESS_BOUNDS_MS[i]!, max);
      }
      return max;
    };
    return { p50: at(50), p99: at(99), max, samples };
  }
}

/**
 * The loop's lag is sampled this often, on the second's grid (common/clock.ts nextOnGrid),
 * and the last minute of samples kept. Once a second, with the director's status: each
 * wakeup of its own cost an idle daemon CPU (a millisecond under an emulated CPU), and the
 * checks' own start lateness sees every stall that delays a check.
 */
export const LOOP_LAG_PERIOD_MS = 1_000;
export const LOOP_LAG_SAMPLES = 60;

/** How late a timer fires on this loop: a timer every LOOP_LAG_PERIOD_MS on its grid, its lateness kept. */
export class LoopLagMonitor {
  private timer: TimerHandle | undefined;
  private readonly samples = new RecentSamples(LOOP_LAG_SAMPLES);

  constructor(private readonly clock: Clock) {}

  start(): void {
    if (this.timer) return;
    this.arm(nextOnGrid(this.clock.nowMs(), LOOP_LAG_PERIOD_MS));
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  summary(): LatenessSummary | undefined {
    return this.samples.summary();
  }

  private arm(dueMs: number): void {
    this.timer = this.clock.at(dueMs, () => {
      const nowMs = this.clock.nowMs();
      this.samples.add(Math.max(0, nowMs - dueMs));
      // The next point of the grid after now, not after the due time: a stall is one late sample, not a burst of catch-up ones.
      this.arm(nextOnGrid(nowMs, LOOP_LAG_PERIOD_MS));
    });
  }
}
