// Retention by age (on the clock) and by row count, in bounded batches.
import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { FakeClock } from "../../../src/common/clock.ts";
import { openEventLog, RETENTION_INTERVAL_MS, type EventLog } from "../../../src/store/index.ts";
import { EventTable } from "../../../src/store/event-table.ts";
import { applyRetention, retentionPolicy } from "../../../src/store/retention.ts";
import { migrate } from "../../../src/store/schema.ts";
import { join } from "node:path";
import { priorityEvent, scratchDir } from "./fixtures/events.ts";
import { nodeStoreFiles } from "./fixtures/node-files.ts";
import { pageOf } from "./fixtures/page-of.ts";

const DAY = 86_400_000;
let log: EventLog | undefined;
afterEach(() => log?.close());

const count = (l: EventLog) => pageOf(l.query({ limit: 1000 })).events.length;

describe("retention", () => {
  test("by age: events older than maxAgeDays go on the 10-minute timer", () => {
    const clock = new FakeClock();
    log = openEventLog({ path: ":memory:", clock, retention: { maxAgeDays: 2 } });
    const start = clock.wallMs();
    for (let day = 0; day < 4; day++) log.append(priorityEvent(start + day * DAY));
    clock.advance(RETENTION_INTERVAL_MS - 1);
    expect(count(log)).toBe(4);
    // Runs fall every 10 minutes from open; the one at +3 days cuts at +1 day (kept: not older).
    clock.advance(3 * DAY);
    expect(pageOf(log.query({})).events.map((e) => (e.atMs - start) / DAY)).toEqual([3, 2, 1]);
    clock.advance(DAY);
    expect(pageOf(log.query({})).events.map((e) => (e.atMs - start) / DAY)).toEqual([3, 2]);
  });

  test("by age and count: applied at open", () => {
    const scratch = scratchDir("retention");
    try {
      const path = join(scratch.dir, "tandem.db");
      const clock = new FakeClock();
      const first = openEventLog({ path, clock, files: nodeStoreFiles() });
      for (let i = 0; i < 10; i++) first.append(priorityEvent(clock.wallMs() - 7 * DAY + i));
      for (let i = 0; i < 5; i++) first.append(priorityEvent(clock.wallMs() + i));
      first.close();
      log = openEventLog({ path, clock, files: nodeStoreFiles(), retention: { maxAgeDays: 1, maxRows: 3 } });
      expect(pageOf(log.query({ order: "asc" })).events.map((e) => e.id)).toEqual([13, 14, 15]);
    } finally {
      scratch.remove();
    }
  });

  test("by count: the newest maxRows stay", () => {
    const clock = new FakeClock();
    log = openEventLog({ path: ":memory:", clock, retention: { maxRows: 100 } });
    for (let i = 0; i < 150; i++) log.append(priorityEvent(clock.wallMs() + i));
    clock.advance(RETENTION_INTERVAL_MS);
    const events = pageOf(log.query({ limit: 1000, order: "asc" })).events;
    expect(events).toHaveLength(100);
    expect(events[0]!.id).toBe(51);
    expect(events.at(-1)!.id).toBe(150);
  });

  test("a large backlog goes in bounded batches, one a second, then every 10 minutes", () => {
    const db = new Database(":memory:");
    migrate(db, 0);
    const table = new EventTable(db);
    for (let id = 1; id <= 25; id++) table.insert({ ...priorityEvent(1000 + id), id });
    const policy = retentionPolicy({ maxRows: 5 }, 8);
    expect(applyRetention(table, policy, 2000)).toEqual({ deleted: 8, more: true });
    expect(applyRetention(table, policy, 2000)).toEqual({ deleted: 8, more: true });
    expect(applyRetention(table, policy, 2000)).toEqual({ deleted: 4, more: false });
    expect(applyRetention(table, policy, 2000)).toEqual({ deleted: 0, more: false });
    expect(table.minId()).toBe(21);
  });

  test("age and count share one batch budget", () => {
    const db = new Database(":memory:");
    migrate(db, 0);
    const table = new EventTable(db);
    for (let id = 1; id <= 20; id++) table.insert({ ...priorityEvent(id <= 6 ? 0 : 10 * DAY), id });
    const policy = retentionPolicy({ maxAgeDays: 1, maxRows: 10 }, 8);
    expect(applyRetention(table, policy, 10 * DAY)).toEqual({ deleted: 8, more: true });
    expect(applyRetention(table, policy, 10 * DAY)).toEqual({ deleted: 2, more: false });
    expect(table.minId()).toBe(11);
  });

  test("options: defaults, Infinity keeps everything, nonsense falls back", () => {
    expect(retentionPolicy()).toEqual({ maxAgeMs: 90 * DAY, maxRows: 1_000_000, batchRows: 2000 });
    expect(retentionPolicy({ maxAgeDays: Infinity, maxRows: Infinity })).toMatchObject({ maxAgeMs: Infinity, maxRows: Infinity });
    expect(retentionPolicy({ maxAgeDays: -1, maxRows: Number.NaN })).toMatchObject({ maxAgeMs: 90 * DAY, maxRows: 1_000_000 });
  });
});
