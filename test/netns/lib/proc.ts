// Process helpers for root tests: bounded exec and waits, wall-clock time, exit-cleanup registry.

import { readFileSync } from "node:fs";

/** Result of one finished command. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Kill the command after this long (default 10 s): a hung `ip` must not hang a test. */
  timeoutMs?: number;
  /** Throw when the exit code is not 0 (default true). */
  check?: boolean;
  /** Extra environment for the command. */
  env?: Record<string, string>;
}

/** Wall-clock milliseconds since the epoch with sub-millisecond resolution: the time base
 * shared with pcap timestamps and `ip -ts monitor`, both of which are wall-clock. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/** `ip netns exec NS argv...` when ns is given, else argv itself. */
export function nsArgv(ns: string | null, argv: string[]): string[] {
  return ns ? ["ip", "netns", "exec", ns, ...argv] : argv;
}

/** Run argv (inside ns when given) and collect its output. */
export async function exec(ns: string | null, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const { timeoutMs = 10_000, check = true } = opts;
  const cmd = nsArgv(ns, argv);
  const proc = Bun.spawn(cmd, {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: opts.env ? { ...process.env, ...opts.env } : undefined,
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, timeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  if (timedOut) throw new Error(`timed out after ${timeoutMs} ms: ${cmd.join(" ")}`);
  if (check && code !== 0) {
    throw new Error(`exit ${code}: ${cmd.join(" ")}\n${stderr.trim() || stdout.trim()}`);
  }
  return { code, stdout, stderr };
}

/** Synchronous variant, only for exit/signal handlers where nothing async can run. */
export function execSync(argv: string[]): number {
  const r = Bun.spawnSync(argv, { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  return r.exitCode ?? -1;
}

/** Resolve after ms; only for deliberate pauses (random timer phase, settling), never to
 * wait for something that can be observed. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

export interface WaitOptions {
  timeoutMs: number;
  /** Poll period for conditions that have no event source (default 10 ms). */
  intervalMs?: number;
  /** Text for the timeout error. */
  what?: string;
}

/** Poll cond until it returns a truthy value or the timeout passes (then throw). */
export async function waitFor<T>(cond: () => T | Promise<T>, opts: WaitOptions): Promise<NonNullable<T>> {
  const deadline = performance.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 10;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (performance.now() >= deadline) {
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what ?? "condition"}`);
    }
    await delay(interval);
  }
}

/** Race a promise against a timeout; resolves to undefined on timeout. */
export async function withTimeout<T>(p: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** True if pid exists and is not a zombie. */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Send sig to pid, ignoring "no such process". */
export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

// One registry per test process. It is global on purpose: a signal or an uncaught error can
// end the process from anywhere, and whatever this run created must still be removed.
type SyncCleanup = () => void;
const cleanups = new Map<number, SyncCleanup>();
let nextCleanupId = 1;
let hooksInstalled = false;

/** Register a synchronous cleanup to run on exit or SIGINT/SIGTERM/SIGHUP; returns an
 * unregister function (call it once the resource was released normally). */
export function onProcessExit(fn: SyncCleanup): () => void {
  installHooks();
  const id = nextCleanupId++;
  cleanups.set(id, fn);
  return () => cleanups.delete(id);
}

/** Run every registered cleanup now (newest first). */
export function runExitCleanups(): void {
  const fns = [...cleanups.values()].reverse();
  cleanups.clear();
  for (const fn of fns) {
    try {
      fn();
    } catch (e) {
      console.error("cleanup failed:", e);
    }
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", runExitCleanups);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      console.error(`\n${sig}: removing namespaces and daemons of this run`);
      runExitCleanups();
      process.exit(sig === "SIGINT" ? 130 : 143);
    });
  }
}
