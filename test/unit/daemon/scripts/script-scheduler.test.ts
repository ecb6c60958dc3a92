import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../../src/common/clock.ts";
import { memoryLogger } from "../../../../src/common/logger.ts";
import type { ProcessResult, ProcessRunner, ProcessSpec } from "../../../../src/daemon/scripts/process-runner.ts";
import { createScriptScheduler, type ScheduledScript, type ScriptChange } from "../../../../src/daemon/scripts/script-scheduler.ts";

/** A runner whose runs finish only when the test says so. */
class FakeRunner implements ProcessRunner {
  runs: { spec: ProcessSpec; finish(r: Partial<ProcessResult>): void; killed: boolean }[] = [];
  start(spec: ProcessSpec) {
    let resolve!: (r: ProcessResult) => void;
    const result = new Promise<ProcessResult>((r) => (resolve = r));
    const run = {
      spec,
      killed: false,
      finish: (r: Partial<ProcessResult>) => resolve({ exitCode: 0, signal: null, timedOut: false, output: "", outputTruncated: false, durationMs: 1, ...r }),
    };
    this.runs.push(run);
    return {
      pid: 1000 + this.runs.length,
      result,
      kill: () => {
        run.killed = true;
        run.finish({ exitCode: null, signal: "SIGKILL" });
      },
    };
  }
  /** Finish the latest run and let its promise callbacks run. */
  async exit(code: number, extra: Partial<ProcessResult> = {}) {
    this.runs.at(-1)!.finish({ exitCode: code, ...extra });
    await flush();
  }
}

const flush = () => new Promise((r) => setImmediate(r));

function setup(scripts: Partial<ScheduledScript>[] = [{}], spawnErrorIsFailure = false) {
  const clock = new FakeClock();
  const runner = new FakeRunner();
  const logger = memoryLogger();
  const changes: [string, ScriptChange][] = [];
  const scheduler = createScriptScheduler({
    clock,
    runner,
    logger,
    spawnErrorIsFailure,
    scripts: scripts.map((s) => ({ name: "chk", argv: ["/bin/check"], intervalMs: 1000, rise: 2, fall: 3, initFail: false, ...s })),
    onChange: (name, change) => changes.push([name, change]),
  });
  return { clock, runner, logger, changes, scheduler };
}

describe("script scheduler", () => {
  test("the first run starts immediately at start(), with timeout defaulting to the interval", () => {
    const { runner, scheduler } = setup();
    expect(scheduler.current("chk")).toEqual({ health: "unknown", healthy: undefined, running: false });
    scheduler.start();
    expect(runner.runs.length).toBe(1);
    expect(runner.runs[0]!.spec).toEqual({ argv: ["/bin/check"], timeoutMs: 1000 });
    expect(scheduler.current("chk")!.running).toBe(true);
  });

  test("runs every interval, start to start", async () => {
    const { clock, runner, scheduler } = setup([{ intervalMs: 2000, timeoutMs: 500, uid: 5, gid: 6 }]);
    scheduler.start();
    await runner.exit(0);
    clock.advance(1999);
    expect(runner.runs.length).toBe(1);
    clock.advance(1);
    expect(runner.runs.length).toBe(2);
    expect(runner.runs[1]!.spec).toEqual({ argv: ["/bin/check"], timeoutMs: 500, uid: 5, gid: 6 });
    await runner.exit(0);
    clock.advance(2000);
    expect(runner.runs.length).toBe(3);
  });

  test("the first result is reported at once; then only changes (rise 2, fall 3)", async () => {
    const { clock, runner, changes, scheduler } = setup();
    scheduler.start();
    await runner.exit(0);
    expect(changes).toEqual([["chk", { healthy: true, exitCode: 0, output: "", timedOut: false, reason: "exited with status 0" }]]);
    for (const code of [1, 1]) {
      clock.advance(1000);
      await runner.exit(code);
    }
    expect(changes.length).toBe(1);
    clock.advance(1000);
    await runner.exit(1, { output: "nginx down\n" });
    expect(changes[1]).toEqual(["chk", { healthy: false, exitCode: 1, output: "nginx down\n", timedOut: false, reason: "exited with status 1" }]);
    expect(scheduler.current("chk")).toMatchObject({ health: "failed", healthy: false, lastRun: { exitCode: 1, output: "nginx down\n" } });
    clock.advance(1000);
    await runner.exit(0);
    expect(changes.length).toBe(2);
    clock.advance(1000);
    await runner.exit(0);
    expect(changes[2]![1].healthy).toBe(true);
  });

  test("init_fail: starts failed and reports nothing until rise successes", async () => {
    const { clock, runner, changes, scheduler } = setup([{ initFail: true }]);
    expect(scheduler.current("chk")!.healthy).toBe(false);
    scheduler.start();
    await runner.exit(1);
    clock.advance(1000);
    await runner.exit(0);
    expect(changes).toEqual([]);
    clock.advance(1000);
    await runner.exit(0);
    expect(changes.map(([, c]) => c.healthy)).toEqual([true]);
  });

  test("a timeout counts as a failure", async () => {
    const { runner, changes, logger, scheduler } = setup([{ rise: 1, fall: 1 }]);
    scheduler.start();
    await runner.exit(0, { exitCode: null, signal: "SIGKILL", timedOut: true });
    expect(changes[0]![1]).toMatchObject({ healthy: false, timedOut: true, reason: "timed out" });
    expect(logger.lines).toContain("info VRRP_Script(chk) timed_out");
  });

  test("never overlaps runs of one script: a run still going when the next is due is skipped and logged", async () => {
    const { clock, runner, logger, scheduler } = setup();
    scheduler.start();
    clock.advance(1000);
    clock.advance(1000);
    expect(runner.runs.length).toBe(1);
    expect(logger.lines.filter((l) => l.includes("skipping run")).length).toBe(2);
    await runner.exit(0);
    clock.advance(1000);
    expect(runner.runs.length).toBe(2);
  });

  test("a spawn error counts as success by default (keepalived), and is logged", async () => {
    const { runner, changes, logger, scheduler } = setup();
    scheduler.start();
    await runner.exit(0, { exitCode: null, spawnError: "program /bin/check does not exist" });
    expect(changes[0]![1]).toMatchObject({ healthy: true, reason: "could not run: program /bin/check does not exist" });
    expect(logger.lines.some((l) => l.startsWith("warn") && l.includes("does not exist"))).toBe(true);
  });

  test("spawnErrorIsFailure makes it a failure", async () => {
    const { runner, changes, scheduler } = setup([{}], true);
    scheduler.start();
    await runner.exit(0, { exitCode: null, spawnError: "nope" });
    expect(changes[0]![1].healthy).toBe(false);
  });

  test("scripts are independent", async () => {
    const { runner, changes, scheduler } = setup([{ name: "a" }, { name: "b", intervalMs: 5000 }]);
    scheduler.start();
    expect(runner.runs.map((r) => r.spec.timeoutMs)).toEqual([1000, 5000]);
    runner.runs[1]!.finish({ exitCode: 7 });
    await flush();
    expect(changes.map(([n, c]) => [n, c.healthy])).toEqual([["b", false]]);
    expect(scheduler.current("a")!.health).toBe("unknown");
    expect(scheduler.current("nope")).toBeUndefined();
  });

  test("stop() kills running scripts, cancels the schedule and ignores late results", async () => {
    const { clock, runner, changes, scheduler } = setup();
    scheduler.start();
    await scheduler.stop();
    expect(runner.runs[0]!.killed).toBe(true);
    expect(changes).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(10_000);
    expect(runner.runs.length).toBe(1);
  });

  test("a runner whose result rejects is logged, and the script runs again at its next interval", async () => {
    const clock = new FakeClock();
    const logger = memoryLogger();
    let starts = 0;
    const runner: ProcessRunner = {
      start: () => {
        starts++;
        return { pid: 1, result: Promise.reject(new Error("spawn exploded")), kill: () => {} };
      },
    };
    const scheduler = createScriptScheduler({
      clock,
      runner,
      logger,
      scripts: [{ name: "x", argv: ["/x"], intervalMs: 1000, rise: 1, fall: 1, initFail: false }],
      onChange: () => {},
    });
    scheduler.start();
    await flush();
    expect(logger.lines).toContain("error track script x: runner failed: Error: spawn exploded");
    expect(scheduler.current("x")).toEqual({ health: "unknown", healthy: undefined, running: false });
    clock.advance(1000);
    expect(starts).toBe(2);
    expect(logger.lines.some((l) => l.includes("skipping run"))).toBe(false);
  });

  test("an onChange handler that throws does not break the scheduler", async () => {
    const clock = new FakeClock();
    const runner = new FakeRunner();
    const logger = memoryLogger();
    const scheduler = createScriptScheduler({
      clock,
      runner,
      logger,
      scripts: [{ name: "x", argv: ["/x"], intervalMs: 1000, rise: 1, fall: 1, initFail: false }],
      onChange: () => {
        throw new Error("boom");
      },
    });
    scheduler.start();
    await runner.exit(0);
    expect(logger.lines.some((l) => l.includes("onChange handler threw"))).toBe(true);
    clock.advance(1000);
    expect(runner.runs.length).toBe(2);
  });
});
