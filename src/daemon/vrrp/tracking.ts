// Connects tracked objects to instances: vrrp_script results, vrrp_track_file values
// and link states become TrackerStatus entries with keepalived's weight rules. Before
// instances start, every script has reported once (or its timeout has passed), so no
// instance becomes master on a check that is about to fail.
import type { Clock } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import type { ScriptUser, VrrpScript } from "../../config/model.ts";
import type { LinkInfo } from "../../net/index.ts";
import type { VrrpInstance } from "../../vrrp/instance.ts";
import { binaryTrackerEffect, maintenanceStatus, type TrackerStatus, type TrackWeight } from "../../vrrp/track.ts";
import { trackFileEffect } from "../../vrrp/track-file-value.ts";
import type { InstancePlan } from "../../vrrp/instance-plan.ts";
import { scriptSearchPath, type ProcessRunner } from "../scripts/process-runner.ts";
import { parseScriptCommand } from "../scripts/script-command.ts";
import { createScriptScheduler, type CarriedScript, type ScheduledScript, type ScriptChange, type ScriptScheduler } from "../scripts/script-scheduler.ts";
import { checkScriptSecurity, resolveScriptProgram, type SecurityFs } from "../scripts/script-security.ts";
import { resolveScriptIdentity, type AccountDatabase, type ScriptIdentity } from "../scripts/script-user.ts";
import { initTrackFile } from "./track-file-init.ts";
import { createTrackFileWatcher, type TrackFileWatcher } from "./track-file-watcher.ts";

export interface Tracking {
  /** Apply initial states, start scripts and watchers, wait for the first script results. */
  start(links: readonly LinkInfo[]): Promise<void>;
  onLink(link: LinkInfo, up: boolean): void;
  /** Recompute one instance's trackers (its maintenance flag changed). */
  refreshInstance(name: string): void;
  stop(): Promise<void>;
  /** The scripts' counters, for the tracking of the configuration a reload brings. */
  carriedScripts(): ReadonlyMap<string, CarriedScript>;
}

/** A tracker's state changed (for the event history and logs). */
export interface TrackerEvent {
  kind: "script" | "file" | "interface";
  name: string;
  healthy: boolean;
  detail: string;
  exitCode?: number | null;
  output?: string;
}

export interface TrackingDeps {
  clock: Clock;
  logger: Logger;
  runner: ProcessRunner;
  accounts: AccountDatabase;
  daemonIdentity: ScriptIdentity;
  globalScriptUser: ScriptUser | undefined;
  enableScriptSecurity: boolean;
  securityFs: SecurityFs;
  isReload: boolean;
  onTrackerEvent?(event: TrackerEvent): void;
  /** Operator maintenance (REST API): the instance drops to priority 1 while set. */
  inMaintenance?(instance: string): boolean;
}

/** `previous`: at a reload, the scripts' counters before it; a script of the same name carries on from its own. */
export function createTracking(
  deps: TrackingDeps,
  plans: readonly InstancePlan[],
  instanceOf: (name: string) => VrrpInstance | undefined,
  previous?: ReadonlyMap<string, CarriedScript>,
): Tracking {
  const { clock, logger } = deps;
  const scripts = uniqueScripts(plans);
  const scheduled: ScheduledScript[] = [];
  for (const script of scripts) {
    const prepared = prepareScript(script, deps);
    if (typeof prepared === "string") logger.error(`VRRP_Script(${script.name}): ${prepared}; the script is disabled and not tracked`);
    else scheduled.push(prepared);
  }
  const runnable = new Set(scheduled.map((s) => s.name));
  const scriptHealth = new Map<string, ScriptChange>();
  const fileValues = new Map<string, number>();
  const links = new Map<string, LinkInfo>();
  // keepalived clear_diff_script: a script the reload keeps is as it was, and waits for nothing.
  for (const script of scheduled) {
    const before = previous?.get(script.name);
    if (!before || before.state.pending) continue;
    const healthy = before.state.result >= Math.max(1, before.config.rise);
    scriptHealth.set(script.name, {
      healthy,
      exitCode: null,
      output: "",
      timedOut: false,
      reason: healthy ? "succeeded before the reload" : "failed before the reload",
    });
    logger.info(`VRRP_Script(${script.name}) considered ${healthy ? "successful" : "unsuccessful"} on reload`);
  }
  // An init_fail script reports only when it first succeeds: it does not hold up the start.
  let firstResultsPending = new Set(scheduled.filter((s) => !s.initFail && !scriptHealth.has(s.name)).map((s) => s.name));
  let firstResultsDone: () => void = () => {};

  /** The whole tracker set of one plan from what is known now. */
  const statusesOf = (plan: InstancePlan): TrackerStatus[] => {
    const statuses: TrackerStatus[] = [];
    for (const { script, weight } of plan.scripts) {
      if (!runnable.has(script.name)) continue;
      const change = scriptHealth.get(script.name);
      if (!change) {
        // init_fail: failed until it succeeds. Otherwise "not reported yet", which (like
        // keepalived's init state) holds back only a weight-0 tracker's instance.
        if (script.initFail) statuses.push(scriptStatus(script.name, false, "init_fail: failed until its first success", weight));
        else statuses.push({ kind: "script", name: script.name, healthy: false, contribution: 0, fault: weight.weight === 0, detail: "has not reported yet" });
        continue;
      }
      statuses.push(scriptStatus(script.name, change.healthy, change.healthy ? "succeeded" : change.reason, weight));
    }
    for (const { trackFile, weight } of plan.files) {
      const value = fileValues.get(trackFile.name) ?? 0;
      const effect = trackFileEffect(value, weight.weight, weight.reverse);
      statuses.push({
        kind: "file",
        name: trackFile.name,
        healthy: !effect.fault && effect.priorityDelta >= 0,
        contribution: effect.priorityDelta,
        fault: effect.fault,
        detail: `value ${value}`,
      });
    }
    for (const tracked of plan.interfaces) {
      const link = links.get(tracked.interfaceName);
      const up = link?.up ?? false;
      const effect = binaryTrackerEffect(up, tracked.weight);
      statuses.push({
        kind: "interface",
        name: tracked.interfaceName,
        healthy: up,
        ...effect,
        detail: link ? (up ? "up" : `down (operstate ${link.operState}${link.adminUp ? "" : ", administratively down"})`) : "does not exist",
      });
    }
    if (deps.inMaintenance?.(plan.name)) statuses.push(maintenanceStatus(plan.machine.basePriority));
    return statuses;
  };

  const refresh = (predicate: (plan: InstancePlan) => boolean) => {
    for (const plan of plans) if (predicate(plan)) instanceOf(plan.name)?.setTrackers(statusesOf(plan));
  };

  const scheduler: ScriptScheduler = createScriptScheduler({
    clock,
    runner: deps.runner,
    logger,
    scripts: scheduled,
    ...(previous ? { previous } : {}),
    onChange(name, change) {
      scriptHealth.set(name, change);
      deps.onTrackerEvent?.({ kind: "script", name, healthy: change.healthy, detail: change.reason, exitCode: change.exitCode, output: change.output });
      refresh((plan) => plan.scripts.some((s) => s.script.name === name));
      if (firstResultsPending.delete(name) && firstResultsPending.size === 0) firstResultsDone();
    },
  });

  const watcher: TrackFileWatcher = createTrackFileWatcher({
    clock,
    logger,
    files: uniqueFiles(plans),
    onChange(name, value) {
      fileValues.set(name, value);
      deps.onTrackerEvent?.({ kind: "file", name, healthy: true, detail: `value ${value}` });
      refresh((plan) => plan.files.some((f) => f.trackFile.name === name));
    },
  });

  return {
    async start(initialLinks) {
      for (const link of initialLinks) links.set(link.name, link);
      for (const plan of plans) {
        for (const { trackFile } of plan.files) {
          if (!trackFile.initFile) continue;
          const problem = await initTrackFile(trackFile.file, trackFile.initFile, deps.isReload);
          if (problem) logger.warn(`track file ${trackFile.name}: ${problem}`);
        }
      }
      await watcher.start();
      for (const spec of uniqueFiles(plans)) fileValues.set(spec.name, watcher.current(spec.name) ?? 0);
      refresh(() => true);

      const first = new Promise<void>((resolve) => (firstResultsDone = resolve));
      if (firstResultsPending.size === 0) firstResultsDone();
      const longestMs = Math.max(0, ...scheduled.map((s) => s.timeoutMs ?? s.intervalMs));
      const deadline = clock.at(clock.nowMs() + longestMs + 500, () => {
        if (firstResultsPending.size > 0)
          logger.warn(`scripts ${[...firstResultsPending].join(", ")} did not report within their timeout; starting without them`);
        firstResultsPending = new Set();
        firstResultsDone();
      });
      scheduler.start();
      await first;
      deadline.cancel();
    },
    onLink(link, up) {
      const previous = links.get(link.name);
      links.set(link.name, link);
      if (previous?.up === link.up && previous !== undefined) return;
      if (!plans.some((p) => p.interfaces.some((t) => t.interfaceName === link.name))) return;
      logger.info(`interface ${link.name} is ${up ? "up" : `down (operstate ${link.operState})`}`);
      deps.onTrackerEvent?.({ kind: "interface", name: link.name, healthy: up, detail: up ? "up" : link.operState });
      refresh((plan) => plan.interfaces.some((t) => t.interfaceName === link.name));
    },
    refreshInstance(name) {
      refresh((plan) => plan.name === name);
    },
    async stop() {
      watcher.stop();
      await scheduler.stop();
    },
    carriedScripts: () => scheduler.carried(),
  };
}

function scriptStatus(name: string, healthy: boolean, detail: string, weight: TrackWeight): TrackerStatus {
  return { kind: "script", name, healthy, ...binaryTrackerEffect(healthy, weight), detail };
}

function uniqueScripts(plans: readonly InstancePlan[]): VrrpScript[] {
  const byName = new Map<string, VrrpScript>();
  for (const plan of plans) for (const { script } of plan.scripts) byName.set(script.name, script);
  return [...byName.values()];
}

function uniqueFiles(plans: readonly InstancePlan[]): { name: string; path: string }[] {
  const byName = new Map<string, string>();
  for (const plan of plans) for (const { trackFile } of plan.files) byName.set(trackFile.name, trackFile.file);
  return [...byName].map(([name, path]) => ({ name, path }));
}

/** Command, identity and security verdict of one vrrp_script; a string says why it cannot run. */
function prepareScript(script: VrrpScript, deps: TrackingDeps): ScheduledScript | string {
  const parsed = parseScriptCommand(script.script);
  if (!parsed.ok) return parsed.error;
  const identity = resolveScriptIdentity(deps.accounts, script.user, deps.globalScriptUser, deps.daemonIdentity);
  if (!identity.ok) return identity.error;
  const program = resolveScriptProgram(parsed.command.argv[0]!, deps.securityFs);
  if (program === undefined) return `program ${parsed.command.argv[0]} not found in ${scriptSearchPath}`;
  const verdict = checkScriptSecurity({ program, ...identity.identity, enableScriptSecurity: deps.enableScriptSecurity }, deps.securityFs);
  for (const reason of verdict.reasons) deps.logger.warn(`VRRP_Script(${script.name}): ${reason}`);
  if (!verdict.run) return "refused by script security";
  return {
    name: script.name,
    argv: parsed.command.argv,
    intervalMs: script.intervalS * 1000,
    timeoutMs: script.timeoutS * 1000,
    rise: script.rise,
    fall: script.fall,
    initFail: script.initFail,
    uid: identity.identity.uid,
    gid: identity.identity.gid,
  };
}
