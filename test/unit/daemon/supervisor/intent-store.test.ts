// The operator's intent file: survives a reopen, takes over the old history table once,
// and a write that fails keeps the intent in memory and says so.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../../../src/common/logger.ts";
import { openIntentStore } from "../../../../src/daemon/supervisor/intent-store.ts";

const dir = mkdtempSync(join(tmpdir(), "tandem-intent-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lines: string[] = [];
const logger = createLogger((_level, line) => lines.push(line), "debug");

describe("intent store", () => {
  test("maintenance survives a reopen; the file is readable JSON with when each began", () => {
    const path = join(dir, "a.json");
    const store = openIntentStore(path, () => new Map(), logger);
    expect(store.setMaintenance("VI_2", true, 1000)).toEqual({ persisted: true });
    store.setMaintenance("VI_1", true, 2000);
    store.setMaintenance("VI_2", true, 3000); // already: keeps its start
    store.setMaintenance("VI_1", false, 4000);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ version: 1, maintenance: { VI_2: 1000 } });
    expect(openIntentStore(path, () => new Map([["X", 1]]), logger).maintenance()).toEqual(["VI_2"]);
  });

  test("the first start takes over the history database's old maintenance table, once", () => {
    const path = join(dir, "b.json");
    let asked = 0;
    const legacy = () => (asked++, new Map([["VI_1", 5]]));
    expect(openIntentStore(path, legacy, logger).maintenance()).toEqual(["VI_1"]);
    expect(lines.at(-1)).toContain("took over maintenance of VI_1 from the history database");
    expect(openIntentStore(path, legacy, logger).maintenance()).toEqual(["VI_1"]);
    expect(asked).toBe(1);
  });

  test("an unreadable file starts empty, with an error; a write that fails holds in memory and says so", () => {
    const path = join(dir, "c.json");
    writeFileSync(path, "{ not json");
    expect(openIntentStore(path, () => new Map(), logger).maintenance()).toEqual([]);
    expect(lines.at(-1)).toContain("cannot be read");
    const nowhere = openIntentStore(join(dir, "missing-dir", "d.json"), () => new Map(), logger);
    const result = nowhere.setMaintenance("VI_1", true, 1);
    expect(result.persisted).toBe(false);
    expect(result.error).toContain("ENOENT");
    expect(nowhere.maintenance()).toEqual(["VI_1"]);
  });
});
