// When to restart something that failed (a child process, a socket whose receive loop died):
// after a delay that doubles up to a ceiling while it keeps failing soon after each start;
// one that ran long enough counts as healthy again. Pure: the caller gives it the times.
export interface RestartPolicyOptions {
  firstDelayMs: number;
  maxDelayMs: number;
  /** A run at least this long resets the delay. */
  healthyAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = { firstDelayMs: 500, maxDelayMs: 30_000, healthyAfterMs: 60_000 };

export class RestartPolicy {
  private failures = 0;

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  /** A child that started at startedMs died at diedMs: wait this long before starting it again. */
  delayAfter(startedMs: number, diedMs: number): number {
    if (diedMs - startedMs >= this.options.healthyAfterMs) this.failures = 0;
    const delay = Math.min(this.options.maxDelayMs, this.options.firstDelayMs * 2 ** this.failures);
    this.failures++;
    return delay;
  }
}
