// Maintenance used to be kept in the history database's maintenance table. The operator's
// intent now has a file of its own (daemon/supervisor/intent-store.ts); at its first start
// that store takes over what the old table held. Read-only, never throws.
import { Database } from "bun:sqlite";

/** instance -> wall ms it entered maintenance, from an older history file; empty if none. */
export function readLegacyMaintenance(path: string): Map<string, number> {
  const found = new Map<string, number>();
  let db: Database | undefined;
  try {
    db = new Database(path, { readonly: true });
    for (const row of db.query("SELECT instance, since_ms FROM maintenance").all() as { instance: string; since_ms: number }[])
      found.set(row.instance, row.since_ms);
  } catch {
    // No file, no table, or not SQLite: nothing to take over.
  } finally {
    db?.close();
  }
  return found;
}
