// Corrupt files: not a database at all, or damaged pages found at run time. Either way the
// file (with its -wal and -shm) is moved aside, a fresh history starts, and health says so.
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { FakeClock } from "../../../src/common/clock.ts";
import { openEventLog, type EventLog, type HistoryHealth, type NewEvent } from "../../../src/store/index.ts";
import { priorityEvent, scratchDir } from "./fixtures/events.ts";
import { nodeStoreFiles } from "./fixtures/node-files.ts";
import { pageOf } from "./fixtures/page-of.ts";

const scratch = scratchDir("corrupt");
const logs: EventLog[] = [];
afterEach(() => {
  for (const log of logs.splice(0)) log.close();
});
afterAll(() => scratch.remove());

// FakeClock's wall clock starts at 1_800_000_000_000 ms: 2027-01-15T08:00:00Z.
const STAMP = "20270115T080000Z";

function open(path: string, clock: FakeClock, changes: HistoryHealth[] = []): EventLog {
  const log = openEventLog({ path, clock, files: nodeStoreFiles(), onHealthChange: (h) => changes.push(h) });
  logs.push(log);
  return log;
}

function bulky(atMs: number, n: number): NewEvent {
  return {
    kind: "notify.run",
    atMs,
    summary: `notify ${n}`,
    data: { role: "master", state: "MASTER", argv: ["/bin/true"], exitCode: 0, signal: null, timedOut: false, durationMs: 3, output: "o".repeat(1000) },
  };
}

describe("corrupt", () => {
  test("not a database: moved aside with its -wal and -shm, a fresh one starts, health says so", () => {
    const dir = join(scratch.dir, "garbage");
    const path = join(dir, "tandem.db");
    open(path, new FakeClock()).close();
    writeFileSync(path, "this is not an SQLite file ".repeat(400));
    writeFileSync(`${path}-wal`, "stale wal");
    writeFileSync(`${path}-shm`, "stale shm");
    const clock = new FakeClock();
    const changes: HistoryHealth[] = [];
    const log = open(path, clock, changes);

    const aside = `${path}.corrupt-${STAMP}`;
    const notice = `${path} is corrupt (file is not a database); moved aside to ${aside} and started a fresh history`;
    expect(log.health()).toEqual({ state: "ok", path, sinceMs: clock.wallMs(), droppedEvents: 0, notice });
    expect(readFileSync(aside, "utf8")).toStartWith("this is not an SQLite file");
    expect(readFileSync(`${aside}-wal`, "utf8")).toBe("stale wal");
    // The -shm is SQLite's scratch index (rebuilt from the -wal); it moves along, as it was left.
    expect(existsSync(`${aside}-shm`)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(true);
    expect(log.append(priorityEvent(clock.wallMs())).id).toBe(1);
    expect(pageOf(log.query({})).events).toHaveLength(1);

    // Reported as a degraded moment followed by the recovery, so the daemon records both.
    clock.advance(0);
    expect(changes).toEqual([
      { state: "degraded", path, reason: notice, sinceMs: clock.wallMs(), droppedEvents: 0 },
      { state: "ok", path, sinceMs: clock.wallMs(), droppedEvents: 0, notice },
    ]);
  });

  test("a second corrupt file in the same second gets its own name", () => {
    const dir = join(scratch.dir, "twice");
    const path = join(dir, "tandem.db");
    open(path, new FakeClock()).close();
    for (let round = 0; round < 2; round++) {
      writeFileSync(path, "garbage ".repeat(1000));
      open(path, new FakeClock()).close();
    }
    expect(
      readdirSync(dir)
        .filter((f) => f.includes(".corrupt-"))
        .sort(),
    ).toEqual([`tandem.db.corrupt-${STAMP}`, `tandem.db.corrupt-${STAMP}-2`]);
  });

  test("damaged pages found at run time: replaced at once, ids carry on", () => {
    const dir = join(scratch.dir, "pages");
    const path = join(dir, "tandem.db");
    const clock = new FakeClock();
    const first = open(path, clock);
    for (let n = 0; n < 200; n++) first.append(bulky(clock.wallMs() + n, n));
    first.close();
    // Overwrite early leaf pages of the table; the schema, the roots and the newest leaf
    // (all that open reads) stay intact, so the damage shows only when the old rows are read.
    const pages = readFileSync(path).length / 4096;
    expect(pages).toBeGreaterThan(60);
    const fd = openSync(path, "r+");
    for (let page = 15; page < 40; page++) writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, page * 4096);
    closeSync(fd);

    const changes: HistoryHealth[] = [];
    const log = open(path, clock, changes);
    // Open saw nothing wrong; the first read of the damaged rows does.
    expect(log.health()).toEqual({ state: "ok", path, sinceMs: clock.wallMs(), droppedEvents: 0 });
    expect(log.query({ order: "asc" })).toEqual({ ok: true, page: { events: [] } });
    const health = log.health();
    expect(health.state).toBe("ok");
    expect(health.notice).toMatch(
      new RegExp(`^${path} is corrupt \\(database disk image is malformed\\); moved aside to ${path}\\.corrupt-${STAMP} and started a fresh history$`),
    );
    expect(existsSync(`${path}.corrupt-${STAMP}`)).toBe(true);
    expect(log.append(bulky(clock.wallMs(), 0)).id).toBe(201);
    expect(pageOf(log.query({})).events.map((e) => e.id)).toEqual([201]);
    clock.advance(0);
    expect(changes.map((h) => h.state)).toEqual(["degraded", "ok"]);

    log.close();
    const db = new Database(path);
    expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    db.close();
  });

  test("a corrupt file that cannot be moved aside: degraded, with both reasons", () => {
    const path = join(scratch.dir, "stuck.db");
    writeFileSync(path, "garbage ".repeat(1000));
    const clock = new FakeClock();
    const files = { ...nodeStoreFiles(), rename: () => "EACCES: permission denied" };
    const log = openEventLog({ path, clock, files });
    logs.push(log);
    expect(log.health()).toMatchObject({
      state: "degraded",
      reason: `${path} is corrupt (file is not a database); it could not be moved aside: EACCES: permission denied`,
    });
    expect(log.append(priorityEvent(clock.wallMs())).id).toBe(1);
  });
});
