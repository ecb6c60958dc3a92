// The VRRP engine's logic, apart from its process (engine-command.ts): runs the instances of
// the configuration it is given (VrrpRuntime), applies reloads and the operator's intent
// from the supervisor's messages, runs notify scripts, writes keepalived's lines to the notify
// FIFOs (vrrp_notify_fifo, notify_fifo), and reports events and status back.
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
import { groupFifoLine, reloadStateLines, vrrpFifoLine } from "../../vrrp/notify-fifo-lines.ts";
import type { NotifyFifoPort } from "../scripts/notify-fifo.ts";
import { planNotifyFifos } from "../scripts/notify-fifo-plan.ts";
import { NotifyFifos } from "../scripts/notify-fifos.ts";
import { createNotifyRunner, type NotifyRunner, type NotifyScript, type NotifyTarget } from "../scripts/notify-runner.ts";
import { notifyTargets } from "../scripts/notify-targets.ts";
import { prepareNotifyScript } from "../scripts/prepare-notify-script.ts";
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
/** The FIFO readers had SIGTERM at the start of the stop and SIGKILL a second later: they are gone by then. */
const FIFO_READERS_GONE_MS = 1_500;

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
  /** A notify FIFO writer (the real NotifyFifo, or a test's recorder). */
  createFifo(): NotifyFifoPort;
}

type StartMessage = Extract<ToEngine, { type: "start" }>;

export class Engine {
  private config: Config;
  private maintenance: Set<string>;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly net: NetworkPorts;
  private readonly notify: NotifyRunner;
  private readonly fifos: NotifyFifos;
  /** A director runs beside the engine for the configuration in force (the supervisor says; the engine's copy has no virtual servers). */
  private directorRuns: boolean;
  /** The instances and groups the configuration in force notifies about (a removed one's STOP is not). */
  private notified = new Set<string>();
  /** During a reload: who reported a change (fifo_write_vrrp_states_on_reload writes the others). */
  private changedInApply: Set<string> | undefined;
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
    this.fifos = new NotifyFifos({ logger: logger.child("fifo"), createFifo: deps.createFifo });
    this.directorRuns = start.directorRuns;
    this.runtime = new VrrpRuntime({
      clock,
      logger,
      net: this.net,
      keepVipsOnStop: start.keepVipsOnStop,
      onEvent: (event) => this.onEvent(event),
      createTracking: (plans, instanceOf, previous) =>
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
          previous,
        ),
    });
  }

  handle(message: ToEngine): void {
    switch (message.type) {
      case "apply":
        this.directorRuns = message.directorRuns;
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
    // keepalived vrrp_complete_init: the FIFOs open (their scripts start) before the first notify.
    this.openFifos();
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
      // keepalived closes its FIFOs at a reload ("we don't know if it will be the same after a
      // reload") and opens the new configuration's before its first notify (DELETED, FAULT).
      void this.fifos.close();
      this.openFifos();
      this.changedInApply = new Set();
      await this.runtime.apply(plan);
      this.writeKeptStates();
      this.changedInApply = undefined;
      this.deps.send({ type: "applied" });
      this.sendStatus();
    });
    return this.applying;
  }

  /** Notify scripts of a plan, checked like vrrp_scripts against the current enable_script_security. */
  private notifyTargetsOf(plan: RuntimePlan): NotifyTarget[] {
    this.notified = new Set([...plan.instances.map((i) => `INSTANCE ${i.name}`), ...plan.syncGroups.map((g) => `GROUP ${g.name}`)]);
    return notifyTargets(plan.instances, plan.syncGroups, this.scriptContext(), this.logger.child("notify"));
  }

  private scriptContext() {
    return { identity: this.identity, enableScriptSecurity: this.config.globalDefs.enableScriptSecurity, securityFs: this.deps.securityFs };
  }

  /** notify_fifo and vrrp_notify_fifo; notify_fifo_script only when no director runs it (keepalived vrrp_complete_init). */
  private openFifos(): void {
    const plan = planNotifyFifos(this.config.globalDefs, "vrrp", this.directorRuns);
    const log = this.logger.child("fifo");
    this.fifos.openPlan(plan, this.identity, (keyword, text): NotifyScript | undefined => {
      const prepared = prepareNotifyScript(text, this.scriptContext(), (reason) => log.warn(`${keyword} ${reason}`));
      if (typeof prepared !== "string") return prepared;
      // keepalived check_notify_script_secure: the script is dropped; the FIFO is still written.
      log.error(`${keyword} "${text}" is disabled: ${prepared}`);
      return undefined;
    });
  }

  /** fifo_write_vrrp_states_on_reload: what the reload kept, said again (reload-state lines). */
  private writeKeptStates(): void {
    const changed = this.changedInApply;
    if (!changed || !this.config.globalDefs.fifoWriteVrrpStatesOnReload) return;
    const groups = this.runtime
      .groupStates()
      .filter((g) => !changed.has(`GROUP ${g.plan.name}`))
      .map((g) => ({ name: g.plan.name, state: g.state, priority: 0 }));
    const instances = this.runtime
      .instances()
      .filter((i) => !changed.has(`INSTANCE ${i.plan.name}`))
      .map((i) => ({ name: i.plan.name, state: i.machine().state, priority: i.machine().effectivePriority }));
    for (const line of reloadStateLines(groups, instances)) this.fifos.write(line);
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
      // keepalived vrrp_terminate_phase1: the FIFO scripts have SIGTERM before the STOP lines
      // (doc/samples/sample_notify_fifo.sh reads on until the FIFO closes).
      this.fifos.terminateReaders();
      await this.runtime.stop();
      await Promise.race([this.notify.idle(), new Promise<void>((resolve) => this.clock.at(this.clock.nowMs() + NOTIFY_DRAIN_MS, resolve))]);
      await this.notify.stop();
      await Promise.race([this.fifos.close(), new Promise<void>((resolve) => this.clock.at(this.clock.nowMs() + FIFO_READERS_GONE_MS, resolve))]);
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

  /**
   * Notify scripts, then the FIFO line, as keepalived's send_instance_notifies and
   * send_group_notifies do; the line is what the generic `notify` script is given.
   */
  private onEvent(event: RuntimeEvent): void {
    if (event.kind === "removed") {
      // keepalived runs no notify_stop for a removed instance, and neither does its STOP
      // transition here (the new targets lack it): the runner keeps its old scripts for this.
      this.notify.deleted(event.plan.name, event.lastState, event.effectivePriority);
      // clear_diff_vrrp: DELETED with notify_deleted, else FAULT, and nothing for one in FAULT already.
      const state = event.plan.notify.deleted !== undefined ? "DELETED" : event.lastState !== "FAULT" ? "FAULT" : undefined;
      if (state) this.fifos.write(vrrpFifoLine("INSTANCE", event.plan.name, state, event.effectivePriority));
      return;
    }
    const history = historyEventOf(event, this.clock.wallMs());
    this.report(history);
    if (event.kind === "transition") {
      const { transition } = event;
      this.changedInApply?.add(`INSTANCE ${transition.instance}`);
      if (transition.to !== "INIT") {
        this.notify.transition("INSTANCE", transition.instance, transition.to, transition.effectivePriority);
        if (this.notified.has(`INSTANCE ${transition.instance}`))
          this.fifos.write(vrrpFifoLine("INSTANCE", transition.instance, transition.to, transition.effectivePriority));
      }
      this.sendStatus();
    } else if (event.kind === "group-transition") {
      this.logger.info(`sync group ${event.group.name}: ${event.from} -> ${event.to}`);
      this.changedInApply?.add(`GROUP ${event.group.name}`);
      if (event.to !== "INIT") {
        this.notify.transition("GROUP", event.group.name, event.to, 0);
        if (this.notified.has(`GROUP ${event.group.name}`)) this.fifos.write(groupFifoLine(event.group.name, event.to));
      }
      this.sendStatus();
    } else if (event.kind === "other-master") {
      this.logger.warn(history.summary);
      // send_event_notify: a master that hears a lower priority says so on the FIFOs (its notify_master_rx_lower_pri script is not supported).
      this.fifos.write(vrrpFifoLine("INSTANCE", event.plan.name, "MASTER_RX_LOWER_PRI", event.ourPriority));
    }
  }
}
