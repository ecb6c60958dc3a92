// The messages between the daemon's processes, one binary in three roles (keepalived's
// parent, vrrp and checker processes): the supervisor, the VRRP engine, and the observer
// (REST API, history, status streams, validation). Sent over Bun's IPC channel with its
// structured-clone serialization, so a Config travels as it is.
import type { CheckSchedulerView, GroupView, InstanceView, IpvsView, SocketView } from "../../api/ports.ts";
import type { CheckStatsEntry } from "../../check/check-stats-feed.ts";
import type { Config } from "../../config/index.ts";
import type { DirectorConfig } from "./director-config.ts";
import type { JsonText } from "./json-text.ts";
import type { DirectorIntent } from "../../ipvs/director-types.ts";
import type { DrainState } from "../../ipvs/drain.ts";
import type { NewEvent } from "../../store/event.ts";

/** How a child logs: the supervisor's own options, so every process writes alike. */
export interface LogOptions {
  console: boolean;
  syslog: boolean;
  facility: string | undefined;
  detail: boolean;
}

/** What the engine reports of itself, for the API (it pushes it a few times a second). */
export interface EngineStatus {
  /** Wall-clock ms at which this was taken. */
  atMs: number;
  instances: InstanceView[];
  groups: GroupView[];
  sockets: SocketView[];
  takeoverDurationsMs: number[];
  lastSplitBrain?: { instance: string; peer: string; atMs: number };
}

/** The facts about the daemon as a whole that the API shows. */
export interface DaemonFacts {
  version: string;
  /** The supervisor's pid: the daemon's pid as the pid file and systemd know it. */
  pid: number;
  startedAtMs: number;
  configFile: string;
}

/** What the director's first pass came to, for the gate that holds VRRP until it is done. */
export type DirectorOutcome = "ready" | "unavailable" | "stopped";

export type ToEngine =
  | {
      type: "start";
      config: Config;
      maintenance: string[];
      keepVipsOnStop: boolean;
      /** A director runs beside the engine for this configuration (not -P/--vrrp, and virtual servers): it then runs notify_fifo_script. */
      directorRuns: boolean;
      log: LogOptions;
      /**
       * The director-ready gate: hold the instances until a "director" message, for at most
       * timeoutMs. Absent when no director runs beside the engine, or it has reported already.
       */
      directorGate?: { timeoutMs: number };
    }
  | { type: "apply"; config: Config; maintenance: string[]; directorRuns: boolean }
  /** The director's first pass is done (or IPVS is unavailable, or it no longer runs): the gate opens. */
  | { type: "director"; outcome: DirectorOutcome; detail?: string }
  | { type: "intent"; maintenance: string[] }
  | { type: "stop"; reason: string };

export type FromEngine =
  { type: "started" } | { type: "applied" } | { type: "event"; event: NewEvent } | { type: "status"; status: EngineStatus } | { type: "stopped" };

/** The director (IPVS and, next, the health checks): keepalived's checker process. */
export type ToDirector =
  | {
      type: "start";
      config: JsonText<DirectorConfig>;
      intent: DirectorIntent;
      drainState: DrainState;
      /** -I / --dont-release-ipvs: leave the table serving on stop. */
      keepIpvsOnStop: boolean;
      /** A VRRP engine runs beside the director (not with -C/--check). */
      vrrpRuns: boolean;
      /** The SQLite record of the services tandem created. */
      ownershipFile: string;
      log: LogOptions;
    }
  | { type: "apply"; config: JsonText<DirectorConfig> }
  | { type: "intent"; intent: DirectorIntent }
  /** The VRRP instances' states (lvs_sync_daemon follows one; ha_suspend next). */
  | { type: "vrrp"; states: Record<string, string> }
  | { type: "stop"; reason: string };

/** Some checkers' counters; with reset, the receiver forgets those it holds first. */
export interface CheckStatsMessage {
  type: "check-stats";
  reset: boolean;
  entries: JsonText<CheckStatsEntry[]>;
}

export interface CheckSchedulerMessage {
  type: "check-scheduler";
  health: CheckSchedulerView | undefined;
}

export type FromDirector =
  /** The first pass is done: the table programmed (ipvsAvailable), or no IPVS in the kernel (reason). */
  | { type: "started"; ipvsAvailable: boolean; reason?: string }
  | { type: "applied" }
  /** In order; a pass that programs thousands of real servers records as many, sent in few messages. */
  | { type: "events"; events: JsonText<NewEvent[]> }
  /** The view, when something in it may have changed (a pass, a reload, the kernel found or lost); megabytes at 40,000 destinations. */
  | { type: "status"; status: JsonText<IpvsView> }
  /** Only the kernel's counters moved (every second under traffic): they replace the last status's, which is not sent again. */
  | { type: "totals"; totals: IpvsView["totals"] }
  /** The checks' counters that moved, a slice at a time (check/check-stats-feed.ts); JSON text, not cloned object by object. */
  | CheckStatsMessage
  /** Every second: the checks' scheduler's load and lateness (none without checks). */
  | CheckSchedulerMessage
  /** Every second the view has not changed: the director is alive (the supervisor's watch). */
  | { type: "alive" }
  /** The drains in progress changed: the supervisor keeps them with the intent. */
  | { type: "drain-state"; state: DrainState }
  | { type: "stopped" };

export type ToObserver =
  | { type: "start"; config: JsonText<Config>; facts: DaemonFacts; dbFile: string; log: LogOptions }
  | { type: "config"; config: JsonText<Config> }
  | { type: "status"; status: EngineStatus }
  /** The director's view; undefined when no director runs (no virtual_server). */
  | { type: "ipvs"; status: JsonText<IpvsView> | undefined }
  /** The director's counters, newer than those of the last "ipvs" status. */
  | { type: "ipvs-totals"; totals: IpvsView["totals"] }
  /** The director's, passed on as they came; after a restart of the observer, all of them at once. */
  | CheckStatsMessage
  | CheckSchedulerMessage
  | { type: "events"; events: JsonText<NewEvent[]> }
  | { type: "reply"; id: number; result: MaintenanceResult }
  | { type: "stop" };

/** The answer to an intent request (maintenance, drain). */
export type MaintenanceResult = { ok: true; detail: string } | { ok: false; status: 404 | 409 | 500 | 503; error: string };

export type FromObserver =
  | { type: "ready"; url?: string }
  | { type: "alive" }
  | { type: "maintenance"; id: number; instance: string; on: boolean }
  | { type: "drain"; id: number; virtualServer: string; realServer: string; on: boolean };
