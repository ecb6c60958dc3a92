// Every event goes to the history (EventLog) and, with its id, to live subscribers (the
// API's server-sent events). A subscriber that throws is dropped, never the daemon.
import type { Logger } from "../../common/logger.ts";
import type { EventSink, EventSource } from "../../api/ports.ts";
import type { EventLog, NewEvent, TandemEvent } from "../../store/event.ts";

export class EventBus implements EventSink, EventSource {
  private listeners = new Set<(event: TandemEvent) => void>();

  constructor(
    private readonly log: EventLog,
    private readonly logger: Logger,
  ) {}

  record(event: NewEvent): TandemEvent {
    const stored = this.log.append(event);
    for (const listener of [...this.listeners]) {
      try {
        listener(stored);
      } catch (error) {
        this.listeners.delete(listener);
        this.logger.warn(`event subscriber failed and was removed: ${(error as Error).message}`);
      }
    }
    return stored;
  }

  query: EventSource["query"] = (filter) => this.log.query(filter);

  subscribe(listener: (event: TandemEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }
}
