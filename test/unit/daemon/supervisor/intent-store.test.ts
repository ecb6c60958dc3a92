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

  test("drains by the operator and the director's drains in progress survive a reopen; a damaged drain state ends them with an error", () => {
    const path = join(dir, "drains.json");
    const store = openIntentStore(path, () => new Map(), logger);
    store.setDrain("TCP 10.0.0.1:80", "10.0.1.3:80", true, 1000);
    store.setDrain("group web TCP", "10.0.1.2:8080", true, 2000);
    store.setDrain("group web TCP", "10.0.1.2:8080", false, 3000);
    const entry = {
      service: { kind: "address" as const, protocol: "TCP" as const, address: { family: 4 as const, text: "10.0.0.1" }, port: 80 },
      destination: { address: { family: 4 as const, text: "10.0.1.3" }, port: 80 },
      cause: "operator" as const,
      startedAtMs: 1000,
      deadlineMs: 301_000,
      phase: "draining" as const,
    };
    expect(store.setDrainState({ entries: [entry] })).toEqual({ persisted: true });
    const again = openIntentStore(path, () => new Map(), logger);
    expect(again.drains()).toEqual({ drained: [{ virtualServer: "TCP 10.0.0.1:80", realServer: "10.0.1.3:80" }] });
    expect(again.drainState()).toEqual({ entries: [entry] });
    expect(JSON.parse(readFileSync(path, "utf8")).drained).toEqual({ "TCP 10.0.0.1:80|10.0.1.3:80": 1000 });

    const damaged = JSON.parse(readFileSync(path, "utf8"));
    damaged.drainState.entries[0].service.address.text = "not an address";
    writeFileSync(path, JSON.stringify(damaged));
    const third = openIntentStore(path, () => new Map(), logger);
    expect(third.drainState()).toEqual({ entries: [] });
    expect(third.drains().drained).toHaveLength(1);
    expect(lines.at(-1)).toContain("the drains in progress cannot be read");
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
