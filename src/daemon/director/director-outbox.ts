// What the director sends the supervisor, in order: its events batched (a pass that starts
// thousands of real servers records one each, and one IPC message per event cost more than
// programming the table), every other message after the events recorded before it.
import type { NewEvent } from "../../store/event.ts";
import type { FromDirector } from "../ipc/messages.ts";
import { toJsonText } from "../ipc/json-text.ts";

/** Events go in messages of at most this many. */
export const EVENTS_PER_MESSAGE = 500;

export class DirectorOutbox {
  /** Recorded and not yet sent: they go at the end of the current turn, or before any other message. */
  private pending: NewEvent[] = [];

  constructor(private readonly sendMessage: (message: FromDirector) => void) {}

  event(event: NewEvent): void {
    this.pending.push(event);
    if (this.pending.length === 1) queueMicrotask(() => this.flush());
  }

  send(message: Exclude<FromDirector, { type: "events" }>): void {
    this.flush();
    this.sendMessage(message);
  }

  private flush(): void {
    const events = this.pending;
    if (events.length === 0) return;
    this.pending = [];
    for (let start = 0; start < events.length; start += EVENTS_PER_MESSAGE) {
      this.sendMessage({ type: "events", events: toJsonText(events.slice(start, start + EVENTS_PER_MESSAGE)) });
    }
  }
}
