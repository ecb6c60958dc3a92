// How many checks may run at once: each holds a descriptor (its socket, or a MISC_CHECK's
// pipes), so the cap comes from the open-files limit, less what the rest of the process needs.
// Past it, checks wait their turn in due order (probe-scheduler.ts) and the scheduler's health
// shows the backlog, rather than connections failing with EMFILE as a verdict against servers.
import { readFileSync } from "node:fs";

/** Descriptors kept for the process itself: netlink, the IPC pipe, the inotify watch, logs. */
export const RESERVED_DESCRIPTORS = 256;
/** A check holds at most this many: a connection its socket, a MISC_CHECK the read ends of its stdout and stderr. */
const DESCRIPTORS_PER_CHECK = 2;
/** Used when the limit cannot be read (not Linux): Linux's usual soft limit. */
const FALLBACK_OPEN_FILES = 1_024;
const MIN_CONCURRENT = 16;

/** /proc/self/limits's soft "Max open files"; "unlimited" reads as Infinity. */
export function softOpenFilesLimit(limitsText: string): number | undefined {
  const line = limitsText.split("\n").find((l) => l.startsWith("Max open files"));
  const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
  if (soft === undefined) return undefined;
  if (soft === "unlimited") return Number.POSITIVE_INFINITY;
  const value = Number(soft);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

export function concurrentChecksFor(openFiles: number): number {
  return Math.max(MIN_CONCURRENT, Math.floor((Math.min(openFiles, 1 << 20) - RESERVED_DESCRIPTORS) / DESCRIPTORS_PER_CHECK));
}

export function maxConcurrentChecks(): number {
  let limit: number | undefined;
  try {
    limit = softOpenFilesLimit(readFileSync("/proc/self/limits", "utf8"));
  } catch {
    limit = undefined;
  }
  return concurrentChecksFor(limit ?? FALLBACK_OPEN_FILES);
}
