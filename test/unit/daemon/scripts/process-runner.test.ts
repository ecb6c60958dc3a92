import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../../../src/common/clock.ts";
import { createProcessRunner } from "../../../../src/daemon/scripts/process-runner.ts";

const runner = createProcessRunner(systemClock());
const isRoot = process.getuid?.() === 0;
let dir = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tandem-runner-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sh = (script: string, timeoutMs = 5000, extra: object = {}) => runner.start({ argv: ["/bin/sh", "-c", script], timeoutMs, ...extra }).result;

describe("process runner", () => {
  test("captures exit code and stdout+stderr", async () => {
    const result = await sh("echo out; echo err >&2; exit 3");
    expect(result.exitCode).toBe(3);
    expect(result.signal).toBeNull();
    expect(result.timedOut).toBe(false);
    expect(result.output).toContain("out\n");
    expect(result.output).toContain("err\n");
    expect(result.spawnError).toBeUndefined();
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  test("clean environment with keepalived's PATH, run from /", async () => {
    const result = await sh("env; pwd");
    const lines = result.output
      .trim()
      .split("\n")
      .filter((l) => !l.startsWith("PWD=") && !l.startsWith("SHLVL=") && !l.startsWith("_="));
    expect(lines).toEqual(["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "/"]);
  });

  test("extra environment entries are passed", async () => {
    expect((await sh("echo $TANDEM_X", 5000, { env: { TANDEM_X: "yes" } })).output).toBe("yes\n");
  });

  test("timeout kills the whole process group, grandchildren too", async () => {
    const pidFile = join(dir, "grandchild.pid");
    const result = await sh(`sleep 30 & echo $! > ${pidFile}; wait`, 300);
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe("SIGKILL");
    expect(result.exitCode).toBeNull();
    expect(result.durationMs).toBeLessThan(2000);
    const grandchild = readFileSync(pidFile, "utf8").trim();
    await Bun.sleep(50);
    const state = existsSync(`/proc/${grandchild}/stat`) ? readFileSync(`/proc/${grandchild}/stat`, "utf8").split(" ")[2] : "gone";
    expect(["gone", "Z"]).toContain(state!);
  });

  test("killGraceMs sends SIGTERM first so a script can clean up", async () => {
    const result = await sh(`trap 'echo cleaned; exit 5' TERM; sleep 30 & wait`, 200, { killGraceMs: 2000 });
    expect(result.timedOut).toBe(true);
    expect(result.output).toContain("cleaned");
    expect(result.exitCode).toBe(5);
  });

  test("output is bounded to the first 4 KiB and a chatty child is not blocked", async () => {
    const result = await sh("head -c 1000000 /dev/zero | tr '\\0' x; echo; exit 0");
    expect(result.exitCode).toBe(0);
    expect(result.output.length).toBe(4096);
    expect(result.outputTruncated).toBe(true);
  });

  test("a background child holding stdout open does not hold the result", async () => {
    const started = performance.now();
    const result = await sh("sleep 3 & echo done");
    expect(result.exitCode).toBe(0);
    expect(result.output).toBe("done\n");
    expect(performance.now() - started).toBeLessThan(1500);
  });

  test("death by signal is reported as the signal", async () => {
    const result = await sh("kill -TERM $$");
    expect(result.signal).toBe("SIGTERM");
    expect(result.exitCode).toBeNull();
    expect(result.timedOut).toBe(false);
  });

  test("kill() stops a running program", async () => {
    const running = runner.start({ argv: ["/bin/sleep", "30"], timeoutMs: 60_000 });
    expect(running.pid).toBeGreaterThan(0);
    running.kill();
    const result = await running.result;
    expect(result.signal).toBe("SIGKILL");
    running.kill();
  });

  test("a bare program name is looked up in the clean PATH", async () => {
    expect((await runner.start({ argv: ["true"], timeoutMs: 5000 }).result).exitCode).toBe(0);
  });

  describe("programs that cannot start give spawnError, never a throw", () => {
    test("missing file", async () => {
      const result = await runner.start({ argv: [join(dir, "nope.sh")], timeoutMs: 1000 }).result;
      expect(result.spawnError).toContain("does not exist");
      expect(result.exitCode).toBeNull();
    });
    test("bare name not in PATH", async () => {
      const result = await runner.start({ argv: ["tandem-no-such-program"], timeoutMs: 1000 }).result;
      expect(result.spawnError).toContain("not found in PATH");
    });
    test("not executable", async () => {
      const file = join(dir, "noexec.sh");
      writeFileSync(file, "#!/bin/sh\nexit 0\n");
      chmodSync(file, 0o644);
      const result = await runner.start({ argv: [file], timeoutMs: 1000 }).result;
      expect(result.spawnError).toContain("permission denied");
    });
    test("no #! line", async () => {
      const file = join(dir, "noshebang.sh");
      writeFileSync(file, "exit 0\n");
      chmodSync(file, 0o755);
      const result = await runner.start({ argv: [file], timeoutMs: 1000 }).result;
      expect(result.spawnError).toContain("#!");
    });
    test("a directory", async () => {
      const result = await runner.start({ argv: [dir], timeoutMs: 1000 }).result;
      expect(result.spawnError).toBeDefined();
    });
    test("empty argv", async () => {
      expect((await runner.start({ argv: [], timeoutMs: 1000 }).result).spawnError).toContain("empty");
    });
  });

  describe.skipIf(!isRoot)("as root", () => {
    test("runs as the given uid/gid with no supplementary groups", async () => {
      const result = await sh("id -u; id -g; grep ^Groups: /proc/self/status", 5000, { uid: 65534, gid: 65534 });
      expect(result.output.split("\n").slice(0, 2)).toEqual(["65534", "65534"]);
      expect(result.output).toMatch(/Groups:\s*\n/);
    });
  });
});
