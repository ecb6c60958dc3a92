// Reopening something that stopped (a socket whose receive loop died): attempts on the
// injected clock, spaced by a RestartPolicy, until one succeeds or the owner closes.
import type { Clock, TimerHandle } from "./clock.ts";
import { RestartPolicy, type RestartPolicyOptions } from "./restart-policy.ts";

export interface ReopenerOptions {
  clock: Clock;
  policy: RestartPolicyOptions;
  /** Opens again; throws if it cannot. */
  attempt(): Promise<void>;
  /** An attempt failed; the next comes after nextDelayMs. */
  onAttemptFailed(error: Error, nextDelayMs: number): void;
}

export class Reopener {
  private readonly policy: RestartPolicy;
  private openedAtMs: number;
  private timer: TimerHandle | undefined;
  private cancelled = false;

  constructor(private readonly options: ReopenerOptions) {
    this.policy = new RestartPolicy(options.policy);
    this.openedAtMs = options.clock.nowMs();
  }

  /** The thing is open (at first, or by someone else): its age counts from now. */
  opened(): void {
    this.openedAtMs = this.options.clock.nowMs();
  }

  /** It stopped: schedule the first attempt, and say how long until it. */
  stopped(): number {
    const delayMs = this.policy.delayAfter(this.openedAtMs, this.options.clock.nowMs());
    this.schedule(delayMs);
    return delayMs;
  }

  /** No more attempts (the owner is closing). */
  cancel(): void {
    this.cancelled = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    this.timer?.cancel();
    const { clock } = this.options;
    this.timer = clock.at(clock.nowMs() + delayMs, () => void this.tryOnce());
  }

  private async tryOnce(): Promise<void> {
    this.timer = undefined;
    if (this.cancelled) return;
    const { clock } = this.options;
    const attemptMs = clock.nowMs();
    try {
      await this.options.attempt();
      this.openedAtMs = attemptMs;
    } catch (error) {
      if (this.cancelled) return;
      const delayMs = this.policy.delayAfter(attemptMs, clock.nowMs());
      this.options.onAttemptFailed(error as Error, delayMs);
      this.schedule(delayMs);
    }
  }
}
