// Runs every vrrp_script on its interval (keepalived vrrp_script_thread) as fixed-rate probes
// of the shared probe scheduler, spawning through the ProcessRunner (which also kills at the
// timeout); classifies each run, feeds the rise/fall tracker, and reports only state changes.

import { createProbeScheduler, type ProbeOutcome } from "../../check/probe-scheduler.ts";
import type { Clock } from "../../common/clock.ts";
import { RateLimiter, type Logger } from "../../common/logger.ts";
import {
  applyScriptOutcome,
  carriedScriptState,
  classifyScriptRun,
  initialScriptState,
  scriptHealth,
  type ScriptHealth,
  type ScriptTrackerState,
} from "../../vrrp/script-tracker.ts";
import type { ProcessResult, ProcessRunner } from "./process-runner.ts";

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

/** A script's counter and the rise/fall it counted with, handed from one configuration to the next. */
export interface CarriedScript {
  state: ScriptTrackerState;
  config: { rise: number; fall: number; initFail: boolean };
}

export interface ScriptSchedulerOptions {
  clock: Clock;
  runner: ProcessRunner;
  logger: Logger;
  scripts: readonly ScheduledScript[];
  onChange(name: string, change: ScriptChange): void;
  /** keepalived counts "could not start" as success; set true to count it as failure. */
  spawnErrorIsFailure?: boolean;
  /** At a reload: the counters of the scripts before it, by name (keepalived clear_diff_script). */
  previous?: ReadonlyMap<string, CarriedScript>;
}

export interface ScriptScheduler {
  /** Runs every script once now, then every interval. */
  start(): void;
  /** Cancels the schedule and kills running scripts; resolves when they are gone. */
  stop(): Promise<void>;
  current(name: string): ScriptStatus | undefined;
  /** Every script's counter, for the configuration after a reload. */
  carried(): Map<string, CarriedScript>;
}

interface Slot {
  script: ScheduledScript;
  tracker: ScriptTrackerState;
  lastExitCode?: number | null;
  lastRun?: ScriptStatus["lastRun"];
}

export function createScriptScheduler(options: ScriptSchedulerOptions): ScriptScheduler {
  const { clock, runner, logger } = options;
  const slots = new Map<string, Slot>();
  for (const script of options.scripts) {
    const before = options.previous?.get(script.name);
    slots.set(script.name, { script, tracker: before ? carriedScriptState(before.state, before.config, script) : initialScriptState(script) });
  }
  // A script stuck for hours must not write a skip line every second forever.
  const skipLog = new RateLimiter(3, 60_000);
  const probes = createProbeScheduler({ clock, logger });

  // No probe timeout: the runner kills the process group at the script's timeout (SIGTERM then
  // SIGKILL if asked, as keepalived does) and says so in timedOut; the signal only ends a run at stop().
  const runScript = (script: ScheduledScript, signal: AbortSignal): Promise<ProcessResult> => {
    const running = runner.start({
      argv: script.argv,
      timeoutMs: script.timeoutMs ?? script.intervalMs,
      ...(script.uid !== undefined ? { uid: script.uid } : {}),
      ...(script.gid !== undefined ? { gid: script.gid } : {}),
    });
    signal.addEventListener("abort", () => running.kill(), { once: true });
    return running.result;
  };

  const finish = (slot: Slot, outcome: ProbeOutcome<ProcessResult>) => {
    const { script } = slot;
    if (!outcome.ok) {
      logger.error(`track script ${script.name}: runner failed: ${String(outcome.error)}`);
      return;
    }
    const result = outcome.value;
    const { outcome: scriptOutcome, reason } = classifyScriptRun(result, options.spawnErrorIsFailure ?? false);
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
    const step = applyScriptOutcome(slot.tracker, script, scriptOutcome);
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

  for (const slot of slots.values()) {
    const { script } = slot;
    probes.add<ProcessResult>({
      id: script.name,
      // Start to start, like keepalived; the first run is at start() (keepalived queues it as an
      // immediate event), so the startup state is known fast.
      cadence: "fixed-rate",
      intervalMs: script.intervalMs,
      run: (signal) => runScript(script, signal),
      onOutcome: (outcome) => finish(slot, outcome),
      onSkip: ({ reason }) => {
        const suppressed = skipLog.allow(script.name, clock.nowMs());
        if (suppressed !== undefined) {
          logger.warn(
            `Track script ${script.name} is ${reason === "running" ? "already running" : "waiting to run"}, expect idle - skipping run${suppressed ? ` (${suppressed} similar skips not logged)` : ""}`,
          );
        }
      },
    });
  }

  return {
    start: () => probes.start(),
    stop: () => probes.stop(),
    carried() {
      return new Map(
        [...slots].map(([name, slot]) => [
          name,
          { state: slot.tracker, config: { rise: slot.script.rise, fall: slot.script.fall, initFail: slot.script.initFail } },
        ]),
      );
    },
    current(name) {
      const slot = slots.get(name);
      if (!slot) return undefined;
      const health = scriptHealth(slot.tracker, slot.script);
      return {
        health,
        healthy: health === "unknown" ? undefined : health === "healthy",
        ...(slot.lastRun ? { lastRun: slot.lastRun } : {}),
        running: probes.status(name)?.state === "running",
      };
    },
  };
}
