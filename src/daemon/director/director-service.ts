// The director's logic, apart from its process (director-command.ts): turns the
// configuration into plans, runs the Director over the kernel's IPVS table, follows reloads
// and the operator's drains, checks the kernel facts the configuration depends on (preflight),
// hands keepalived's notifies to its scripts (director-notifier.ts) and its FIFOs (notify-fifos.ts),
// runs the health checks (daemon/check) and hands their verdicts to the Director, and reports
// events, status and the drains in progress to the supervisor. Where the kernel has no IPVS
// it says so and tries again; nothing else stops, the checks included.
import { nextOnGrid, type Clock, type TimerHandle } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import type { DirectorConfig } from "../ipc/director-config.ts";
import { fromJsonText, toJsonText } from "../ipc/json-text.ts";
import { Director, describeOp, type DirectorReport, type IpvsKernelPort, type OwnershipPort } from "../../ipvs/director.ts";
import type { DirectorEffect, DirectorIntent } from "../../ipvs/director-types.ts";
import type { DrainState } from "../../ipvs/drain.ts";
import type { VirtualServerPlan } from "../../ipvs/virtual-server-plan.ts";
import type { IpvsOpResult } from "../../ipvs/ops.ts";
import type { IpvsGlobalPlan } from "../../ipvs/plan-ipvs-globals.ts";
import type { IpvsInfo, IpvsTimeouts } from "../../ipvs/settings-types.ts";
import { resolvePlansOnce } from "../../ipvs/resolve-plans-once.ts";
import type { ResolvedVirtualServer } from "../../ipvs/resolved-plan.ts";
import type { NewEvent } from "../../store/event.ts";
import type { IpvsEventDataByKind } from "../../store/ipvs-event-data.ts";
import type { FromDirector, ToDirector } from "../ipc/messages.ts";
import type { HostFactsPort } from "../ipvs/proc-host.ts";
import { applyRecord, drainRecord, driftRecord, quorumRecord, type IpvsRecord } from "./director-events.ts";
import { DirectorNotifier, type DirectorScriptDeps } from "./director-notifier.ts";
import { DirectorOutbox } from "./director-outbox.ts";
import type { ApplyRecord } from "./ipvs-status.ts";
import { KernelFacts } from "./kernel-facts.ts";
import { StatusReporter } from "./status-reporter.ts";
import { SyncDaemons, type SyncDaemonPort } from "./sync-daemons.ts";
import { NotifyFifo } from "../scripts/notify-fifo.ts";
import { planNotifyFifos } from "../scripts/notify-fifo-plan.ts";
import { NotifyFifos } from "../scripts/notify-fifos.ts";
import { CheckerRunner } from "../check/checker-runner.ts";
import { createMiscScripts } from "../check/misc-script.ts";
import type { LocalAddresses, WatchLocalAddresses } from "../check/local-addresses.ts";
import { checkActivity } from "../../ipvs/ha-suspend.ts";
import type { Probes } from "../check/probes.ts";

/** The kernel-wide settings the configuration may ask for (lvs_timeouts, lvs_flush), and GET_INFO for the preflight. */
export interface IpvsSettingsPort extends SyncDaemonPort {
  info(): Promise<IpvsInfo>;
  setConnectionTimeouts(timeouts: Partial<IpvsTimeouts>): Promise<IpvsOpResult>;
  /** Every service, tandem's or not: only when the configuration says so. */
  flush(): Promise<IpvsOpResult>;
}

export type KernelOpen = { ok: true; kernel: IpvsKernelPort; settings: IpvsSettingsPort; close(): void } | { ok: false; reason: string };

/** What the director takes from a configuration. */
export interface DirectorPlan {
  virtualServers: VirtualServerPlan[];
  globals: IpvsGlobalPlan;
}

export interface DirectorServiceDeps {
  send(message: FromDirector): void;
  clock: Clock;
  logger: Logger;
  openKernel(): Promise<KernelOpen>;
  ownership: OwnershipPort;
  /** Sysctls, loaded modules and /proc/net/ip_vs_stats: the preflight's and the totals' source. */
  host: HostFactsPort;
  /** The configuration's virtual servers and the drain timeout, as the director plans them. */
  plan(config: DirectorConfig): DirectorPlan;
  /** What notify_up/down and quorum_up/down run with. */
  scripts: DirectorScriptDeps;
  /** The checks' warmup share, in [0, 1); default Math.random (tests pass their own). */
  random?: () => number;
  /** The checks' probes; default the real ones (tests script them). */
  probes?: Probes;
  /** ha_suspend's view of this box's addresses; without it no virtual server is suspended. */
  watchAddresses?: WatchLocalAddresses;
}

/** The start message, its configuration decoded (the supervisor sends it as JSON text). */
export type DirectorStart = Omit<Extract<ToDirector, { type: "start" }>, "config"> & { config: DirectorConfig };

export function decodeStart(message: Extract<ToDirector, { type: "start" }>): DirectorStart {
  return { ...message, config: fromJsonText(message.config) };
}

/** Where there is no IPVS, try again this often (the module may be loaded later). */
export const KERNEL_RETRY_MS = 30_000;
/** A pass at least this often repairs what others changed in the table. */
export const DRIFT_SCAN_MS = 10_000;
/** The director reports this often: its status when that may have changed, else that it is alive. */
export const STATUS_REFRESH_MS = 1_000;
/** The checks' scheduler's health reaches the API at most this often. */
export const CHECK_SCHEDULER_REPORT_MS = 5_000;

/** At stop, the notifies the stop asked for (one second each) may finish within this, never longer. */
export const NOTIFY_DRAIN_MS = 2_000;

export class DirectorService {
  private director: Director | undefined;
  private kernel: KernelOpen | undefined;
  /**
   * What the director keeps of the configuration in force: its global_defs and its plan, not
   * the parsed file (at 40,000 real servers the largest thing in the process).
   */
  private inForce: { globalDefs: DirectorConfig["globalDefs"]; plan: DirectorPlan };
  /** The plans in force before the last reload: the new ones reuse their resolution where they did not change. */
  private plansBefore: readonly VirtualServerPlan[] | undefined;
  private intent: DirectorIntent;
  private drainState: DrainState;
  private readonly keepIpvsOnStop: boolean;
  private readonly vrrpRuns: boolean;
  private lastApply: ApplyRecord | undefined;
  private driftRepairs = 0;
  private statusTimer: TimerHandle | undefined;
  private addresses: LocalAddresses | undefined;
  private retryTimer: TimerHandle | undefined;
  private stopping = false;
  private vrrpStates: Record<string, string> = {};
  private readonly syncDaemons: SyncDaemons;
  private readonly facts: KernelFacts;
  private readonly notifier: DirectorNotifier;
  private readonly fifo: NotifyFifos;
  private readonly outbox: DirectorOutbox;
  private readonly statusReporter = new StatusReporter();
  private readonly checks: CheckerRunner;
  /** The last scheduler health sent, and when. */
  private schedulerReport: { atMs: number; text: string } | undefined;
  private burstAtMs: number | undefined;

  constructor(
    private readonly deps: DirectorServiceDeps,
    start: DirectorStart,
  ) {
    this.inForce = { globalDefs: start.config.globalDefs, plan: deps.plan(start.config) };
    this.intent = start.intent;
    this.drainState = start.drainState;
    this.keepIpvsOnStop = start.keepIpvsOnStop;
    this.vrrpRuns = start.vrrpRuns;
    this.outbox = new DirectorOutbox((message) => deps.send(message));
    this.facts = new KernelFacts({
      host: deps.host,
      logger: deps.logger,
      clock: deps.clock,
      record: (summary, data) => this.record("ipvs.sysctl", summary, data),
    });
    this.syncDaemons = new SyncDaemons(deps.logger, (summary, data) => this.record("ipvs.sync-daemon", summary, data));
    this.notifier = new DirectorNotifier({
      ...deps.scripts,
      clock: deps.clock,
      logger: deps.logger.child("notify"),
      record: (event) => this.outbox.event(event),
    });
    this.fifo = new NotifyFifos({ logger: deps.logger, createFifo: () => new NotifyFifo({ logger: deps.logger, runner: deps.scripts.runner }) });
    this.checks = new CheckerRunner({
      clock: deps.clock,
      logger: deps.logger.child("check"),
      random: deps.random ?? Math.random,
      ...(deps.probes ? { probes: deps.probes } : {}),
      miscScripts: createMiscScripts({ ...deps.scripts, globalDefs: () => this.inForce.globalDefs }),
      // The director takes a verdict when it has a table; until then the runner keeps it (checksToDirector).
      verdict: (target, verdict) => void this.director?.reportChecker(target, verdict),
      transition: (t) =>
        this.record(
          "ipvs.checker",
          `${t.target.checker} of ${t.target.realServer} ${t.up ? "up" : "down"}${t.first ? " (first check)" : ""}: ${t.reason}`,
          {
            virtualServer: t.target.virtualServer,
            realServer: t.target.realServer,
            checker: t.target.checker,
            state: t.up ? "up" : "down",
            first: t.first,
            reason: t.reason,
            durationMs: Math.max(0, t.durationMs),
            retries: t.retries,
          },
          t.target.virtualServer,
        ),
    });
  }

  async start(): Promise<void> {
    this.followScripts();
    // The checks run with or without the kernel's IPVS.
    this.checks.configure(this.resolvedPlans());
    await this.followAddresses();
    this.checks.start();
    await this.connect();
    const kernel = this.kernel;
    this.send({ type: "started", ipvsAvailable: kernel?.ok === true, ...(kernel && !kernel.ok ? { reason: kernel.reason } : {}) });
    this.sendStatus();
  }

  handle(message: ToDirector): void {
    switch (message.type) {
      case "apply": {
        const config = fromJsonText(message.config);
        this.plansBefore = this.plan().virtualServers;
        this.inForce = { globalDefs: config.globalDefs, plan: this.deps.plan(config) };
        const planned = this.plan();
        this.followScripts(true);

        void this.applyTimeouts(planned.globals)
          .then(() =>
            this.director?.reload(planned.virtualServers, { rsInitNotifies: planned.globals.rsInitNotifies, drainTimeoutMs: planned.globals.drainTimeoutMs }),
          )
          .then(() => this.checks.configure(this.resolvedPlans()))
          .then(() => this.followAddresses())
          .then(() => this.runPreflight())
          .then(() => this.followSyncDaemons())
          .then(() => {
            this.send({ type: "applied" });
            this.sendStatus();
          });
        return;
      }
      case "vrrp":
        this.vrrpStates = message.states;
        void this.followSyncDaemons();
        return;
      case "intent":
        this.intent = message.intent;
        void this.director?.setIntent(message.intent).then(() => this.sendStatus());
        return;
      case "stop":
        void this.stop(message.reason);
        return;
      case "start":
        return;
    }
  }

  async stop(reason: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    // keepalived's checker SIGTERMs its FIFO scripts before its last lines (they read on until the FIFO closes).
    this.fifo.terminateReaders();
    this.statusTimer?.cancel();
    this.retryTimer?.cancel();
    await this.checks.stop();
    await this.addresses?.close();
    this.addresses = undefined;
    const release = !this.keepIpvsOnStop;
    this.deps.logger.info(`stopping (${reason}): ${release ? "removing the IPVS services tandem created" : "leaving the IPVS table serving (-I)"}`);
    await this.director?.stop(release, this.plan().globals.flushOnStop);
    // keepalived's omega notifies of the stop run before the process goes, a second each.
    await this.notifier.finish(NOTIFY_DRAIN_MS);
    await this.fifo.close();
    await this.followSyncDaemons(true);
    // lvs_flush_on_stop (full): the whole table goes, others' services too, as keepalived does.
    if (release && this.kernel?.ok && this.plan().globals.flushOnStop === "full") {
      await this.setting("lvs_flush_on_stop", () => (this.kernel as Extract<KernelOpen, { ok: true }>).settings.flush());
    }
    if (this.kernel?.ok) this.kernel.close();
    this.send({ type: "stopped" });
  }

  /**
   * The configuration's scripts checked, and its notify_fifo and lvs_notify_fifo opened (at a
   * reload closed first: keepalived "does not know if it will be the same after a reload").
   */
  private followScripts(reload = false): void {
    this.notifier.configure(this.inForce.globalDefs, this.resolvedPlans());
    if (reload) void this.fifo.close();
    const plan = planNotifyFifos(this.inForce.globalDefs, "director", true);
    this.fifo.openPlan(plan, this.notifier.identity(), (keyword, text) => this.notifier.prepare("global_defs", keyword, text));
  }

  /** Opens the kernel's IPVS; without it, reports the director unavailable and tries again later. */
  private async connect(): Promise<void> {
    const { clock, logger } = this.deps;
    this.kernel = await this.deps.openKernel();
    if (!this.kernel.ok) {
      logger.warn(`IPVS director unavailable: ${this.kernel.reason}; ${this.vrrpRuns ? "VRRP runs on, " : ""}trying again in ${KERNEL_RETRY_MS / 1000} s`);
      this.record("ipvs.director", `IPVS director unavailable: ${this.kernel.reason}`, { available: false, reason: this.kernel.reason });
      this.retryTimer = clock.at(clock.nowMs() + KERNEL_RETRY_MS, () => void this.connect().then(() => this.sendStatus()));
      return;
    }
    // Before the table: ip_forward and the rest are right (or reported) before services serve.
    await this.runPreflight();
    const planned = this.plan();
    if (planned.globals.syncDaemon?.instance !== undefined && !this.vrrpRuns) {
      logger.warn(
        `lvs_sync_daemon follows VRRP instance ${planned.globals.syncDaemon.instance}, and no VRRP runs (-C/--check): no sync daemon, as in keepalived`,
      );
    }
    // lvs_flush: keepalived empties the whole table before it programs its own (not at a reload).
    if (planned.globals.flushAtStart) await this.setting("lvs_flush", () => (this.kernel as Extract<KernelOpen, { ok: true }>).settings.flush());
    await this.applyTimeouts(planned.globals);
    this.director = new Director({
      kernel: this.kernel.kernel,
      ownership: this.deps.ownership,
      clock,
      logger,
      report: (report) => this.onReport(report),
      drainTimeoutMs: planned.globals.drainTimeoutMs,
      driftScanMs: DRIFT_SCAN_MS,
    });
    this.record("ipvs.director", "IPVS director available", { available: true });
    await this.director.start(planned.virtualServers, this.intent, this.drainState, { rsInitNotifies: planned.globals.rsInitNotifies });
    await this.checksToDirector();
    await this.followSyncDaemons();
  }

  /**
   * ha_suspend: the checks of a virtual server that has it run only while its address is
   * here. The addresses are followed only while some virtual server asks for it; if they
   * cannot be read, every check runs (suspending on a guess would hide failures).
   */
  private async followAddresses(): Promise<void> {
    const resolved = this.resolvedPlans();
    const wanted = resolved.some((vs) => vs.haSuspend) && this.deps.watchAddresses !== undefined;
    if (!wanted) {
      await this.addresses?.close();
      this.addresses = undefined;
      this.checks.setActivity([]);
      return;
    }
    if (!this.addresses) {
      try {
        this.addresses = await this.deps.watchAddresses!(() => this.checks.setActivity(this.activity(this.resolvedPlans())));
      } catch (error) {
        this.deps.logger.error(`ha_suspend: cannot follow this box's addresses (${(error as Error).message}); every virtual server's checks run`);
        this.checks.setActivity([]);
        return;
      }
    }
    this.checks.setActivity(this.activity(resolved));
  }

  /** Which virtual servers' checks run, by the addresses (IPv4 and IPv6) on this box now. */
  private activity(resolved: readonly ResolvedVirtualServer[]) {
    return checkActivity(resolved, this.addresses?.present() ?? []);
  }

  /** The verdicts the checkers gave before the director had a table (the kernel opened late, or after a retry). */
  private async checksToDirector(): Promise<void> {
    for (const { target, verdict } of this.checks.verdicts()) await this.director?.reportChecker(target, verdict);
  }

  /** The preflight (kernel-facts.ts) for the configuration in force; only with the kernel open. */
  private async runPreflight(): Promise<void> {
    const kernel = this.kernel;
    if (!kernel?.ok || this.stopping) return;
    await this.facts.check(() => kernel.settings.info(), this.resolvedPlans(), this.plan().globals.setSysctls);
  }

  /**
   * lvs_sync_daemon, for the VRRP states last heard (none when stopping). One that follows a
   * VRRP instance is keepalived's VRRP process's to run (checker_ipvs_syncd_needed), so with
   * -C/--check there is none.
   */
  private followSyncDaemons(stopping = false): Promise<void> {
    const kernel = this.kernel;
    if (!kernel?.ok) return Promise.resolve();
    const plan = this.plan().globals.syncDaemon;
    const followed = plan?.instance !== undefined && !this.vrrpRuns ? undefined : plan;
    return this.syncDaemons.follow(kernel.settings, followed, this.vrrpStates, stopping);
  }

  /** lvs_timeouts, at start and at every reload that has them (the kernel keeps the ones not given). */
  private async applyTimeouts(globals: IpvsGlobalPlan): Promise<void> {
    const kernel = this.kernel;
    if (!globals.timeouts || !kernel?.ok) return;
    const timeouts = globals.timeouts;
    await this.setting("lvs_timeouts", () => kernel.settings.setConnectionTimeouts(timeouts));
  }

  /** One kernel-wide setting: logged either way, never fatal. */
  private async setting(keyword: string, run: () => Promise<IpvsOpResult>): Promise<void> {
    const result = await run().catch((error: Error): IpvsOpResult => ({ ok: false, errno: "EOTHER", reason: error.message }));
    if (result.ok) this.deps.logger.info(`${keyword}: applied`);
    else this.deps.logger.error(`${keyword}: the kernel refused it: ${result.reason}`);
  }

  private onReport(report: DirectorReport): void {
    const { logger, clock } = this.deps;
    switch (report.kind) {
      case "quorum":
        return this.onQuorumEffect(report.effect);
      case "drain": {
        const e = report.effect;
        logger.info(`drain ${e.kind}: ${e.service} -> ${e.destination} (${e.cause})`);
        this.emit(drainRecord(e));
        this.syncDrainState();
        return;
      }
      case "applied": {
        this.lastApply = {
          atMs: clock.wallMs(),
          cause: report.cause,
          writes: report.ops.length,
          failures: report.failures.length,
          durationMs: report.durationMs,
        };
        const errors = report.failures.map((f) => `${f.reason}: ${describeOp(f.op)}`);
        for (const error of errors) logger.warn(`IPVS write failed: ${error}`);
        for (const op of report.ops) {
          if ("identityChange" in op && op.identityChange && op.kind.startsWith("delete")) {
            logger.warn(`IPVS ${describeOp(op)}: ${op.identityChange.from} becomes ${op.identityChange.to}; its connections break`);
          }
        }
        this.emit(applyRecord(report, errors));
        this.syncDrainState();
        return;
      }
      case "drift-repaired":
        this.driftRepairs++;
        logger.warn(`IPVS table changed behind tandem's back: repaired with ${report.ops.length} write(s): ${report.ops.map(describeOp).join("; ")}`);
        this.emit(driftRecord(report));
        return;
      case "kernel-unreachable":
        logger.error(`IPVS: the kernel's table cannot be read: ${report.reason}`);
        return;
    }
  }

  /** keepalived's records and notifies from the quorum machine. */
  private onQuorumEffect(effect: DirectorEffect): void {
    if (effect.kind === "notify") {
      this.notifier.notify(effect);
      return this.fifo.write(effect.fifoLine);
    }
    // keepalived logs a real server going in at a check's verdict, not each one it programs at
    // start (init_service_rs): with thousands, those lines cost more than the writes. The
    // history still records each.
    if (effect.event === "real-server-up" && effect.cause === "start") this.deps.logger.debug(effect.message);
    else this.deps.logger.info(effect.message);
    const record = quorumRecord(effect, () => {
      const vs = this.director?.virtualServer(effect.virtualServer);
      return { liveWeight: this.director?.liveWeight(effect.virtualServer) ?? 0, quorum: vs?.quorum ?? 0, hysteresis: vs?.hysteresis ?? 0 };
    });
    if (record) this.emit(record);
  }

  private syncDrainState(): void {
    const state = this.director?.drainState();
    if (state && JSON.stringify(state) !== JSON.stringify(this.drainState)) {
      this.drainState = state;
      this.send({ type: "drain-state", state });
    }
  }

  private record<K extends keyof IpvsEventDataByKind>(kind: K, summary: string, data: IpvsEventDataByKind[K], instance?: string): void {
    this.emit({ kind, summary, data, ...(instance === undefined ? {} : { instance }) } as IpvsRecord);
  }

  private emit(record: IpvsRecord): void {
    this.outbox.event({ ...record, atMs: this.burstWallMs() } as NewEvent);
  }

  /**
   * The wall clock, read once for the records one step makes together (a start makes one per
   * real server, thousands; a reading took about 20 us in an emulated guest). Read again in
   * the next turn.
   */
  private burstWallMs(): number {
    if (this.burstAtMs === undefined) {
      this.burstAtMs = this.deps.clock.wallMs();
      queueMicrotask(() => (this.burstAtMs = undefined));
    }
    return this.burstAtMs;
  }

  private send(message: Exclude<FromDirector, { type: "events" }>): void {
    this.outbox.send(message);
  }

  /** The configuration in force as the director plans it. */
  private plan(): DirectorPlan {
    return this.inForce.plan;
  }

  /**
   * The plans of the configuration in force after keepalived's corrections (the running
   * Director's own, once it has them: the same resolution). At a reload, the new ones before
   * the Director has them: its scripts are the ones to check.
   */
  private resolvedPlans(): readonly ResolvedVirtualServer[] {
    return resolvePlansOnce(this.plan().virtualServers, this.plansBefore).virtualServers;
  }

  /**
   * The checks' scheduler every CHECK_SCHEDULER_REPORT_MS while there are checks, when it
   * changed; once more when they are gone, so the view drops it. Each message wakes the
   * supervisor and the observer: an idle daemon should not pay that every second.
   */
  private reportScheduler(): void {
    const nowMs = this.deps.clock.nowMs();
    if (this.schedulerReport && nowMs - this.schedulerReport.atMs < CHECK_SCHEDULER_REPORT_MS) return;
    const health = this.checks.schedulerHealth();
    const text = JSON.stringify(health ?? null);
    if (text === this.schedulerReport?.text || (!health && !this.schedulerReport)) return;
    this.send({ type: "check-scheduler", health });
    this.schedulerReport = { atMs: nowMs, text };
  }

  /** The status when it changed, else the heartbeat (status-reporter.ts); every second. */
  private sendStatus(): void {
    this.statusTimer?.cancel();
    if (this.stopping) return;
    const { clock } = this.deps;
    this.send(
      this.statusReporter.message({
        available: this.kernel?.ok === true,
        reason: this.kernel && !this.kernel.ok ? this.kernel.reason : undefined,
        // Without a kernel to program, the status still shows what the configuration asks for.
        resolved: this.resolvedPlans(),
        snapshot: this.director?.snapshot(),
        lastApply: this.lastApply,
        driftRepairs: this.driftRepairs,
        preflight: this.facts.preflight,
        totals: this.facts.totals,
        checkers: this.checks.states(),
      }),
    );
    const stats = this.checks.checkStatsSlice();
    if (stats) this.send({ type: "check-stats", reset: stats.reset, entries: toJsonText(stats.entries) });
    this.reportScheduler();
    if (this.kernel?.ok) this.facts.refreshTotals();
    // On the second's grid, with the checks' loop-lag sample: one wakeup for both.
    this.statusTimer = clock.at(nextOnGrid(clock.nowMs(), STATUS_REFRESH_MS), () => this.sendStatus());
  }
}
