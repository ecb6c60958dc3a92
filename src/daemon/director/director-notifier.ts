// Runs the director's notify scripts (keepalived ipwrapper.c do_rs_notifies / do_vs_notifies:
// notify_up, notify_down, quorum_up, quorum_down) from the quorum machine's notify effects,
// through one ordered script queue, so "real server down" is heard before the "quorum down"
// it caused and the director's loop never waits on a script. keepalived runs these scripts
// as configured, with no argument added (notify_script_init(0, ...)), as the script user,
// after the same script-security check as VRRP's notify scripts; so does tandem. Each run
// goes to the history as notify.run, with the virtual server as its instance.
import type { Clock } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import type { ProcessRunner } from "../../common/process.ts";
import type { Config } from "../../config/index.ts";
import type { DirectorEffect } from "../../ipvs/director-types.ts";
import type { ResolvedVirtualServer } from "../../ipvs/resolved-plan.ts";
import type { NewEvent } from "../../store/event.ts";
import type { NotifyScript } from "../scripts/notify-runner.ts";
import { prepareNotifyScript, type NotifyScriptContext } from "../scripts/prepare-notify-script.ts";
import { argvWithArgs } from "../scripts/script-command.ts";
import { logFinishedRun, runOutcome, ScriptQueue, type FinishedRun } from "../scripts/script-queue.ts";
import type { SecurityFs } from "../scripts/script-security.ts";
import { resolveScriptIdentity, type AccountDatabase, type ScriptIdentity } from "../scripts/script-user.ts";

export type NotifyEffect = Extract<DirectorEffect, { kind: "notify" }>;

/** What the scripts run with: processes, accounts and the file system, or their fakes. */
export interface DirectorScriptDeps {
  runner: ProcessRunner;
  accounts: AccountDatabase;
  daemonIdentity: ScriptIdentity;
  securityFs: SecurityFs;
}

/** keepalived gives these scripts no limit; a hung one must not hold the queue forever. */
export const NOTIFY_TIMEOUT_MS = 30_000;
/** While stopping keepalived gives a script one second (system_call_script with TIMER_HZ). */
export const STOPPING_TIMEOUT_MS = 1_000;
/** Pending runs kept; a flapping pool must not queue scripts without end. */
export const MAX_QUEUED_NOTIFIES = 256;

export class DirectorNotifier {
  private readonly queue: ScriptQueue<NotifyEffect>;
  private context: NotifyScriptContext | undefined;
  /** Each script text as prepared for the configuration in force: ready, or refused (null). */
  private prepared = new Map<string, NotifyScript | null>();

  constructor(private readonly deps: DirectorScriptDeps & { clock: Clock; logger: Logger; record(event: NewEvent): void }) {
    const { clock, runner, logger } = deps;
    this.queue = new ScriptQueue<NotifyEffect>({
      clock,
      runner,
      logger,
      name: "director notify",
      maxQueued: MAX_QUEUED_NOTIFIES,
      onFinished: (effect, run) => this.finished(effect, run),
    });
  }

  /**
   * A new configuration: who runs the scripts and under which security, and each script
   * checked now, so what is refused is said at load time, as keepalived does.
   */
  configure(globalDefs: Config["globalDefs"], virtualServers: readonly ResolvedVirtualServer[]): void {
    const { accounts, daemonIdentity, securityFs, logger } = this.deps;
    const resolved = resolveScriptIdentity(accounts, undefined, globalDefs.scriptUser, daemonIdentity);
    if (!resolved.ok) logger.error(`${resolved.error}; the director's notify scripts run as the daemon's user`);
    this.context = { identity: resolved.ok ? resolved.identity : daemonIdentity, enableScriptSecurity: globalDefs.enableScriptSecurity, securityFs };
    this.prepared = new Map();
    for (const vs of virtualServers) {
      this.prepare(vs.id, "quorum_up", vs.quorumUp);
      this.prepare(vs.id, "quorum_down", vs.quorumDown);
      for (const rs of vs.realServers) {
        this.prepare(`${rs.id} of ${vs.id}`, "notify_up", rs.notifyUp);
        this.prepare(`${rs.id} of ${vs.id}`, "notify_down", rs.notifyDown);
      }
    }
  }

  /** Queues the effect's script, if it has one that may run; returns at once. */
  notify(effect: NotifyEffect): void {
    const where = effect.realServer === undefined ? effect.virtualServer : `${effect.realServer} of ${effect.virtualServer}`;
    const script = this.prepare(where, effect.role, effect.script);
    if (!script) return;
    this.queue.push([
      {
        job: effect,
        argv: argvWithArgs(script.command, []),
        timeoutMs: effect.stopping ? STOPPING_TIMEOUT_MS : NOTIFY_TIMEOUT_MS,
        ...(script.uid !== undefined ? { uid: script.uid } : {}),
        ...(script.gid !== undefined ? { gid: script.gid } : {}),
      },
    ]);
  }

  /** At stop: what is queued may finish within `limitMs`; then the rest is dropped and what runs is killed. */
  async finish(limitMs: number): Promise<void> {
    const { clock } = this.deps;
    let timer: ReturnType<Clock["at"]> | undefined;
    const late = new Promise<void>((resolve) => (timer = clock.at(clock.nowMs() + limitMs, resolve)));
    await Promise.race([this.queue.idle(), late]);
    timer?.cancel();
    await this.queue.stop();
  }

  /** Who runs the scripts under the configuration in force (and owns the notify FIFO). */
  identity(): ScriptIdentity {
    return this.context?.identity ?? this.deps.daemonIdentity;
  }

  /** A script of the configuration in force, ready to run, or undefined (none, or refused: said once). */
  prepare(where: string, role: string, text: string | undefined): NotifyScript | undefined {
    if (text === undefined) return undefined;
    const known = this.prepared.get(text);
    if (known !== undefined) return known ?? undefined;
    const { logger, daemonIdentity, securityFs } = this.deps;
    const context = this.context ?? { identity: daemonIdentity, enableScriptSecurity: false, securityFs };
    const prepared = prepareNotifyScript(text, context, (reason) => logger.warn(`${where}: ${role} ${reason}`));
    if (typeof prepared === "string") {
      // keepalived check_notify_script_secure: the script is dropped, so this change runs nothing.
      logger.error(`${where}: ${role} "${text}" is disabled: ${prepared}`);
      this.prepared.set(text, null);
      return undefined;
    }
    this.prepared.set(text, prepared);
    return prepared;
  }

  private finished(effect: NotifyEffect, run: FinishedRun): void {
    const subject = effect.realServer === undefined ? effect.virtualServer : `${effect.realServer} of ${effect.virtualServer}`;
    const state = effect.role.endsWith("_up") ? "UP" : "DOWN";
    logFinishedRun(this.deps.logger, `${effect.role} for ${subject}${effect.stopping ? " (stopping)" : ""}`, run);
    this.deps.record({
      kind: "notify.run",
      atMs: run.startedWallMs,
      instance: effect.virtualServer,
      summary: `${effect.role} for ${subject} ${state}: ${runOutcome(run)} in ${Math.round(run.durationMs)} ms`,
      data: {
        role: effect.role,
        state,
        argv: run.argv,
        exitCode: run.exitCode,
        signal: run.signal,
        timedOut: run.timedOut,
        durationMs: run.durationMs,
        output: run.output,
        ...(effect.realServer === undefined ? {} : { realServer: effect.realServer }),
      },
    });
  }
}
