// Long work cut into slices of a few milliseconds: the work calls pause() between its items
// and only every `sliceMs` does that actually yield to the event loop, so timers and I/O
// wait at most about one slice and the work pays for few yields. The clock is read every
// CLOCK_EVERY items, not at each: in an emulated guest reading it took about 20 us, as long
// as the item itself.
import { yieldToEventLoop, type Clock } from "./clock.ts";

export interface TimeSlices {
  /**
   * Yields to the event loop if the current slice has run for sliceMs or more; undefined
   * otherwise, so that a caller can skip the await (`await undefined` still costs a trip
   * through the microtask queue, once per item).
   */
  pause(): Promise<void> | undefined;
}

/** Items between two looks at the clock: a slice may overrun by as many items (microseconds each). */
export const CLOCK_EVERY = 16;

export function timeSlices(clock: Clock, sliceMs: number, yieldNow: () => Promise<void> = yieldToEventLoop): TimeSlices {
  let sliceStartMs = clock.nowMs();
  let items = 0;
  return {
    pause() {
      if (++items % CLOCK_EVERY !== 0 || clock.nowMs() - sliceStartMs < sliceMs) return undefined;
      return yieldNow().then(() => {
        sliceStartMs = clock.nowMs();
      });
    },
  };
}
