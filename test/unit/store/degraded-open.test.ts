// Degraded at open: a missing directory (created, or not creatable), a read-only file
// system, no file access. The log keeps counting ids, keeps maintenance in memory, answers
// queries with an empty page, and recovers by itself on the 30-second retry.
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeClock } from "../../../src/common/clock.ts";
import { openEventLog, RETRY_INTERVAL_MS, type EventLog, type HistoryHealth } from "../../../src/store/index.ts";
import { priorityEvent, scratchDir, stopEvent } from "./fixtures/events.ts";
import { nodeStoreFiles } from "./fixtures/node-files.ts";
import { canMount, isRoot, mountScratch } from "./fixtures/scratch-mount.ts";
import { pageOf } from "./fixtures/page-of.ts";

const scratch = scratchDir("degraded");
const logs: EventLog[] = [];
afterEach(() => {
  for (const log of logs.splice(0)) log.close();
});
afterAll(() => scratch.remove());

function open(path: string, clock: FakeClock, changes: HistoryHealth[] = []): EventLog {
  const log = openEventLog({ path, clock, files: nodeStoreFiles(), onHealthChange: (h) => changes.push(h) });
  logs.push(log);
  return log;
}

describe("missing directory", () => {
  test("is created, with its parents", () => {
    const path = join(scratch.dir, "var/lib/tandem/tandem.db");
    const log = open(path, new FakeClock());
    expect(log.health()).toMatchObject({ state: "ok", path, droppedEvents: 0 });
    expect(log.append(stopEvent(1)).id).toBe(1);
    expect(existsSync(path)).toBe(true);
  });

  test("that cannot be created: degraded with the OS reason, ids go on, recovers on the retry", () => {
    const blocker = join(scratch.dir, "blocker");
    writeFileSync(blocker, "a file where the directory should be");
    const path = join(blocker, "tandem/tandem.db");
    const clock = new FakeClock();
    const changes: HistoryHealth[] = [];
    const log = open(path, clock, changes);

    const health = log.health();
    expect(health.state).toBe("degraded");
    expect(health.reason).toStartWith(`directory ${blocker}/tandem does not exist and cannot be created: ENOTDIR: not a directory`);
    expect(health.sinceMs).toBe(clock.wallMs());
    expect([1, 2, 3].map((n) => log.append(priorityEvent(clock.wallMs(), "VI_1", n)).id)).toEqual([1, 2, 3]);
    expect(log.health().droppedEvents).toBe(3);
    expect(log.query({})).toEqual({ ok: true, page: { events: [] } });

    // Notified after open returned, through the clock.
    expect(changes).toEqual([]);
    clock.advance(0);
    expect(changes.map((h) => h.state)).toEqual(["degraded"]);

    clock.advance(RETRY_INTERVAL_MS);
    expect(log.health().state).toBe("degraded");
    rmSync(blocker);
    clock.advance(RETRY_INTERVAL_MS);
    expect(log.health()).toMatchObject({ state: "ok", droppedEvents: 0 });
    expect(changes.map((h) => [h.state, h.droppedEvents])).toEqual([
      ["degraded", 0],
      ["ok", 3],
    ]);
    expect(log.append(stopEvent(clock.wallMs())).id).toBe(4);
    expect(pageOf(log.query({})).events.map((e) => e.id)).toEqual([4]);
    log.close();
  });

  test("without a file port: degraded, and the reason says what to check", () => {
    const path = join(scratch.dir, "absent/tandem.db");
    const log = openEventLog({ path, clock: new FakeClock() });
    logs.push(log);
    expect(log.health()).toMatchObject({
      state: "degraded",
      reason: `cannot open ${path} (unable to open database file); check that its directory exists and is writable`,
    });
  });
});

describe("read-only", () => {
  test.skipIf(!canMount)("a read-only file system (EROFS): degraded, then recovers when it is writable again", () => {
    const mount = mountScratch(1024)!;
    try {
      const path = join(mount.dir, "tandem.db");
      const clock = new FakeClock();
      const first = open(path, clock);
      first.append(stopEvent(clock.wallMs()));
      first.append(stopEvent(clock.wallMs()));
      first.close();
      mount.setReadOnly(true);

      const changes: HistoryHealth[] = [];
      const log = open(path, clock, changes);
      expect(log.health()).toMatchObject({
        state: "degraded",
        reason: `directory ${mount.dir} is not writable: EROFS: read-only file system, access '${mount.dir}'`,
      });
      expect(log.append(stopEvent(clock.wallMs())).id).toBe(1);
      clock.advance(RETRY_INTERVAL_MS);
      expect(log.health().state).toBe("degraded");

      mount.setReadOnly(false);
      clock.advance(RETRY_INTERVAL_MS);
      expect(log.health().state).toBe("ok");
      expect(changes.map((h) => [h.state, h.droppedEvents])).toEqual([
        ["degraded", 0],
        ["ok", 1],
      ]);
      // Ids go on after the stored ones (the dropped event's id was not stored).
      expect(log.append(stopEvent(clock.wallMs())).id).toBe(3);
      log.close();
    } finally {
      for (const log of logs.splice(0)) log.close();
      mount.remove();
    }
  });

  test.skipIf(isRoot)("a directory without write permission (non-root): degraded, then recovers", () => {
    const dir = join(scratch.dir, "locked");
    mkdirSync(dir);
    chmodSync(dir, 0o555);
    const clock = new FakeClock();
    const log = open(join(dir, "tandem.db"), clock);
    expect(log.health()).toMatchObject({ state: "degraded" });
    expect(log.health().reason).toStartWith(`directory ${dir} is not writable: EACCES`);
    chmodSync(dir, 0o755);
    clock.advance(RETRY_INTERVAL_MS);
    expect(log.health().state).toBe("ok");
  });
});

describe("listeners", () => {
  test("a listener may record into the log (as the daemon does) and may throw", () => {
    const blocker = join(scratch.dir, "blocker2");
    writeFileSync(blocker, "");
    const clock = new FakeClock();
    let log: EventLog;
    const listener = (h: HistoryHealth) => {
      log.append({
        kind: h.state === "ok" ? "history.recovered" : "history.degraded",
        atMs: clock.wallMs(),
        summary: h.state,
        data: h.state === "ok" ? { droppedEvents: h.droppedEvents } : { reason: h.reason ?? "" },
      } as never);
      throw new Error("listener bug");
    };
    log = openEventLog({ path: join(blocker, "x/tandem.db"), clock, files: nodeStoreFiles(), onHealthChange: listener });
    logs.push(log);
    clock.advance(0);
    expect(log.health().droppedEvents).toBe(1);
    rmSync(blocker);
    clock.advance(RETRY_INTERVAL_MS);
    const stored = pageOf(log.query({})).events;
    expect(stored.map((e) => [e.id, e.kind])).toEqual([[2, "history.recovered"]]);
    expect(stored[0]!.data).toEqual({ droppedEvents: 1 });
  });
});
