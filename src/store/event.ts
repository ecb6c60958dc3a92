// The event history's record: every transition and why it happened, tracker changes,
// notify runs, reloads, API actions, daemon start/stop. Produced by the daemon, kept by
// the store, served by the API. One `kind`, one typed `data` per kind (the director's ipvs.*
// kinds in ipvs-event-data.ts).
import type { IpvsEventDataByKind } from "./ipvs-event-data.ts";

export type { IpvsChangeCause, IpvsEventDataByKind } from "./ipvs-event-data.ts";

export type VrrpStateName = "INIT" | "BACKUP" | "MASTER" | "FAULT" | "STOP";

export interface EventDataByKind extends IpvsEventDataByKind {
  "daemon.start": { version: string; configFile: string; pid: number };
  "daemon.stop": { reason: string };
  "vrrp.transition": {
    from: VrrpStateName;
    to: VrrpStateName;
    /** machine.ts TransitionCause, e.g. "master-down-timer", "higher-priority-advert". */
    cause: string;
    detail: string;
    /** The other router involved (dotted quad) and its advertised priority. */
    peer?: { address: string; priority: number };
    priority: { base: number; effective: number };
    /** Adverts missed before the master was declared down. */
    advertsMissed?: number;
    /** Last advert heard from the old master -> our VIPs installed, in ms. */
    takeoverMs?: number;
  };
  "vrrp.priority": { from: number; to: number; reason: string };
  /** Another master claims our VRID (and so our VIPs) while we are master. */
  "vrrp.split-brain": { peer: { address: string; priority: number }; ourPriority: number };
  "group.transition": { from: VrrpStateName; to: VrrpStateName; members: string[] };
  /**
   * The VRRP instances held in BACKUP at start (keepalived's vrrp_startup_delay, tandem's
   * director-ready gate), and released: by what, why then, and for how long.
   */
  "vrrp.hold": {
    held: boolean;
    /** What holds (held) or held (released) them: "vrrp_startup_delay", "director". */
    by: string[];
    /** Released: "director-ready", "ipvs-unavailable", "director-timeout", "director-stopped" or "startup-delay-over". */
    cause?: string;
    heldMs?: number;
    startupDelayMs?: number;
    /** director_ready_timeout, when the director was waited for. */
    directorTimeoutMs?: number;
    /** Released: when the director's gate opened, after the start. */
    directorMs?: number;
  };
  "tracker.change": {
    tracker: { kind: "script" | "file" | "interface"; name: string };
    healthy: boolean;
    detail: string;
    exitCode?: number | null;
    /** Script output, first 4 KiB. */
    output?: string;
  };
  "notify.run": {
    role: string;
    state: string;
    argv: string[];
    exitCode: number | null;
    signal: string | null;
    timedOut: boolean;
    durationMs: number;
    output: string;
    /** A director notify_up / notify_down: the real server ("10.0.1.2:80"); the event's instance is its virtual server. */
    realServer?: string;
  };
  "config.reload": { ok: boolean; file: string; diagnostics: string[] };
  "api.action": { action: string; caller: { address: string }; target?: string; ok: boolean; detail?: string };
  /** Requests refused for who asked or how much (limits, tokens); `count` of them, client "*" for the rest. */
  "api.refused": { client: string; reason: string; status: number; count: number; method?: string; path?: string };
  /** One of the daemon's processes (the VRRP engine, the observer) died; restartInMs when it is started again. */
  "process.exit": { role: string; pid: number; exitCode: number | null; signal: string | null; killedFor?: string; restartInMs?: number };
  "history.degraded": { reason: string };
  "history.recovered": { droppedEvents: number };
}

export type EventKind = keyof EventDataByKind;

export const EVENT_KINDS: readonly EventKind[] = [
  "daemon.start",
  "daemon.stop",
  "vrrp.transition",
  "vrrp.priority",
  "vrrp.split-brain",
  "group.transition",
  "vrrp.hold",
  "tracker.change",
  "notify.run",
  "config.reload",
  "api.action",
  "api.refused",
  "process.exit",
  "history.degraded",
  "history.recovered",
  "ipvs.real-server",
  "ipvs.checker",
  "ipvs.quorum",
  "ipvs.sorry-server",
  "ipvs.drain",
  "ipvs.drift-repaired",
  "ipvs.apply",
  "ipvs.sync-daemon",
  "ipvs.director",
  "ipvs.sysctl",
];

/** An event as produced (no id yet). */
export type NewEvent = {
  [K in EventKind]: {
    kind: K;
    /** Wall-clock milliseconds since the epoch. */
    atMs: number;
    /** The VRRP instance or sync group it concerns, if any; for ipvs.* the virtual server's id (ipvs-event-data.ts). */
    instance?: string;
    /** One line a person reads in a timeline, e.g. "VI_1 BACKUP -> MASTER: no advert for 3649 ms". */
    summary: string;
    data: EventDataByKind[K];
  };
}[EventKind];

/** A stored event: ids increase strictly, so they order events and make cursors. */
export type TandemEvent = NewEvent & { id: number };

export interface EventFilter {
  /** Wall-clock ms; both bounds are inclusive. */
  sinceMs?: number;
  untilMs?: number;
  kinds?: readonly EventKind[];
  instance?: string;
  /** 1..1000; default 100. */
  limit?: number;
  /** Opaque cursor from a previous page: continue after it. */
  cursor?: string;
  /** Newest first (default) or oldest first. */
  order?: "desc" | "asc";
}

export interface EventPage {
  events: TandemEvent[];
  /** Present when more events may match. */
  nextCursor?: string;
  /**
   * Set when the page holds fewer events than asked because the query's work bound was
   * reached (a filter that matches rarely); nextCursor continues the search.
   */
  partial?: true;
}

/** Whether the history is being written; the daemon keeps doing VRRP either way. */
export interface HistoryHealth {
  state: "ok" | "degraded";
  path: string;
  /** Why it is degraded: missing directory, read-only, disk full, corrupt file... */
  reason?: string;
  sinceMs?: number;
  /**
   * Events that could not be stored in the present degraded period. The notification of
   * the recovery carries the period's total once; while ok it is 0.
   */
  droppedEvents: number;
  /** Something to know although the history works, e.g. a corrupt file moved aside. */
  notice?: string;
}

/**
 * What a query answers: a page, or why the filter cannot be answered at all. The only such
 * filter is a cursor this history did not make (forged, from another box, or continuing the
 * other order); the API answers it with a 400.
 */
export type EventQueryResult = { ok: true; page: EventPage } | { ok: false; error: "bad-cursor"; detail: string };

/**
 * The event history as the daemon uses it. Never throws: when the database is missing,
 * read-only, full or corrupt the log is "degraded" (health() says why), events still get
 * ids (counted on from the last stored one) and reach live subscribers, and the store
 * keeps trying to recover; a degraded query returns an empty page. A bad cursor is a
 * typed answer of query(), not an exception.
 */
export interface EventLog {
  append(event: NewEvent): TandemEvent;
  query(filter: EventFilter): EventQueryResult;
  health(): HistoryHealth;
  close(): void;
}
