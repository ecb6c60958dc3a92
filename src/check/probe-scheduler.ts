// One scheduler for every periodic probe (vrrp_script and the health checkers) on the injected
// Clock: when each probe runs next, at most maxConcurrent at once in due order, timeout and stop
// by AbortSignal, never two runs of one probe at once; it reports its own lateness and backlog.
//
// Two "next due" rules cover keepalived's two families of periodic work:
// - "fixed-rate" (vrrp_script; keepalived 2.2.7 vrrp_scheduler.c vrrp_script_thread): due every
//   intervalMs counted from the previous due time, however long runs take (keepalived re-arms the
//   interval timer as the run starts). A due time that finds the last run still going is skipped
//   and reported ("Track script x is already running, expect idle - skipping run"). 2.2.7 lost
//   the `return` after that log line and starts a second copy anyway; 2.3.3 restored it ("Skip
//   running not idle vrrp scripts"): here a probe never overlaps itself.
// - "after-end" (checkers; check_tcp.c etc.): the next run is due a delay after the last one
//   ended, and the caller picks the delay from the outcome (delay_loop after a verdict,
//   delay_before_retry while retrying). The first run waits firstDelayMs (keepalived:
//   BOOTSTRAP_DELAY plus a random share of warmup, drawn by the caller so this stays pure).
//
// A probe must settle soon after its signal aborts: until it does it still counts as running
// (so it cannot overlap itself and it holds its concurrency slot), and stop() waits for it.

import type { Clock, TimerHandle } from "../common/clock.ts";
import type { Logger } from "../common/logger.ts";

/** How one run ended, as handed to the probe's callbacks. */
export type ProbeOutcome<R> = ({ ok: true; value: R } | { ok: false; error: unknown }) & {
  /** The scheduler aborted the run at its timeout (whatever the run then returned). */
  timedOut: boolean;
  dueMs: number;
  startedMs: number;
  finishedMs: number;
};

export interface ProbeSkip {
  /** The due time that was skipped. */
  dueMs: number;
  /** The previous run was still going, or was still waiting for a free slot. */
  reason: "running" | "waiting";
}

interface ProbeBase<R> {
  /** Unique within one scheduler. */
  id: string;
  /** One run. The signal aborts at the timeout (reason: a TimeoutError) and at stop()/remove() (an AbortError). */
  run(signal: AbortSignal): Promise<R>;
  intervalMs: number;
  /** From the run's start; none: the run limits itself. */
  timeoutMs?: number;
  /** From start() (or add() once started) to the first due time; default 0, which runs at once. */
  firstDelayMs?: number;
  onOutcome?(outcome: ProbeOutcome<R>): void;
  onSkip?(skip: ProbeSkip): void;
}

export type Probe<R> = ProbeBase<R> &
  (
    | { cadence: "fixed-rate" }
    | {
        cadence: "after-end";
        /** The delay from this run's end to the next due time; default intervalMs. */
        nextDelayMs?(outcome: ProbeOutcome<R>): number;
      }
  );

export type ProbeState = "idle" | "waiting" | "running";

export interface ProbeStatus {
  state: ProbeState;
  /** The next due time already known (a waiting probe's is in the past). */
  nextDueMs?: number;
  runs: number;
  skipped: number;
  /** How late the last run started after its due time. */
  lastLatenessMs?: number;
  /** The running run passed its timeout and has not settled yet. */
  overdue: boolean;
}

export interface ProbeSchedulerHealth {
  probes: number;
  running: number;
  /** Probes past their due time waiting for a free slot. */
  backlog: number;
  /** How long the longest-waiting of those has been due. */
  oldestWaitMs: number;
  /** Runs past their timeout that have not settled (probes that ignore their signal). */
  overdue: number;
  /** Since start(): runs started, due times skipped, and how late runs started after their due time. */
  started: number;
  skipped: number;
  lastLatenessMs: number;
  maxLatenessMs: number;
}

export interface ProbeSchedulerOptions {
  clock: Clock;
  logger: Logger;
  /** Default: no cap. */
  maxConcurrent?: number;
}

export interface ProbeScheduler {
  add<R>(probe: Probe<R>): void;
  /** Unschedules a probe, aborting its run; resolves once the run has settled. Its outcome is not reported. */
  remove(id: string): Promise<void>;
  start(): void;
  /** Cancels every timer, empties the queue, aborts running probes and resolves once they have settled, unreported. */
  stop(): Promise<void>;
  status(id: string): ProbeStatus | undefined;
  health(): ProbeSchedulerHealth;
}

interface Run {
  controller: AbortController;
  /** The scheduler's generation when it started: a run from before a stop() is not reported. */
  generation: number;
  dueMs: number;
  startedMs: number;
  timedOut: boolean;
  timeoutTimer?: TimerHandle;
  settled?: Promise<void>;
}

interface Entry {
  probe: Probe<unknown>;
  state: ProbeState;
  timer?: TimerHandle;
  timerDueMs?: number;
  /** While waiting: the due time it waits from. */
  waitingDueMs: number;
  run?: Run;
  runs: number;
  skipped: number;
  lastLatenessMs?: number;
}

/** Re-running at once after a zero delay or interval would spin. */
const minimumRepeatMs = 1;

export function createProbeScheduler(options: ProbeSchedulerOptions): ProbeScheduler {
  const { clock, logger } = options;
  const maxConcurrent = options.maxConcurrent ?? Number.POSITIVE_INFINITY;
  if (!(maxConcurrent >= 1)) throw new RangeError(`maxConcurrent must be at least 1, not ${maxConcurrent}`);
  const entries = new Map<string, Entry>();
  // At most one place per probe, so bounded by the number of probes; kept in (due, arrival) order.
  const waiting: Entry[] = [];
  let active = false;
  let generation = 0;
  let runningCount = 0;
  let totals = { started: 0, skipped: 0, lastLatenessMs: 0, maxLatenessMs: 0 };

  const guarded = (entry: Entry, what: string, fn: () => void) => {
    try {
      fn();
    } catch (error) {
      logger.error(`probe ${entry.probe.id}: ${what} threw: ${String(error)}`);
    }
  };

  const arm = (entry: Entry, atMs: number, fn: () => void) => {
    entry.timer?.cancel();
    entry.timerDueMs = atMs;
    entry.timer = clock.at(atMs, () => {
      entry.timer = undefined;
      entry.timerDueMs = undefined;
      fn();
    });
  };

  const disarm = (entry: Entry) => {
    entry.timer?.cancel();
    entry.timer = undefined;
    entry.timerDueMs = undefined;
  };

  const isCurrent = (entry: Entry) => active && entries.get(entry.probe.id) === entry;

  // Fixed rate: the next due time is anchored to this one, not to when the timer fired, so the
  // schedule does not drift; due times already past when a timer fires late are dropped.
  const fixedRateDue = (entry: Entry, dueMs: number) => {
    const periodMs = Math.max(minimumRepeatMs, entry.probe.intervalMs);
    // The first grid point after now, computed rather than stepped: a clock that jumped (a
    // suspended VM) must not loop once per missed period.
    const nextMs = dueMs + (Math.floor(Math.max(0, clock.nowMs() - dueMs) / periodMs) + 1) * periodMs;
    arm(entry, nextMs, () => fixedRateDue(entry, nextMs));
    if (entry.state === "idle") becomeDue(entry, dueMs);
    else skip(entry, dueMs, entry.state);
  };

  const skip = (entry: Entry, dueMs: number, reason: ProbeSkip["reason"]) => {
    entry.skipped++;
    totals.skipped++;
    guarded(entry, "onSkip", () => entry.probe.onSkip?.({ dueMs, reason }));
  };

  const becomeDue = (entry: Entry, dueMs: number) => {
    if (runningCount < maxConcurrent) startRun(entry, dueMs);
    else enqueue(entry, dueMs);
  };

  const enqueue = (entry: Entry, dueMs: number) => {
    entry.state = "waiting";
    entry.waitingDueMs = dueMs;
    // Longest overdue first; equal due times in arrival order. Arrivals are nearly always in due
    // order, so the scan from the back stops at once.
    let index = waiting.length;
    while (index > 0 && waiting[index - 1]!.waitingDueMs > dueMs) index--;
    waiting.splice(index, 0, entry);
  };

  const drain = () => {
    while (active && runningCount < maxConcurrent && waiting.length > 0) {
      const entry = waiting.shift()!;
      startRun(entry, entry.waitingDueMs);
    }
  };

  const startRun = (entry: Entry, dueMs: number) => {
    const { probe } = entry;
    const startedMs = clock.nowMs();
    const latenessMs = Math.max(0, startedMs - dueMs);
    entry.lastLatenessMs = latenessMs;
    totals.started++;
    totals.lastLatenessMs = latenessMs;
    totals.maxLatenessMs = Math.max(totals.maxLatenessMs, latenessMs);
    const run: Run = { controller: new AbortController(), generation, dueMs, startedMs, timedOut: false };
    entry.state = "running";
    entry.run = run;
    entry.runs++;
    runningCount++;
    const { timeoutMs } = probe;
    if (timeoutMs !== undefined) {
      run.timeoutTimer = clock.at(startedMs + timeoutMs, () => {
        run.timedOut = true;
        run.controller.abort(new DOMException(`probe ${probe.id} timed out after ${timeoutMs} ms`, "TimeoutError"));
      });
    }
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(probe.run(run.controller.signal));
    } catch (error) {
      pending = Promise.reject(error);
    }
    run.settled = pending.then(
      (value) => finish(entry, run, { ok: true, value }),
      (error: unknown) => finish(entry, run, { ok: false, error }),
    );
  };

  const finish = (entry: Entry, run: Run, result: { ok: true; value: unknown } | { ok: false; error: unknown }) => {
    run.timeoutTimer?.cancel();
    runningCount--;
    entry.run = undefined;
    entry.state = "idle";
    const { probe } = entry;
    const finishedMs = clock.nowMs();
    // After stop() or remove() the run's outcome belongs to nobody.
    const reported = isCurrent(entry) && run.generation === generation;
    let delayMs = Math.max(0, probe.firstDelayMs ?? 0);
    if (reported) {
      const outcome: ProbeOutcome<unknown> = { ...result, timedOut: run.timedOut, dueMs: run.dueMs, startedMs: run.startedMs, finishedMs };
      guarded(entry, "onOutcome", () => probe.onOutcome?.(outcome));
      delayMs = nextDelay(entry, outcome);
    }
    // onOutcome may have stopped, restarted or removed; a run from before a stop() and start()
    // leaves its probe's first run to be scheduled here, firstDelayMs after it ends.
    if (probe.cadence === "after-end" && isCurrent(entry) && entry.state === "idle" && !entry.timer) {
      const dueMs = finishedMs + delayMs;
      arm(entry, dueMs, () => becomeDue(entry, dueMs));
    }
    drain();
  };

  const nextDelay = (entry: Entry, outcome: ProbeOutcome<unknown>): number => {
    const { probe } = entry;
    let delayMs = probe.intervalMs;
    if (probe.cadence === "after-end" && probe.nextDelayMs) {
      guarded(entry, "nextDelayMs", () => {
        const chosen = probe.nextDelayMs!(outcome);
        if (Number.isFinite(chosen)) delayMs = chosen;
        else logger.error(`probe ${probe.id}: nextDelayMs returned ${chosen}; using the interval`);
      });
    }
    return Math.max(minimumRepeatMs, delayMs);
  };

  const scheduleFirst = (entry: Entry) => {
    const firstDelayMs = Math.max(0, entry.probe.firstDelayMs ?? 0);
    const dueMs = clock.nowMs() + firstDelayMs;
    if (entry.probe.cadence === "fixed-rate") {
      if (firstDelayMs === 0) fixedRateDue(entry, dueMs);
      else arm(entry, dueMs, () => fixedRateDue(entry, dueMs));
    } else if (entry.state === "idle") {
      if (firstDelayMs === 0) becomeDue(entry, dueMs);
      else arm(entry, dueMs, () => becomeDue(entry, dueMs));
    }
  };

  const leaveQueue = (entry: Entry) => {
    const index = waiting.indexOf(entry);
    if (index >= 0) waiting.splice(index, 1);
    if (entry.state === "waiting") entry.state = "idle";
  };

  const abortRun = (entry: Entry, why: string): Promise<void> => {
    const { run } = entry;
    if (!run) return Promise.resolve();
    run.controller.abort(new DOMException(why, "AbortError"));
    return run.settled ?? Promise.resolve();
  };

  return {
    add(probe) {
      if (entries.has(probe.id)) throw new Error(`probe ${probe.id} is already scheduled`);
      if (!Number.isFinite(probe.intervalMs) || probe.intervalMs < 0)
        throw new RangeError(`probe ${probe.id}: intervalMs must be a finite number >= 0, not ${probe.intervalMs}`);
      if (probe.timeoutMs !== undefined && !(probe.timeoutMs > 0)) throw new RangeError(`probe ${probe.id}: timeoutMs must be > 0, not ${probe.timeoutMs}`);
      const entry: Entry = { probe, state: "idle", waitingDueMs: 0, runs: 0, skipped: 0 };
      entries.set(probe.id, entry);
      if (active) scheduleFirst(entry);
    },
    async remove(id) {
      const entry = entries.get(id);
      if (!entry) return;
      entries.delete(id);
      disarm(entry);
      leaveQueue(entry);
      await abortRun(entry, `probe ${id} was removed`);
    },
    start() {
      if (active) return;
      active = true;
      totals = { started: 0, skipped: 0, lastLatenessMs: 0, maxLatenessMs: 0 };
      for (const entry of entries.values()) scheduleFirst(entry);
    },
    async stop() {
      active = false;
      generation++;
      const settling: Promise<void>[] = [];
      for (const entry of entries.values()) {
        disarm(entry);
        leaveQueue(entry);
        settling.push(abortRun(entry, "the probe scheduler stopped"));
      }
      await Promise.all(settling);
    },
    status(id) {
      const entry = entries.get(id);
      if (!entry) return undefined;
      const nextDueMs = entry.state === "waiting" ? entry.waitingDueMs : entry.timerDueMs;
      return {
        state: entry.state,
        ...(nextDueMs !== undefined ? { nextDueMs } : {}),
        runs: entry.runs,
        skipped: entry.skipped,
        ...(entry.lastLatenessMs !== undefined ? { lastLatenessMs: entry.lastLatenessMs } : {}),
        overdue: entry.run?.timedOut ?? false,
      };
    },
    health() {
      let overdue = 0;
      for (const entry of entries.values()) if (entry.run?.timedOut) overdue++;
      const oldest = waiting[0];
      return {
        probes: entries.size,
        running: runningCount,
        backlog: waiting.length,
        oldestWaitMs: oldest ? Math.max(0, clock.nowMs() - oldest.waitingDueMs) : 0,
        overdue,
        ...totals,
      };
    },
  };
}
