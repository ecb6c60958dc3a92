// The API over the real SQLite history (in memory) and the daemon's event bus: real
// cursors page and a forged one is a 400, Last-Event-ID replays across real pages, and
// what the store gives back validates against the API's TandemEvent schema.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Hono } from "hono";
import { createApiApp } from "../../../src/api/index.ts";
import { memoryLogger } from "../../../src/common/logger.ts";
import { EventBus } from "../../../src/daemon/observe/event-bus.ts";
import { openEventLog, type EventLog, type NewEvent } from "../../../src/store/index.ts";
import { FakeApi } from "./fakes.ts";
import { validate } from "./json-schema.ts";

let log: EventLog;
let bus: EventBus;
let app: Hono;
let fake: FakeApi;

beforeEach(() => {
  fake = new FakeApi();
  log = openEventLog({ path: ":memory:", clock: fake.clock });
  bus = new EventBus(log, memoryLogger());
  app = createApiApp({
    status: fake.status,
    events: bus,
    config: fake.config,
    actions: fake.actions,
    history: bus,
    token: fake.token,
    readsNeedToken: () => false,
    clock: fake.clock,
  });
});

afterEach(() => log.close());

function record(count: number, instance = "VI_1"): void {
  for (let i = 0; i < count; i++) {
    const event: NewEvent = {
      kind: "vrrp.transition",
      atMs: fake.clock.wallMs() + i,
      instance,
      summary: `${instance} BACKUP -> MASTER #${i}`,
      data: { from: "BACKUP", to: "MASTER", cause: "master-down-timer", detail: "no advert", priority: { base: 100, effective: 100 }, takeoverMs: 12.5 },
    };
    bus.record(event);
  }
}

describe("GET /events over the SQLite history", () => {
  test("pages with the store's cursors, in both orders", async () => {
    record(25);
    for (const order of ["desc", "asc"]) {
      const ids: number[] = [];
      let cursor: string | undefined;
      do {
        const body = (await (await app.request(`/events?limit=10&order=${order}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`)).json()) as any;
        ids.push(...body.events.map((e: { id: number }) => e.id));
        cursor = body.nextCursor;
      } while (cursor);
      const expected = Array.from({ length: 25 }, (_, i) => i + 1);
      expect(ids).toEqual(order === "asc" ? expected : expected.reverse());
    }
  });

  test("a forged cursor, or one from the other order, is a 400 'bad cursor'", async () => {
    record(5);
    const forged = await app.request("/events?cursor=forged");
    expect(forged.status).toBe(400);
    expect(((await forged.json()) as any).error).toBe("bad cursor");
    const { nextCursor } = (await (await app.request("/events?limit=2&order=desc")).json()) as any;
    const mixed = await app.request(`/events?order=asc&cursor=${encodeURIComponent(nextCursor)}`);
    expect(mixed.status).toBe(400);
    expect(((await mixed.json()) as any).error).toBe("bad cursor");
  });

  test("stored events validate against the API's schema", async () => {
    record(3);
    bus.record({
      kind: "api.action",
      atMs: fake.clock.wallMs(),
      summary: "a",
      data: { action: "maintenance.enter", caller: { address: "127.0.0.1" }, ok: true },
    });
    const doc = (await (await app.request("/openapi.json")).json()) as any;
    const page = await (await app.request("/events")).json();
    expect(validate(page, { $ref: "#/components/schemas/EventPage" }, doc.components.schemas)).toEqual([]);
  });
});

test("Last-Event-ID replays across the store's pages, then streams live", async () => {
  record(2_100);
  const res = await app.request("/events/stream", { headers: { "last-event-id": "50" } });
  const reader = res.body!.getReader();
  let text = "";
  const ids = () => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  while (ids().length < 2_050) text += new TextDecoder().decode((await reader.read()).value);
  expect(ids()).toEqual(Array.from({ length: 2_050 }, (_, i) => 51 + i));
  record(1, "VI_2");
  while (ids().length < 2_051) text += new TextDecoder().decode((await reader.read()).value);
  expect(ids().at(-1)).toBe(2_101);
  await reader.cancel();
  expect(bus.subscriberCount).toBe(0);
});
