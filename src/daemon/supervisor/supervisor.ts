// The supervisor: the daemon's first process (the pid in the pid file, the one systemd and
// signals address). It parses the configuration, keeps the operator's intent, and runs its
// children from the same binary: the VRRP engine (not with -C/--check), the observer (API,
// history, status streams, validation) and, when the configuration has virtual servers, the
// director (IPVS; keepalived's checker process; not with -P/--vrrp). It carries configuration and intent to the engine and the
// director and their status and events to the observer, restarts a child that dies or hangs
// (with back-off, recorded in the history), and stops them in order. Nothing the observer or
// the director does can reach the engine: they share no memory, and the supervisor only
// relays bounded messages. At the daemon's start the engine holds its instances until the
// director has programmed IPVS (director-gate.ts).
import { dirname, join } from "node:path";
import type { Clock } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import type { Config } from "../../config/index.ts";
import type { NewEvent } from "../../store/event.ts";
import { readLegacyMaintenance } from "../../store/index.ts";
import type { RunOptions } from "../cli/cli-args.ts";
import { VERSION } from "../cli/version.ts";
import type { IpvsView } from "../../api/ports.ts";
import { CheckStatsTable } from "../ipc/check-stats-table.ts";
import type {
  DaemonFacts,
  DirectorOutcome,
  EngineStatus,
  FromDirector,
  FromEngine,
  FromObserver,
  LogOptions,
  MaintenanceResult,
  CheckSchedulerMessage,
  ToDirector,
  ToEngine,
  ToObserver,
} from "../ipc/messages.ts";
import { notifySystemd } from "../os/systemd-notify.ts";
import { DirectorGate } from "./director-gate.ts";
import { directorConfigOf } from "../ipc/director-config.ts";
import { engineConfigOf } from "./engine-config.ts";
import { fromJsonText, toJsonText, type JsonText } from "../ipc/json-text.ts";
import { EventForwarder } from "./event-forwarder.ts";
import { openIntentStore, type IntentStore } from "./intent-store.ts";
import { SupervisedChild, type ChildExit } from "./supervised-child.ts";

export interface SupervisorOptions {
  options: RunOptions;
  config: Config;
  /** Parses the configuration file again (SIGHUP); diagnostics formatted; config undefined on errors. */
  reparse: () => { config: Config | undefined; diagnostics: string[] };
  clock: Clock;
  logger: Logger;
  log: LogOptions;
  /** argv that runs this binary again (self-command.ts). */
  self: readonly string[];
}

/** The engine sends its status at least every second: this much silence means it hangs. */
const ENGINE_SILENCE_MS = 10_000;
/** The observer says it is alive every second. */
const OBSERVER_SILENCE_MS = 10_000;
/** The observer is restarted past this resident size (it holds the history's cache and the API). */
const OBSERVER_MEMORY_BYTES = 512 * 1024 * 1024;
/** A graceful engine stop: priority-0 adverts, VIPs removed, notify_stop scripts (2 s at most). */
const ENGINE_STOP_MS = 10_000;
const OBSERVER_STOP_MS = 3_000;
/** The director says how the table stands, or that it is alive, every second. */
const DIRECTOR_SILENCE_MS = 10_000;
/** A director stop removes tandem's services: one batch, but a large table takes a while. */
const DIRECTOR_STOP_MS = 10_000;

export class Supervisor {
  private config: Config;
  private readonly engine: SupervisedChild<ToEngine, FromEngine>;
  private readonly observer: SupervisedChild<ToObserver, FromObserver>;
  private readonly director: SupervisedChild<ToDirector, FromDirector>;
  /** Running now: the configuration has virtual servers. */
  private directorWanted = false;
  /** keepalived's DAEMON_VRRP bit: -C/--check runs no VRRP engine at all. */
  private readonly runsEngine: boolean;
  /** The director's last status as it sent it: passed on to the observer as it is, decoded only for a drain request. */
  private ipvs: JsonText<IpvsView> | undefined;
  private ipvsDecoded: { text: JsonText<IpvsView>; view: IpvsView } | undefined;
  /** Counters newer than those in `ipvs` (the director sends them alone when nothing else changed). */
  private ipvsTotals: IpvsView["totals"];
  /** The checks' counters, kept for an observer that starts after them. */
  private readonly checkStats = new CheckStatsTable();
  private checkScheduler: CheckSchedulerMessage | undefined;
  /** The VRRP states last sent to the director (it is told of changes only). */
  private vrrpStatesSent = "";
  private readonly intent: IntentStore;
  private readonly events: EventForwarder;
  private readonly directorGate: DirectorGate;
  private readonly facts: DaemonFacts;
  private status: EngineStatus | undefined;
  private starting = true;
  private stopRequested: string | undefined;
  private stopping: Promise<void> | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private resolveStarted: (started: boolean) => void = () => {};
  /** False when the engine died before it ever ran: the daemon does not start (as before the split). */
  private readonly engineStarted = new Promise<boolean>((resolve) => (this.resolveStarted = resolve));
  private resolveApplied: (() => void) | undefined;
  private resolveStopped: (code: number) => void = () => {};
  private readonly stopped = new Promise<number>((resolve) => (this.resolveStopped = resolve));

  constructor(private readonly deps: SupervisorOptions) {
    const { clock, logger, options } = deps;
    this.config = deps.config;
    this.runsEngine = !options.checkOnly;
    this.directorGate = new DirectorGate(clock);
    this.facts = { version: VERSION, pid: process.pid, startedAtMs: clock.wallMs(), configFile: options.configFile };
    this.intent = openIntentStore(join(dirname(options.dbFile), "intent.json"), () => readLegacyMaintenance(options.dbFile), logger);
    this.events = new EventForwarder(
      (events) => this.observer.send({ type: "events", events: toJsonText(events) }),
      () => clock.wallMs(),
    );
    this.engine = new SupervisedChild<ToEngine, FromEngine>({
      role: "vrrp",
      argv: [...deps.self, "__engine"],
      clock,
      logger,
      silenceLimitMs: ENGINE_SILENCE_MS,
      onStart: () => {
        this.engine.send({
          type: "start",
          config: engineConfigOf(this.config),
          maintenance: this.intent.maintenance(),
          keepVipsOnStop: options.dontReleaseVrrp,
          directorRuns: this.directorRuns(),
          log: deps.log,
          ...this.directorGateForEngine(),
        });
      },
      onMessage: (message) => this.fromEngine(message),
      onExit: (exit) => this.childExited("vrrp", exit),
    });
    this.observer = new SupervisedChild<ToObserver, FromObserver>({
      role: "observer",
      argv: [...deps.self, "__observer"],
      clock,
      logger,
      silenceLimitMs: OBSERVER_SILENCE_MS,
      memoryLimitBytes: OBSERVER_MEMORY_BYTES,
      onStart: () => this.observer.send({ type: "start", config: toJsonText(this.config), facts: this.facts, dbFile: options.dbFile, log: deps.log }),
      onMessage: (message) => this.fromObserver(message),
      onExit: (exit) => {
        this.events.observerGone();
        this.childExited("observer", exit);
      },
    });
    this.director = new SupervisedChild<ToDirector, FromDirector>({
      role: "director",
      argv: [...deps.self, "__director"],
      clock,
      logger,
      silenceLimitMs: DIRECTOR_SILENCE_MS,
      onStart: () => {
        this.vrrpStatesSent = "";
        this.director.send({
          type: "start",
          config: toJsonText(directorConfigOf(this.config)),
          intent: this.intent.drains(),
          drainState: this.intent.drainState(),
          keepIpvsOnStop: options.dontReleaseIpvs,
          vrrpRuns: this.runsEngine,
          ownershipFile: join(dirname(options.dbFile), "ipvs.db"),
          log: deps.log,
        });
        if (this.status) this.tellDirectorVrrpStates(this.status);
      },
      onMessage: (message) => this.fromDirector(message),
      onExit: (exit) => this.childExited("director", exit),
    });
  }

  /** keepalived runs its checker child only when there are virtual servers (and not with -P); so does tandem. */
  private directorRuns(): boolean {
    return this.config.virtualServers.length > 0 && !this.deps.options.vrrpOnly;
  }

  /** The engine's start message's gate, while the director's first pass is awaited. */
  private directorGateForEngine(): { directorGate?: { timeoutMs: number } } {
    const gate = this.directorGate.forEngineStart();
    return gate ? { directorGate: gate } : {};
  }

  /** The director's first report, or its end, opens the gate (once; later ones are no news to the engine). */
  private openDirectorGate(outcome: DirectorOutcome, detail?: string): void {
    const message = this.directorGate.report(outcome, detail);
    if (message && this.runsEngine) this.engine.send(message);
  }

  private followDirector(): void {
    const wanted = this.directorRuns();
    // keepalived start_keepalived: "Warning - keepalived has no configuration to run".
    if (!wanted && !this.runsEngine) this.deps.logger.warn("-C/--check and no virtual_server in the configuration: tandem has no configuration to run");
    if (wanted && !this.directorWanted) {
      this.directorWanted = true;
      this.director.resumeRestarting();
      this.director.start();
    } else if (!wanted && this.directorWanted) {
      this.directorWanted = false;
      this.director.stopRestarting();
      this.director.send({ type: "stop", reason: "no virtual_server in the configuration" });
      this.openDirectorGate("stopped", "no virtual_server in the configuration");
      this.ipvs = undefined;
      this.observer.send({ type: "ipvs", status: undefined });
    } else if (wanted) {
      this.director.send({ type: "apply", config: toJsonText(directorConfigOf(this.config)) });
    }
  }

  /** Starts the children; true once the engine runs its instances (at once with -C), false if it died first. */
  async start(): Promise<boolean> {
    this.record({
      kind: "daemon.start",
      atMs: this.deps.clock.wallMs(),
      summary: `tandem ${VERSION} started (pid ${process.pid}) with ${this.deps.options.configFile}`,
      data: { version: VERSION, configFile: this.deps.options.configFile, pid: process.pid },
    });
    // The gate is armed at the daemon's start only: a reload or a restarted director never holds VRRP.
    if (this.runsEngine && this.directorRuns()) this.directorGate.arm(this.config.globalDefs.directorReadyTimeoutS * 1000);
    if (this.runsEngine) this.engine.start();
    else this.deps.logger.info("-C/--check: no VRRP engine; the director runs alone, as keepalived's checker process does");
    const started = this.runsEngine ? await this.engineStarted : true;
    this.starting = false;
    if (!started) {
      this.deps.logger.error("the VRRP engine did not start; stopping");
      await this.stop("the VRRP engine did not start");
      return false;
    }
    // The API answers once there are instances to show, as before the split.
    this.observer.start();
    this.followDirector();
    notifySystemd("READY=1", this.deps.logger);
    if (this.stopRequested) void this.stop(this.stopRequested);
    return true;
  }

  untilStopped(): Promise<number> {
    return this.stopped;
  }

  /** SIGTERM/SIGINT: during start-up the stop waits until the engine runs. */
  requestStop(reason: string): void {
    if (this.starting) this.stopRequested ??= reason;
    else void this.stop(reason);
  }

  requestReload(): void {
    if (this.starting) this.deps.logger.warn("SIGHUP during start-up ignored; send it again once running");
    else void this.reload();
  }

  /** SIGHUP. Reloads never overlap; a rejected file leaves everything as it was. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(async () => {
      if (this.stopping) return;
      const { logger, clock, options } = this.deps;
      const file = options.configFile;
      logger.info(`reloading ${file}`);
      notifySystemd("RELOADING=1", logger);
      const { config, diagnostics } = this.deps.reparse();
      if (!config) {
        logger.error("reload rejected: the running configuration stays in force");
        this.record({
          kind: "config.reload",
          atMs: clock.wallMs(),
          summary: `reload of ${file} rejected: ${diagnostics.filter((d) => d.includes(": error: ")).length} error(s); the running configuration stays`,
          data: { ok: false, file, diagnostics },
        });
        notifySystemd("READY=1", logger);
        return;
      }
      this.config = config;
      const applied = new Promise<void>((resolve) => (this.resolveApplied = resolve));
      this.engine.send({ type: "apply", config: engineConfigOf(config), maintenance: this.intent.maintenance(), directorRuns: this.directorRuns() });
      this.observer.send({ type: "config", config: toJsonText(config) });
      this.followDirector();
      // An engine restarting meanwhile starts from the new configuration anyway.
      if (this.runsEngine) await Promise.race([applied, new Promise<void>((resolve) => clock.at(clock.nowMs() + ENGINE_STOP_MS, resolve))]);
      this.resolveApplied = undefined;
      this.record({
        kind: "config.reload",
        atMs: clock.wallMs(),
        summary: `reloaded ${file}: ${config.vrrpInstances.length} instance(s)`,
        data: { ok: true, file, diagnostics },
      });
      logger.info("reload complete");
      notifySystemd("READY=1", logger);
    });
    return this.reloading;
  }

  stop(reason = "SIGTERM"): Promise<void> {
    this.stopping ??= (async () => {
      const { logger, clock } = this.deps;
      logger.info(`stopping (${reason})`);
      this.record({ kind: "daemon.stop", atMs: clock.wallMs(), summary: `tandem stopping (${reason})`, data: { reason } });
      notifySystemd("STOPPING=1", logger);
      await this.reloading.catch(() => undefined);
      this.engine.stopRestarting();
      this.observer.stopRestarting();
      this.director.stopRestarting();
      // The VIPs leave first (a peer takes the traffic), then tandem's IPVS services.
      this.engine.send({ type: "stop", reason });
      await this.engine.waitExit(ENGINE_STOP_MS);
      if (this.directorWanted) {
        this.director.send({ type: "stop", reason });
        await this.director.waitExit(DIRECTOR_STOP_MS);
      }
      this.observer.send({ type: "stop" });
      await this.observer.waitExit(OBSERVER_STOP_MS);
      logger.info("stopped");
      this.resolveStopped(0);
    })();
    return this.stopping;
  }

  private record(event: NewEvent): void {
    this.events.record(event);
  }

  private fromEngine(message: FromEngine): void {
    switch (message.type) {
      case "started":
        this.resolveStarted(true);
        return;
      case "applied":
        this.resolveApplied?.();
        return;
      case "event":
        this.record(message.event);
        return;
      case "status": {
        this.status = message.status;
        this.observer.send({ type: "status", status: message.status });
        this.tellDirectorVrrpStates(message.status);
        return;
      }
      case "stopped":
        return;
    }
  }

  private fromObserver(message: FromObserver): void {
    switch (message.type) {
      case "ready":
        this.events.observerReady();
        if (this.status) this.observer.send({ type: "status", status: this.status });
        if (this.ipvs) this.observer.send({ type: "ipvs", status: this.ipvs });
        if (this.ipvs && this.ipvsTotals) this.observer.send({ type: "ipvs-totals", totals: this.ipvsTotals });
        if (this.checkStats.changes > 0) this.observer.send(this.checkStats.whole());
        if (this.checkScheduler) this.observer.send(this.checkScheduler);
        return;
      case "alive":
        return;
      case "maintenance":
        this.observer.send({ type: "reply", id: message.id, result: this.setMaintenance(message.instance, message.on) });
        return;
      case "drain":
        this.observer.send({ type: "reply", id: message.id, result: this.setDrain(message.virtualServer, message.realServer, message.on) });
        return;
    }
  }

  /** The director follows the VRRP states (lvs_sync_daemon): it is told when they change. */
  private tellDirectorVrrpStates(status: EngineStatus): void {
    const states = Object.fromEntries(status.instances.map((i) => [i.name, i.state]));
    const text = JSON.stringify(states);
    if (!this.directorWanted || text === this.vrrpStatesSent) return;
    this.vrrpStatesSent = text;
    this.director.send({ type: "vrrp", states });
  }

  private fromDirector(message: FromDirector): void {
    switch (message.type) {
      case "events":
        this.events.recordAll(fromJsonText(message.events));
        return;
      case "status":
        this.ipvs = message.status;
        this.ipvsTotals = undefined;
        this.observer.send({ type: "ipvs", status: message.status });
        return;
      case "totals":
        this.ipvsTotals = message.totals;
        this.observer.send({ type: "ipvs-totals", totals: message.totals });
        return;
      case "check-stats":
        this.checkStats.apply(message);
        this.observer.send(message);
        return;
      case "check-scheduler":
        this.checkScheduler = message;
        this.observer.send(message);
        return;
      case "drain-state": {
        const saved = this.intent.setDrainState(message.state);
        if (!saved.persisted) this.deps.logger.error(`the drains in progress were not saved: ${saved.error}`);
        return;
      }
      case "started":
        this.openDirectorGate(message.ipvsAvailable ? "ready" : "unavailable", message.reason);
        return;
      case "alive":
      case "applied":
      case "stopped":
        return;
    }
  }

  private ipvsView(): IpvsView | undefined {
    const text = this.ipvs;
    if (text === undefined) return undefined;
    if (this.ipvsDecoded?.text !== text) this.ipvsDecoded = { text, view: fromJsonText(text) };
    return this.ipvsDecoded.view;
  }

  private setDrain(virtualServer: string, realServer: string, on: boolean): MaintenanceResult {
    if (this.deps.options.vrrpOnly) return { ok: false, status: 409, error: "the director does not run (-P/--vrrp)" };
    if (!this.directorWanted) return { ok: false, status: 404, error: "no virtual_server is configured" };
    const vs = this.ipvsView()?.virtualServers.find((v) => v.id === virtualServer);
    if (!vs) return { ok: false, status: 404, error: `no virtual server ${virtualServer}` };
    if (!vs.realServers.some((r) => r.id === realServer)) return { ok: false, status: 404, error: `no real server ${realServer} in ${virtualServer}` };
    if (this.stopping) return { ok: false, status: 409, error: "tandem is stopping" };
    const already = this.intent.drains().drained.some((d) => d.virtualServer === virtualServer && d.realServer === realServer) === on;
    const saved = this.intent.setDrain(virtualServer, realServer, on, this.deps.clock.wallMs());
    this.director.send({ type: "intent", intent: this.intent.drains() });
    const effect = already ? `already ${on ? "drained" : "in service"}` : on ? "weight 0 until its connections end, then out" : "back at its weight";
    return { ok: true, detail: saved.persisted ? effect : `${effect} (not saved: ${saved.error}; it holds until tandem restarts)` };
  }

  private setMaintenance(instance: string, on: boolean): MaintenanceResult {
    if (!this.runsEngine) return { ok: false, status: 409, error: "the VRRP engine does not run (-C/--check)" };
    if (!this.config.vrrpInstances.some((i) => i.name === instance)) return { ok: false, status: 404, error: `no VRRP instance named ${instance}` };
    if (this.stopping) return { ok: false, status: 409, error: "tandem is stopping" };
    const already = this.intent.maintenance().includes(instance) === on;
    const saved = this.intent.setMaintenance(instance, on, this.deps.clock.wallMs());
    this.engine.send({ type: "intent", maintenance: this.intent.maintenance() });
    const effect = already ? `already ${on ? "in" : "out of"} maintenance` : on ? "priority forced to 1; a peer takes over" : "priority restored";
    return { ok: true, detail: saved.persisted ? effect : `${effect} (not saved: ${saved.error}; it holds until tandem restarts)` };
  }

  private childExited(role: string, exit: ChildExit): void {
    const { logger, clock } = this.deps;
    if (role === "vrrp" && this.starting) {
      this.engine.stopRestarting();
      this.resolveStarted(false);
    }
    const how = exit.killedFor ? `was killed: it ${exit.killedFor}` : exit.signal ? `died from ${exit.signal}` : `exited with status ${exit.exitCode}`;
    const next = exit.restartInMs === undefined ? "" : `; restarting in ${(exit.restartInMs / 1000).toFixed(1)} s`;
    const who = role === "vrrp" ? "the VRRP engine" : role === "director" ? "the director (IPVS)" : "the observer (API, history)";
    const summary = `${who} (pid ${exit.pid}) ${how}${next}`;
    if (exit.restartInMs !== undefined) logger.error(summary);
    this.record({
      kind: "process.exit",
      atMs: clock.wallMs(),
      summary,
      data: {
        role,
        pid: exit.pid,
        exitCode: exit.exitCode,
        signal: exit.signal,
        ...(exit.killedFor ? { killedFor: exit.killedFor } : {}),
        ...(exit.restartInMs === undefined ? {} : { restartInMs: exit.restartInMs }),
      },
    });
  }
}
