// Monotonic time and timers. The only module allowed to read the real clock or arm real
// timers (DESIGN.md): everything else receives a Clock, so tests can use FakeClock.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds on a monotonic time line (fractional). Never goes backwards. */
  nowMs(): number;
  /** Wall-clock milliseconds since the epoch, for timestamps people read. */
  wallMs(): number;
  /** Run fn once at monotonic time atMs (or as soon as possible if already past). */
  at(atMs: number, fn: () => void): TimerHandle;
}

/** The real clock: performance.now() for the monotonic line, setTimeout for timers. */
export function systemClock(): Clock {
  return {
    nowMs: () => performance.now(),
    wallMs: () => Date.now(),
    at(atMs, fn) {
      const handle = setTimeout(fn, Math.max(0, atMs - performance.now()));
      return { cancel: () => clearTimeout(handle) };
    },
  };
}

/** A clock that only moves when told to; timers fire in time order during advance(). */
export class FakeClock implements Clock {
  private now = 0;
  private sequence = 0;
  private timers: { atMs: number; seq: number; fn: () => void; live: boolean }[] = [];

  constructor(private readonly wallEpochMs = 1_800_000_000_000) {}

  nowMs(): number {
    return this.now;
  }

  wallMs(): number {
    return this.wallEpochMs + this.now;
  }

  at(atMs: number, fn: () => void): TimerHandle {
    const timer = { atMs: Math.max(atMs, this.now), seq: this.sequence++, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => (timer.live = false) };
  }

  /** Move time forward by ms, firing every timer that falls due, in order. */
  advance(ms: number): void {
    this.advanceTo(this.now + ms);
  }

  advanceTo(targetMs: number): void {
    for (;;) {
      this.timers = this.timers.filter((t) => t.live);
      let next: (typeof this.timers)[number] | undefined;
      for (const t of this.timers) {
        if (t.atMs <= targetMs && (!next || t.atMs < next.atMs || (t.atMs === next.atMs && t.seq < next.seq))) next = t;
      }
      if (!next) break;
      next.live = false;
      this.now = Math.max(this.now, next.atMs);
      next.fn();
    }
    this.now = Math.max(this.now, targetMs);
  }

  /** Due time of the earliest live timer, if any. */
  nextDueMs(): number | undefined {
    let next: number | undefined;
    for (const t of this.timers) if (t.live && (next === undefined || t.atMs < next)) next = t.atMs;
    return next;
  }

  pendingTimers(): number {
    return this.timers.filter((t) => t.live).length;
  }
}

/**
 * Bun's timers fire up to a millisecond before their due time as performance.now() reads it
 * (it rounds the delay), so a grid point closer than this counts as passed: a timer that
 * re-arms from its own callback must not land on the point it is firing for.
 */
const GRID_EARLY_MS = 2;

/**
 * The first instant after nowMs on a grid of periodMs along the monotonic line, at least
 * GRID_EARLY_MS away. A process's periodic timers armed on one grid (the director's status
 * every second, the checks' loop-lag sample) fall due together and cost one wakeup of the
 * event loop, not one each: an idle daemon's wakeups are most of its CPU under an emulated CPU.
 */
export function nextOnGrid(nowMs: number, periodMs: number): number {
  return (Math.floor((nowMs + GRID_EARLY_MS) / periodMs) + 1) * periodMs;
}

/**
 * Resolves on the event loop's next turn, after the timers already due and pending I/O: long
 * work in slices awaits this between slices. Bun.sleep(0) costs microseconds and runs after
 * due timers; setImmediate would run before them and setTimeout(0) costs a millisecond.
 */
export function yieldToEventLoop(): Promise<void> {
  return Bun.sleep(0);
}
