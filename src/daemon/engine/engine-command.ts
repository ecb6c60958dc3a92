// `tandem __engine`: the VRRP engine, in a process of its own (keepalived's vrrp child).
// It owns the machines, sockets, VIPs, ARP, trackers and notify scripts, and nothing else:
// it is fed the validated configuration and the operator's intent by the supervisor, and
// reports its events and its status back. No API, history or parsing runs here, so
// nothing a client sends can delay an advert.
import { hostname } from "node:os";
import { systemClock, type Clock, type TimerHandle } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import type { Config } from "../../config/index.ts";
import { createNetworkPorts, type NetworkPorts } from "../../net/index.ts";
import { planRuntime, type RuntimePlan } from "../../vrrp/instance-plan.ts";
import type { FromEngine, ToEngine } from "../ipc/messages.ts";
import { parentLink, type ParentLink } from "../ipc/parent-link.ts";
import { historyEventOf, notifyEvent } from "./history-events.ts";
import { setUpChild } from "../os/child-setup.ts";
import { createNotifyRunner, type NotifyRunner, type NotifyTarget } from "../scripts/notify-runner.ts";
import { notifyTargets } from "../scripts/notify-targets.ts";
import { createProcessRunner } from "../scripts/process-runner.ts";
import { nodeSecurityFs } from "../scripts/script-security.ts";
import { readAccountDatabase, resolveScriptIdentity, type ScriptIdentity } from "../scripts/script-user.ts";
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

export async function engineCommand(): Promise<number> {
  const link = parentLink<ToEngine, FromEngine>();
  const clock = systemClock();
  // Signals before anything: SIGTERM (a `kill $(pidof tandem)` reaches every process) is a
  // graceful stop from the first moment; SIGHUP is the supervisor's to handle.
  let engine: Engine | undefined;
  let stopBeforeStart: string | undefined;
  const stop = (reason: string) => (engine ? void engine.stop(reason) : (stopBeforeStart ??= reason));
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGHUP", () => {});
  link.onDisconnect(() => stop("the supervisor is gone"));

  const start = await link.next("start");
  // vrrp_priority, vrrp_rt_priority, vrrp_no_swap, vrrp_cpu_affinity, vrrp_rlimit_rttime.
  const logger = setUpChild("vrrp engine", start.log, start.config.globalDefs.vrrpProcess, clock);
  if (!logger) return 2;
  if (stopBeforeStart) return 0;
  engine = new Engine(link, start.config, new Set(start.maintenance), start.keepVipsOnStop, clock, logger);
  link.onMessage((message) => engine!.handle(message));
  process.on("uncaughtException", (error) => logger.error(`internal error (continuing): ${error.stack ?? error.message}`));
  process.on("unhandledRejection", (reason) => logger.error(`internal error in a promise (continuing): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`));
  await engine.start();
  return engine.untilStopped();
}

class Engine {
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
  private resolveStopped: (code: number) => void = () => {};
  private readonly stopped = new Promise<number>((resolve) => (this.resolveStopped = resolve));

  constructor(
    private readonly link: ParentLink<ToEngine, FromEngine>,
    private config: Config,
    private maintenance: Set<string>,
    keepVipsOnStop: boolean,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    const runner = createProcessRunner(clock);
    const accounts = readAccountDatabase();
    const daemonIdentity = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    const resolved = resolveScriptIdentity(accounts, undefined, config.globalDefs.scriptUser, daemonIdentity);
    if (!resolved.ok) logger.error(`${resolved.error}; notify scripts run as the daemon's user`);
    this.identity = resolved.ok ? resolved.identity : daemonIdentity;
    this.net = createNetworkPorts(logger.child("net"));
    this.notify = createNotifyRunner({ clock, runner, logger: logger.child("notify"), targets: [], onRun: (run) => this.report(notifyEvent(run)) });
    this.runtime = new VrrpRuntime({
      clock,
      logger,
      net: this.net,
      keepVipsOnStop,
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
            securityFs: nodeSecurityFs,
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
      case "stop":
        void this.stop(message.reason);
        return;
      case "start":
        return; // only the first one counts
    }
  }

  async start(): Promise<void> {
    const plan = planRuntime(this.config);
    this.notify.setTargets(this.notifyTargetsOf(plan));
    await this.runtime.start(plan);
    this.starting = false;
    this.link.send({ type: "started" });
    this.logger.info(`running ${plan.instances.length} VRRP instance(s) (engine pid ${process.pid}, host ${hostname()})`);
    this.sendStatus();
    if (this.stopRequested) void this.stop(this.stopRequested);
  }

  untilStopped(): Promise<number> {
    return this.stopped;
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
      this.link.send({ type: "applied" });
      this.sendStatus();
    });
    return this.applying;
  }

  /** Notify scripts of a plan, checked like vrrp_scripts against the current enable_script_security. */
  private notifyTargetsOf(plan: RuntimePlan): NotifyTarget[] {
    const context = { identity: this.identity, enableScriptSecurity: this.config.globalDefs.enableScriptSecurity, securityFs: nodeSecurityFs };
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
      await this.applying.catch(() => undefined);
      await this.runtime.stop();
      await Promise.race([this.notify.idle(), new Promise<void>((resolve) => this.clock.at(this.clock.nowMs() + NOTIFY_DRAIN_MS, resolve))]);
      await this.notify.stop();
      this.net.close();
      this.link.send({ type: "stopped" });
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
    this.link.send({ type: "status", status: engineStatus(this.runtime, this.clock, this.maintenance) });
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
      .map(({ plan, instance }) => {
        const m = instance.snapshot();
        return `${plan.name}:${m.state}:${m.effectivePriority}:${m.heardMaster?.ip ?? ""}:${m.heardMaster?.priority ?? ""}`;
      })
      .join("|");
  }

  private report(event: ReturnType<typeof historyEventOf>): void {
    this.link.send({ type: "event", event });
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
