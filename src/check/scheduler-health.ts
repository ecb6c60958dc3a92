// The checks' scheduler's own health, beside what probe-scheduler.ts counts (running, backlog,
// overdue): how late the recent checks started after their due time, and how late the
// checkers' event loop runs a timer. The first is what a check's lateness costs detection; the
// second says why (a loop busy with something else delays every timer it has). On the
// injected clock, so the fake clock tests it.
import type { Clock, TimerHandle } from "../common/clock.ts";
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

/** The loop's lag is sampled this often, and the last minute of samples kept. */
export const LOOP_LAG_PERIOD_MS = 100;
export const LOOP_LAG_SAMPLES = 600;

/** How late a timer fires on this loop: a timer every LOOP_LAG_PERIOD_MS, its lateness kept. */
export class LoopLagMonitor {
  private timer: TimerHandle | undefined;
  private readonly samples = new RecentSamples(LOOP_LAG_SAMPLES);

  constructor(private readonly clock: Clock) {}

  start(): void {
    if (this.timer) return;
    this.arm(this.clock.nowMs() + LOOP_LAG_PERIOD_MS);
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
      // From now, not from the due time: a stall is one late sample, not a burst of catch-up ones.
      this.arm(nowMs + LOOP_LAG_PERIOD_MS);
    });
  }
}
