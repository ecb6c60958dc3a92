// A notify FIFO on a real FIFO in a temporary directory: created 0644 and removed at close
// (one that was there stays), lines buffered without a reader and never blocking, a full pipe
// losing lines with one warning, a file in the way refused, the script started first with the
// FIFO's path appended and sent SIGTERM before the last lines; and two writers of one path
// (the engine and the director on notify_fifo) following it when the other makes it anew.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../../../src/common/clock.ts";
import { memoryLogger } from "../../../../src/common/logger.ts";
import { NotifyFifo, type FifoKeyword } from "../../../../src/daemon/scripts/notify-fifo.ts";
import { createProcessRunner } from "../../../../src/daemon/scripts/process-runner.ts";
import { parseScriptCommand } from "../../../../src/daemon/scripts/script-command.ts";
import { makeFifo } from "../../../../src/net/index.ts";
import { drainFifo, waitFor } from "./fifo-helpers.ts";

const S_IFMT = 0o170000;
const S_IFIFO = 0o010000;
const me = { uid: process.getuid!(), gid: process.getgid!() };

let dir = "";
let n = 0;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "tandem-fifo-"))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fresh = () => join(dir, `fifo-${++n}`);

function fifo() {
  const logger = memoryLogger();
  return { fifo: new NotifyFifo({ logger, runner: createProcessRunner(systemClock()) }), logger };
}

const spec = (path: string, keyword: FifoKeyword = "lvs_notify_fifo") => ({ keyword, path, owner: me });

function reader(body: string): ReturnType<typeof parseScriptCommand> & { ok: true } {
  const path = join(dir, `reader-${++n}.sh`);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  const parsed = parseScriptCommand(`${path} from-config`);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed;
}

describe("NotifyFifo", () => {
  test("creates the FIFO (0644 before the umask), buffers lines with no reader, and removes it at close", async () => {
    const path = fresh();
    const { fifo: f } = fifo();
    f.open(spec(path));
    const stat = lstatSync(path);
    expect(stat.mode & S_IFMT).toBe(S_IFIFO);
    expect(stat.mode & 0o777 & ~0o644).toBe(0);
    f.write("VS [10.0.0.1]:tcp:80 UP");
    f.write("RS [10.0.1.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN");
    expect(drainFifo(path)).toEqual(["VS [10.0.0.1]:tcp:80 UP", "RS [10.0.1.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN"]);
    await f.close();
    expect(existsSync(path)).toBe(false);
  });

  test("a FIFO that was there is used and left in place; a full pipe loses lines instead of blocking, said once and counted", async () => {
    const path = fresh();
    makeFifo(path, 0o600);
    const { fifo: f, logger } = fifo();
    f.open(spec(path, "vrrp_notify_fifo"));
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) f.write(`INSTANCE "VI_${i}" MASTER 100`);
    expect(performance.now() - started).toBeLessThan(2_000);
    const kept = drainFifo(path).length;
    expect(kept).toBeLessThan(10_000);
    const full = logger.lines.filter((l) => l.includes(`vrrp_notify_fifo ${path} is full`));
    expect(full).toHaveLength(1);
    // Read: the next line goes in, and the count so far is said.
    f.write('INSTANCE "VI_1" BACKUP 90');
    expect(logger.lines.some((l) => l.includes(`${10_000 - kept} line(s) lost so far`))).toBe(true);
    expect(drainFifo(path)).toEqual(['INSTANCE "VI_1" BACKUP 90']);
    await f.close();
    expect(lstatSync(path).mode & S_IFMT).toBe(S_IFIFO);
  });

  test("a regular file in the way is refused, said why, and left untouched", async () => {
    const path = fresh();
    writeFileSync(path, "keep me\n");
    const { fifo: f, logger } = fifo();
    f.open(spec(path, "notify_fifo"));
    f.write("VS [10.0.0.1]:tcp:80 UP");
    await f.close();
    expect(readFileSync(path, "utf8")).toBe("keep me\n");
    expect(logger.lines.some((l) => l.includes(`notify_fifo ${path} exists and is not a FIFO`))).toBe(true);
  });

  test("the script starts with the FIFO's path appended and reads the lines; close resolves once it has gone", async () => {
    const path = fresh();
    const out = join(dir, `out-${n}`);
    const script = reader(`echo "args $#: $*" > ${out}\nwhile read line; do echo "$line" >> ${out}; done < "$2"`);
    const { fifo: f, logger } = fifo();
    f.open({ ...spec(path), script: { command: script.command } });
    f.write("VS [10.0.0.1]:tcp:80 DOWN");
    await waitFor(() => existsSync(out) && readFileSync(out, "utf8").includes("DOWN"));
    expect(readFileSync(out, "utf8").trim().split("\n")).toEqual([`args 2: from-config ${path}`, "VS [10.0.0.1]:tcp:80 DOWN"]);
    await f.close();
    expect(logger.lines.some((l) => l.includes("lvs_notify_fifo_script") && l.includes("terminated"))).toBe(true);
  });

  test("keepalived's stop: SIGTERM first, then the last lines, which a reader that traps it still reads until the FIFO closes", async () => {
    const path = fresh();
    const out = join(dir, `out-${n}`);
    // doc/samples/sample_notify_fifo.sh's protocol: TERM noted, reading goes on to EOF.
    const script = reader(
      `trap 'echo TERM >> ${out}' TERM\nexec 3< "$2"\nwhile :; do if read line <&3; then echo "$line" >> ${out}; else [ -s ${out} ] && grep -q STOP ${out} && exit 0; fi; done`,
    );
    const { fifo: f } = fifo();
    f.open({ ...spec(path, "vrrp_notify_fifo"), script: { command: script.command } });
    f.write('INSTANCE "VI_1" MASTER 100');
    await waitFor(() => existsSync(out) && readFileSync(out, "utf8").includes("MASTER"));
    f.terminateReader();
    await waitFor(() => readFileSync(out, "utf8").includes("TERM"));
    f.write('INSTANCE "VI_1" STOP 100');
    await f.close();
    expect(readFileSync(out, "utf8").trim().split("\n")).toEqual(['INSTANCE "VI_1" MASTER 100', "TERM", 'INSTANCE "VI_1" STOP 100']);
  });

  test("a reader that ignores SIGTERM is killed a second later", async () => {
    const path = fresh();
    const script = reader(`trap '' TERM\nwhile :; do sleep 0.05; done`);
    const { fifo: f } = fifo();
    f.open({ ...spec(path), script: { command: script.command } });
    await Bun.sleep(100);
    const started = performance.now();
    f.terminateReader();
    await f.close();
    const took = performance.now() - started;
    expect(took).toBeGreaterThan(900);
    expect(took).toBeLessThan(3_000);
  });
});

describe("two writers of one path (notify_fifo in the engine and the director)", () => {
  test("the first makes it and removes it at close; the other's lines follow the FIFO the path names now", async () => {
    const path = fresh();
    const { fifo: first } = fifo();
    const { fifo: second } = fifo();
    first.open(spec(path, "notify_fifo"));
    second.open(spec(path, "notify_fifo"));
    first.write('INSTANCE "VI_1" BACKUP 90');
    second.write("VS [10.0.0.1]:tcp:80 UP");
    expect(drainFifo(path)).toEqual(['INSTANCE "VI_1" BACKUP 90', "VS [10.0.0.1]:tcp:80 UP"]);
    // A reload in the creator: it removes its FIFO and makes a new one, where a new reader looks.
    await first.close();
    expect(existsSync(path)).toBe(false);
    first.open(spec(path, "notify_fifo"));
    second.write("VS [10.0.0.1]:tcp:80 DOWN");
    expect(drainFifo(path)).toEqual(["VS [10.0.0.1]:tcp:80 DOWN"]);
    // The path removed behind both: the next write makes it again.
    unlinkSync(path);
    second.write("VS [10.0.0.1]:tcp:80 UP");
    expect(lstatSync(path).mode & S_IFMT).toBe(S_IFIFO);
    expect(drainFifo(path)).toEqual(["VS [10.0.0.1]:tcp:80 UP"]);
    // Each removes only a FIFO it made that is still there: first's is gone, second's stays until it closes.
    await first.close();
    expect(existsSync(path)).toBe(true);
    await second.close();
    expect(existsSync(path)).toBe(false);
  });
});
