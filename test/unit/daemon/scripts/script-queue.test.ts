// The ordered script queue on fake programs and a fake clock: runs one at a time in the
// order pushed, push never waits, a full queue drops its oldest and counts them, a hung
// run is killed at its timeout, stop() kills what runs and runs nothing more.
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../../src/common/clock.ts";
import { memoryLogger } from "../../../../src/common/logger.ts";
import { ScriptQueue, runFailed, runOutcome, type FinishedRun } from "../../../../src/daemon/scripts/script-queue.ts";
import { FakePrograms } from "../../support/fake-box/fake-programs.ts";

const settle = () => new Promise((resolve) => setImmediate(resolve));

function rig(maxQueued = 8) {
  const clock = new FakeClock();
  const programs = new FakePrograms();
  const logger = memoryLogger();
  const finished: [string, FinishedRun][] = [];
  const queue = new ScriptQueue<string>({
    clock,
    runner: programs.runner(clock),
    logger,
    name: "test queue",
    maxQueued,
    onFinished: (job, run) => finished.push([job, run]),
  });
  const push = (job: string, argv = ["/bin/script", job], timeoutMs = 10_000) => queue.push([{ job, argv, timeoutMs }]);
  /** Advance the clock in steps, letting each finished run's callbacks start the next. */
  const run = async (ms: number, stepMs = 100) => {
    for (let t = 0; t < ms; t += stepMs) {
      clock.advance(stepMs);
      await settle();
    }
  };
  return { clock, programs, logger, finished, queue, push, run };
}

describe("ScriptQueue", () => {
  test("one run at a time, in the order pushed; push returns before anything runs to its end", async () => {
    const { programs, finished, push, run, queue } = rig();
    programs.set("/bin/script", { durationMs: 500 });
    push("a");
    push("b");
    push("c");
    expect(finished).toHaveLength(0);
    expect(queue.busy()).toBe(true);
    await run(2_000);
    expect(finished.map(([job]) => job)).toEqual(["a", "b", "c"]);
    // Each started when the one before it ended: they never overlapped.
    const runs = programs.runsOf("/bin/script");
    expect(runs.map((r) => r.argv[1])).toEqual(["a", "b", "c"]);
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.startedAtMs).toBeGreaterThanOrEqual(runs[i - 1]!.finishedAtMs!);
    expect(queue.busy()).toBe(false);
  });

  test("a full queue drops its oldest waiting runs, counts and logs them; the running one is not touched", async () => {
    const { programs, finished, push, run, queue, logger } = rig(2);
    programs.set("/bin/script", { durationMs: 100 });
    push("1");
    await settle();
    for (const job of ["2", "3", "4", "5"]) push(job);
    await run(1_000);
    // "1" was running when the rest came; of "2".."5" the newest two were kept.
    expect(finished.map(([job]) => job)).toEqual(["1", "4", "5"]);
    expect(queue.dropped).toBe(2);
    expect(logger.lines.some((l) => l.includes("test queue: 1 queued run(s) dropped"))).toBe(true);
  });

  test("a hung run is killed at its timeout and the next one runs", async () => {
    const { programs, finished, push, run } = rig();
    programs.set("/bin/hang", { durationMs: 60_000 });
    programs.set("/bin/script", { durationMs: 10 });
    push("hung", ["/bin/hang"], 1_000);
    push("next");
    await run(1_500);
    expect(finished.map(([job, r]) => [job, runOutcome(r), runFailed(r)])).toEqual([
      ["hung", "timed out", true],
      ["next", "exit 0", false],
    ]);
  });

  test("idle() waits for runs pushed while it waited", async () => {
    const { programs, finished, push, run, queue } = rig();
    programs.set("/bin/script", { durationMs: 100 });
    push("a");
    let idle = false;
    void queue.idle().then(() => (idle = true));
    await run(50, 50);
    push("b");
    await run(150, 50);
    expect(idle).toBe(false);
    await run(200, 50);
    expect(finished.map(([job]) => job)).toEqual(["a", "b"]);
    expect(idle).toBe(true);
  });

  test("stop() kills what runs, drops what waits, and nothing runs after it", async () => {
    const { programs, finished, push, run, queue } = rig();
    programs.set("/bin/script", { durationMs: 5_000 });
    push("a");
    push("b");
    await run(100);
    await queue.stop();
    push("c");
    await run(10_000, 1_000);
    expect(finished.map(([job, r]) => [job, r.signal])).toEqual([["a", "SIGKILL"]]);
    expect(programs.runsOf("/bin/script").map((r) => [r.argv[1], r.killed ?? false])).toEqual([["a", true]]);
  });
});

describe("ScriptQueue with a runner that throws", () => {
  test("the run is reported as not started and the queue goes on", async () => {
    const clock = new FakeClock();
    const finished: [string, FinishedRun][] = [];
    let calls = 0;
    const queue = new ScriptQueue<string>({
      clock,
      runner: {
        start: () => {
          if (calls++ === 0) throw new Error("EAGAIN: fork failed");
          return {
            pid: 1,
            kill: () => {},
            result: Promise.resolve({ exitCode: 0, signal: null, timedOut: false, output: "", outputTruncated: false, durationMs: 1 }),
          };
        },
      },
      logger: memoryLogger(),
      name: "test queue",
      maxQueued: 8,
      onFinished: (job, run) => finished.push([job, run]),
    });
    queue.push([{ job: "a", argv: ["/bin/a"], timeoutMs: 1000 }]);
    queue.push([{ job: "b", argv: ["/bin/b"], timeoutMs: 1000 }]);
    await queue.idle();
    expect(finished.map(([job, run]) => [job, runOutcome(run)])).toEqual([
      ["a", "Error: EAGAIN: fork failed"],
      ["b", "exit 0"],
    ]);
  });
});
