// Runs keepalived notify scripts for VRRP instance and sync-group transitions
// (keepalived vrrp/vrrp_notify.c send_instance_notifies / send_group_notifies), one FIFO
// queue per instance or group so its scripts never overlap and always run in order.
//
// keepalived forks notify scripts without waiting (they can overlap and race; its FIFO
// feature exists to fix that) and never times them out, except notify_stop at shutdown,
// which it kills after 1 s. Here every run has a timeout, is logged, and is reported.

import type { Clock } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import type { ProcessRunner } from "./process-runner.ts";
import { argvWithArgs, type ScriptCommand } from "./script-command.ts";
import { logFinishedRun, ScriptQueue, type FinishedRun } from "./script-queue.ts";

export type NotifyKind = "INSTANCE" | "GROUP";
export type NotifyState = "MASTER" | "BACKUP" | "FAULT" | "STOP" | "DELETED";
/** The states a VRRP transition notifies; DELETED comes only from deleted(). */
export type TransitionState = Exclude<NotifyState, "DELETED">;
export type NotifyScriptRole = "notify_master" | "notify_backup" | "notify_fault" | "notify_stop" | "notify_deleted" | "notify";

export interface NotifyScript {
  command: ScriptCommand;
  uid?: number;
  gid?: number;
}

export interface NotifyTarget {
  kind: NotifyKind;
  name: string;
  master?: NotifyScript;
  backup?: NotifyScript;
  fault?: NotifyScript;
  stop?: NotifyScript;
  /** Instances only: the notify_deleted command. */
  deleted?: NotifyScript;
  /** Instances only: `notify_deleted` given, so a removal is DELETED; otherwise keepalived reports it as FAULT. */
  notifyDeleted?: boolean;
  /** The generic script, called after the state-specific one with TYPE NAME STATE PRIORITY appended. */
  notify?: NotifyScript;
}

export interface NotifyRunRecord {
  kind: NotifyKind;
  name: string;
  state: NotifyState;
  priority: number;
  role: NotifyScriptRole;
  argv: string[];
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  output: string;
  outputTruncated: boolean;
  spawnError?: string;
  startedWallMs: number;
}

export interface NotifyRunnerOptions {
  clock: Clock;
  runner: ProcessRunner;
  logger: Logger;
  targets: readonly NotifyTarget[];
  /** Per run; default 30 s (keepalived has none). */
  timeoutMs?: number;
  /** For STOP transitions; default 1 s, keepalived's limit for notify_stop at shutdown. */
  stopTimeoutMs?: number;
  /** Pending runs kept per instance/group; beyond it the oldest are dropped (a flapping instance must not queue forever). */
  maxQueuedPerTarget?: number;
  onRun?(record: NotifyRunRecord): void;
}

export interface NotifyRunner {
  /** Queue the scripts for one transition. Priority: the effective priority; keepalived passes 0 for groups. */
  transition(kind: NotifyKind, name: string, state: TransitionState, priority: number): void;
  /**
   * An instance removed from the configuration by a reload (keepalived vrrp.c
   * clear_diff_vrrp), with the state and priority it had: its scripts from before the reload
   * hear DELETED with notify_deleted, else FAULT (only the generic `notify` then, and nothing
   * at all if it was already FAULT).
   */
  deleted(name: string, lastState: TransitionState | "INIT", priority: number): void;
  /** Replace the configured scripts (reload); queued runs keep the scripts they were queued with. Removed targets stay known to deleted() until the next call. */
  setTargets(targets: readonly NotifyTarget[]): void;
  /** Resolves when every queue is empty and nothing runs. */
  idle(): Promise<void>;
  /** Drops queued runs and kills running ones. */
  stop(): Promise<void>;
}

interface Job {
  kind: NotifyKind;
  name: string;
  state: NotifyState;
  priority: number;
  role: NotifyScriptRole;
  script: NotifyScript;
  args: string[];
}

const roleForState: Record<TransitionState, "master" | "backup" | "fault" | "stop"> = {
  MASTER: "master",
  BACKUP: "backup",
  FAULT: "fault",
  STOP: "stop",
};

export function createNotifyRunner(options: NotifyRunnerOptions): NotifyRunner {
  const { clock, runner, logger } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 1_000;
  const maxQueued = Math.max(2, options.maxQueuedPerTarget ?? 64);
  let targets = indexTargets(options.targets);
  /** Targets the last setTargets() dropped: a removed instance's scripts, for deleted(). */
  let retired = new Map<string, NotifyTarget>();
  const queues = new Map<string, ScriptQueue<Job>>();
  let stopped = false;

  const finished = (job: Job, run: FinishedRun) => {
    const record: NotifyRunRecord = {
      kind: job.kind,
      name: job.name,
      state: job.state,
      priority: job.priority,
      role: job.role,
      argv: run.argv,
      exitCode: run.exitCode,
      signal: run.signal,
      timedOut: run.timedOut,
      durationMs: run.durationMs,
      output: run.output,
      outputTruncated: run.outputTruncated,
      ...(run.spawnError !== undefined ? { spawnError: run.spawnError } : {}),
      startedWallMs: run.startedWallMs,
    };
    logFinishedRun(logger, `${record.role} for ${record.kind} ${record.name} (${record.state})`, run);
    options.onRun?.(record);
  };

  const enqueue = (key: string, jobs: Job[]) => {
    let queue = queues.get(key);
    if (!queue) {
      queue = new ScriptQueue<Job>({ clock, runner, logger, name: `notify ${key}`, maxQueued, onFinished: finished });
      queues.set(key, queue);
    }
    queue.push(
      jobs.map((job) => ({
        job,
        argv: argvWithArgs(job.script.command, job.args),
        timeoutMs: job.state === "STOP" ? stopTimeoutMs : timeoutMs,
        ...(job.script.uid !== undefined ? { uid: job.script.uid } : {}),
        ...(job.script.gid !== undefined ? { gid: job.script.gid } : {}),
      })),
    );
  };

  /** The state-specific script (no extra arguments), then the generic one with TYPE NAME STATE PRIORITY. */
  const announce = (target: NotifyTarget, state: NotifyState, priority: number, specific: { role: NotifyScriptRole; script: NotifyScript } | undefined) => {
    const { kind, name } = target;
    const jobs: Job[] = [];
    if (specific) jobs.push({ kind, name, state, priority, ...specific, args: [] });
    if (target.notify) jobs.push({ kind, name, state, priority, role: "notify", script: target.notify, args: [kind, name, state, String(priority)] });
    if (jobs.length > 0) enqueue(keyOf(kind, name), jobs);
  };

  return {
    transition(kind, name, state, priority) {
      if (stopped) return;
      const target = targets.get(keyOf(kind, name));
      if (!target) return;
      const script = target[roleForState[state]];
      announce(target, state, priority, script && { role: `notify_${roleForState[state]}`, script });
    },
    deleted(name, lastState, priority) {
      if (stopped) return;
      const key = keyOf("INSTANCE", name);
      const target = retired.get(key) ?? targets.get(key);
      if (!target) return;
      if (target.notifyDeleted) {
        announce(target, "DELETED", priority, target.deleted && { role: "notify_deleted", script: target.deleted });
        return;
      }
      // keepalived's older way: FAULT to the generic script only (get_iscript looks up the
      // DELETED script before the state becomes FAULT), and nothing if it is FAULT already.
      if (lastState !== "FAULT") announce(target, "FAULT", priority, undefined);
    },
    setTargets(next) {
      const nextTargets = indexTargets(next);
      retired = new Map([...targets].filter(([key]) => !nextTargets.has(key)));
      targets = nextTargets;
    },
    async idle() {
      // Loop: a run finishing can be followed by runs queued while we waited.
      for (;;) {
        const busy = [...queues.values()].filter((q) => q.busy());
        if (busy.length === 0) return;
        await Promise.all(busy.map((q) => q.idle()));
      }
    },
    async stop() {
      stopped = true;
      await Promise.all([...queues.values()].map((q) => q.stop()));
    },
  };
}

const keyOf = (kind: NotifyKind, name: string) => `${kind} ${name}`;

function indexTargets(targets: readonly NotifyTarget[]): Map<string, NotifyTarget> {
  return new Map(targets.map((t) => [keyOf(t.kind, t.name), t]));
}
