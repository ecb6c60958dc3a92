// Events for the history (from the engine and the supervisor itself) on their way to the
// observer. While the observer is down or restarting they wait here, in order, up to a
// bound; beyond it the oldest are dropped and counted, and the history is told how many.
import type { NewEvent } from "../../store/event.ts";

export const MAX_QUEUED_EVENTS = 10_000;

export class EventForwarder {
  private queue: NewEvent[] = [];
  private dropped = 0;
  private open = false;

  constructor(
    private readonly deliver: (events: NewEvent[]) => boolean,
    private readonly now: () => number,
    private readonly limit = MAX_QUEUED_EVENTS,
  ) {}

  record(event: NewEvent): void {
    this.recordAll([event]);
  }

  /** Several at once (the director's come hundreds to a message): they go on in one message too. */
  recordAll(events: readonly NewEvent[]): void {
    for (const event of events) this.queue.push(event);
    const over = this.queue.length - this.limit;
    if (over > 0) {
      this.queue.splice(0, over);
      this.dropped += over;
    }
    if (this.open) this.flush();
  }

  /** The observer is up (again): hand it what waited. */
  observerReady(): void {
    this.open = true;
    this.flush();
  }

  observerGone(): void {
    this.open = false;
  }

  private flush(): void {
    if (this.dropped > 0) {
      this.queue.unshift({
        kind: "history.degraded",
        atMs: this.now(),
        summary: `${this.dropped} event(s) were lost while the observer was down (more than ${this.limit} waited)`,
        data: { reason: "observer down" },
      });
      this.dropped = 0;
    }
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    if (!this.deliver(batch)) {
      this.queue = [...batch, ...this.queue];
      this.open = false;
    }
  }
}
