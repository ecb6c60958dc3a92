// The VRRP engine's logic, apart from its process (engine-command.ts): runs the instances of
// the configuration it is given (VrrpRuntime), applies reloads and the operator's intent
// from the supervisor's messages, runs notify scripts, and reports events and status back.
// At start it holds the instances in BACKUP (vrrp_startup_delay, and the director-ready
// gate the supervisor asks for): vrrp/start-hold.ts decides, this file carries it out.
// Everything it touches comes in as EngineDeps, so tests run it on a fake network and clock.
import { hostname } from "node:os";
import type { Clock, TimerHandle } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import type { ProcessRunner } from "../../common/process.ts";
import type { NetworkPorts } from "../../net/index.ts";
import { planRuntime, type RuntimePlan } from "../../vrrp/instance-plan.ts";
import { createStartHold, heldBy, holdSummary, holdUntilMs, holdWakeMs, stepHold, type HoldInput, type StartHold } from "../../vrrp/start-hold.ts";
import type { Config } from "../../config/index.ts";
import type { FromEngine, ToEngine } from "../ipc/messages.ts";
import { historyEventOf, holdEvent, notifyEvent } from "./history-events.ts";
import { createNotifyRunner, type NotifyRunner, type NotifyTarget } from "../scripts/notify-runner.ts";
import { notifyTargets } from "../scripts/notify-targets.ts";
import type { SecurityFs } from "../scripts/script-security.ts";
import { resolveScriptIdentity, type AccountDatabase, type ScriptIdentity } from "../scripts/script-user.ts";
import { createTracking } from "../vrrp/tracking.ts";
import { VrrpRuntime, type RuntimeEvent } from "../vrrp/vrrp-runtime.ts";
import { engineStatus } from "./engine-status.ts";

/**
 * The status goes to the observer at once on every event, within STATUS_CHECK_MS when what
 * people look at changes (a state, the master heard, a priority), and every
 * STATUS_REFRESH_MS anyway (counters, "last seen"; and the supervisor's sign of life).
 * Sending it on every advert would cost three processes CPU for nothing.
 */
export const STATUS_CHECK_MS = 200;
export const STATUS_REFRESH_MS = 1_000;
/** notify_stop scripts may finish at shutdown, but never hold it up for longer. */
const NOTIFY_DRAIN_MS = 2_000;

/** What the engine is run with: the kernel, processes and accounts, or their fakes. */
export interface EngineDeps {
  /** To the supervisor. */
  send(message: FromEngine): void;
  clock: Clock;
  logger: Logger;
  net: NetworkPorts;
  runner: ProcessRunner;
  accounts: AccountDatabase;
  daemonIdentity: ScriptIdentity;
  securityFs: SecurityFs;
}

type StartMessage = Extract<ToEngine, { type: "start" }>;

export class Engine {
  private config: Config;
  private maintenance: Set<string>;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly net: NetworkPorts;
  private readonly notify: NotifyRunner;
  private readonly runtime: VrrpRuntime;
  private readonly identity: ScriptIdentity;
  private isReload = false;
  private starting = true;
  private stopRequested: string | undefined;
  private applying: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private statusTimer: TimerHandle | undefined;
  private lastStatusSentMs = -Infinity;
  private lastStatusSignature = "";
  private hold: StartHold;
  private holdTimer: TimerHandle | undefined;
  private resolveStopped: (code: number) => void = () => {};
  private readonly stopped = new Promise<number>((resolve) => (this.resolveStopped = resolve));

  constructor(
    private readonly deps: EngineDeps,
    start: StartMessage,
  ) {
    const { clock, logger, runner, accounts, daemonIdentity } = deps;
    this.clock = clock;
    this.logger = logger;
    this.config = start.config;
    this.maintenance = new Set(start.maintenance);
    const config = start.config;
    // Only at a start: a reload ("apply") neither arms the hold again nor ends it (keepalived start_vrrp: !reload).
    this.hold = createStartHold(clock.nowMs(), {
      startupDelayMs: (config.globalDefs.vrrpStartupDelayS ?? 0) * 1000,
      directorTimeoutMs: start.directorGate?.timeoutMs,
    });
    const resolved = resolveScriptIdentity(accounts, undefined, config.globalDefs.scriptUser, daemonIdentity);
    if (!resolved.ok) logger.error(`${resolved.error}; notify scripts run as the daemon's user`);
    this.identity = resolved.ok ? resolved.identity : daemonIdentity;
    this.net = deps.net;
    this.notify = createNotifyRunner({ clock, runner, logger: logger.child("notify"), targets: [], onRun: (run) => this.report(notifyEvent(run)) });
    this.runtime = new VrrpRuntime({
      clock,
      logger,
      net: this.net,
      keepVipsOnStop: start.keepVipsOnStop,
      onEvent: (event) => this.onEvent(event),
      createTracking: (plans, instanceOf) =>
        createTracking(
          {
            clock,
            logger: logger.child("track"),
            runner,
            accounts,
            daemonIdentity,
            globalScriptUser: this.config.globalDefs.scriptUser,
            enableScriptSecurity: this.config.globalDefs.enableScriptSecurity,
            securityFs: deps.securityFs,
            isReload: this.isReload,
            onTrackerEvent: (event) => this.onEvent({ kind: "tracker", event }),
            inMaintenance: (instance) => this.maintenance.has(instance),
          },
          plans,
          instanceOf,
        ),
    });
  }

  handle(message: ToEngine): void {
    switch (message.type) {
      case "apply":
        void this.apply(message.config, message.maintenance);
        return;
      case "intent":
        this.setMaintenance(message.maintenance);
        return;
      case "director":
        this.stepHold({ kind: "director", outcome: message.outcome, ...(message.detail === undefined ? {} : { detail: message.detail }) });
        return;
      case "stop":
        void this.stop(message.reason);
        return;
      case "start":
        return; // only the first one counts
    }
  }

  async start(): Promise<void> {
    this.beginHold();
    const plan = planRuntime(this.config);
    this.notify.setTargets(this.notifyTargetsOf(plan));
    await this.runtime.start(plan);
    this.starting = false;
    this.deps.send({ type: "started" });
    this.logger.info(`running ${plan.instances.length} VRRP instance(s) (engine pid ${process.pid}, host ${hostname()})`);
    this.sendStatus();
    if (this.stopRequested) void this.stop(this.stopRequested);
  }

  untilStopped(): Promise<number> {
    return this.stopped;
  }

  /** The hold at start: logged, recorded, given to the runtime before any instance exists, and timed. */
  private beginHold(): void {
    const summary = holdSummary(this.hold);
    if (summary === undefined) return;
    // keepalived's own line, for whoever greps for it.
    if (this.hold.startupDelayMs !== undefined) this.logger.info(`Delaying startup for ${this.hold.startupDelayMs / 1000} seconds`);
    this.logger.info(summary);
    this.report(holdEvent(this.hold, { kind: "held", summary }, this.clock.wallMs()));
    this.runtime.setHold(holdUntilMs(this.hold));
    this.armHoldTimer();
  }

  private stepHold(input: HoldInput): void {
    const { hold, effects } = stepHold(this.hold, input, this.clock.nowMs());
    this.hold = hold;
    for (const effect of effects) {
      switch (effect.kind) {
        case "moved":
          this.runtime.setHold(effect.untilMs);
          break;
        case "note":
          this.logger.info(effect.message);
          break;
        case "released":
          this.runtime.setHold(undefined);
          this.logger.info(effect.summary);
          this.report(holdEvent(hold, effect, this.clock.wallMs()));
          break;
      }
    }
    this.armHoldTimer();
    if (effects.length > 0 && !this.starting && !this.stopping) this.sendStatus();
  }

  private armHoldTimer(): void {
    this.holdTimer?.cancel();
    this.holdTimer = undefined;
    const wake = holdWakeMs(this.hold);
    if (wake !== undefined) this.holdTimer = this.clock.at(wake, () => this.stepHold({ kind: "timer" }));
  }

  /** A reload: never overlapping another, never during a stop. */
  private apply(config: Config, maintenance: string[]): Promise<void> {
    this.applying = this.applying.then(async () => {
      if (this.stopping) return;
      this.config = config;
      this.maintenance = new Set(maintenance);
      this.isReload = true;
      const plan = planRuntime(config);
      this.notify.setTargets(this.notifyTargetsOf(plan));
      await this.runtime.apply(plan);
      this.deps.send({ type: "applied" });
      this.sendStatus();
    });
    return this.applying;
  }

  /** Notify scripts of a plan, checked like vrrp_scripts against the current enable_script_security. */
  private notifyTargetsOf(plan: RuntimePlan): NotifyTarget[] {
    const context = { identity: this.identity, enableScriptSecurity: this.config.globalDefs.enableScriptSecurity, securityFs: this.deps.securityFs };
    return notifyTargets(plan.instances, plan.syncGroups, context, this.logger.child("notify"));
  }

  private setMaintenance(names: string[]): void {
    const next = new Set(names);
    const changed = [...new Set([...next, ...this.maintenance])].filter((name) => next.has(name) !== this.maintenance.has(name));
    this.maintenance = next;
    for (const name of changed) this.runtime.maintenanceChanged(name);
    this.sendStatus();
  }

  stop(reason: string): Promise<void> {
    if (this.starting) {
      this.stopRequested ??= reason;
      return Promise.resolve();
    }
    this.stopping ??= (async () => {
      this.logger.info(`stopping (${reason}): releasing virtual addresses`);
      this.statusTimer?.cancel();
      this.holdTimer?.cancel();
      await this.applying.catch(() => undefined);
      await this.runtime.stop();
      await Promise.race([this.notify.idle(), new Promise<void>((resolve) => this.clock.at(this.clock.nowMs() + NOTIFY_DRAIN_MS, resolve))]);
      await this.notify.stop();
      this.net.close();
      this.deps.send({ type: "stopped" });
      this.logger.info("engine stopped");
      this.resolveStopped(0);
    })();
    return this.stopping;
  }

  /** The status, now; then checked every STATUS_CHECK_MS and sent when it changed or is due. */
  private sendStatus(): void {
    this.statusTimer?.cancel();
    if (this.stopping) return;
    this.lastStatusSignature = this.statusSignature();
    this.lastStatusSentMs = this.clock.nowMs();
    this.deps.send({ type: "status", status: engineStatus(this.runtime, this.clock, this.maintenance, heldBy(this.hold, this.clock.nowMs())) });
    this.statusTimer = this.clock.at(this.clock.nowMs() + STATUS_CHECK_MS, () => this.checkStatus());
  }

  private checkStatus(): void {
    if (this.stopping) return;
    const due = this.clock.nowMs() - this.lastStatusSentMs >= STATUS_REFRESH_MS;
    if (due || this.statusSignature() !== this.lastStatusSignature) return this.sendStatus();
    this.statusTimer = this.clock.at(this.clock.nowMs() + STATUS_CHECK_MS, () => this.checkStatus());
  }

  /** What a person would see change: states, priorities and the master each instance hears. */
  private statusSignature(): string {
    return this.runtime
      .instances()
      .map(({ plan, machine }) => {
        const m = machine();
        return `${plan.name}:${m.state}:${m.effectivePriority}:${m.heardMaster?.ip ?? ""}:${m.heardMaster?.priority ?? ""}:${m.holdUntilMs ?? ""}`;
      })
      .join("|");
  }

  private report(event: ReturnType<typeof historyEventOf>): void {
    this.deps.send({ type: "event", event });
  }

  private onEvent(event: RuntimeEvent): void {
    if (event.kind === "removed") {
      // keepalived runs no notify_stop for a removed instance, and neither does its STOP
      // transition here (the new targets lack it): the runner keeps its old scripts for this.
      this.notify.deleted(event.plan.name, event.lastState, event.effectivePriority);
      return;
    }
    const history = historyEventOf(event, this.clock.wallMs());
    this.report(history);
    if (event.kind === "transition") {
      const { transition } = event;
      if (transition.to !== "INIT") this.notify.transition("INSTANCE", transition.instance, transition.to, transition.effectivePriority);
      this.sendStatus();
    } else if (event.kind === "group-transition") {
      this.logger.info(`sync group ${event.group.name}: ${event.from} -> ${event.to}`);
      if (event.to !== "INIT") this.notify.transition("GROUP", event.group.name, event.to, 0);
      this.sendStatus();
    } else if (event.kind === "other-master") {
      this.logger.warn(history.summary);
    }
  }
}
