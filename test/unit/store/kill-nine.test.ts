// kill -9 never corrupts the history: a child appends in a tight loop and is SIGKILLed at
// random moments; after every round the file passes integrity_check, ids are contiguous
// up to the last commit (which includes every id the child reported), and appending goes on.
import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { FakeClock } from "../../../src/common/clock.ts";
import { openEventLog } from "../../../src/store/index.ts";
import { stopEvent, scratchDir } from "./fixtures/events.ts";
import { nodeStoreFiles } from "./fixtures/node-files.ts";
import { pageOf } from "./fixtures/page-of.ts";

const ROUNDS = 10;
const FIXTURE = join(import.meta.dir, "fixtures/append-loop.ts");
const scratch = scratchDir("kill");
afterAll(() => scratch.remove());

interface Round {
  firstId: number;
  lastReported: number;
  walBytes: number;
}

/** Start the child, let it append for a random while, SIGKILL it; the ids it reported. */
async function killRound(path: string, runMs: number): Promise<Round> {
  const child = Bun.spawn([process.execPath, FIXTURE, path], { stdout: "pipe", stderr: "pipe" });
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let firstId = 0;
  let lastReported = 0;
  const take = (chunk: Uint8Array) => {
    text += decoder.decode(chunk, { stream: true });
    const lines = text.split("\n");
    text = lines.pop()!;
    for (const line of lines) {
      const id = Number(line);
      if (!firstId) firstId = id;
      lastReported = id;
    }
  };
  // Kill only once it is appending, at a random moment after that.
  while (!firstId) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`child exited before appending: ${await new Response(child.stderr).text()}`);
    take(value);
  }
  const killAt = performance.now() + runMs;
  while (performance.now() < killAt) {
    const { value, done } = await reader.read();
    if (done) break;
    take(value);
  }
  child.kill("SIGKILL");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    take(value);
  }
  expect(await child.exited).not.toBe(0);
  expect(child.signalCode).toBe("SIGKILL");
  const wal = `${path}-wal`;
  return { firstId, lastReported, walBytes: existsSync(wal) ? statSync(wal).size : 0 };
}

describe("kill -9", () => {
  test(`${ROUNDS} rounds of SIGKILL mid-append leave an intact, contiguous history`, async () => {
    const path = join(scratch.dir, "tandem.db");
    let previousMax = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const { firstId, lastReported, walBytes } = await killRound(path, 20 + Math.random() * 150);
      // The child went on from the last committed id of the previous round.
      expect(firstId).toBe(previousMax + 1);
      // Killed, not closed: the WAL is still there for recovery to replay.
      expect(walBytes).toBeGreaterThan(0);

      const db = new Database(path);
      expect(db.query("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
      const { n, lo, hi } = db.query("SELECT count(*) AS n, min(id) AS lo, max(id) AS hi FROM events").get() as { n: number; lo: number; hi: number };
      db.close();
      expect(lo).toBe(1);
      expect(n).toBe(hi);
      // Every id reported was committed first; at most the one in flight can be beyond it.
      expect(hi).toBeGreaterThanOrEqual(lastReported);
      expect(hi).toBeLessThanOrEqual(lastReported + 1);
      previousMax = hi;
      if (process.env.STORE_TEST_VERBOSE) console.log(`round ${round}: ids ${firstId}..${hi} (last reported ${lastReported}), wal ${walBytes} bytes`);
    }
    expect(previousMax).toBeGreaterThan(ROUNDS * 10);

    const log = openEventLog({ path, clock: new FakeClock(), files: nodeStoreFiles() });
    expect(log.health().state).toBe("ok");
    expect(log.append(stopEvent(1)).id).toBe(previousMax + 1);
    expect(pageOf(log.query({ limit: 1 })).events[0]!.id).toBe(previousMax + 1);
    log.close();
  }, 20_000);
});
