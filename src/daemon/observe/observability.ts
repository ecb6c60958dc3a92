// The "see and steer" side of the daemon, in the observer process: the event history
// (SQLite), the live event bus, and the REST API with its status page. It sees the VRRP
// engine only through the status and events the supervisor forwards, and acts only
// through requests to the supervisor; a history that cannot be written is reported as
// degraded, and an API that cannot listen is logged.
import { readFileSync } from "node:fs";
import type { Clock } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import type { Config } from "../../config/index.ts";
import { createApiApp, RefusalLog } from "../../api/index.ts";
import { setProcessNice } from "../../net/index.ts";
import { describeExpiry, readCertificateInfo } from "../../tls/index.ts";
import type { Actions, ApiPorts, IpvsView } from "../../api/ports.ts";
import { openEventLog } from "../../store/index.ts";
import type { EventLog, HistoryHealth, NewEvent } from "../../store/event.ts";
import { DEFAULT_API_LISTEN } from "../cli/cli-args.ts";
import { startApiServer } from "./api-server.ts";
import { nodeStoreFiles } from "../os/store-files.ts";
import { createConfigSource } from "./config-view.ts";
import { createConfigValidator, type ConfigValidator } from "./config-validator.ts";
import { selfCommand } from "../cli/self-command.ts";
import { EventBus } from "./event-bus.ts";
import { createStatusSource } from "./status-view.ts";
import type { DaemonFacts, EngineStatus } from "../ipc/messages.ts";

export interface ObservabilityOptions {
  clock: Clock;
  logger: Logger;
  dbFile: string;
  facts: DaemonFacts;
  config: () => Config;
  /** The engine's last status (undefined until the first arrives). */
  engineStatus: () => EngineStatus | undefined;
  /** The director's last view (undefined when no director runs). */
  ipvsStatus?: () => IpvsView | undefined;
  /** argv of `tandem` itself, for the validator's child processes (tests run from source). */
  selfCommand?: readonly string[];
}

/** Validators run at this nice value: a busy box gives the daemon the CPU first. */
const VALIDATOR_NICE = 10;

export class Observability {
  readonly log: EventLog;
  readonly bus: EventBus;
  private server: { url: string; stop(): Promise<void> } | undefined;
  private token: string | undefined;
  private readonly validator: ConfigValidator;
  private readonly refusals: RefusalLog;

  constructor(private readonly options: ObservabilityOptions) {
    const { clock, logger } = options;
    // Health changes (also problems found at open) arrive later through the clock, never
    // from inside a call on the log, so the listener may record events.
    const global = options.config().globalDefs;
    this.log = openEventLog({
      path: options.dbFile,
      clock,
      files: nodeStoreFiles(),
      retention: { maxAgeDays: global.historyMaxAgeDays, maxRows: global.historyMaxEvents },
      onHealthChange: (health: HistoryHealth) => this.onHealthChange(health),
    });
    this.bus = new EventBus(this.log, logger.child("history"));
    this.validator = createConfigValidator({
      command: options.selfCommand ?? selfCommand(),
      clock,
      logger: logger.child("validate"),
      renice: (pid) => setProcessNice(pid, VALIDATOR_NICE),
    });
    this.refusals = new RefusalLog({ clock, record: (event) => this.bus.record(event) });
  }

  record(event: NewEvent): void {
    this.bus.record(event);
  }

  /** Start the API on api_listen (a new listen address needs a restart). */
  async startApi(actions: Actions): Promise<string | undefined> {
    const { clock, logger } = this.options;
    const global = this.options.config().globalDefs;
    this.token = readToken(global.apiTokenFile, logger);
    const ports: ApiPorts = {
      status: createStatusSource(
        this.options.engineStatus,
        this.options.facts,
        {
          routerId: () => this.options.config().globalDefs.routerId,
          history: () => this.log.health(),
        },
        this.options.ipvsStatus,
      ),
      events: this.bus,
      config: createConfigSource(this.options.config, this.validator),
      actions,
      history: this.bus,
      token: () => this.token,
      readsNeedToken: () => this.options.config().globalDefs.apiReadsNeedToken === true,
      clock,
    };
    const listen = global.apiListen ?? DEFAULT_API_LISTEN;
    try {
      const tls = readTls(global.apiTlsCertificate, global.apiTlsKey, clock.wallMs());
      const server = await startApiServer({ listen, app: createApiApp(ports, { refusals: this.refusals }), logger: logger.child("api"), tls: tls?.files });
      this.server = server;
      const auth = this.token
        ? global.apiReadsNeedToken
          ? "; every request but /healthz needs the token"
          : ""
        : " (no api_token_file: actions are refused with 401)";
      logger.info(`REST API and status page on ${server.url}${tls ? ` (${tls.summary})` : ""}${auth}`);
      if (tls && tls.daysLeft < CERTIFICATE_WARNING_DAYS)
        logger.warn(
          `the API certificate ${global.apiTlsCertificate} expires in ${tls.daysLeft} day(s); make a new one (tandem tls-certificate --force) and restart`,
        );
      return server.url;
    } catch (error) {
      logger.error(`REST API not started on ${listen}: ${(error as Error).message}; VRRP runs on without it`);
      return undefined;
    }
  }

  /** After a reload: the token file may have changed; the listen address needs a restart to move. */
  reloadToken(): void {
    this.token = readToken(this.options.config().globalDefs.apiTokenFile, this.options.logger);
  }

  async stop(): Promise<void> {
    this.validator.stop();
    this.refusals.stop();
    await this.server?.stop();
    this.server = undefined;
    this.log.close();
  }

  private onHealthChange(health: HistoryHealth): void {
    const { logger, clock } = this.options;
    if (health.state === "degraded") {
      logger.warn(`event history ${health.path} degraded: ${health.reason}; VRRP runs on, events reach the API but are not stored until it recovers`);
      this.bus?.record({
        kind: "history.degraded",
        atMs: clock.wallMs(),
        summary: `event history degraded: ${health.reason}`,
        data: { reason: health.reason ?? "unknown" },
      });
    } else {
      logger.info(`event history recovered (${health.droppedEvents} event(s) could not be stored meanwhile)`);
      this.bus?.record({
        kind: "history.recovered",
        atMs: clock.wallMs(),
        summary: `event history recovered; ${health.droppedEvents} event(s) were not stored`,
        data: { droppedEvents: health.droppedEvents },
      });
    }
  }
}

/** The bearer token from api_token_file (whitespace trimmed); undefined when unset or unreadable. */
function readToken(path: string | undefined, logger: Logger): string | undefined {
  if (!path) return undefined;
  try {
    const token = readFileSync(path, "utf8").trim();
    if (token.length === 0) logger.warn(`api_token_file ${path} is empty: API actions are refused`);
    return token.length > 0 ? token : undefined;
  } catch (error) {
    logger.warn(`cannot read api_token_file ${path}: ${(error as Error).message}; API actions are refused`);
    return undefined;
  }
}

/** Certificates closer to their end than this are warned about at start. */
const CERTIFICATE_WARNING_DAYS = 30;

interface TlsMaterial {
  files: { certificate: string; key: string };
  summary: string;
  daysLeft: number;
}

/**
 * api_tls_certificate / api_tls_key read as PEM; undefined when neither is set. A certificate
 * that cannot be read or used throws: the API then stays down rather than serve plain HTTP.
 */
function readTls(certificateFile: string | undefined, keyFile: string | undefined, nowMs: number): TlsMaterial | undefined {
  if (!certificateFile && !keyFile) return undefined;
  if (!certificateFile || !keyFile) throw new Error("api_tls_certificate and api_tls_key go together; set both or neither");
  const read = (file: string, what: string): string => {
    try {
      return readFileSync(file, "utf8");
    } catch (error) {
      throw new Error(`cannot read ${what} ${file}: ${(error as Error).message}`);
    }
  };
  const certificate = read(certificateFile, "api_tls_certificate");
  const key = read(keyFile, "api_tls_key");
  const info = readCertificateInfo(certificate, nowMs);
  if (!info.ok) throw new Error(`api_tls_certificate ${certificateFile}: ${info.message}`);
  return { files: { certificate, key }, summary: describeExpiry(info.info), daysLeft: info.info.daysLeft };
}
