// Another process holding the write lock (a stray sqlite3 shell, a second daemon): the log
// waits 50 ms at most, degrades instead of stalling VRRP, and recovers once the lock goes.
import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { FakeClock } from "../../../src/common/clock.ts";
import { openEventLog, RETRY_INTERVAL_MS } from "../../../src/store/index.ts";
import { priorityEvent, scratchDir } from "./fixtures/events.ts";
import { nodeStoreFiles } from "./fixtures/node-files.ts";
import { pageOf } from "./fixtures/page-of.ts";

const scratch = scratchDir("busy");
afterAll(() => scratch.remove());

describe("locked by another process", () => {
  test("degraded within the busy timeout, recovered after the lock is released", () => {
    const path = join(scratch.dir, "tandem.db");
    const clock = new FakeClock();
    const log = openEventLog({ path, clock, files: nodeStoreFiles() });
    log.append(priorityEvent(clock.wallMs()));
    const other = new Database(path);
    other.run("BEGIN IMMEDIATE");
    try {
      const started = performance.now();
      expect(log.append(priorityEvent(clock.wallMs())).id).toBe(2);
      expect(performance.now() - started).toBeLessThan(1000);
      expect(log.health()).toMatchObject({ state: "degraded", reason: `${path} is locked by another process (database is locked)`, droppedEvents: 1 });
      clock.advance(RETRY_INTERVAL_MS);
      expect(log.health().state).toBe("degraded");
    } finally {
      other.run("COMMIT");
      other.close();
    }
    clock.advance(RETRY_INTERVAL_MS);
    expect(log.health().state).toBe("ok");
    expect(log.append(priorityEvent(clock.wallMs())).id).toBe(3);
    expect(pageOf(log.query({})).events.map((e) => e.id)).toEqual([3, 1]);
    log.close();
  });
});
