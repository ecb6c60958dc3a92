// The VRRP daemons under test (keepalived 2.2.7, dist/tandem) behind one Implementation interface.

import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { join, resolve } from "node:path";
import { delay, onProcessExit, pidAlive, signal, withTimeout } from "./proc.ts";

// the config generators live in config.ts; re-exported here because they belong to a daemon
export { configFor, dualMasterConfig, parseNotifyLog } from "./config.ts";

export type ImplName = "keepalived" | "tandem";

export interface StartOptions {
  /** Namespace of the box. */
  ns: string;
  /** Directory for this daemon's config, pid files and log (one per box). */
  runDir: string;
  /** keepalived.conf text; written to runDir/<impl>.conf. */
  config: string;
  /** Extra command-line flags, e.g. ["--vrrp"]. */
  extraArgs?: string[];
  /** How long to wait for the daemon to report itself running (default 5 s). */
  readyTimeoutMs?: number;
  /** Added to the daemon's environment (e.g. tandem's TANDEM_TEST_FAULTS). */
  env?: Record<string, string>;
}

export interface DaemonHandle {
  readonly impl: ImplName;
  readonly ns: string;
  readonly confPath: string;
  readonly logPath: string;
  /** The process started (keepalived: parent; tandem: the supervisor). */
  readonly mainPid: number;
  /** Named processes: keepalived {parent, vrrp, checkers?}; tandem {main (the supervisor), vrrp, observer, director?}. */
  rolePids(): Record<string, number>;
  /** Every live process of the daemon: main pid and all its descendants. */
  pids(): number[];
  alive(): boolean;
  /** Exit code (or 128+signal) once the main process has exited, else null. */
  readonly exitCode: number | null;
  /** Resolves with the exit code, or null if still running after timeoutMs (default 10 s). */
  waitExit(timeoutMs?: number): Promise<number | null>;
  /** Graceful stop: send sig (default SIGTERM), wait; SIGKILL everything after timeoutMs. */
  stop(sig?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** Crash: SIGKILL every process of the daemon back to back (keepalived: parent + vrrp child). */
  kill9(): void;
  /** Warnings collected at start (e.g. "no pid file written"). */
  readonly warnings: string[];
}

export interface Implementation {
  readonly name: ImplName;
  /** null if it can run here, else the reason it cannot (e.g. binary missing). */
  unavailableReason(): string | null;
  start(opts: StartOptions): Promise<DaemonHandle>;
}

/** A tandem daemon's part of its box's log (the file is shared by the daemons started on that box). */
export function ownLog(d: DaemonHandle): string {
  const text = readFileSync(d.logPath, "utf8");
  return text.slice(Math.max(0, text.lastIndexOf(`starting (pid ${d.mainPid})`)));
}

/** Repository root, from this file's location (test/netns/lib). */
export const REPO_ROOT = resolve(import.meta.dir, "../../..");

/** keepalived -n (no fork) -l (log to console) -D (detailed) -G (no syslog socket here). */
export const keepalivedImpl: Implementation = {
  name: "keepalived",
  unavailableReason() {
    return existsSync(KEEPALIVED_BIN) ? null : `${KEEPALIVED_BIN} not installed (apt-get install keepalived)`;
  },
  async start(opts) {
    const pidFiles = {
      parent: join(opts.runDir, "keepalived.pid"),
      vrrp: join(opts.runDir, "vrrp.pid"),
      checkers: join(opts.runDir, "checkers.pid"),
      bfd: join(opts.runDir, "bfd.pid"),
    };
    for (const f of Object.values(pidFiles)) rmSync(f, { force: true });
    const confPath = join(opts.runDir, "keepalived.conf");
    writeFileSync(confPath, opts.config);
    const argv = [
      KEEPALIVED_BIN,
      "-n",
      "-l",
      "-D",
      "-G",
      "-f",
      confPath,
      "-p",
      pidFiles.parent,
      "-r",
      pidFiles.vrrp,
      "-c",
      pidFiles.checkers,
      "-b",
      pidFiles.bfd,
      ...(opts.extraArgs ?? []),
    ];
    const handle = spawnDaemon("keepalived", opts, confPath, join(opts.runDir, "keepalived.log"), argv, () => {
      const roles: Record<string, number> = {};
      for (const [role, f] of Object.entries(pidFiles)) {
        const pid = readPid(f);
        if (pid && pidAlive(pid)) roles[role] = pid;
      }
      return roles;
    });
    // ready = the parent wrote its pid file and the vrrp child wrote its own
    const wantsVrrp = !(opts.extraArgs ?? []).some((a) => a === "-C" || a === "--check");
    await waitReady(handle, opts, [pidFiles.parent, ...(wantsVrrp ? [pidFiles.vrrp] : [])]);
    return handle;
  },
};

/** dist/tandem (override with TANDEM_BIN); accepts keepalived's flags. */
export const tandemImpl: Implementation = {
  name: "tandem",
  unavailableReason() {
    const bin = tandemBin();
    return existsSync(bin) ? null : `${bin} does not exist (run: make build)`;
  },
  async start(opts) {
    const pidFile = join(opts.runDir, "tandem.pid");
    rmSync(pidFile, { force: true });
    const confPath = join(opts.runDir, "tandem.conf");
    writeFileSync(confPath, opts.config);
    // Each box keeps its own event history (never the host's /var/lib/tandem), unless told otherwise.
    const db = (opts.extraArgs ?? []).includes("--db") ? [] : ["--db", join(opts.runDir, "tandem.db")];
    const argv = [tandemBin(), "-f", confPath, "-n", "-l", "-D", "-p", pidFile, ...db, ...(opts.extraArgs ?? [])];
    const handle = spawnDaemon("tandem", opts, confPath, join(opts.runDir, "tandem.log"), argv, (): Record<string, number> =>
      pidAlive(handle.mainPid) ? { main: handle.mainPid, ...tandemChildren(handle.mainPid) } : {},
    );
    await waitReady(handle, opts, [pidFile], { pidFileOptional: true });
    return handle;
  },
};

export const implementations: Record<ImplName, Implementation> = {
  keepalived: keepalivedImpl,
  tandem: tandemImpl,
};

export function implementationByName(name: string): Implementation {
  const impl = implementations[name as ImplName];
  if (!impl) throw new Error(`unknown implementation "${name}" (expected: ${Object.keys(implementations).join(", ")})`);
  return impl;
}

const KEEPALIVED_BIN = "/usr/sbin/keepalived";

export function tandemBin(): string {
  return process.env.TANDEM_BIN ?? join(REPO_ROOT, "dist/tandem");
}

function readPid(path: string): number | null {
  try {
    const n = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** All descendants of pid (children first level, then theirs) from /proc/.../children. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const kids = readFileSync(`/proc/${p}/task/${tid}/children`, "utf8").split(" ").filter(Boolean).map(Number);
        for (const k of kids) {
          out.push(k);
          queue.push(k);
        }
      } catch {
        // thread exited while we read
      }
    }
  }
  return out;
}

function spawnDaemon(
  impl: ImplName,
  opts: StartOptions,
  confPath: string,
  logPath: string,
  argv: string[],
  roles: () => Record<string, number>,
): DaemonHandle & { exitCode: number | null } {
  const logFd = openSync(logPath, "a");
  // setsid: a Ctrl-C on the terminal must reach only the test process, whose cleanup then
  // stops the daemons; ip netns exec and setsid both exec, so proc.pid is the daemon itself.
  const proc = Bun.spawn(["setsid", "ip", "netns", "exec", opts.ns, ...argv], {
    env: { ...process.env, ...opts.env },
    stdin: "ignore",
    stdout: logFd,
    stderr: logFd,
  });
  closeSync(logFd);
  const unregister = onProcessExit(() => {
    for (const pid of [proc.pid, ...descendants(proc.pid)]) signal(pid, "SIGKILL");
  });
  const warnings: string[] = [];
  const handle = {
    impl,
    ns: opts.ns,
    confPath,
    logPath,
    mainPid: proc.pid,
    warnings,
    exitCode: null as number | null,
    rolePids: roles,
    pids(): number[] {
      if (handle.exitCode !== null) return [];
      return [proc.pid, ...descendants(proc.pid)].filter(pidAlive);
    },
    alive(): boolean {
      return handle.exitCode === null && pidAlive(proc.pid);
    },
    async waitExit(timeoutMs = 10_000): Promise<number | null> {
      const code = await withTimeout(proc.exited, timeoutMs);
      return code ?? null;
    },
    async stop(sig: NodeJS.Signals = "SIGTERM", timeoutMs = 5000): Promise<number | null> {
      if (handle.exitCode !== null) return handle.exitCode;
      const children = handle.pids().filter((p) => p !== proc.pid);
      signal(proc.pid, sig);
      let code = await handle.waitExit(timeoutMs);
      if (code === null) {
        warnings.push(`did not exit within ${timeoutMs} ms of ${sig}; sent SIGKILL`);
        handle.kill9();
        code = await handle.waitExit(2000);
      }
      // a child orphaned by a parent that died badly must not outlive the test
      for (const c of children) if (pidAlive(c)) signal(c, "SIGKILL");
      return code;
    },
    kill9(): void {
      // collect first, then kill back to back, so no process sees the other die first
      const all = handle.pids();
      for (const pid of [...all].reverse()) signal(pid, "SIGKILL");
    },
  };
  proc.exited.then((code) => {
    const sig = proc.signalCode;
    handle.exitCode = sig === null ? code : 128 + (typeof sig === "number" ? sig : (signalNumber(sig) ?? 0));
    unregister();
  });
  return handle;
}

function signalNumber(sig: string): number | undefined {
  return (osConstants.signals as Record<string, number>)[sig];
}

async function waitReady(handle: DaemonHandle, opts: StartOptions, files: string[], { pidFileOptional = false } = {}): Promise<void> {
  const timeoutMs = opts.readyTimeoutMs ?? 5000;
  const ok = await waitFiles(files, timeoutMs, () => handle.exitCode !== null);
  if (ok) return;
  const tail = logTail(handle.logPath);
  if (handle.alive() && pidFileOptional) {
    handle.warnings.push(`no pid file ${files.join(", ")} after ${timeoutMs} ms; using pid ${handle.mainPid}`);
    return;
  }
  await handle.stop("SIGKILL", 1000);
  throw new Error(`${handle.impl} did not start in ${opts.ns} within ${timeoutMs} ms` + ` (exit ${handle.exitCode}); log ${handle.logPath}:\n${tail}`);
}

/** Wait until every file exists and is non-empty, woken by inotify on their directories,
 * with a slow poll as a safety net; false on timeout or when gaveUp() turns true. */
async function waitFiles(files: string[], timeoutMs: number, gaveUp: () => boolean): Promise<boolean> {
  const ready = () => files.every((f) => existsSync(f) && readFileSync(f, "utf8").trim() !== "");
  if (ready()) return true;
  const dirs = [...new Set(files.map((f) => resolve(f, "..")))];
  let wake: () => void = () => {};
  const watchers = dirs.map((d) => watch(d, () => wake()));
  const deadline = performance.now() + timeoutMs;
  try {
    while (performance.now() < deadline) {
      await Promise.race([new Promise<void>((r) => (wake = r)), delay(50)]);
      if (ready()) return true;
      if (gaveUp()) return false;
    }
    return ready();
  } finally {
    for (const w of watchers) w.close();
  }
}

function logTail(path: string, lines = 20): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** tandem's engine and observer among a supervisor's children, by the internal command they run. */
function tandemChildren(mainPid: number): Record<string, number> {
  const roles: Record<string, number> = {};
  for (const pid of descendants(mainPid)) {
    let argv: string[] = [];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0");
    } catch {
      continue;
    }
    if (argv.includes("__engine")) roles.vrrp = pid;
    else if (argv.includes("__observer")) roles.observer = pid;
    else if (argv.includes("__director")) roles.director = pid;
  }
  return roles;
}
