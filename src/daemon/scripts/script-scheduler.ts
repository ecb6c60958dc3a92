// Runs every vrrp_script on its interval (keepalived vrrp_script_thread) over an injected
// Clock and ProcessRunner, feeds the rise/fall tracker, and reports only state changes.

import type { Clock, TimerHandle } from "../../common/clock.ts";
import { RateLimiter, type Logger } from "../../common/logger.ts";
import {
  applyScriptOutcome,
  classifyScriptRun,
  initialScriptState,
  scriptHealth,
  type ScriptHealth,
  type ScriptTrackerState,
} from "../../vrrp/script-tracker.ts";
import type { ProcessResult, ProcessRunner, RunningProcess } from "./process-runner.ts";

export interface ScheduledScript {
  name: string;
  /** From parseScriptCommand(...).command.argv. */
  argv: readonly string[];
  intervalMs: number;
  /** keepalived's default is the interval. */
  timeoutMs?: number;
  rise: number;
  fall: number;
  initFail: boolean;
  uid?: number;
  gid?: number;
}

export interface ScriptChange {
  healthy: boolean;
  exitCode: number | null;
  output: string;
  timedOut: boolean;
  /** e.g. "exited with status 1", "timed out", "killed by signal SIGSEGV". */
  reason: string;
}

export interface ScriptStatus {
  health: ScriptHealth;
  /** undefined until the first result (unless init_fail). */
  healthy: boolean | undefined;
  /** The last finished run, if any. */
  lastRun?: { exitCode: number | null; signal: string | null; output: string; timedOut: boolean; reason: string; durationMs: number; finishedWallMs: number };
  running: boolean;
}

export interface ScriptSchedulerOptions {
  clock: Clock;
  runner: ProcessRunner;
  logger: Logger;
  scripts: readonly ScheduledScript[];
  onChange(name: string, change: ScriptChange): void;
  /** keepalived counts "could not start" as success; set true to count it as failure. */
  spawnErrorIsFailure?: boolean;
}

export interface ScriptScheduler {
  /** Runs every script once now, then every interval. */
  start(): void;
  /** Cancels the schedule and kills running scripts; resolves when they are gone. */
  stop(): Promise<void>;
  current(name: string): ScriptStatus | undefined;
}

interface Slot {
  script: ScheduledScript;
  tracker: ScriptTrackerState;
  timer?: TimerHandle;
  running?: RunningProcess;
  lastExitCode?: number | null;
  lastRun?: ScriptStatus["lastRun"];
}

export function createScriptScheduler(options: ScriptSchedulerOptions): ScriptScheduler {
  const { clock, runner, logger } = options;
  const slots = new Map<string, Slot>();
  for (const script of options.scripts) {
    slots.set(script.name, { script, tracker: initialScriptState(script) });
  }
  // A script stuck for hours must not write a skip line every second forever.
  const skipLog = new RateLimiter(3, 60_000);
  let active = false;

  // Start-to-start spacing like keepalived; anchored to the due time so it does not drift.
  const tick = (slot: Slot, dueMs: number) => {
    const intervalMs = Math.max(1, slot.script.intervalMs); // a zero interval must not spin
    let next = dueMs + intervalMs;
    while (next <= clock.nowMs()) next += intervalMs;
    slot.timer = clock.at(next, () => {
      if (active) tick(slot, next);
    });
    runOnce(slot);
  };

  const runOnce = (slot: Slot) => {
    const { script } = slot;
    if (slot.running) {
      const suppressed = skipLog.allow(script.name, clock.nowMs());
      if (suppressed !== undefined) {
        logger.warn(`Track script ${script.name} is already running, expect idle - skipping run${suppressed ? ` (${suppressed} similar skips not logged)` : ""}`);
      }
      return;
    }
    const running = runner.start({
      argv: script.argv,
      timeoutMs: script.timeoutMs ?? script.intervalMs,
      ...(script.uid !== undefined ? { uid: script.uid } : {}),
      ...(script.gid !== undefined ? { gid: script.gid } : {}),
    });
    slot.running = running;
    running.result.then(
      (result) => finish(slot, running, result),
      (error) => logger.error(`track script ${script.name}: runner failed: ${String(error)}`),
    );
  };

  const finish = (slot: Slot, running: RunningProcess, result: ProcessResult) => {
    if (slot.running === running) slot.running = undefined;
    if (!active) return;
    const { script } = slot;
    const { outcome, reason } = classifyScriptRun(result, options.spawnErrorIsFailure ?? false);
    if (result.spawnError !== undefined) logger.warn(`VRRP_Script(${script.name}) ${reason}`);
    else if (result.exitCode !== null && result.exitCode !== slot.lastExitCode) {
      logger.info(`Script \`${script.name}\` now returning ${result.exitCode}`);
    }
    slot.lastExitCode = result.exitCode;
    slot.lastRun = {
      exitCode: result.exitCode,
      signal: result.signal,
      output: result.output,
      timedOut: result.timedOut,
      reason,
      durationMs: result.durationMs,
      finishedWallMs: clock.wallMs(),
    };
    const step = applyScriptOutcome(slot.tracker, script, outcome);
    slot.tracker = step.state;
    logger.debug(`VRRP_Script(${script.name}) ${reason} in ${Math.round(result.durationMs)} ms, now ${step.health}`);
    if (!step.changed) return;
    const healthy = step.health === "healthy";
    logger.info(healthy ? `VRRP_Script(${script.name}) succeeded` : `VRRP_Script(${script.name}) ${result.timedOut ? "timed_out" : `failed (${reason})`}`);
    try {
      options.onChange(script.name, { healthy, exitCode: result.exitCode, output: result.output, timedOut: result.timedOut, reason });
    } catch (error) {
      logger.error(`track script ${script.name}: onChange handler threw: ${String(error)}`);
    }
  };

  return {
    start() {
      if (active) return;
      active = true;
      // keepalived queues the first run as an immediate event: startup state is known fast.
      for (const slot of slots.values()) tick(slot, clock.nowMs());
    },
    async stop() {
      active = false;
      const pending: Promise<unknown>[] = [];
      for (const slot of slots.values()) {
        slot.timer?.cancel();
        slot.timer = undefined;
        if (slot.running) {
          slot.running.kill();
          pending.push(slot.running.result.catch(() => undefined));
        }
      }
      await Promise.all(pending);
    },
    current(name) {
      const slot = slots.get(name);
      if (!slot) return undefined;
      const health = scriptHealth(slot.tracker, slot.script);
      return {
        health,
        healthy: health === "unknown" ? undefined : health === "healthy",
        ...(slot.lastRun ? { lastRun: slot.lastRun } : {}),
        running: slot.running !== undefined,
      };
    },
  };
}
