// GET /events/stream read as a client would: SSE framing, Last-Event-ID replay (header and
// query, across history pages), filters, heartbeats on the fake clock, and clean-up when
// the client leaves or stops reading.
import { beforeEach, describe, expect, test } from "bun:test";
import type { Hono } from "hono";
import { createApiApp } from "../../../src/api/index.ts";
import { eventsAfter, HEARTBEAT_MS, MAX_QUEUED_FRAMES, sseFrame } from "../../../src/api/event-stream.ts";
import type { EventSource } from "../../../src/api/ports.ts";
import type { TandemEvent } from "../../../src/store/event.ts";
import { FakeApi } from "./fakes.ts";

interface Frame {
  id?: string;
  event?: string;
  data?: string;
  comments: string[];
  retry?: string;
}

/** Reads the stream and splits it into SSE frames (blank-line separated). */
class SseReader {
  private buffer = "";
  private readonly decoder = new TextDecoder();
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  async frames(count: number): Promise<Frame[]> {
    while (this.buffer.split("\n\n").length - 1 < count) {
      const { done, value } = await this.reader.read();
      if (done) throw new Error(`stream ended after ${this.buffer.split("\n\n").length - 1} frames, wanted ${count}`);
      this.buffer += this.decoder.decode(value, { stream: true });
    }
    const parts = this.buffer.split("\n\n");
    const taken = parts.slice(0, count);
    this.buffer = parts.slice(count).join("\n\n");
    return taken.map(parseFrame);
  }

  async events(count: number): Promise<TandemEvent[]> {
    return (await this.frames(count)).map((f) => JSON.parse(f.data!) as TandemEvent);
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}

function parseFrame(text: string): Frame {
  const frame: Frame = { comments: [] };
  for (const line of text.split("\n")) {
    if (line.startsWith(":")) frame.comments.push(line.slice(1).trim());
    else {
      const colon = line.indexOf(":");
      const field = line.slice(0, colon) as "id" | "event" | "data" | "retry";
      if (frame[field] !== undefined) throw new Error(`field ${field} twice in one frame: ${text}`);
      frame[field] = line.slice(colon + 1).replace(/^ /, "");
    }
  }
  return frame;
}

let fake: FakeApi;
let app: Hono;

beforeEach(() => {
  fake = new FakeApi();
  app = createApiApp(fake);
});

async function open(path = "/events/stream", headers: Record<string, string> = {}, signal?: AbortSignal): Promise<SseReader> {
  const res = await app.request(path, { headers, ...(signal ? { signal } : {}) });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
  expect(res.headers.get("cache-control")).toBe("no-cache, no-store");
  const reader = new SseReader(res.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>);
  const [hello] = await reader.frames(1);
  expect(hello!.retry).toBe("3000");
  expect(hello!.comments).toEqual(["tandem events"]);
  return reader;
}

describe("framing", () => {
  test("each live event is id, event (its kind) and one data line of its JSON", async () => {
    const stream = await open();
    const published = fake.failover();
    const [frame] = await stream.frames(1);
    expect(frame!.id).toBe(String(published.id));
    expect(frame!.event).toBe("vrrp.transition");
    expect(JSON.parse(frame!.data!)).toEqual(published);
    await stream.cancel();
  });

  test("line breaks in event text never split the data line", () => {
    const event = { ...fake.log.events[0]!, summary: "two\nlines\r\nhere" } as TandemEvent;
    const text = sseFrame(event);
    expect(text.split("\n").filter((l) => l.startsWith("data:"))).toHaveLength(1);
    expect(text.endsWith("\n\n")).toBe(true);
    expect(JSON.parse(parseFrame(text.trimEnd()).data!).summary).toBe("two\nlines\r\nhere");
  });

  test("events arrive in order, live", async () => {
    const stream = await open();
    const published = [fake.failover(), fake.setTracker("VI_1", "chk_mt_down", false), fake.yieldTo()];
    expect((await stream.events(3)).map((e) => e.id)).toEqual(published.map((e) => e.id));
    await stream.cancel();
  });
});

describe("Last-Event-ID replay", () => {
  test("the header replays newer events, oldest first, then goes live without duplicates", async () => {
    const stream = await open("/events/stream", { "last-event-id": "2" });
    expect((await stream.events(2)).map((e) => e.id)).toEqual([3, 4]);
    const live = fake.failover();
    expect((await stream.events(1)).map((e) => e.id)).toEqual([live.id]);
    await stream.cancel();
  });

  test("?lastEventId= does the same; the header wins over it", async () => {
    const byQuery = await open("/events/stream?lastEventId=3");
    expect((await byQuery.events(1)).map((e) => e.id)).toEqual([4]);
    await byQuery.cancel();
    const both = await open("/events/stream?lastEventId=0", { "last-event-id": "3" });
    fake.failover();
    expect((await both.events(2)).map((e) => e.id)).toEqual([4, 5]);
    await both.cancel();
  });

  test("replay pages through the history (more than one page)", async () => {
    for (let i = 0; i < 2_500; i++) fake.publish({ kind: "daemon.stop", atMs: fake.clock.wallMs(), summary: `n${i}`, data: { reason: "test" } });
    const stream = await open("/events/stream", { "last-event-id": "100" });
    const replayed = await stream.events(2_404 - 100);
    expect(replayed.map((e) => e.id)).toEqual(Array.from({ length: 2_304 }, (_, i) => 101 + i));
    expect(fake.log.queries.every((q) => q.order === "desc" && q.limit === 1000)).toBe(true);
    expect(fake.log.queries.length).toBe(3);
    await stream.cancel();
  });

  test("a history refusing the cursor it gave stops the replay short, said as truncated", () => {
    for (let i = 0; i < 1_500; i++) fake.publish({ kind: "daemon.stop", atMs: fake.clock.wallMs(), summary: `n${i}`, data: { reason: "test" } });
    const refusing: EventSource = {
      ...fake.events,
      query: (filter) => (filter.cursor ? { ok: false, error: "bad-cursor", detail: "history replaced" } : fake.events.query(filter)),
    };
    const replay = eventsAfter(refusing, 100, {});
    expect(replay.truncated).toBe(true);
    expect(replay.events.map((e) => e.id)).toEqual(Array.from({ length: 1_000 }, (_, i) => 505 + i));
  });

  test("an id newer than the history (a recreated history) replays nothing and still streams", async () => {
    const stream = await open("/events/stream", { "last-event-id": "5000" });
    const live = fake.failover();
    expect((await stream.events(1))[0]!.id).toBe(live.id);
    await stream.cancel();
  });

  test("an empty header (no id seen yet) replays nothing", async () => {
    const stream = await open("/events/stream", { "last-event-id": "" });
    fake.failover();
    expect((await stream.events(1))[0]!.id).toBe(5);
    await stream.cancel();
  });

  test.each([
    ["last-event-id", "abc"],
    ["last-event-id", "-1"],
    ["last-event-id", "1.5"],
  ])("%s: %s -> 400", async (name, value) => {
    const res = await app.request("/events/stream", { headers: { [name]: value } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toBe("the Last-Event-ID header is not an event id");
    expect(fake.log.subscriberCount).toBe(0);
  });
});

describe("filters", () => {
  test("kind and instance filter live and replayed events", async () => {
    const stream = await open("/events/stream?kind=vrrp.transition&instance=VI_2", { "last-event-id": "0" });
    expect((await stream.events(1)).map((e) => [e.kind, e.instance])).toEqual([["vrrp.transition", "VI_2"]]);
    fake.setTracker("VI_2", "chk_mt_down", false);
    fake.failover("VI_1");
    const wanted = fake.failover("VI_2");
    expect((await stream.events(1))[0]!.id).toBe(wanted.id);
    await stream.cancel();
  });

  test.each(["kind=nope", "limit=5", "instance="])("?%s -> 400", async (query) => {
    expect((await app.request(`/events/stream?${query}`)).status).toBe(400);
  });
});

describe("heartbeats and clean-up", () => {
  test("a comment every 15 s on the injected clock", async () => {
    const stream = await open();
    fake.clock.advance(HEARTBEAT_MS - 1);
    fake.failover();
    expect((await stream.frames(1))[0]!.event).toBe("vrrp.transition");
    fake.clock.advance(1);
    expect((await stream.frames(1))[0]!.comments).toEqual(["heartbeat"]);
    fake.clock.advance(HEARTBEAT_MS);
    expect((await stream.frames(1))[0]!.comments).toEqual(["heartbeat"]);
    await stream.cancel();
  });

  test("the client cancelling unsubscribes and stops the heartbeat", async () => {
    const timersBefore = fake.clock.pendingTimers();
    const stream = await open();
    expect(fake.log.subscriberCount).toBe(1);
    expect(fake.clock.pendingTimers()).toBe(timersBefore + 1);
    await stream.cancel();
    expect(fake.log.subscriberCount).toBe(0);
    expect(fake.clock.pendingTimers()).toBe(timersBefore);
    fake.failover(); // no listener left to throw
  });

  test("the request aborting (client gone) unsubscribes", async () => {
    const abort = new AbortController();
    await open("/events/stream", {}, abort.signal);
    expect(fake.log.subscriberCount).toBe(1);
    abort.abort();
    expect(fake.log.subscriberCount).toBe(0);
    expect(fake.clock.pendingTimers()).toBe(0);
  });

  test("a client that stops reading is dropped instead of buffering without bound", async () => {
    await open();
    for (let i = 0; i < MAX_QUEUED_FRAMES + 10; i++) fake.publish({ kind: "daemon.stop", atMs: 0, summary: "x", data: { reason: "flood" } });
    expect(fake.log.subscriberCount).toBe(0);
  });
});
