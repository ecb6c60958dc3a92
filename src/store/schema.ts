// The database schema as ordered migrations, and the schema_version table that records
// which ones a file has had. A file from a newer tandem is refused, never rewritten.
import type { Database } from "bun:sqlite";

export interface Migration {
  version: number;
  description: string;
  statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "events and maintenance",
    statements: [
      // AUTOINCREMENT: an id is never reused, even after retention deleted the newest rows'
      // predecessors, so a cursor or a Last-Event-ID never points at a different event.
      `CREATE TABLE events (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         at_ms INTEGER NOT NULL,
         kind TEXT NOT NULL,
         instance TEXT,
         summary TEXT NOT NULL,
         data JSON NOT NULL
       )`,
      "CREATE INDEX events_at_ms ON events (at_ms)",
      "CREATE INDEX events_kind ON events (kind, id)",
      "CREATE INDEX events_instance ON events (instance, id)",
      "CREATE TABLE maintenance (instance TEXT PRIMARY KEY, since_ms INTEGER NOT NULL)",
    ],
  },
];

export type MigrationResult = { ok: true; from: number; to: number } | { ok: false; reason: string };

const VERSION_TABLE = `CREATE TABLE IF NOT EXISTS schema_version (
  version INTEGER PRIMARY KEY,
  applied_at_ms INTEGER NOT NULL,
  description TEXT NOT NULL
)`;

/** The highest version recorded in the file (0 for a fresh file). SQLite errors propagate. */
export function schemaVersion(db: Database): number {
  const table = db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!table) return 0;
  const row = db.query("SELECT max(version) AS version FROM schema_version").get() as { version: number | null };
  return row.version ?? 0;
}

/**
 * Apply the migrations the file has not had, each in its own transaction with its
 * version row. SQLite errors propagate (the caller tells full from read-only from corrupt).
 */
export function migrate(db: Database, wallMs: number, migrations: readonly Migration[] = MIGRATIONS): MigrationResult {
  const known = migrations.at(-1)?.version ?? 0;
  const from = schemaVersion(db);
  if (from > known) {
    return {
      ok: false,
      reason: `schema version ${from} is newer than this tandem knows (${known}); the file is left untouched: run a newer tandem, or move the file aside to start a new history`,
    };
  }
  const pending = migrations.filter((m) => m.version > from);
  for (const migration of pending) {
    db.transaction(() => {
      db.run(VERSION_TABLE);
      for (const statement of migration.statements) db.run(statement);
      db.run("INSERT INTO schema_version (version, applied_at_ms, description) VALUES (?, ?, ?)", [migration.version, wallMs, migration.description]);
    })();
  }
  return { ok: true, from, to: Math.max(from, known) };
}
