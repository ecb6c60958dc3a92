// keepalived-style pid file: refuse to start when a live tandem already owns it; remove
// it on a clean exit. A stale file left by a crash is simply replaced.
import { readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

/** Returns a reason not to start, or undefined once the file holds our pid. */
export function claimPidFile(path: string): string | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isTandem(pid)) {
      return `another tandem (pid ${pid}) owns the pid file ${path}; stop it first or use another --pid file`;
    }
  } catch {
    // No readable pid file: nothing to protect.
  }
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${process.pid}\n`);
  } catch (error) {
    return `cannot write the pid file ${path}: ${(error as Error).message}`;
  }
  return undefined;
}

export function releasePidFile(path: string): void {
  try {
    if (Number(readFileSync(path, "utf8").trim()) === process.pid) rmSync(path);
  } catch {
    // Already gone.
  }
}

function isTandem(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("tandem");
  } catch {
    return false;
  }
}
