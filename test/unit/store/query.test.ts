// append() and query(): every filter, both orders, limits, and cursor paging that stays
// stable while new events arrive.
import { afterEach, describe, expect, test } from "bun:test";
import { FakeClock } from "../../../src/common/clock.ts";
import { openEventLog, type EventLog, type NewEvent, type TandemEvent } from "../../../src/store/index.ts";
import { priorityEvent, stopEvent, transitionEvent } from "./fixtures/events.ts";
import { pageOf } from "./fixtures/page-of.ts";

const T0 = 1_800_000_000_000;
let log: EventLog | undefined;
afterEach(() => log?.close());

/** 30 events, one a second: VI_1 and VI_2 priority changes, a transition every 5th, a stop every 10th. */
function filled(): EventLog {
  log = openEventLog({ path: ":memory:", clock: new FakeClock(T0) });
  for (let i = 0; i < 30; i++) {
    const at = T0 + i * 1000;
    const event: NewEvent = i % 10 === 9 ? stopEvent(at) : i % 5 === 4 ? transitionEvent(at, "VI_2") : priorityEvent(at, i % 2 ? "VI_2" : "VI_1", i);
    log.append(event);
  }
  return log;
}

const ids = (events: TandemEvent[]) => events.map((e) => e.id);

describe("append", () => {
  test("ids increase from 1 and the event comes back as given", () => {
    log = openEventLog({ path: ":memory:", clock: new FakeClock(T0) });
    const first = log.append(transitionEvent(T0));
    const second = log.append(stopEvent(T0 + 1));
    expect([first.id, second.id]).toEqual([1, 2]);
    expect(pageOf(log.query({ order: "asc" })).events).toEqual([first, second]);
    expect(second.instance).toBeUndefined();
    expect("instance" in pageOf(log.query({ kinds: ["daemon.stop"] })).events[0]!).toBe(false);
  });

  test("bad input is stored sanely, never thrown", () => {
    log = openEventLog({ path: ":memory:", clock: new FakeClock(T0) });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const stored = log.append({ kind: "daemon.stop", atMs: Number.NaN, summary: 42 as unknown as string, data: circular as never });
    expect(stored.atMs).toBe(T0);
    const [back] = pageOf(log.query({})).events;
    expect(back!.summary).toBe("42");
    expect(back!.data).toHaveProperty("unserializable");
    // Worse: not even the shape of an event. Stored as best it can be; the file stays ok.
    const odd = log.append(null as never);
    expect(odd).toMatchObject({ id: 2, kind: "unknown", summary: "", atMs: T0 });
    const typed = log.append({ kind: 5, instance: 7, atMs: "soon", summary: "s", data: undefined } as never);
    expect(typed.instance).toBeUndefined();
    expect(log.health()).toEqual({ state: "ok", path: ":memory:", sinceMs: T0, droppedEvents: 0 });
    expect(pageOf(log.query({ order: "asc" })).events.map((e): unknown[] => [e.id, e.kind, e.data])).toEqual([
      [1, "daemon.stop", back!.data],
      [2, "unknown", {}],
      [3, "unknown", {}],
    ]);
  });
});

describe("query filters", () => {
  test("newest first by default, limit 100", () => {
    const page = pageOf(filled().query({}));
    expect(ids(page.events)).toEqual(Array.from({ length: 30 }, (_, i) => 30 - i));
    expect(page.nextCursor).toBeUndefined();
  });

  test("oldest first", () => {
    expect(ids(pageOf(filled().query({ order: "asc", limit: 3 })).events)).toEqual([1, 2, 3]);
  });

  test("sinceMs and untilMs are inclusive", () => {
    const page = pageOf(filled().query({ sinceMs: T0 + 3000, untilMs: T0 + 6000, order: "asc" }));
    expect(ids(page.events)).toEqual([4, 5, 6, 7]);
  });

  test("kinds", () => {
    const l = filled();
    expect(ids(pageOf(l.query({ kinds: ["daemon.stop"] })).events)).toEqual([30, 20, 10]);
    expect(ids(pageOf(l.query({ kinds: ["daemon.stop", "vrrp.transition"], order: "asc" })).events)).toEqual([5, 10, 15, 20, 25, 30]);
    expect(pageOf(l.query({ kinds: ["history.recovered"] })).events).toEqual([]);
    // Unknown names match nothing (the API rejects them before they get here).
    expect(pageOf(l.query({ kinds: ["no.such" as never] })).events).toEqual([]);
  });

  test("instance", () => {
    const page = pageOf(filled().query({ instance: "VI_1", order: "asc" }));
    expect(page.events.every((e) => e.instance === "VI_1")).toBe(true);
    expect(ids(page.events)).toEqual([1, 3, 7, 9, 11, 13, 17, 19, 21, 23, 27, 29]);
  });

  test("filters combine", () => {
    const page = pageOf(filled().query({ instance: "VI_2", kinds: ["vrrp.transition"], sinceMs: T0 + 10_000, untilMs: T0 + 20_000 }));
    expect(ids(page.events)).toEqual([15]);
  });

  test("limit is clamped to 1..1000 and defaults to 100", () => {
    log = openEventLog({ path: ":memory:", clock: new FakeClock(T0) });
    for (let i = 0; i < 1005; i++) log.append(priorityEvent(T0 + i));
    expect(pageOf(log.query({})).events).toHaveLength(100);
    expect(pageOf(log.query({ limit: 5000 })).events).toHaveLength(1000);
    expect(pageOf(log.query({ limit: 0 })).events).toHaveLength(100);
    expect(pageOf(log.query({ limit: 2.7 })).events).toHaveLength(2);
    expect(pageOf(log.query({ limit: Number.NaN })).events).toHaveLength(100);
  });
});

describe("cursor paging", () => {
  for (const order of ["desc", "asc"] as const) {
    test(`${order}: pages cover everything once, even while events are appended`, () => {
      const l = filled();
      const seen: number[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = pageOf(l.query({ order, limit: 7, kinds: ["vrrp.priority", "vrrp.transition"], ...(cursor ? { cursor } : {}) }));
        seen.push(...ids(page.events));
        cursor = page.nextCursor;
        // New events arrive between pages: newest-first paging must not see them or repeat.
        l.append(priorityEvent(T0 + 100_000 + pages));
        pages++;
      } while (cursor && pages < 50);
      const original = Array.from({ length: 30 }, (_, i) => i + 1).filter((id) => id % 10 !== 0);
      if (order === "desc") expect(seen).toEqual(original.reverse());
      else {
        // Oldest-first paging reaches the new events too, each exactly once.
        expect(new Set(seen).size).toBe(seen.length);
        expect(seen.slice(0, original.length)).toEqual(original);
        expect(seen.length).toBeGreaterThan(original.length);
      }
      expect(pages).toBeLessThan(50);
    });
  }

  test("the cursor carries the order; a conflicting order or garbage is a bad-cursor answer, never an exception", () => {
    const l = filled();
    const { nextCursor } = pageOf(l.query({ order: "asc", limit: 10 }));
    expect(ids(pageOf(l.query({ cursor: nextCursor!, limit: 2 })).events)).toEqual([11, 12]);
    expect(l.query({ cursor: nextCursor!, order: "desc" })).toEqual({ ok: false, error: "bad-cursor", detail: "it continues a query in asc order, not desc" });
    for (const bad of ["garbage", "", "e1.d.5"]) {
      expect(l.query({ cursor: bad })).toEqual({ ok: false, error: "bad-cursor", detail: "not a cursor this history made" });
    }
  });

  test("a time range pages in both orders (ids sorted before the rows are read)", () => {
    const l = filled();
    for (const order of ["desc", "asc"] as const) {
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page = pageOf(l.query({ order, limit: 4, sinceMs: T0 + 5000, untilMs: T0 + 20_000, ...(cursor ? { cursor } : {}) }));
        seen.push(...ids(page.events));
        cursor = page.nextCursor;
      } while (cursor);
      const expected = Array.from({ length: 16 }, (_, i) => i + 6);
      expect(seen).toEqual(order === "asc" ? expected : expected.reverse());
    }
  });

  test("the last page has no cursor", () => {
    const l = filled();
    const first = pageOf(l.query({ limit: 20 }));
    expect(first.nextCursor).toBeDefined();
    const second = pageOf(l.query({ limit: 20, cursor: first.nextCursor! }));
    expect(ids(second.events)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(second.nextCursor).toBeUndefined();
  });
});

describe("bounded work per page", () => {
  /** 300,000 priority events on VI_1 and, every 100,000th, one on RARE; a second per event. */
  function large(): EventLog {
    log = openEventLog({ path: ":memory:", clock: new FakeClock(T0) });
    const l = log;
    for (let i = 0; i < 300_000; i++) l.append(priorityEvent(T0 + i * 1000, i % 100_000 === 50_000 ? "RARE" : "VI_1", i));
    return l;
  }

  test("a rare match is found through partial pages whose cursors continue the search, in both orders", () => {
    const l = large();
    for (const order of ["desc", "asc"] as const) {
      const found: number[] = [];
      let cursor: string | undefined;
      let pages = 0;
      let partial = 0;
      do {
        const page = pageOf(l.query({ instance: "RARE", kinds: ["vrrp.priority"], order, limit: 10, ...(cursor ? { cursor } : {}) }));
        found.push(...ids(page.events));
        if (page.partial) partial++;
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 100);
      expect(found).toEqual(order === "desc" ? [250_001, 150_001, 50_001] : [50_001, 150_001, 250_001]);
      // Each page read at most 131,072 ids, so reaching the end of 300,000 took partial pages.
      expect(partial).toBeGreaterThanOrEqual(2);
    }
  });

  test("a time range over the whole history and one in the far past both answer a full page", () => {
    const l = large();
    const all = pageOf(l.query({ sinceMs: 0, untilMs: T0 + 1e12, limit: 1000 }));
    expect(all.events.length).toBe(1000);
    expect(all.events[0]!.id).toBe(300_000);
    expect(all.partial).toBeUndefined();
    const past = pageOf(l.query({ untilMs: T0 + 4_999_000, limit: 1000 }));
    expect(ids(past.events).slice(0, 3)).toEqual([5000, 4999, 4998]);
    const recent = pageOf(l.query({ sinceMs: T0 + 299_990_000, order: "asc" }));
    expect(ids(recent.events)).toEqual(Array.from({ length: 10 }, (_, i) => 299_991 + i));
  });
});
