// GET /events/stream: server-sent events. Replays what a reconnecting client missed
// (Last-Event-ID), then streams live events, with a comment heartbeat so proxies and
// idle timers keep the connection open; a client that stops reading is dropped.
import type { TimerHandle } from "../common/clock.ts";
import type { EventFilter, TandemEvent } from "../store/event.ts";
import type { ApiPorts, EventSource } from "./ports.ts";
import type { StreamQuery } from "./events-query.ts";

export const HEARTBEAT_MS = 15_000;
/** A reconnect never replays more than this; older gaps are left to GET /events. */
export const MAX_REPLAY_EVENTS = 10_000;
/** Pages the replay may read: each is bounded work in the store, and so is their sum. */
const MAX_REPLAY_PAGES = 20;
/** Frames queued for a client that does not read; beyond this it is disconnected. */
export const MAX_QUEUED_FRAMES = 1_000;

export interface EventStreamOptions {
  events: EventSource;
  clock: ApiPorts["clock"];
  query: StreamQuery;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  heartbeatMs?: number;
  /** Called once when the stream ends, whoever ends it (the admission slot is released here). */
  onClose?: () => void;
}

export function sseFrame(event: TandemEvent): string {
  // JSON.stringify escapes CR and LF, so the data is always a single `data:` line.
  return `id: ${event.id}\nevent: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`;
}

function matches(event: TandemEvent, query: StreamQuery): boolean {
  return (!query.kinds || query.kinds.includes(event.kind)) && (query.instance === undefined || event.instance === query.instance);
}

/**
 * Events after `afterId` that match, oldest first. The store's cursors are opaque, so this
 * pages newest-first until it reaches an id at or below afterId.
 */
export function eventsAfter(events: EventSource, afterId: number, query: StreamQuery): { events: TandemEvent[]; truncated: boolean } {
  const found: TandemEvent[] = [];
  const filter: EventFilter = { order: "desc", limit: 1000 };
  if (query.kinds) filter.kinds = query.kinds;
  if (query.instance !== undefined) filter.instance = query.instance;
  for (let pages = 0; ; pages++) {
    if (pages >= MAX_REPLAY_PAGES) return { events: found.reverse(), truncated: true };
    const result = events.query(filter);
    // Only a cursor the history made is passed on; should it refuse one, the replay stops short and says so.
    if (!result.ok) return { events: found.reverse(), truncated: true };
    const page = result.page;
    for (const event of page.events) {
      if (event.id <= afterId) return { events: found.reverse(), truncated: false };
      found.push(event);
      if (found.length >= MAX_REPLAY_EVENTS) return { events: found.reverse(), truncated: true };
    }
    if (!page.nextCursor || page.events.length === 0) return { events: found.reverse(), truncated: false };
    filter.cursor = page.nextCursor;
  }
}

export function eventStreamResponse(options: EventStreamOptions): Response {
  const { events, clock, query, signal, onClose } = options;
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  const encoder = new TextEncoder();

  // Subscribe before reading the replay so nothing appended in between is lost; the id
  // check below drops what both deliver.
  const early: TandemEvent[] = [];
  let live: ((event: TandemEvent) => void) | undefined;
  const unsubscribe = events.subscribe((event) => (live ? live(event) : early.push(event)));
  let replay: ReturnType<typeof eventsAfter>;
  try {
    replay = query.lastEventId === undefined ? { events: [], truncated: false } : eventsAfter(events, query.lastEventId, query);
  } catch (error) {
    unsubscribe();
    throw error;
  }

  let close = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      let heartbeat: TimerHandle | undefined;
      // Not the client's Last-Event-ID: a history that was recreated numbers from 1 again,
      // and its new events must still go out. Replayed ids are all above the client's.
      let lastSentId = -1;
      close = () => {
        if (closed) return;
        closed = true;
        heartbeat?.cancel();
        unsubscribe();
        onClose?.();
        signal.removeEventListener("abort", close);
        try {
          controller.close();
        } catch {
          // Already closed or errored by the runtime: nothing left to release.
        }
      };
      const send = (text: string) => {
        if (closed) return;
        if ((controller.desiredSize ?? 0) < -MAX_QUEUED_FRAMES) return close();
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          close();
        }
      };
      const frameOf = (event: TandemEvent): string => {
        if (event.id <= lastSentId || !matches(event, query)) return "";
        lastSentId = event.id;
        return sseFrame(event);
      };
      const deliver = (event: TandemEvent) => {
        const frame = frameOf(event);
        if (frame) send(frame);
      };
      const beat = () => {
        send(": heartbeat\n\n");
        if (!closed) heartbeat = clock.at(clock.nowMs() + heartbeatMs, beat);
      };

      // The first bytes flush the headers, so clients see the stream open at once.
      // The preamble and the replay go as one chunk: the queue limit is for live frames a
      // client does not read, not for a long replay it has not had the chance to read yet.
      const preamble = `retry: 3000\n: tandem events${replay.truncated ? `; replay limited to the last ${replay.events.length} events (GET /events has the rest)` : ""}\n\n`;
      send(preamble + [...replay.events, ...early.splice(0)].map(frameOf).join(""));
      live = deliver;
      heartbeat = clock.at(clock.nowMs() + heartbeatMs, beat);
      if (signal.aborted) close();
      else signal.addEventListener("abort", close);
    },
    cancel() {
      close();
    },
  });

  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-store",
      "x-accel-buffering": "no",
    },
  });
}
