// Why the history cannot be written, from a SQLite error and a look at the file system:
// the cause decides what the store does (corrupt: move aside; others: wait and retry),
// the reason is what an operator reads in health(), the API and the log.
import { directoryOf, type StoreFiles } from "./files.ts";

export type FailureCause = "missing" | "read-only" | "full" | "corrupt" | "busy" | "schema" | "io" | "other";

export interface StoreFailure {
  cause: FailureCause;
  reason: string;
}

/** bun:sqlite's extended result code name ("SQLITE_FULL"), or "" for other errors. */
export function sqliteCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_") ? code : "";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function isCorruption(error: unknown): boolean {
  const code = sqliteCode(error);
  return code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB";
}

/** An error about one record (a value SQLite refused, a bug in a caller), not about the file. */
export function isRecordError(error: unknown): boolean {
  const code = sqliteCode(error);
  if (code === "") return true;
  return code.startsWith("SQLITE_CONSTRAINT") || code === "SQLITE_TOOBIG" || code === "SQLITE_MISMATCH" || code === "SQLITE_RANGE";
}

/** Classify an error met while opening or writing path. */
export function classifyFailure(error: unknown, path: string, files: StoreFiles): StoreFailure {
  const code = sqliteCode(error);
  const message = messageOf(error);
  if (isCorruption(error)) return { cause: "corrupt", reason: `${path} is corrupt (${message})` };
  if (code === "SQLITE_FULL") return { cause: "full", reason: `disk full: cannot write ${path} (${message})` };
  if (code.startsWith("SQLITE_READONLY") || code === "SQLITE_PERM") return { cause: "read-only", reason: `${path} is read-only (${message})` };
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return { cause: "busy", reason: `${path} is locked by another process (${message})` };
  }
  if (code.startsWith("SQLITE_CANTOPEN")) return cannotOpen(path, message, files);
  if (code.startsWith("SQLITE_IOERR")) return { cause: "io", reason: `I/O error on ${path} (${message})` };
  return { cause: "other", reason: `cannot use ${path}: ${message}` };
}

/** SQLite says only "unable to open database file": ask the file system why. */
function cannotOpen(path: string, message: string, files: StoreFiles): StoreFailure {
  const directory = directoryOf(path);
  const directoryProblem = files.writable(directory);
  if (directoryProblem !== undefined) {
    if (!files.exists(directory)) return { cause: "missing", reason: `directory ${directory} does not exist (${directoryProblem})` };
    return { cause: "read-only", reason: `directory ${directory} is not writable: ${directoryProblem}` };
  }
  const fileProblem = files.exists(path) ? files.writable(path) : undefined;
  if (fileProblem !== undefined) return { cause: "read-only", reason: `${path} is not writable: ${fileProblem}` };
  return { cause: "other", reason: `cannot open ${path} (${message}); check that its directory exists and is writable` };
}
