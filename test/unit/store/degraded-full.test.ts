// A full disk: SQLITE_FULL from a size cap (anyone) and from a real full tmpfs (root).
// Appends keep their ids while nothing is stored, and the retry recovers once there is room.
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeClock } from "../../../src/common/clock.ts";
import { openEventLog, RETRY_INTERVAL_MS, type EventLog, type HistoryHealth, type NewEvent } from "../../../src/store/index.ts";
import { scratchDir } from "./fixtures/events.ts";
import { nodeStoreFiles } from "./fixtures/node-files.ts";
import { canMount, mountScratch } from "./fixtures/scratch-mount.ts";
import { pageOf } from "./fixtures/page-of.ts";

const scratch = scratchDir("full");
const logs: EventLog[] = [];
afterEach(() => {
  for (const log of logs.splice(0)) log.close();
});
afterAll(() => scratch.remove());

/** A tracker change with 2 KiB of script output: the disk fills in a few dozen events. */
function bulky(atMs: number, n: number): NewEvent {
  return {
    kind: "tracker.change",
    atMs,
    summary: `chk ${n}`,
    data: { tracker: { kind: "script", name: "chk" }, healthy: n % 2 === 0, detail: "exit 1", exitCode: 1, output: "x".repeat(2048) },
  };
}

/** Append until the log degrades; returns the ids handed out. */
function fillUp(log: EventLog, clock: FakeClock, max = 5000): number[] {
  const ids: number[] = [];
  for (let n = 0; n < max && log.health().state === "ok"; n++) ids.push(log.append(bulky(clock.wallMs(), n)).id);
  return ids;
}

describe("full", () => {
  test("a size cap reached: degraded 'disk full'; retention frees room and the retry recovers", () => {
    const path = join(scratch.dir, "capped.db");
    const clock = new FakeClock();
    const changes: HistoryHealth[] = [];
    const log = openEventLog({
      path,
      clock,
      files: nodeStoreFiles(),
      maxBytes: 160 * 1024,
      retention: { maxRows: 10 },
      onHealthChange: (h) => changes.push(h),
    });
    logs.push(log);
    const ids = fillUp(log, clock);
    const stored = ids.length - 1;
    expect(stored).toBeGreaterThan(10);
    expect(log.health()).toMatchObject({ state: "degraded", reason: `disk full: cannot write ${path} (database or disk is full)`, droppedEvents: 1 });
    // Ids go on while nothing is stored.
    expect(log.append(bulky(clock.wallMs(), 0)).id).toBe(ids.at(-1)! + 1);
    expect(log.query({})).toEqual({ ok: true, page: { events: [] } });

    clock.advance(RETRY_INTERVAL_MS);
    expect(log.health().state).toBe("ok");
    expect(changes.map((h) => [h.state, h.droppedEvents])).toEqual([
      ["degraded", 0],
      ["ok", 2],
    ]);
    // Retention kept the newest 10 stored; the next event follows the last id handed out.
    const after = log.append(bulky(clock.wallMs(), 1));
    expect(after.id).toBe(ids.at(-1)! + 2);
    const kept = pageOf(log.query({ order: "asc" })).events.map((e) => e.id);
    expect(kept.at(-1)).toBe(after.id);
    expect(kept.length).toBeLessThanOrEqual(11);
  });

  test.skipIf(!canMount)("a real full file system (ENOSPC): degraded, then recovers when space is freed", () => {
    const mount = mountScratch(1024)!;
    try {
      const path = join(mount.dir, "tandem.db");
      const clock = new FakeClock();
      const changes: HistoryHealth[] = [];
      const log = openEventLog({ path, clock, files: nodeStoreFiles(), onHealthChange: (h) => changes.push(h) });
      logs.push(log);
      // Leave ~100 KiB free, then let the history fill it.
      const filler = join(mount.dir, "filler");
      try {
        writeFileSync(filler, Buffer.alloc(1024 * 1024));
      } catch {
        // ENOSPC: the partial file is the point.
      }
      rmSync(filler);
      writeFileSync(filler, Buffer.alloc(700 * 1024));
      const ids = fillUp(log, clock);
      expect(log.health().state).toBe("degraded");
      expect(log.health().reason).toBe(`disk full: cannot write ${path} (database or disk is full)`);

      clock.advance(RETRY_INTERVAL_MS);
      expect(log.health().state).toBe("degraded");
      rmSync(filler);
      clock.advance(RETRY_INTERVAL_MS);
      expect(log.health().state).toBe("ok");
      expect(changes.map((h) => h.state)).toEqual(["degraded", "ok"]);
      const next = log.append(bulky(clock.wallMs(), 0));
      expect(next.id).toBe(ids.at(-1)! + 1);
      expect(pageOf(log.query({ limit: 1 })).events[0]!.id).toBe(next.id);
      log.close();
      const reopened = openEventLog({ path, clock, files: nodeStoreFiles() });
      logs.push(reopened);
      expect(pageOf(reopened.query({ limit: 1 })).events[0]!.id).toBe(next.id);
    } finally {
      for (const log of logs.splice(0)) log.close();
      mount.remove();
    }
  });
});
