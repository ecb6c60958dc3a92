// The simulated time of a fake network: one FakeClock for every host and process, run so
// that promise chains settle between any two timer callbacks (as the event loop drains
// microtasks between timers), and per-process clocks that fall silent when it is killed.
import { FakeClock, type Clock, type TimerHandle } from "../../../../src/common/clock.ts";

interface Pending {
  fn: () => void;
  live: boolean;
}

export class SimClock implements Clock {
  readonly fake = new FakeClock();
  /** Callbacks that fell due, run one at a time by runFor. */
  private ready: Pending[] = [];

  nowMs(): number {
    return this.fake.nowMs();
  }

  wallMs(): number {
    return this.fake.wallMs();
  }

  at(atMs: number, fn: () => void): TimerHandle {
    const pending: Pending = { fn, live: true };
    const handle = this.fake.at(atMs, () => this.ready.push(pending));
    return {
      cancel: () => {
        pending.live = false;
        handle.cancel();
      },
    };
  }

  /**
   * Advance time by ms. Timers fire in time order, one at a time, each followed by a
   * settle, so an await chain started by one callback finishes before the next runs.
   */
  async runFor(ms: number): Promise<void> {
    const end = this.nowMs() + ms;
    await settle();
    for (;;) {
      const next = this.ready.shift();
      if (next) {
        if (next.live) {
          next.live = false;
          next.fn();
          await settle();
        }
        continue;
      }
      const due = this.fake.nextDueMs();
      if (due === undefined || due > end) break;
      this.fake.advanceTo(due);
    }
    this.fake.advanceTo(end);
    await settle();
  }

  /** A clock for one process: its timers stop firing, and no new ones arm, once it is killed. */
  processClock(): ProcessClock {
    return new ProcessClock(this);
  }
}

export class ProcessClock implements Clock {
  private dead = false;
  private readonly handles = new Set<TimerHandle>();

  constructor(private readonly sim: SimClock) {}

  nowMs(): number {
    return this.sim.nowMs();
  }

  wallMs(): number {
    return this.sim.wallMs();
  }

  at(atMs: number, fn: () => void): TimerHandle {
    if (this.dead) return { cancel() {} };
    const handle = this.sim.at(atMs, () => {
      this.handles.delete(handle);
      if (!this.dead) fn();
    });
    this.handles.add(handle);
    return {
      cancel: () => {
        this.handles.delete(handle);
        handle.cancel();
      },
    };
  }

  get alive(): boolean {
    return !this.dead;
  }

  kill(): void {
    this.dead = true;
    for (const handle of this.handles) handle.cancel();
    this.handles.clear();
  }
}

/** Lets every promise chain that waits on nothing but other promises run to its end. */
export function settle(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
