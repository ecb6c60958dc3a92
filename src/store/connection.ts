// Opening the database: make its directory, open it in WAL mode, migrate the schema, and
// move a corrupt file (with its -wal and -shm) aside to start a fresh one. Never throws.
import { Database } from "bun:sqlite";
import { EventTable } from "./event-table.ts";
import { classifyFailure, type StoreFailure } from "./failure.ts";
import { directoryOf, type StoreFiles } from "./files.ts";
import { migrate } from "./schema.ts";

export interface OpenRequest {
  path: string;
  files: StoreFiles;
  wallMs: number;
  /** Cap the file at this many pages (PRAGMA max_page_count); a full cap reads as a full disk. */
  maxPages?: number;
}

export type OpenResult =
  { ok: true; table: EventTable; /** Set when a corrupt file was moved aside. */ notice?: string } | { ok: false; failure: StoreFailure };

export const MEMORY = ":memory:";

export function openConnection(request: OpenRequest): OpenResult {
  const { path, files } = request;
  if (path !== MEMORY) {
    const directory = directoryOf(path);
    const problem = files.ensureDirectory(directory);
    if (problem !== undefined)
      return { ok: false, failure: { cause: "missing", reason: `directory ${directory} does not exist and cannot be created: ${problem}` } };
  }
  const first = openOnce(request);
  if (first.ok || first.failure.cause !== "corrupt") return first.ok ? first : { ok: false, failure: first.failure };
  return replaceCorruptFile(request, first.failure.reason, first.corruptDb);
}

/**
 * The file at request.path is corrupt: move it aside and open a fresh one. A connection
 * still open on it is closed only after the move: SQLite deletes the -wal and -shm on
 * close, and they belong with the file they came from.
 */
export function replaceCorruptFile(request: OpenRequest, reason: string, stillOpen?: Database): OpenResult {
  const aside = moveAside(request.path, request.files, request.wallMs);
  if (stillOpen) closeQuietly(stillOpen);
  if ("error" in aside) return { ok: false, failure: { cause: "corrupt", reason: `${reason}; it could not be moved aside: ${aside.error}` } };
  const fresh = openOnce(request);
  if (!fresh.ok) return { ok: false, failure: fresh.failure };
  return { ...fresh, notice: `${reason}; moved aside to ${aside.movedTo} and started a fresh history` };
}

type Attempt = { ok: true; table: EventTable } | { ok: false; failure: StoreFailure; corruptDb?: Database };

function openOnce(request: OpenRequest): Attempt {
  let db: Database | undefined;
  try {
    db = new Database(request.path, { create: true, readwrite: true, strict: true });
    // Another process holding the lock must not stall VRRP: wait briefly, then degrade.
    db.run("PRAGMA busy_timeout = 50");
    // Takes effect only on a fresh file (before its first table): deleted pages can then be
    // given back to the file system after retention.
    db.run("PRAGMA auto_vacuum = INCREMENTAL");
    db.query("PRAGMA journal_mode = WAL").get();
    // NORMAL in WAL mode survives any process crash (kill -9); only a power cut can lose the
    // last commits, never corrupt. FULL would fsync on every event on the VRRP thread.
    db.run("PRAGMA synchronous = NORMAL");
    db.run("PRAGMA journal_size_limit = 4194304");
    if (request.maxPages !== undefined) db.query(`PRAGMA max_page_count = ${Math.max(1, Math.floor(request.maxPages))}`).get();
    const migrated = migrate(db, request.wallMs);
    if (!migrated.ok) {
      closeQuietly(db);
      return { ok: false, failure: { cause: "schema", reason: `${request.path}: ${migrated.reason}` } };
    }
    // Planner statistics, bounded work: without them a kind filter may scan a whole index.
    db.run("PRAGMA analysis_limit = 400");
    db.run("PRAGMA optimize = 0x10002");
    const table = new EventTable(db);
    // Reading the newest event and the maintenance rows walks the schema and the roots: a
    // damaged file usually shows here, at open, rather than on the first event.
    table.maxId();
    table.maintenance();
    return { ok: true, table };
  } catch (error) {
    const failure = classifyFailure(error, request.path, request.files);
    if (db && failure.cause === "corrupt") return { ok: false, failure, corruptDb: db };
    if (db) closeQuietly(db);
    return { ok: false, failure };
  }
}

/** Close now, statements and all: a file left open would pin a mount and its -wal/-shm. */
export function closeQuietly(db: Database): void {
  try {
    db.close(true);
  } catch {
    try {
      db.close(false);
    } catch {
      // Closing a broken connection can fail; there is nothing left to save.
    }
  }
}

/** tandem.db -> tandem.db.corrupt-20261126T050102Z (and -wal, -shm beside it). */
function moveAside(path: string, files: StoreFiles, wallMs: number): { movedTo: string } | { error: string } {
  if (path === MEMORY) return { error: "an in-memory database cannot be moved" };
  const stamp = new Date(wallMs).toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
  let target = `${path}.corrupt-${stamp}`;
  for (let n = 2; files.exists(target) && n < 100; n++) target = `${path}.corrupt-${stamp}-${n}`;
  const error = files.rename(path, target);
  if (error !== undefined) return { error };
  // Keep the journal files with their database so the pair can still be inspected together.
  for (const suffix of ["-wal", "-shm"]) {
    if (files.exists(path + suffix)) files.rename(path + suffix, target + suffix);
  }
  return { movedTo: target };
}
