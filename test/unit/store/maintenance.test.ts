// Maintenance flags persist across restarts, keep the time they were set, and ignore
// nonsense names; what happens to them while degraded is in degraded-*.test.ts.
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { FakeClock } from "../../../src/common/clock.ts";
import { openEventLog, type EventLog } from "../../../src/store/index.ts";
import { scratchDir } from "./fixtures/events.ts";
import { nodeStoreFiles } from "./fixtures/node-files.ts";

const scratch = scratchDir("maintenance");
const logs: EventLog[] = [];
afterEach(() => {
  for (const log of logs.splice(0)) log.close();
});
afterAll(() => scratch.remove());

function open(path: string, clock: FakeClock): EventLog {
  const log = openEventLog({ path, clock, files: nodeStoreFiles() });
  logs.push(log);
  return log;
}

describe("maintenance", () => {
  test("survives a reopen, sorted, with the time it was set", () => {
    const path = join(scratch.dir, "tandem.db");
    const clock = new FakeClock();
    const log = open(path, clock);
    expect(log.maintenance()).toEqual([]);
    log.setMaintenance("VI_2", true);
    clock.advance(5000);
    log.setMaintenance("VI_1", true);
    log.setMaintenance("VI_3", true);
    log.setMaintenance("VI_3", false);
    clock.advance(5000);
    // Setting it again keeps the original time.
    log.setMaintenance("VI_2", true);
    expect(log.maintenance()).toEqual(["VI_1", "VI_2"]);
    log.close();

    expect(open(path, clock).maintenance()).toEqual(["VI_1", "VI_2"]);
    const db = new Database(path, { readonly: true });
    const T0 = new FakeClock().wallMs();
    expect(db.query("SELECT instance, since_ms FROM maintenance ORDER BY instance").all()).toEqual([
      { instance: "VI_1", since_ms: T0 + 5000 },
      { instance: "VI_2", since_ms: T0 },
    ]);
    db.close();
  });

  test("leaving maintenance persists too", () => {
    const path = join(scratch.dir, "leave.db");
    const clock = new FakeClock();
    const log = open(path, clock);
    log.setMaintenance("VI_1", true);
    log.close();
    const again = open(path, clock);
    again.setMaintenance("VI_1", false);
    again.setMaintenance("VI_1", false);
    again.close();
    expect(open(path, clock).maintenance()).toEqual([]);
  });

  test("nonsense names are ignored, never thrown", () => {
    const log = openEventLog({ path: ":memory:", clock: new FakeClock() });
    logs.push(log);
    for (const name of ["", "x".repeat(300), 42 as unknown as string, undefined as unknown as string]) log.setMaintenance(name, true);
    expect(log.maintenance()).toEqual([]);
  });

  test("after close nothing is written and nothing throws", () => {
    const log = openEventLog({ path: ":memory:", clock: new FakeClock() });
    log.close();
    log.close();
    log.setMaintenance("VI_1", true);
    expect(log.append({ kind: "daemon.stop", atMs: 1, summary: "s", data: { reason: "x" } }).id).toBe(1);
    expect(log.query({})).toEqual({ events: [] });
  });
});
