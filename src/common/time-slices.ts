// Long work cut into slices of a few milliseconds: the work calls pause() between its items
// and only every `sliceMs` does that actually yield to the event loop, so timers and I/O
// wait at most about one slice and the work pays for few yields.
import { yieldToEventLoop, type Clock } from "./clock.ts";

export interface TimeSlices {
  /**
   * Yields to the event loop if the current slice has run for sliceMs or more; undefined
   * otherwise, so that a caller can skip the await (`await undefined` still costs a trip
   * through the microtask queue, once per item).
   */
  pause(): Promise<void> | undefined;
}

export function timeSlices(clock: Clock, sliceMs: number, yieldNow: () => Promise<void> = yieldToEventLoop): TimeSlices {
  let sliceStartMs = clock.nowMs();
  return {
    pause() {
      if (clock.nowMs() - sliceStartMs < sliceMs) return undefined;
      return yieldNow().then(() => {
        sliceStartMs = clock.nowMs();
      });
    },
  };
}
