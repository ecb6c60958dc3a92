// Which IPVS services tandem created, kept in SQLite (its own file beside the history), so
// a service dropped from the configuration while tandem was down is still removed at the
// next start, and a service nobody configured and tandem never created is never touched.
// Writes are transactions of the whole change; a failure is reported, never thrown.
import { Database } from "bun:sqlite";
import { migrate, type Migration } from "./schema.ts";

export const OWNERSHIP_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "IPVS services created by tandem",
    statements: ["CREATE TABLE ipvs_owned (service TEXT PRIMARY KEY, since_ms INTEGER NOT NULL)"],
  },
];

export type OwnershipOpen = { ok: true; ownership: IpvsOwnership } | { ok: false; reason: string };

export class IpvsOwnership {
  private constructor(private readonly db: Database) {}

  /** Opens (creating) the file; ":memory:" for tests. */
  static open(path: string, wallMs: number): OwnershipOpen {
    let db: Database | undefined;
    try {
      db = new Database(path, { create: true, strict: true });
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA busy_timeout = 1000");
      const migrated = migrate(db, wallMs, OWNERSHIP_MIGRATIONS);
      if (!migrated.ok) {
        db.close();
        return { ok: false, reason: migrated.reason };
      }
      return { ok: true, ownership: new IpvsOwnership(db) };
    } catch (error) {
      db?.close();
      return { ok: false, reason: `cannot open ${path}: ${(error as Error).message}` };
    }
  }

  /** The services tandem created and has not deleted since, by their key text. */
  owned(): Set<string> {
    const rows = this.db.query("SELECT service FROM ipvs_owned").all() as { service: string }[];
    return new Set(rows.map((r) => r.service));
  }

  /** Replaces the record with `services` (the director's owned set after an apply). */
  replace(services: ReadonlySet<string>, wallMs: number): { ok: true } | { ok: false; reason: string } {
    try {
      const known = this.owned();
      const insert = this.db.prepare("INSERT INTO ipvs_owned (service, since_ms) VALUES (?, ?)");
      const remove = this.db.prepare("DELETE FROM ipvs_owned WHERE service = ?");
      this.db.transaction(() => {
        for (const service of services) if (!known.has(service)) insert.run(service, wallMs);
        for (const service of known) if (!services.has(service)) remove.run(service);
      })();
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: `cannot record the IPVS services tandem owns: ${(error as Error).message}` };
    }
  }

  close(): void {
    this.db.close();
  }
}
