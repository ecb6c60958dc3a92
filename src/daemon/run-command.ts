// `tandem run` / `tandem -f FILE -n ...`: the daemon. Loads the configuration and starts
// the supervisor, which runs the VRRP engine (not with -C), the director (with virtual
// servers, not with -P) and the observer as child processes of this same binary; handles signals: SIGTERM/SIGINT stop gracefully (priority 0, VIPs released),
// SIGHUP reloads (an invalid file is reported and the running config stays).
import { hostname } from "node:os";
import { systemClock } from "../common/clock.ts";
import type { Logger } from "../common/logger.ts";
import { formatDiagnostic, nodeFiles, parseConfig, type Config } from "../config/index.ts";
import type { RunOptions } from "./cli/cli-args.ts";
import { EXIT_CONFIG_ERROR } from "./cli/check-command.ts";
import { selfCommand } from "./cli/self-command.ts";
import { VERSION } from "./cli/version.ts";
import type { LogOptions } from "./ipc/messages.ts";
import { createDaemonLogger } from "./os/daemon-logger.ts";
import { daemonize } from "./os/daemonize.ts";
import { claimPidFile, releasePidFile } from "./os/pid-file.ts";
import { Supervisor } from "./supervisor/supervisor.ts";

export async function runCommand(options: RunOptions): Promise<number> {
  if (!options.dontFork) return daemonize();
  const clock = systemClock();
  const log: LogOptions = { console: options.logConsole, syslog: !options.noSyslog, facility: options.logFacility, detail: options.logDetail };
  const made = createDaemonLogger(log, clock);
  if (!made.ok) {
    process.stderr.write(`tandem: ${made.error}\n`);
    return 2;
  }
  const logger = made.logger;
  logger.info(`Tandem ${VERSION} starting (pid ${process.pid}), configuration ${options.configFile}`);
  if (options.ignored.length) logger.debug(`accepted for keepalived compatibility, no effect: ${options.ignored.join(" ")}`);
  const configId = options.configId ?? hostname();
  const { config } = loadConfig(options.configFile, configId, logger);
  if (!config) return EXIT_CONFIG_ERROR;
  // The supervisor starts the director for them (not with -P), as keepalived starts its checker.
  if (config.virtualServers.length > 0 && options.vrrpOnly)
    logger.info(`${config.virtualServers.length} virtual_server block(s) parsed; --vrrp (-P): no IPVS director, only VRRP runs`);

  // Signals before anything else: a SIGTERM during start-up must end in a graceful stop,
  // never in the default action that would leave VIPs behind.
  let supervisor: Supervisor | undefined;
  let stopBeforeStart: string | undefined;
  const onStop = (reason: string) => (supervisor ? supervisor.requestStop(reason) : (stopBeforeStart ??= reason));
  process.on("SIGTERM", () => onStop("SIGTERM"));
  process.on("SIGINT", () => onStop("SIGINT"));
  process.on("SIGHUP", () => supervisor?.requestReload());

  const pidProblem = options.pidFile ? claimPidFile(options.pidFile) : undefined;
  if (pidProblem) {
    logger.error(pidProblem);
    return 1;
  }
  supervisor = new Supervisor({
    options,
    config,
    reparse: () => loadConfig(options.configFile, configId, logger),
    clock,
    logger,
    log,
    self: selfCommand(),
  });
  if (stopBeforeStart) supervisor.requestStop(stopBeforeStart);
  installCrashGuards(logger);
  const started = await supervisor.start();
  const exitCode = started ? await supervisor.untilStopped() : 1;
  if (options.pidFile) releasePidFile(options.pidFile);
  return exitCode;
}

function loadConfig(file: string, configId: string, logger: Logger): { config: Config | undefined; diagnostics: string[] } {
  const { config, diagnostics } = parseConfig(file, { ...nodeFiles, configId });
  for (const d of diagnostics) (d.severity === "error" ? logger.error : logger.warn)(formatDiagnostic(d));
  if (!config) logger.error(`${file}: ${diagnostics.filter((d) => d.severity === "error").length} configuration error(s)`);
  return { config, diagnostics: diagnostics.map(formatDiagnostic) };
}

/** Bad input must never take the supervisor down: log what escaped, keep the children running. */
function installCrashGuards(logger: Logger): void {
  process.on("uncaughtException", (error) => logger.error(`internal error (continuing): ${error.stack ?? error.message}`));
  process.on("unhandledRejection", (reason) =>
    logger.error(`internal error in a promise (continuing): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`),
  );
}
