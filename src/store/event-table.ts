// Reads and writes of the events table through prepared statements (the maintenance table
// is only read, as an integrity probe and by the legacy import), and
// the translation between rows and TandemEvent. SQLite errors propagate to the caller.
import type { Database, Statement } from "bun:sqlite";
import { EVENT_KINDS, type EventKind, type NewEvent, type TandemEvent } from "./event.ts";

interface EventRow {
  id: number;
  at_ms: number;
  kind: string;
  instance: string | null;
  summary: string;
  data: string;
}

export interface PageQuery {
  order: "asc" | "desc";
  /** Continue strictly after this id. */
  afterId?: number;
  sinceMs?: number;
  untilMs?: number;
  kinds?: readonly EventKind[];
  instance?: string;
  /** Rows to fetch (the caller asks for one more than it shows, to know if more match). */
  limit: number;
}

const MAX_SUMMARY = 2_000;
/** Producers bound their output (4 KiB); this only stops a runaway from filling the disk. */
const MAX_DATA = 256 * 1024;

const COLUMNS = "id, at_ms, kind, instance, summary, data";

/** A time range with at most this many rows is read through the at_ms index and sorted. */
const NARROW_RANGE_ROWS = 8_192;
/** Other pages read ids in windows of this size, and at most MAX_SCANNED_IDS ids in all. */
const WINDOW_IDS = 16_384;
const MAX_SCANNED_IDS = 8 * WINDOW_IDS;

/** WHERE for a page's filters; kinds are known names only, so the statement shapes are few (db.query caches them). */
function whereClause(query: PageQuery, extra?: string): { filter: string; params: (string | number)[] } {
  const where: string[] = extra ? [extra] : [];
  const params: (string | number)[] = [];
  if (query.afterId !== undefined) {
    where.push(query.order === "desc" ? "id < ?" : "id > ?");
    params.push(query.afterId);
  }
  if (query.sinceMs !== undefined) {
    where.push("at_ms >= ?");
    params.push(query.sinceMs);
  }
  if (query.untilMs !== undefined) {
    where.push("at_ms <= ?");
    params.push(query.untilMs);
  }
  if (query.kinds !== undefined) {
    where.push(`kind IN (${query.kinds.map(() => "?").join(", ")})`);
    params.push(...query.kinds);
  }
  if (query.instance !== undefined) {
    where.push("instance = ?");
    params.push(query.instance);
  }
  return { filter: where.length ? ` WHERE ${where.join(" AND ")}` : "", params };
}

export class EventTable {
  private readonly insertEvent: Statement;
  private readonly selectMaxId: Statement;
  private readonly selectMinId: Statement;
  private readonly deleteOlder: Statement;
  private readonly deleteUpTo: Statement;
  private readonly selectMaintenance: Statement;
  private readonly countRange: Statement;

  constructor(readonly db: Database) {
    this.insertEvent = db.prepare(`INSERT INTO events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`);
    this.selectMaxId = db.prepare("SELECT max(id) AS id FROM events");
    this.selectMinId = db.prepare("SELECT min(id) AS id FROM events");
    this.countRange = db.prepare("SELECT count(*) AS n FROM (SELECT 1 FROM events WHERE at_ms BETWEEN ? AND ? LIMIT ?)");
    // Bounded batches: retention never holds the (single-threaded) daemon for long.
    this.deleteOlder = db.prepare("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at_ms < ? ORDER BY at_ms LIMIT ?)");
    this.deleteUpTo = db.prepare("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id <= ? ORDER BY id LIMIT ?)");
    this.selectMaintenance = db.prepare("SELECT instance, since_ms FROM maintenance ORDER BY instance");
  }

  insert(event: TandemEvent): void {
    this.insertEvent.run(event.id, event.atMs, event.kind, event.instance ?? null, event.summary.slice(0, MAX_SUMMARY), dataJson(event.data));
  }

  maxId(): number {
    return (this.selectMaxId.get() as { id: number | null }).id ?? 0;
  }

  minId(): number {
    return (this.selectMinId.get() as { id: number | null }).id ?? 0;
  }

  /**
   * One page, with bounded work whatever the filter: a time range that holds few rows is
   * read through the at_ms index; anything else is read in windows of ids, and a page stops
   * after MAX_SCANNED_IDS ids even when it holds fewer rows than asked (a filter that matches
   * rarely). `resumeAfterId` then says where the next page continues. 1,000,000 rows once
   * took 400 ms for `since=0&until=<now>`, on the loop that sends VRRP adverts.
   */
  page(query: PageQuery): { rows: TandemEvent[]; resumeAfterId?: number } {
    const timed = query.sinceMs !== undefined || query.untilMs !== undefined;
    if (timed && this.fewRowsIn(query.sinceMs ?? Number.MIN_SAFE_INTEGER, query.untilMs ?? Number.MAX_SAFE_INTEGER)) {
      // Through the at_ms index, then sorted by id: at most NARROW_RANGE_ROWS ids to sort.
      const { filter, params } = whereClause(query);
      const order = `ORDER BY id ${query.order === "desc" ? "DESC" : "ASC"}`;
      // INDEXED BY: left to itself the planner may walk every rowid to honour ORDER BY id.
      const sql = `SELECT ${COLUMNS} FROM events WHERE id IN (SELECT id FROM events INDEXED BY events_at_ms${filter} ${order} LIMIT ?) ${order}`;
      return { rows: (this.db.query(sql).all(...params, query.limit) as EventRow[]).map(rowToEvent) };
    }
    const desc = query.order === "desc";
    const lowest = this.minId();
    const highest = this.maxId();
    // The exclusive edge the next window starts from.
    let edge = query.afterId ?? (desc ? highest + 1 : lowest - 1);
    const rows: TandemEvent[] = [];
    for (let scanned = 0; rows.length < query.limit; scanned += WINDOW_IDS) {
      const from = desc ? Math.max(edge - WINDOW_IDS, lowest) : edge + 1;
      const to = desc ? edge - 1 : Math.min(edge + WINDOW_IDS, highest);
      if (from > to) return { rows };
      if (scanned >= MAX_SCANNED_IDS) return { rows, resumeAfterId: edge };
      const { filter, params } = whereClause({ ...query, afterId: undefined }, `id BETWEEN ${from} AND ${to}`);
      const sql = `SELECT ${COLUMNS} FROM events${filter} ORDER BY id ${desc ? "DESC" : "ASC"} LIMIT ?`;
      for (const row of this.db.query(sql).all(...params, query.limit - rows.length) as EventRow[]) rows.push(rowToEvent(row));
      edge = desc ? from : to;
    }
    return { rows };
  }

  /** Whether [sinceMs, untilMs] holds at most NARROW_RANGE_ROWS rows (a bounded index count). */
  private fewRowsIn(sinceMs: number, untilMs: number): boolean {
    const row = this.countRange.get(sinceMs, untilMs, NARROW_RANGE_ROWS + 1) as { n: number };
    return row.n <= NARROW_RANGE_ROWS;
  }

  /** Delete up to `budget` events older than cutoffMs; returns how many went. */
  deleteOlderThan(cutoffMs: number, budget: number): number {
    return this.deleteOlder.run(cutoffMs, budget).changes;
  }

  /** Delete up to `budget` events with id <= lastId; returns how many went. */
  deleteIdsUpTo(lastId: number, budget: number): number {
    return this.deleteUpTo.run(lastId, budget).changes;
  }

  /** Refresh the planner's statistics when the table has changed a lot (cheap otherwise). */
  optimize(): void {
    this.db.run("PRAGMA optimize");
  }

  /** Give freed pages back to the file system (auto_vacuum = INCREMENTAL). */
  releaseFreePages(): void {
    this.db.run("PRAGMA incremental_vacuum");
  }

  /** The old maintenance table (the operator's intent now has a file of its own); read as an integrity probe. */
  maintenance(): Map<string, number> {
    const rows = this.selectMaintenance.all() as { instance: string; since_ms: number }[];
    return new Map(rows.map((r) => [r.instance, r.since_ms]));
  }

  /**
   * Prove the file takes writes again after a failure: 16 KiB written and taken back in one
   * committed transaction, so a disk that is still full fails here, not on the next event.
   */
  probeWrite(): void {
    this.db.transaction(() => {
      this.db.run("INSERT INTO maintenance (instance, since_ms) VALUES (?, zeroblob(16384))", ["\u0000probe"]);
      this.db.run("DELETE FROM maintenance WHERE instance = ?", ["\u0000probe"]);
    })();
  }
}

/** The event as it will be stored and returned: every column has a value of its type. */
export function normalizeEvent(event: NewEvent, id: number, nowWallMs: number): TandemEvent {
  const stored = { ...event, id } as TandemEvent;
  const loose = stored as { atMs: unknown; kind: unknown; summary: unknown; instance?: unknown };
  if (typeof loose.atMs !== "number" || !Number.isFinite(loose.atMs)) stored.atMs = nowWallMs;
  if (typeof loose.kind !== "string") loose.kind = "unknown";
  if (typeof loose.summary !== "string") loose.summary = String(loose.summary ?? "");
  if (loose.instance !== undefined && typeof loose.instance !== "string") delete loose.instance;
  return stored;
}

function dataJson(data: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(data);
  } catch (error) {
    text = JSON.stringify({ unserializable: error instanceof Error ? error.message : String(error) });
  }
  if (text === undefined) return "{}";
  return text.length > MAX_DATA ? JSON.stringify({ truncated: true, bytes: text.length, head: text.slice(0, 4096) }) : text;
}

function rowToEvent(row: EventRow): TandemEvent {
  let data: unknown;
  try {
    data = JSON.parse(row.data);
  } catch {
    data = {};
  }
  const event = { id: row.id, atMs: row.at_ms, kind: row.kind, summary: row.summary, data } as TandemEvent;
  if (row.instance !== null) event.instance = row.instance;
  return event;
}

/** Only known kinds can match; unknown names are dropped so the SQL shapes stay few. */
export function knownKinds(kinds: readonly string[]): EventKind[] {
  return EVENT_KINDS.filter((k) => kinds.includes(k));
}
