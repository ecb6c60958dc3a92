// The "see and steer" side of the daemon: the event history (SQLite), the live event bus,
// and the REST API with its status page. VRRP never depends on any of it: a history that
// cannot be written is reported as degraded, and an API that cannot listen is logged.
import { readFileSync } from "node:fs";
import type { Clock } from "../common/clock.ts";
import type { Logger } from "../common/logger.ts";
import type { Config } from "../config/index.ts";
import { createApiApp } from "../api/index.ts";
import type { ApiPorts } from "../api/ports.ts";
import { openEventLog } from "../store/index.ts";
import type { EventLog, HistoryHealth, NewEvent } from "../store/event.ts";
import { createApiActions } from "./api-actions.ts";
import { DEFAULT_API_LISTEN } from "./cli-args.ts";
import { startApiServer } from "./api-server.ts";
import { nodeStoreFiles } from "./store-files.ts";
import { createConfigSource } from "./config-view.ts";
import { EventBus } from "./event-bus.ts";
import { createStatusSource } from "./status-view.ts";
import { VERSION } from "./version.ts";
import type { VrrpRuntime } from "./vrrp-runtime.ts";

export interface ObservabilityOptions {
  clock: Clock;
  logger: Logger;
  dbFile: string;
  configFile: string;
  config: () => Config;
}

export class Observability {
  readonly log: EventLog;
  readonly bus: EventBus;
  private server: { url: string; stop(): Promise<void> } | undefined;
  private token: string | undefined;
  private readonly startedAtMs: number;

  constructor(private readonly options: ObservabilityOptions) {
    const { clock, logger } = options;
    this.startedAtMs = clock.wallMs();
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
  }

  /** Called when the history recovers: maintenance saved in the file may differ from memory. */
  onMaintenanceReloaded: () => void = () => {};

  record(event: NewEvent): void {
    this.bus.record(event);
  }

  /** Instances in maintenance, as persisted (read by tracking through the runtime). */
  inMaintenance(instance: string): boolean {
    return this.log.maintenance().includes(instance);
  }

  /** Start (or, after a reload, restart) the API on api_listen. */
  async startApi(runtime: VrrpRuntime): Promise<void> {
    const { clock, logger } = this.options;
    const global = this.options.config().globalDefs;
    this.token = readToken(global.apiTokenFile, logger);
    const ports: ApiPorts = {
      status: createStatusSource(runtime, clock, {
        version: VERSION,
        startedAtMs: this.startedAtMs,
        configFile: this.options.configFile,
        routerId: () => this.options.config().globalDefs.routerId,
        history: () => this.log.health(),
        maintenance: () => new Set(this.log.maintenance()),
      }),
      events: this.bus,
      config: createConfigSource(this.options.config),
      actions: createApiActions(runtime, this.log, this.bus, clock),
      token: () => this.token,
      clock,
    };
    const listen = global.apiListen ?? DEFAULT_API_LISTEN;
    try {
      const server = await startApiServer({ listen, app: createApiApp(ports), logger: logger.child("api") });
      this.server = server;
      logger.info(`REST API and status page on ${server.url}${this.token ? "" : " (no api_token_file: actions are refused with 401)"}`);
    } catch (error) {
      logger.error(`REST API not started on ${listen}: ${(error as Error).message}; VRRP runs on without it`);
    }
  }

  /** After a reload: the token file may have changed; the listen address needs a restart to move. */
  reloadToken(): void {
    this.token = readToken(this.options.config().globalDefs.apiTokenFile, this.options.logger);
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
    this.log.close();
  }

  private onHealthChange(health: HistoryHealth): void {
    const { logger, clock } = this.options;
    if (health.state === "degraded") {
      logger.warn(`event history ${health.path} degraded: ${health.reason}; VRRP runs on, events reach the API but are not stored until it recovers`);
      this.bus?.record({ kind: "history.degraded", atMs: clock.wallMs(), summary: `event history degraded: ${health.reason}`, data: { reason: health.reason ?? "unknown" } });
    } else {
      logger.info(`event history recovered (${health.droppedEvents} event(s) could not be stored meanwhile)`);
      this.bus?.record({ kind: "history.recovered", atMs: clock.wallMs(), summary: `event history recovered; ${health.droppedEvents} event(s) were not stored`, data: { droppedEvents: health.droppedEvents } });
      this.onMaintenanceReloaded();
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
