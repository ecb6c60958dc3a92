// The operator's intent (maintenance today; real-server drains next), kept apart from the
// event history: a small JSON file next to it, replaced atomically and fsync'd on every
// change, owned by the supervisor so that the engine gets it at every start even when the
// history or the API is down. A write that fails keeps the intent in memory and says so.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "../../common/logger.ts";

interface IntentFile {
  version: 1;
  /** instance -> wall ms it entered maintenance. */
  maintenance: Record<string, number>;
}

export interface IntentStore {
  maintenance(): string[];
  /** Returns whether the change reached the disk (it applies either way). */
  setMaintenance(instance: string, on: boolean, wallMs: number): { persisted: boolean; error?: string };
}

export function openIntentStore(path: string, legacy: () => Map<string, number>, logger: Logger): IntentStore {
  const maintenance = new Map<string, number>();
  if (existsSync(path)) {
    try {
      const parsed = JSON.parse(readFileSync(path, "utf8")) as IntentFile;
      for (const [instance, sinceMs] of Object.entries(parsed.maintenance ?? {})) if (typeof sinceMs === "number") maintenance.set(instance, sinceMs);
    } catch (error) {
      logger.error(`operator intent ${path} cannot be read (${(error as Error).message}); starting with no instance in maintenance`);
    }
  } else {
    for (const [instance, sinceMs] of legacy()) maintenance.set(instance, sinceMs);
    if (maintenance.size > 0) {
      logger.info(`operator intent: took over maintenance of ${[...maintenance.keys()].join(", ")} from the history database`);
      write(path, maintenance);
    }
  }

  return {
    maintenance: () => [...maintenance.keys()].sort(),
    setMaintenance(instance, on, wallMs) {
      if (on) maintenance.set(instance, maintenance.get(instance) ?? wallMs);
      else maintenance.delete(instance);
      const error = write(path, maintenance);
      if (error) logger.error(`operator intent ${path} not saved (${error}): maintenance of ${instance} holds until tandem restarts`);
      return error ? { persisted: false, error } : { persisted: true };
    },
  };
}

/** Write to PATH.new, fsync, rename over PATH, fsync the directory; the error text on failure. */
function write(path: string, maintenance: Map<string, number>): string | undefined {
  const body: IntentFile = { version: 1, maintenance: Object.fromEntries([...maintenance].sort(([a], [b]) => a.localeCompare(b))) };
  const temporary = `${path}.new`;
  try {
    const fd = openSync(temporary, "w", 0o600);
    try {
      writeSync(fd, `${JSON.stringify(body, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
    const dir = openSync(dirname(path), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
