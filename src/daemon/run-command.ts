// `tandem run` / `tandem -f FILE -n ...`: the daemon. Loads the configuration, starts the
// VRRP runtime, and handles signals: SIGTERM/SIGINT stop gracefully (priority 0, VIPs
// released), SIGHUP reloads (an invalid file is reported and the running config stays).
import { hostname } from "node:os";
import { systemClock, type Clock } from "../common/clock.ts";
import { createLogger, type Logger, type LogSink } from "../common/logger.ts";
import { formatDiagnostic, nodeFiles, parseConfig, type Config } from "../config/index.ts";
import { createNetworkPorts, type NetworkPorts } from "../net/index.ts";
import type { NewEvent } from "../store/event.ts";
import type { RunOptions } from "./cli/cli-args.ts";
import { EXIT_CONFIG_ERROR } from "./cli/check-command.ts";
import { daemonize } from "./os/daemonize.ts";
import { historyEventOf, notifyEvent } from "./observe/history-events.ts";
import { Observability } from "./observe/observability.ts";
import { planRuntime } from "../vrrp/instance-plan.ts";
import { consoleSink } from "./os/log-sink.ts";
import { parseFacility, syslogSink } from "./os/syslog-sink.ts";
import { createNotifyRunner, type NotifyRunner } from "./scripts/notify-runner.ts";
import { notifyTargets } from "./scripts/notify-targets.ts";
import { claimPidFile, releasePidFile } from "./os/pid-file.ts";
import { createProcessRunner } from "./scripts/process-runner.ts";
import { nodeSecurityFs } from "./scripts/script-security.ts";
import { readAccountDatabase, resolveScriptIdentity, type ScriptIdentity } from "./scripts/script-user.ts";
import { notifySystemd } from "./os/systemd-notify.ts";
import { createTracking } from "./vrrp/tracking.ts";
import { VERSION } from "./cli/version.ts";
import { VrrpRuntime, type RuntimeEvent } from "./vrrp/vrrp-runtime.ts";

export async function runCommand(options: RunOptions): Promise<number> {
  if (!options.dontFork) return daemonize();
  const clock = systemClock();
  const facility = parseFacility(options.logFacility);
  if (facility === undefined) {
    process.stderr.write(`tandem: --log-facility ${options.logFacility}: expected 0-7, local0-7, user or daemon\n`);
    return 2;
  }
  // Like keepalived: syslog unless -G, the console as well with -l.
  const sinks: LogSink[] = [];
  if (options.logConsole) sinks.push(consoleSink(clock));
  if (!options.noSyslog) sinks.push(syslogSink(clock, facility));
  const logger = createLogger((level, line) => sinks.forEach((sink) => sink(level, line)), options.logDetail ? "debug" : "info");
  logger.info(`Tandem ${VERSION} starting (pid ${process.pid}), configuration ${options.configFile}`);
  if (options.ignored.length) logger.debug(`accepted for keepalived compatibility, no effect: ${options.ignored.join(" ")}`);
  if (options.checkOnly) {
    logger.error("--check (health checkers only) needs the IPVS director, which this version does not have yet");
    return 1;
  }

  const configId = options.configId ?? hostname();
  const { config } = loadConfig(options.configFile, configId, logger);
  if (!config) return EXIT_CONFIG_ERROR;
  if (config.virtualServers.length > 0) logger.warn(`${config.virtualServers.length} virtual_server block(s) parsed; the IPVS director is not part of this version, so only VRRP runs`);

  // Signals before anything else: a SIGTERM during start-up must end in a graceful stop,
  // never in the default action that would leave VIPs behind.
  let daemon: Daemon | undefined;
  let stopBeforeStart: string | undefined;
  const onStop = (reason: string) => (daemon ? daemon.requestStop(reason) : (stopBeforeStart ??= reason));
  process.on("SIGTERM", () => onStop("SIGTERM"));
  process.on("SIGINT", () => onStop("SIGINT"));
  process.on("SIGHUP", () => daemon?.requestReload());

  const pidProblem = options.pidFile ? claimPidFile(options.pidFile) : undefined;
  if (pidProblem) {
    logger.error(pidProblem);
    return 1;
  }
  daemon = new Daemon(options, config, configId, clock, logger);
  if (stopBeforeStart) daemon.requestStop(stopBeforeStart);
  installCrashGuards(logger);
  try {
    await daemon.start();
  } catch (error) {
    logger.error(`start failed: ${(error as Error).message}`);
    await daemon.stop();
    if (options.pidFile) releasePidFile(options.pidFile);
    return 1;
  }
  const exitCode = await daemon.untilStopped();
  if (options.pidFile) releasePidFile(options.pidFile);
  return exitCode;
}

function loadConfig(file: string, configId: string, logger: Logger): { config: Config | undefined; diagnostics: string[] } {
  const { config, diagnostics } = parseConfig(file, { ...nodeFiles, configId });
  for (const d of diagnostics) (d.severity === "error" ? logger.error : logger.warn)(formatDiagnostic(d));
  if (!config) logger.error(`${file}: ${diagnostics.filter((d) => d.severity === "error").length} configuration error(s)`);
  return { config, diagnostics: diagnostics.map(formatDiagnostic) };
}

class Daemon {
  private readonly net: NetworkPorts;
  private readonly notify: NotifyRunner;
  private readonly runtime: VrrpRuntime;
  private readonly identity: ScriptIdentity;
  private readonly observability: Observability;
  private reloading: Promise<void> = Promise.resolve();
  private starting = true;
  private stopRequested: string | undefined;
  private isReload = false;
  private stopping: Promise<void> | undefined;
  private resolveStopped: (code: number) => void = () => {};
  private readonly stopped = new Promise<number>((resolve) => (this.resolveStopped = resolve));

  constructor(
    private readonly options: RunOptions,
    private config: Config,
    private readonly configId: string,
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
    this.observability = new Observability({ clock, logger, dbFile: options.dbFile, configFile: options.configFile, config: () => this.config });
    this.notify = createNotifyRunner({ clock, runner, logger: logger.child("notify"), targets: [], onRun: (run) => this.record(notifyEvent(run)) });
    this.runtime = new VrrpRuntime({
      clock,
      logger,
      net: this.net,
      keepVipsOnStop: options.dontReleaseVrrp,
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
            inMaintenance: (instance) => this.observability.inMaintenance(instance),
          },
          plans,
          instanceOf,
        ),
    });
  }

  /** SIGTERM/SIGINT: during start-up the stop waits until the instances exist. */
  requestStop(reason: string): void {
    if (this.starting) this.stopRequested ??= reason;
    else void this.stop(reason);
  }

  requestReload(): void {
    if (this.starting) this.logger.warn("SIGHUP during start-up ignored; send it again once running");
    else void this.reload();
  }

  async start(): Promise<void> {
    this.record({ kind: "daemon.start", atMs: this.clock.wallMs(), summary: `tandem ${VERSION} started (pid ${process.pid}) with ${this.options.configFile}`, data: { version: VERSION, configFile: this.options.configFile, pid: process.pid } });
    const plan = planRuntime(this.config);
    this.notify.setTargets(notifyTargets(plan.instances, plan.syncGroups, this.identity, this.logger));
    this.observability.onMaintenanceReloaded = () => this.runtime.maintenanceReloaded();
    await this.runtime.start(plan);
    await this.observability.startApi(this.runtime);
    this.starting = false;
    notifySystemd("READY=1", this.logger);
    this.logger.info(`running ${plan.instances.length} VRRP instance(s)`);
    if (this.stopRequested) void this.stop(this.stopRequested);
  }

  untilStopped(): Promise<number> {
    return this.stopped;
  }

  /** SIGHUP. Reloads never overlap; a rejected file leaves everything as it was. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(async () => {
      if (this.stopping) return;
      this.logger.info(`reloading ${this.options.configFile}`);
      notifySystemd("RELOADING=1", this.logger);
      const file = this.options.configFile;
      const { config, diagnostics } = loadConfig(file, this.configId, this.logger);
      if (!config) {
        this.logger.error("reload rejected: the running configuration stays in force");
        this.record({ kind: "config.reload", atMs: this.clock.wallMs(), summary: `reload of ${file} rejected: ${diagnostics.filter((d) => d.includes(": error: ")).length} error(s); the running configuration stays`, data: { ok: false, file, diagnostics } });
        notifySystemd("READY=1", this.logger);
        return;
      }
      this.config = config;
      this.isReload = true;
      const plan = planRuntime(config);
      this.notify.setTargets(notifyTargets(plan.instances, plan.syncGroups, this.identity, this.logger));
      await this.runtime.apply(plan);
      this.observability.reloadToken();
      this.record({ kind: "config.reload", atMs: this.clock.wallMs(), summary: `reloaded ${file}: ${plan.instances.length} instance(s)`, data: { ok: true, file, diagnostics } });
      this.logger.info("reload complete");
      notifySystemd("READY=1", this.logger);
    });
    return this.reloading;
  }

  stop(reason = "SIGTERM"): Promise<void> {
    this.stopping ??= (async () => {
      this.logger.info("stopping: releasing virtual addresses");
      this.record({ kind: "daemon.stop", atMs: this.clock.wallMs(), summary: `tandem stopping (${reason})`, data: { reason } });
      notifySystemd("STOPPING=1", this.logger);
      await this.reloading.catch(() => undefined);
      await this.runtime.stop();
      // Let notify_stop scripts finish, but never hang the shutdown on them.
      await Promise.race([this.notify.idle(), new Promise<void>((resolve) => this.clock.at(this.clock.nowMs() + 2_000, resolve))]);
      await this.notify.stop();
      await this.observability.stop();
      this.net.close();
      this.logger.info("stopped");
      this.resolveStopped(0);
    })();
    return this.stopping;
  }

  private record(event: NewEvent): void {
    this.observability.record(event);
  }

  private onEvent(event: RuntimeEvent): void {
    const history = historyEventOf(event, this.clock.wallMs());
    this.record(history);
    if (event.kind === "transition") {
      const { transition } = event;
      if (transition.to !== "INIT") this.notify.transition("INSTANCE", transition.instance, transition.to, transition.effectivePriority);
    } else if (event.kind === "group-transition") {
      this.logger.info(`sync group ${event.group.name}: ${event.from} -> ${event.to}`);
      if (event.to !== "INIT") this.notify.transition("GROUP", event.group.name, event.to, 0);
    } else if (event.kind === "other-master") {
      this.logger.warn(history.summary);
    }
  }
}

/** Bad input must never take the daemon down: log what escaped, keep the VRRP side running. */
function installCrashGuards(logger: Logger): void {
  process.on("uncaughtException", (error) => logger.error(`internal error (continuing): ${error.stack ?? error.message}`));
  process.on("unhandledRejection", (reason) => logger.error(`internal error in a promise (continuing): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`));
}
