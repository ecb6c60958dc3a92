import { describe, expect, test } from "bun:test";
import { createProbeScheduler, type Probe, type ProbeOutcome, type ProbeSchedulerOptions } from "../../../src/check/probe-scheduler.ts";
import { FakeClock, type Clock, type TimerHandle } from "../../../src/common/clock.ts";
import { memoryLogger } from "../../../src/common/logger.ts";

const flush = () => new Promise((r) => setImmediate(r));

interface Started {
  id: string;
  atMs: number;
  signal: AbortSignal;
  settled: boolean;
  succeed(value?: string): Promise<void>;
  fail(error: unknown): Promise<void>;
}

/** Probes whose runs finish only when the test says so; every run and outcome is recorded. */
function setup<C extends Clock = FakeClock>(options: Partial<ProbeSchedulerOptions> = {}, clock: C = new FakeClock() as Clock as C) {
  const logger = memoryLogger();
  const scheduler = createProbeScheduler({ clock, logger, ...options });
  const runs: Started[] = [];
  const outcomes: [string, ProbeOutcome<string>][] = [];
  const skips: [string, number, string][] = [];
  const add = (id: string, extra: Partial<Probe<string>> = {}) => {
    scheduler.add<string>({
      id,
      cadence: "fixed-rate",
      intervalMs: 1000,
      run: (signal) =>
        new Promise<string>((resolve, reject) => {
          const run: Started = {
            id,
            atMs: clock.nowMs(),
            signal,
            settled: false,
            succeed: async (value = "ok") => {
              run.settled = true;
              resolve(value);
              await flush();
            },
            fail: async (error) => {
              run.settled = true;
              reject(error);
              await flush();
            },
          };
          runs.push(run);
        }),
      onOutcome: (outcome) => outcomes.push([id, outcome]),
      onSkip: ({ dueMs, reason }) => skips.push([id, dueMs, reason]),
      ...extra,
    } as Probe<string>);
  };
  const startsOf = (id: string) => runs.filter((r) => r.id === id).map((r) => r.atMs);
  const last = (id: string) => runs.filter((r) => r.id === id).at(-1)!;
  return { clock, logger, scheduler, runs, outcomes, skips, add, startsOf, last };
}

/** A Clock whose timers fire only when the test fires them, in any order: a late real clock. */
class ManualClock implements Clock {
  now = 0;
  timers: { atMs: number; fn: () => void; live: boolean }[] = [];
  nowMs = () => this.now;
  wallMs = () => this.now;
  at(atMs: number, fn: () => void): TimerHandle {
    const timer = { atMs, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => (timer.live = false) };
  }
  /** Fire the live timer due at atMs, at the current time. */
  fire(atMs: number) {
    const timer = this.timers.find((t) => t.live && t.atMs === atMs)!;
    timer.live = false;
    timer.fn();
  }
}

describe("probe scheduler: fixed rate (vrrp_script)", () => {
  test("the first run is at start(); then every interval from the previous due time, whatever the run takes", async () => {
    const { clock, scheduler, add, startsOf, last } = setup();
    add("a", { intervalMs: 1000 });
    scheduler.start();
    expect(startsOf("a")).toEqual([0]);
    clock.advance(700);
    await last("a").succeed();
    clock.advance(299);
    expect(startsOf("a")).toEqual([0]);
    clock.advance(1);
    expect(startsOf("a")).toEqual([0, 1000]);
    await last("a").succeed();
    clock.advance(1000);
    expect(startsOf("a")).toEqual([0, 1000, 2000]);
    expect(scheduler.status("a")).toMatchObject({ state: "running", nextDueMs: 3000, runs: 3, skipped: 0 });
  });

  test("never overlaps: a due time that finds the run still going is skipped and reported; the next free one runs", async () => {
    const { clock, scheduler, add, startsOf, last, skips, outcomes } = setup();
    add("a");
    scheduler.start();
    clock.advance(2500);
    expect(startsOf("a")).toEqual([0]);
    expect(skips).toEqual([
      ["a", 1000, "running"],
      ["a", 2000, "running"],
    ]);
    await last("a").succeed("slow");
    expect(outcomes.map(([, o]) => [o.ok, o.dueMs, o.startedMs, o.finishedMs])).toEqual([[true, 0, 0, 2500]]);
    expect(scheduler.status("a")).toMatchObject({ state: "idle", nextDueMs: 3000, skipped: 2 });
    clock.advance(500);
    expect(startsOf("a")).toEqual([0, 3000]);
    expect(scheduler.health()).toMatchObject({ skipped: 2, started: 2 });
  });

  test("firstDelayMs: the first due time is that far after start(), and the rate counts from it", async () => {
    const { clock, scheduler, add, startsOf, last } = setup();
    add("a", { firstDelayMs: 250 });
    scheduler.start();
    clock.advance(249);
    expect(startsOf("a")).toEqual([]);
    clock.advance(1);
    expect(startsOf("a")).toEqual([250]);
    await last("a").succeed();
    clock.advance(1000);
    expect(startsOf("a")).toEqual([250, 1250]);
  });

  test("a zero interval repeats every millisecond instead of spinning", async () => {
    const { clock, scheduler, add, startsOf, last } = setup();
    add("a", { intervalMs: 0 });
    scheduler.start();
    await last("a").succeed();
    clock.advance(1);
    await last("a").succeed();
    clock.advance(1);
    expect(startsOf("a")).toEqual([0, 1, 2]);
  });

  test("due times already past when a timer fires late are dropped, and the schedule stays on its grid", async () => {
    const clock = new ManualClock();
    const { scheduler, add, startsOf, last } = setup({}, clock);
    add("a");
    scheduler.start();
    await last("a").succeed();
    clock.now = 3400; // the 1000 ms timer fires 2.4 s late
    clock.fire(1000);
    expect(startsOf("a")).toEqual([0, 3400]);
    expect(scheduler.status("a")).toMatchObject({ nextDueMs: 4000, lastLatenessMs: 2400 });
    expect(scheduler.health()).toMatchObject({ lastLatenessMs: 2400, maxLatenessMs: 2400 });
  });
});

describe("probe scheduler: after the end (checkers)", () => {
  test("the next run is due the outcome's delay after the run ended (delay_loop, delay_before_retry)", async () => {
    const { clock, scheduler, add, startsOf, last } = setup();
    // A keepalived checker: delay_loop 5 s, retry 2 with delay_before_retry 1 s, first check after 2 s of warm-up.
    let retries = 0;
    add("rs", {
      cadence: "after-end",
      intervalMs: 5000,
      firstDelayMs: 2000,
      nextDelayMs: (outcome: ProbeOutcome<string>) => {
        if (outcome.ok && outcome.value === "up") return ((retries = 0), 5000);
        return retries++ < 2 ? 1000 : ((retries = 0), 5000);
      },
    });
    scheduler.start();
    clock.advance(2000);
    expect(startsOf("rs")).toEqual([2000]);
    clock.advance(300);
    await last("rs").succeed("down"); // ended at 2300: retry at 3300
    clock.advance(1000);
    await last("rs").fail(new Error("refused")); // 3300: retry at 4300
    clock.advance(1000);
    await last("rs").succeed("down"); // 4300: retries used up, next at 9300
    clock.advance(5000);
    clock.advance(100);
    await last("rs").succeed("up"); // 9400: next at 14400
    clock.advance(4999);
    expect(startsOf("rs")).toEqual([2000, 3300, 4300, 9300]);
    clock.advance(1);
    expect(startsOf("rs")).toEqual([2000, 3300, 4300, 9300, 14400]);
  });

  test("without nextDelayMs the delay is the interval; a run never overlaps itself however long it takes", async () => {
    const { clock, scheduler, add, startsOf, last, skips } = setup();
    add("a", { cadence: "after-end", intervalMs: 1000 });
    scheduler.start();
    clock.advance(10_000);
    expect(startsOf("a")).toEqual([0]);
    expect(skips).toEqual([]);
    await last("a").succeed();
    expect(scheduler.status("a")).toMatchObject({ state: "idle", nextDueMs: 11_000 });
    clock.advance(1000);
    expect(startsOf("a")).toEqual([0, 11_000]);
  });

  test("a zero or non-finite chosen delay does not spin; a throwing nextDelayMs falls back to the interval", async () => {
    const { clock, scheduler, add, startsOf, last, logger } = setup();
    const delays: unknown[] = [0, Number.NaN, "throw"];
    add("a", {
      cadence: "after-end",
      intervalMs: 700,
      nextDelayMs: () => {
        const next = delays.shift();
        if (next === "throw") throw new Error("bad delay");
        return next as number;
      },
    });
    scheduler.start();
    await last("a").succeed(); // delay 0 -> 1 ms
    clock.advance(1);
    await last("a").succeed(); // NaN -> interval
    clock.advance(700);
    await last("a").succeed(); // throws -> interval
    clock.advance(700);
    expect(startsOf("a")).toEqual([0, 1, 701, 1401]);
    expect(logger.lines.filter((l) => l.startsWith("error")).length).toBe(2);
    expect(logger.lines.some((l) => l.includes("nextDelayMs threw: Error: bad delay"))).toBe(true);
  });
});

describe("probe scheduler: timeouts", () => {
  test("the signal aborts timeoutMs after the start with a TimeoutError, and the outcome says timedOut", async () => {
    const { clock, scheduler, add, last, outcomes } = setup();
    add("a", { cadence: "after-end", intervalMs: 1000, timeoutMs: 300 });
    scheduler.start();
    const run = last("a");
    clock.advance(299);
    expect(run.signal.aborted).toBe(false);
    clock.advance(1);
    expect(run.signal.aborted).toBe(true);
    expect((run.signal.reason as DOMException).name).toBe("TimeoutError");
    await run.fail(run.signal.reason);
    expect(outcomes[0]![1]).toMatchObject({ ok: false, timedOut: true, startedMs: 0, finishedMs: 300 });
    expect(((outcomes[0]![1] as { error: unknown }).error as DOMException).name).toBe("TimeoutError");
  });

  test("a run that finishes in time is not aborted, and its timeout timer is gone", async () => {
    const { clock, scheduler, add, last, outcomes } = setup();
    add("a", { cadence: "after-end", intervalMs: 1000, timeoutMs: 300 });
    scheduler.start();
    const run = last("a");
    clock.advance(100);
    await run.succeed();
    expect(clock.pendingTimers()).toBe(1); // the next due time only
    clock.advance(500);
    expect(run.signal.aborted).toBe(false);
    expect(outcomes[0]![1]).toMatchObject({ ok: true, value: "ok", timedOut: false });
  });

  test("a probe that ignores its abort stays running and overdue: no second run until it settles", async () => {
    const { clock, scheduler, add, startsOf, last, skips } = setup();
    add("a", { intervalMs: 1000, timeoutMs: 500 });
    scheduler.start();
    clock.advance(2500);
    expect(startsOf("a")).toEqual([0]);
    expect(skips.length).toBe(2);
    expect(scheduler.status("a")).toMatchObject({ state: "running", overdue: true });
    expect(scheduler.health()).toMatchObject({ running: 1, overdue: 1 });
    await last("a").succeed("late");
    expect(scheduler.health()).toMatchObject({ running: 0, overdue: 0 });
    clock.advance(500);
    expect(startsOf("a")).toEqual([0, 3000]);
  });
});

describe("probe scheduler: concurrency cap", () => {
  test("at the cap, due probes wait in order; a freed slot goes to the longest waiting, with its lateness reported", async () => {
    const { clock, scheduler, add, startsOf, last, runs } = setup({ maxConcurrent: 2 });
    for (const id of ["a", "b", "c", "d"]) add(id, { cadence: "after-end", intervalMs: 1000 });
    scheduler.start();
    expect(runs.map((r) => r.id)).toEqual(["a", "b"]);
    expect(scheduler.health()).toMatchObject({ probes: 4, running: 2, backlog: 2, oldestWaitMs: 0 });
    expect(scheduler.status("c")).toMatchObject({ state: "waiting", nextDueMs: 0 });
    clock.advance(40);
    expect(scheduler.health().oldestWaitMs).toBe(40);
    await last("b").succeed();
    expect(runs.map((r) => r.id)).toEqual(["a", "b", "c"]);
    expect(scheduler.status("c")).toMatchObject({ state: "running", lastLatenessMs: 40 });
    clock.advance(10);
    await last("a").succeed();
    expect(runs.map((r) => r.id)).toEqual(["a", "b", "c", "d"]);
    expect(scheduler.health()).toMatchObject({ running: 2, backlog: 0, oldestWaitMs: 0, started: 4, lastLatenessMs: 50, maxLatenessMs: 50 });
    expect(startsOf("d")).toEqual([50]);
  });

  test("fair: with one slot, probes that are always due take turns", async () => {
    const { clock, scheduler, add, runs } = setup({ maxConcurrent: 1 });
    for (const id of ["a", "b", "c"]) add(id, { cadence: "after-end", intervalMs: 1000, nextDelayMs: () => 0 });
    scheduler.start();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) await runs.at(-1)!.succeed();
      clock.advance(1);
    }
    expect(runs.map((r) => r.id).join("")).toBe("abcabcabca");
    expect(scheduler.health()).toMatchObject({ running: 1, backlog: 2 });
  });

  test("the queue is ordered by due time, not by when a late timer happened to fire", async () => {
    const clock = new ManualClock();
    const { scheduler, add, runs } = setup({ maxConcurrent: 1 }, clock);
    add("blocker", { cadence: "after-end", intervalMs: 1000 });
    add("early", { cadence: "after-end", intervalMs: 1000, firstDelayMs: 100 });
    add("late", { cadence: "after-end", intervalMs: 1000, firstDelayMs: 200 });
    scheduler.start();
    clock.now = 300;
    clock.fire(200); // "late" arrives first...
    clock.fire(100); // ...then "early", which has waited longer
    expect(scheduler.health()).toMatchObject({ backlog: 2, oldestWaitMs: 200 });
    await runs[0]!.succeed();
    expect(runs.map((r) => r.id)).toEqual(["blocker", "early"]);
    await runs[1]!.succeed();
    expect(runs.map((r) => r.id)).toEqual(["blocker", "early", "late"]);
    expect(scheduler.health()).toMatchObject({ lastLatenessMs: 100, maxLatenessMs: 200 });
  });

  test("a fixed-rate probe still waiting for a slot at its next due time skips it (reason waiting)", async () => {
    const { clock, scheduler, add, skips, runs } = setup({ maxConcurrent: 1 });
    add("hog", { cadence: "after-end", intervalMs: 1000 });
    add("script", { intervalMs: 1000 });
    scheduler.start();
    clock.advance(1500);
    expect(skips).toEqual([["script", 1000, "waiting"]]);
    await runs[0]!.succeed();
    expect(runs.map((r) => [r.id, r.atMs])).toEqual([
      ["hog", 0],
      ["script", 1500],
    ]);
    expect(scheduler.status("script")).toMatchObject({ state: "running", lastLatenessMs: 1500, nextDueMs: 2000 });
  });

  test("maxConcurrent below 1 is refused", () => {
    expect(() => setup({ maxConcurrent: 0 })).toThrow("maxConcurrent must be at least 1");
  });
});

describe("probe scheduler: stop, remove, restart", () => {
  test("stop() aborts running probes with an AbortError, waits for them, reports nothing and leaves no timers", async () => {
    const { clock, scheduler, add, runs, outcomes } = setup({ maxConcurrent: 1 });
    add("a", { timeoutMs: 500 });
    add("b");
    scheduler.start();
    expect(scheduler.health().backlog).toBe(1);
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    expect(runs[0]!.signal.aborted).toBe(true);
    expect((runs[0]!.signal.reason as DOMException).name).toBe("AbortError");
    await flush();
    expect(stopped).toBe(false); // the run has not settled yet
    expect(scheduler.health()).toMatchObject({ running: 1, backlog: 0 });
    await runs[0]!.fail(runs[0]!.signal.reason);
    await stopping;
    expect(stopped).toBe(true);
    expect(outcomes).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(10_000);
    expect(runs.map((r) => r.id)).toEqual(["a"]);
    expect(scheduler.status("b")!.state).toBe("idle");
  });

  test("start() after stop() schedules again from the new start", async () => {
    const { clock, scheduler, add, startsOf, last } = setup();
    add("a", { firstDelayMs: 100 });
    scheduler.start();
    clock.advance(100);
    const stopping = scheduler.stop();
    await last("a").succeed();
    await stopping;
    clock.advance(5000);
    scheduler.start();
    expect(scheduler.health().started).toBe(0);
    clock.advance(100);
    expect(startsOf("a")).toEqual([100, 5200]);
  });

  test("a run from before stop() that settles after start() is not reported and is never overlapped", async () => {
    const { clock, scheduler, add, startsOf, outcomes, runs } = setup();
    add("fixed", { intervalMs: 1000 });
    add("after", { cadence: "after-end", intervalMs: 1000, firstDelayMs: 50 });
    scheduler.start();
    clock.advance(50);
    const stopping = scheduler.stop();
    scheduler.start(); // while both old runs are still settling
    clock.advance(2000);
    expect(startsOf("fixed")).toEqual([0]);
    expect(startsOf("after")).toEqual([50]);
    for (const run of runs) await run.succeed();
    await stopping;
    expect(outcomes).toEqual([]);
    clock.advance(50);
    expect(startsOf("after")).toEqual([50, 2100]); // firstDelayMs after the old run ended
    clock.advance(950);
    expect(startsOf("fixed")).toEqual([0, 3050]); // on the new start's grid (50, 1050, ...), the first free slot
  });

  test("remove() aborts and awaits one probe; the others go on, and the id can be added again", async () => {
    const { clock, scheduler, add, startsOf, last, outcomes } = setup();
    add("a");
    add("b");
    scheduler.start();
    const removing = scheduler.remove("a");
    expect(last("a").signal.aborted).toBe(true);
    await last("a").succeed();
    await removing;
    await last("b").succeed();
    expect(outcomes.map(([id]) => id)).toEqual(["b"]);
    expect(scheduler.status("a")).toBeUndefined();
    clock.advance(1000);
    expect(startsOf("a")).toEqual([0]);
    expect(startsOf("b")).toEqual([0, 1000]);
    add("a");
    expect(startsOf("a")).toEqual([0, 1000]);
    expect(() => add("a")).toThrow("probe a is already scheduled");
  });

  test("add() while started schedules the probe's first run from now", () => {
    const { clock, scheduler, add, startsOf } = setup();
    scheduler.start();
    clock.advance(300);
    add("a", { firstDelayMs: 200 });
    clock.advance(200);
    expect(startsOf("a")).toEqual([500]);
  });
});

describe("probe scheduler: robustness", () => {
  test("a run that throws at once, or rejects, is an ok:false outcome and the schedule goes on", async () => {
    const { clock, scheduler, outcomes } = setup();
    let calls = 0;
    scheduler.add<string>({
      id: "x",
      cadence: "fixed-rate",
      intervalMs: 1000,
      run: () => {
        calls++;
        throw new Error("cannot start");
      },
      onOutcome: (outcome) => outcomes.push(["x", outcome]),
    });
    scheduler.start();
    await flush();
    clock.advance(1000);
    await flush();
    expect(calls).toBe(2);
    expect(outcomes.map(([, o]) => [o.ok, String((o as { error?: unknown }).error)])).toEqual([
      [false, "Error: cannot start"],
      [false, "Error: cannot start"],
    ]);
  });

  test("a throwing onOutcome is logged and does not stop the schedule", async () => {
    const { clock, scheduler, add, startsOf, last, logger } = setup();
    add("a", {
      cadence: "after-end",
      onOutcome: () => {
        throw new Error("boom");
      },
    });
    scheduler.start();
    await last("a").succeed();
    expect(logger.lines).toContain("error probe a: onOutcome threw: Error: boom");
    clock.advance(1000);
    expect(startsOf("a")).toEqual([0, 1000]);
  });

  test("bounded: after many cycles there is one timer per probe and nothing queued", async () => {
    const { clock, scheduler, add, runs } = setup({ maxConcurrent: 2 });
    for (const id of ["a", "b", "c"]) add(id, { cadence: "after-end", intervalMs: 10, timeoutMs: 5 });
    add("s", { intervalMs: 7 });
    scheduler.start();
    for (let i = 0; i < 300; i++) {
      for (const run of runs.filter((r) => !r.settled)) await run.succeed();
      clock.advance(3);
    }
    for (const run of runs.filter((r) => !r.settled)) await run.succeed();
    expect(runs.length).toBeGreaterThan(300);
    expect(scheduler.health()).toMatchObject({ probes: 4, running: 0, backlog: 0 });
    expect(clock.pendingTimers()).toBe(4);
  });
});
