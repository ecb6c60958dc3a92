// The EventLog over SQLite, and its degraded mode: when the file cannot be written the
// daemon goes on (events keep their ids), and a retry on the
// clock brings the history back by itself. Corrupt files are replaced at once.
import type { Clock, TimerHandle } from "../common/clock.ts";
import { closeQuietly, MEMORY, openConnection, replaceCorruptFile, type OpenRequest, type OpenResult } from "./connection.ts";
import { decodeCursor, encodeCursor, type Cursor } from "./cursor.ts";
import type { EventFilter, EventLog, EventPage, EventQueryResult, HistoryHealth, NewEvent, TandemEvent } from "./event.ts";
import { knownKinds, normalizeEvent, type EventTable } from "./event-table.ts";
import { classifyFailure, isRecordError, sqliteCode, type StoreFailure } from "./failure.ts";
import { guardFiles, NO_FILE_ACCESS, type StoreFiles } from "./files.ts";
import { applyRetention, retentionPolicy, type RetentionOptions, type RetentionPolicy } from "./retention.ts";

export interface EventLogOptions {
  /** The database file (the daemon's default is /var/lib/tandem/tandem.db), or ":memory:". */
  path: string;
  clock: Clock;
  retention?: RetentionOptions;
  /**
   * Called on every change between ok and degraded (a corrupt file replaced reports both),
   * always after open returned, through the clock: never from inside a call on the log.
   */
  onHealthChange?(health: HistoryHealth): void;
  /** Directory creation, read-only diagnosis and moving corrupt files aside; see files.ts. */
  files?: StoreFiles;
  /** Cap the file's size; reaching the cap reads as a full disk. */
  maxBytes?: number;
}

export const RETRY_INTERVAL_MS = 30_000;
export const RETENTION_INTERVAL_MS = 10 * 60_000;
/** While a backlog is worked off, batches follow each other this far apart. */
const RETENTION_CATCH_UP_MS = 1_000;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1_000;
const PAGE_SIZE = 4096;

export function openEventLog(options: EventLogOptions): EventLog {
  return new SqliteEventLog(options);
}

class SqliteEventLog implements EventLog {
  private readonly clock: Clock;
  private readonly files: StoreFiles;
  private readonly policy: RetentionPolicy;
  private table: EventTable | undefined;
  private status: HistoryHealth;
  private nextId = 1;
  private closed = false;
  private replacing = false;
  private retryTimer: TimerHandle | undefined;
  private retentionTimer: TimerHandle | undefined;
  private notifyTimer: TimerHandle | undefined;
  private readonly notices: HistoryHealth[] = [];

  constructor(private readonly options: EventLogOptions) {
    this.clock = options.clock;
    this.files = guardFiles(options.files ?? NO_FILE_ACCESS);
    this.policy = retentionPolicy(options.retention);
    this.status = { state: "ok", path: options.path, sinceMs: this.clock.wallMs(), droppedEvents: 0 };
    this.connect(openConnection(this.request()));
  }

  append(event: NewEvent): TandemEvent {
    const stored = normalizeEvent(event, this.nextId++, this.clock.wallMs());
    if (this.closed) return stored;
    const written = this.use((table) => {
      try {
        table.insert(stored);
      } catch (error) {
        // Another writer took this id (two daemons on one file): count on from its last one.
        if (sqliteCode(error) !== "SQLITE_CONSTRAINT_PRIMARYKEY") throw error;
        this.nextId = Math.max(this.nextId, table.maxId() + 1);
        stored.id = this.nextId++;
        table.insert(stored);
      }
    });
    if (!written && this.status.state === "degraded") this.status.droppedEvents++;
    return stored;
  }

  query(filter: EventFilter = {}): EventQueryResult {
    const cursor = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor);
    if (filter.cursor !== undefined && !cursor) return { ok: false, error: "bad-cursor", detail: "not a cursor this history made" };
    const asked = filter.order === "asc" || filter.order === "desc" ? filter.order : undefined;
    if (cursor && asked && cursor.order !== asked)
      return { ok: false, error: "bad-cursor", detail: `it continues a query in ${cursor.order} order, not ${asked}` };
    return { ok: true, page: this.page(filter, asked ?? cursor?.order ?? "desc", cursor) };
  }

  /** One page of a query whose cursor (if any) is ours and agrees with the order. */
  private page(filter: EventFilter, order: "asc" | "desc", cursor: Cursor | undefined): EventPage {
    const limit = typeof filter.limit === "number" && filter.limit >= 1 ? Math.min(MAX_LIMIT, Math.floor(filter.limit)) : DEFAULT_LIMIT;
    const kinds = Array.isArray(filter.kinds) ? knownKinds(filter.kinds) : undefined;
    if (kinds && kinds.length === 0) return { events: [] };
    let rows: TandemEvent[] = [];
    let resumeAfterId: number | undefined;
    const ok = this.use((table) => {
      ({ rows, resumeAfterId } = table.page({
        order,
        limit: limit + 1,
        ...(cursor ? { afterId: cursor.id } : {}),
        ...(Number.isFinite(filter.sinceMs) ? { sinceMs: filter.sinceMs } : {}),
        ...(Number.isFinite(filter.untilMs) ? { untilMs: filter.untilMs } : {}),
        ...(kinds ? { kinds } : {}),
        ...(typeof filter.instance === "string" ? { instance: filter.instance } : {}),
      }));
    });
    if (!ok) return { events: [] };
    const events = rows.slice(0, limit);
    const last = events.at(-1);
    if (rows.length > limit && last) return { events, nextCursor: encodeCursor({ order, id: last.id }) };
    // The scan stopped at its bound before the page was full: more may match further on.
    if (resumeAfterId !== undefined) return { events, nextCursor: encodeCursor({ order, id: resumeAfterId }), partial: true };
    return { events };
  }

  health(): HistoryHealth {
    return { ...this.status };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of [this.retryTimer, this.retentionTimer, this.notifyTimer]) timer?.cancel();
    this.notices.length = 0;
    if (this.table) closeQuietly(this.table.db);
    this.table = undefined;
  }

  private request(): OpenRequest {
    const { path, maxBytes } = this.options;
    return {
      path,
      files: this.files,
      wallMs: this.clock.wallMs(),
      ...(typeof maxBytes === "number" && maxBytes > 0 ? { maxPages: Math.ceil(maxBytes / PAGE_SIZE) } : {}),
    };
  }

  /** Run fn on the open table; on failure degrade (or replace a corrupt file and try once more). */
  private use(fn: (table: EventTable) => void): boolean {
    for (let attempt = 0; attempt < 2; attempt++) {
      const table = this.table;
      if (!table) return false;
      try {
        fn(table);
        return true;
      } catch (error) {
        // One bad record is that record's problem, not the file's.
        if (isRecordError(error)) return false;
        this.onError(table, error);
      }
    }
    return false;
  }

  private onError(table: EventTable, error: unknown): void {
    this.table = undefined;
    const failure = classifyFailure(error, this.options.path, this.files);
    if (failure.cause === "corrupt" && !this.replacing && this.options.path !== MEMORY) {
      this.replacing = true;
      try {
        this.connect(replaceCorruptFile(this.request(), failure.reason, table.db));
      } finally {
        this.replacing = false;
      }
      return;
    }
    closeQuietly(table.db);
    this.degrade(failure);
  }

  /** Take a freshly opened file into use, or stay (or become) degraded. */
  private connect(result: OpenResult): void {
    if (this.closed) {
      if (result.ok) closeQuietly(result.table.db);
      return;
    }
    if (!result.ok) return this.degrade(result.failure);
    const table = result.table;
    const wasDegraded = this.status.state === "degraded";
    let more = false;
    try {
      // Retention first: at open it is due anyway, and on a full file it is what makes room.
      more = applyRetention(table, this.policy, this.clock.wallMs()).more;
      // After a failure, prove that writes work before saying so.
      if (wasDegraded) table.probeWrite();
      this.nextId = Math.max(this.nextId, table.maxId() + 1);
    } catch (error) {
      closeQuietly(table.db);
      return this.degrade(classifyFailure(error, this.options.path, this.files));
    }
    this.table = table;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    const dropped = this.status.droppedEvents;
    const notice = result.notice ?? this.status.notice;
    if (result.notice && !wasDegraded) this.notify({ ...this.status, state: "degraded", reason: result.notice, sinceMs: this.clock.wallMs() });
    this.status = { state: "ok", path: this.options.path, sinceMs: this.clock.wallMs(), droppedEvents: 0, ...(notice ? { notice } : {}) };
    if (wasDegraded || result.notice) this.notify({ ...this.status, droppedEvents: dropped });
    this.scheduleRetention(more);
  }

  private degrade(failure: StoreFailure): void {
    this.table = undefined;
    this.stopRetention();
    const wasOk = this.status.state === "ok";
    this.status = {
      state: "degraded",
      path: this.options.path,
      reason: failure.reason,
      sinceMs: wasOk ? this.clock.wallMs() : (this.status.sinceMs ?? this.clock.wallMs()),
      droppedEvents: wasOk ? 0 : this.status.droppedEvents,
      ...(this.status.notice ? { notice: this.status.notice } : {}),
    };
    if (wasOk) this.notify(this.status);
    if (!this.retryTimer && !this.closed) {
      this.retryTimer = this.clock.at(this.clock.nowMs() + RETRY_INTERVAL_MS, () => {
        this.retryTimer = undefined;
        if (!this.closed) this.connect(openConnection(this.request()));
      });
    }
  }

  private runRetention(): void {
    this.retentionTimer = undefined;
    let more = false;
    const ran = this.use((table) => {
      more = applyRetention(table, this.policy, this.clock.wallMs()).more;
      table.optimize();
    });
    if (!ran) return;
    this.scheduleRetention(more);
  }

  private scheduleRetention(more: boolean): void {
    // A corrupt file replaced during a run has already rescheduled: one timer only.
    this.stopRetention();
    if (!this.table || this.closed) return;
    this.retentionTimer = this.clock.at(this.clock.nowMs() + (more ? RETENTION_CATCH_UP_MS : RETENTION_INTERVAL_MS), () => this.runRetention());
  }

  private stopRetention(): void {
    this.retentionTimer?.cancel();
    this.retentionTimer = undefined;
  }

  /** Deliver through the clock so the listener may call back into the log safely. */
  private notify(health: HistoryHealth): void {
    const listener = this.options.onHealthChange;
    if (!listener || this.closed) return;
    this.notices.push({ ...health });
    if (this.notifyTimer) return;
    this.notifyTimer = this.clock.at(this.clock.nowMs(), () => {
      this.notifyTimer = undefined;
      for (const notice of this.notices.splice(0)) {
        try {
          listener(notice);
        } catch {
          // A failing listener must not take the history (or the daemon) down with it.
        }
      }
    });
  }
}
