// lvs_notify_fifo on a real FIFO in a temporary directory: created 0644 and removed at close
// (one that was there stays), lines buffered without a reader and never blocking, a file in
// the way refused, the script started first with the FIFO's path appended and stopped at
// close; and the director writing keepalived's lines to it as its quorum and servers change.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, constants, existsSync, lstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../../../src/common/clock.ts";
import { memoryLogger } from "../../../../src/common/logger.ts";
import type { Config } from "../../../../src/config/index.ts";
import { NotifyFifo } from "../../../../src/daemon/director/notify-fifo.ts";
import { createProcessRunner } from "../../../../src/daemon/scripts/process-runner.ts";
import { parseScriptCommand } from "../../../../src/daemon/scripts/script-command.ts";
import { makeFifo } from "../../../../src/net/index.ts";
import { rig, settle } from "./director-rig.ts";

const S_IFMT = 0o170000;
const S_IFIFO = 0o010000;
const me = { uid: process.getuid!(), gid: process.getgid!() };

let dir = "";
let n = 0;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "tandem-fifo-"))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fresh = () => join(dir, `fifo-${++n}`);

/** What is in the FIFO now, without waiting (a second opener reads what the writer buffered). */
function drain(path: string): string[] {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const buffer = Buffer.alloc(65536);
  let text = "";
  try {
    for (;;) {
      const read = readSync(fd, buffer);
      if (read <= 0) break;
      text += buffer.subarray(0, read).toString();
    }
  } catch {
    /* EAGAIN: empty */
  } finally {
    closeSync(fd);
  }
  return text.split("\n").filter(Boolean);
}

function fifo() {
  const logger = memoryLogger();
  return { fifo: new NotifyFifo({ logger, runner: createProcessRunner(systemClock()) }), logger };
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error("timed out waiting");
    await Bun.sleep(10);
  }
}

describe("NotifyFifo", () => {
  test("creates the FIFO (0644 before the umask), buffers lines with no reader, and removes it at close", () => {
    const path = fresh();
    const { fifo: f } = fifo();
    f.open({ path, owner: me });
    const stat = lstatSync(path);
    expect(stat.mode & S_IFMT).toBe(S_IFIFO);
    expect(stat.mode & 0o777 & ~0o644).toBe(0);
    f.write("VS [10.0.0.1]:tcp:80 UP");
    f.write("RS [10.0.1.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN");
    expect(drain(path)).toEqual(["VS [10.0.0.1]:tcp:80 UP", "RS [10.0.1.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN"]);
    f.close();
    expect(existsSync(path)).toBe(false);
  });

  test("a FIFO that was there is used and left in place; a full pipe loses lines instead of blocking", () => {
    const path = fresh();
    makeFifo(path, 0o600);
    const { fifo: f } = fifo();
    f.open({ path, owner: me });
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) f.write(`RS [10.0.1.${i % 250}]:tcp:80 [10.0.0.1]:tcp:80 DOWN`);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(drain(path).length).toBeLessThan(10_000);
    f.close();
    expect(lstatSync(path).mode & S_IFMT).toBe(S_IFIFO);
  });

  test("a regular file in the way is refused, said why, and left untouched", () => {
    const path = fresh();
    writeFileSync(path, "keep me\n");
    const { fifo: f, logger } = fifo();
    f.open({ path, owner: me });
    f.write("VS [10.0.0.1]:tcp:80 UP");
    f.close();
    expect(readFileSync(path, "utf8")).toBe("keep me\n");
    expect(logger.lines.some((l) => l.includes(`lvs_notify_fifo ${path} exists and is not a FIFO`))).toBe(true);
  });

  test("lvs_notify_fifo_script starts with the FIFO's path appended, reads the lines, and is stopped at close", async () => {
    const path = fresh();
    const reader = join(dir, "reader.sh");
    const out = join(dir, "reader.out");
    writeFileSync(reader, `#!/bin/sh\necho "args $#: $*" > ${out}\nwhile read line; do echo "$line" >> ${out}; done < "$2"\n`);
    chmodSync(reader, 0o755);
    const parsed = parseScriptCommand(`${reader} from-config`);
    if (!parsed.ok) throw new Error(parsed.error);
    const { fifo: f, logger } = fifo();
    f.open({ path, owner: me, script: { command: parsed.command } });
    f.write("VS [10.0.0.1]:tcp:80 DOWN");
    await waitFor(() => existsSync(out) && readFileSync(out, "utf8").includes("DOWN"));
    expect(readFileSync(out, "utf8").trim().split("\n")).toEqual([`args 2: from-config ${path}`, "VS [10.0.0.1]:tcp:80 DOWN"]);
    f.close();
    await waitFor(() => logger.lines.some((l) => l.includes("terminated")));
  });
});

describe("the director's notify FIFO", () => {
  test("keepalived's lines for every notify, scripts or not: the real servers at start with rs_init_notifies, then the quorum", async () => {
    const path = fresh();
    const config = { globalDefs: { enableScriptSecurity: false, lvsNotifyFifo: path } } as unknown as Config;
    const { service, clock } = rig({ config, globals: { rsInitNotifies: true } });
    await service.start();
    await settle();
    expect(drain(path)).toEqual(["RS [10.0.1.2]:tcp:80 [10.0.0.1]:tcp:80 UP", "RS [10.0.1.3]:tcp:80 [10.0.0.1]:tcp:80 UP", "VS [10.0.0.1]:tcp:80 UP"]);
    const stopped = service.stop("SIGTERM");
    clock.advance(3_000);
    await stopped;
    expect(existsSync(path)).toBe(false);
  });
});
