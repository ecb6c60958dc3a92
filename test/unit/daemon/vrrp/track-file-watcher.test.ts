import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../../../src/common/clock.ts";
import { memoryLogger } from "../../../../src/common/logger.ts";
import { initTrackFile } from "../../../../src/daemon/vrrp/track-file-init.ts";
import { createTrackFileWatcher, type TrackFileWatcher } from "../../../../src/daemon/vrrp/track-file-watcher.ts";

let dir = "";
let watcher: TrackFileWatcher | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tandem-track-"));
});
afterEach(() => {
  watcher?.stop();
  watcher = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function start(files: { name: string; path: string }[], pollIntervalMs = 5000) {
  const changes: { name: string; value: number; atMs: number }[] = [];
  const logger = memoryLogger();
  watcher = createTrackFileWatcher({
    clock: systemClock(),
    logger,
    files,
    pollIntervalMs,
    onChange: (name, value) => changes.push({ name, value, atMs: performance.now() }),
  });
  return { changes, logger, watcher, started: watcher.start() };
}

/** Wait until predicate holds, up to limitMs; returns the elapsed time. */
async function waitFor(predicate: () => boolean, limitMs: number): Promise<number> {
  const begin = performance.now();
  while (!predicate()) {
    if (performance.now() - begin > limitMs) throw new Error(`condition not met within ${limitMs} ms`);
    await Bun.sleep(2);
  }
  return performance.now() - begin;
}

describe("track file watcher", () => {
  test("start() reads the initial value without calling onChange", async () => {
    const path = join(dir, "prio");
    writeFileSync(path, "12\n");
    const { changes, started } = start([{ name: "tf", path }]);
    await started;
    expect(watcher!.current("tf")).toBe(12);
    expect(changes).toEqual([]);
  });

  test("a change is reported within 100 ms", async () => {
    const path = join(dir, "prio");
    writeFileSync(path, "0\n");
    const { changes, started } = start([{ name: "tf", path }]);
    await started;
    await Bun.sleep(20);
    const writtenAt = performance.now();
    writeFileSync(path, "5\n");
    await waitFor(() => changes.length === 1, 1000);
    expect(changes[0]!.value).toBe(5);
    expect(changes[0]!.atMs - writtenAt).toBeLessThan(100);
    expect(watcher!.current("tf")).toBe(5);
  });

  test("an atomic replace (write temp + rename) is seen; rewriting the same value is not a change", async () => {
    const path = join(dir, "prio");
    writeFileSync(path, "1");
    const { changes, started } = start([{ name: "tf", path }]);
    await started;
    writeFileSync(join(dir, "tmp"), "-7\n");
    renameSync(join(dir, "tmp"), path);
    await waitFor(() => changes.length === 1, 1000);
    expect(changes[0]!.value).toBe(-7);
    writeFileSync(path, "-7\n");
    await Bun.sleep(80);
    expect(changes.length).toBe(1);
  });

  test("deleting the file reads as 0; a missing file starts as 0", async () => {
    const path = join(dir, "prio");
    const { changes, started } = start([{ name: "tf", path }]);
    await started;
    expect(watcher!.current("tf")).toBe(0);
    writeFileSync(path, "3");
    await waitFor(() => changes.length === 1, 1000);
    unlinkSync(path);
    await waitFor(() => changes.length === 2, 1000);
    expect(changes.map((c) => c.value)).toEqual([3, 0]);
  });

  test("an out-of-range number is ignored with a warning, keeping the previous value", async () => {
    const path = join(dir, "prio");
    writeFileSync(path, "4");
    const { changes, logger, started } = start([{ name: "tf", path }]);
    await started;
    writeFileSync(path, "99999999999");
    await waitFor(() => logger.lines.some((l) => l.includes("out of range")), 1000);
    expect(watcher!.current("tf")).toBe(4);
    expect(changes).toEqual([]);
  });

  test("two files in one directory are told apart", async () => {
    const a = join(dir, "a");
    const b = join(dir, "b");
    const { changes, started } = start([
      { name: "A", path: a },
      { name: "B", path: b },
    ]);
    await started;
    writeFileSync(b, "2");
    await waitFor(() => changes.length === 1, 1000);
    expect(changes[0]).toMatchObject({ name: "B", value: 2 });
    await Bun.sleep(50);
    expect(changes.length).toBe(1);
  });

  test("a directory that appears later is picked up by the safety re-read", async () => {
    const sub = join(dir, "later");
    const path = join(sub, "prio");
    const { changes, started } = start([{ name: "tf", path }], 50);
    await started;
    mkdirSync(sub);
    writeFileSync(path, "9");
    await waitFor(() => changes.length === 1, 1000);
    expect(changes[0]!.value).toBe(9);
    await Bun.sleep(120); // the watch is now in place: the next change is quick
    writeFileSync(path, "10");
    await waitFor(() => changes.length === 2, 1000);
  });

  test("stop() ends reporting", async () => {
    const path = join(dir, "prio");
    const { changes, started } = start([{ name: "tf", path }]);
    await started;
    watcher!.stop();
    writeFileSync(path, "1");
    await Bun.sleep(80);
    expect(changes).toEqual([]);
  });
});

describe("initTrackFile (init_file [VALUE] [overwrite])", () => {
  test("creates a missing file with VALUE and a newline", async () => {
    const path = join(dir, "new");
    expect(await initTrackFile(path, { value: 0, overwrite: false }, false)).toBeUndefined();
    expect(readFileSync(path, "utf8")).toBe("0\n");
  });
  test("leaves an existing file alone unless overwrite; never overwrites on reload", async () => {
    const path = join(dir, "old");
    writeFileSync(path, "7\n");
    await initTrackFile(path, { value: 3, overwrite: false }, false);
    expect(readFileSync(path, "utf8")).toBe("7\n");
    await initTrackFile(path, { value: 3, overwrite: true }, true);
    expect(readFileSync(path, "utf8")).toBe("7\n");
    await initTrackFile(path, { value: -3, overwrite: true }, false);
    expect(readFileSync(path, "utf8")).toBe("-3\n");
  });
  test("refuses to overwrite something that is not a regular file", async () => {
    expect(await initTrackFile(dir, { value: 1, overwrite: true }, false)).toContain("not a regular file");
  });
});
