import { afterAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../../src/common/clock.ts";
import { openEventLog, readLegacyMaintenance } from "../../../src/store/index.ts";

const dir = mkdtempSync(join(tmpdir(), "tandem-legacy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the maintenance rows of an older history file are read; no file or no table reads as none", () => {
  const path = join(dir, "tandem.db");
  openEventLog({ path, clock: new FakeClock() }).close();
  const db = new Database(path);
  db.run("INSERT INTO maintenance (instance, since_ms) VALUES ('VI_1', 1234)");
  db.close();
  expect(readLegacyMaintenance(path)).toEqual(new Map([["VI_1", 1234]]));
  expect(readLegacyMaintenance(join(dir, "none.db"))).toEqual(new Map());
});
