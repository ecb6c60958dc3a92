// Migrations: a fresh file gets every one, a migrated file none, a newer file is refused
// untouched, and later migrations apply in order on top of earlier ones.
import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { FakeClock } from "../../../src/common/clock.ts";
import { MIGRATIONS, openEventLog, type Migration } from "../../../src/store/index.ts";
import { migrate, schemaVersion } from "../../../src/store/schema.ts";
import { priorityEvent, scratchDir } from "./fixtures/events.ts";
import { nodeStoreFiles } from "./fixtures/node-files.ts";

const scratch = scratchDir("schema");
afterEach(() => scratch.remove());

describe("migrations", () => {
  test("a fresh file gets the schema and one version row per migration", () => {
    const db = new Database(":memory:");
    expect(migrate(db, 1000)).toEqual({ ok: true, from: 0, to: 1 });
    const tables = db.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
    expect(tables.map((t) => t.name)).toEqual(["events", "maintenance", "schema_version", "sqlite_sequence"]);
    const indexes = db.query("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'events_%' ORDER BY name").all() as { name: string }[];
    expect(indexes.map((i) => i.name)).toEqual(["events_at_ms", "events_instance", "events_kind"]);
    expect(db.query("SELECT version, applied_at_ms, description FROM schema_version").all()).toEqual([
      { version: 1, applied_at_ms: 1000, description: "events and maintenance" },
    ]);
  });

  test("an already-migrated file is left as it is", () => {
    const db = new Database(":memory:");
    migrate(db, 1000);
    db.run("INSERT INTO events (at_ms, kind, summary, data) VALUES (1, 'daemon.stop', 's', '{}')");
    expect(migrate(db, 2000)).toEqual({ ok: true, from: 1, to: 1 });
    expect(db.query("SELECT count(*) AS n FROM schema_version").get()).toEqual({ n: 1 });
    expect(db.query("SELECT count(*) AS n FROM events").get()).toEqual({ n: 1 });
  });

  test("later migrations apply in order, each once", () => {
    const db = new Database(":memory:");
    migrate(db, 1000);
    const later: Migration[] = [
      ...MIGRATIONS,
      { version: 2, description: "two", statements: ["CREATE TABLE two (x)"] },
      { version: 3, description: "three", statements: ["INSERT INTO two VALUES ('after two')"] },
    ];
    expect(migrate(db, 2000, later)).toEqual({ ok: true, from: 1, to: 3 });
    expect(migrate(db, 3000, later)).toEqual({ ok: true, from: 3, to: 3 });
    expect(db.query("SELECT x FROM two").all()).toEqual([{ x: "after two" }]);
    expect(schemaVersion(db)).toBe(3);
  });

  test("a failing migration leaves the previous version intact", () => {
    const db = new Database(":memory:");
    migrate(db, 1000);
    const broken: Migration[] = [...MIGRATIONS, { version: 2, description: "broken", statements: ["CREATE TABLE ok2 (x)", "THIS IS NOT SQL"] }];
    expect(() => migrate(db, 2000, broken)).toThrow();
    expect(schemaVersion(db)).toBe(1);
    expect(db.query("SELECT name FROM sqlite_master WHERE name = 'ok2'").get()).toBeNull();
  });

  test("a file from a newer tandem is refused with a clear reason and not touched", () => {
    const path = join(scratch.dir, "tandem.db");
    const clock = new FakeClock();
    const first = openEventLog({ path, clock, files: nodeStoreFiles() });
    first.append(priorityEvent(clock.wallMs()));
    first.close();
    const db = new Database(path);
    db.run("INSERT INTO schema_version VALUES (7, 0, 'from the future')");
    db.close();

    const changes: string[] = [];
    const log = openEventLog({ path, clock, files: nodeStoreFiles(), onHealthChange: (h) => changes.push(`${h.state}: ${h.reason}`) });
    const health = log.health();
    expect(health.state).toBe("degraded");
    expect(health.reason).toBe(
      `${path}: schema version 7 is newer than this tandem knows (1); the file is left untouched: run a newer tandem, or move the file aside to start a new history`,
    );
    log.append(priorityEvent(clock.wallMs()));
    clock.advance(0);
    expect(changes).toEqual([`degraded: ${health.reason}`]);
    log.close();
    const after = new Database(path);
    expect(after.query("SELECT count(*) AS n FROM events").get()).toEqual({ n: 1 });
    after.close();
  });
});
