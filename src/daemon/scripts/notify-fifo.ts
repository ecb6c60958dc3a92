// One notify FIFO (notify_fifo, vrrp_notify_fifo, lvs_notify_fifo) as keepalived 2.2.7 keeps
// it (lib/notify.c fifo_open / fifo_close): created if missing (mode 0644, owned by the script
// user) and then removed at close, opened read-write and non-blocking so a missing or slow
// reader never blocks the process that writes (a line that does not fit is lost, as in
// keepalived; tandem counts them and says so once), and its *_fifo_script started first with
// the FIFO's path appended, never timed out, sent SIGTERM (SIGKILL a second later) before the
// process's last lines, as keepalived's script_killall does. The engine and the director
// write the global notify_fifo both, as keepalived's two processes do, and either may remove
// and create it anew at a reload: a write therefore goes to the FIFO the path names now.
import { chownSync, closeSync, constants, fstatSync, lstatSync, openSync, unlinkSync, writeSync } from "node:fs";
import type { Logger } from "../../common/logger.ts";
import type { ProcessRunner, RunningProcess } from "../../common/process.ts";
import { makeFifo } from "../../net/index.ts";
import type { NotifyScript } from "./notify-runner.ts";
import { argvWithArgs } from "./script-command.ts";
import { runOutcome } from "./script-queue.ts";
import type { ScriptIdentity } from "./script-user.ts";

/** S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH, keepalived's mode for the FIFO it creates. */
const FIFO_MODE = 0o644;
const S_IFMT = 0o170000;
const S_IFIFO = 0o010000;
/** keepalived's script_killall: SIGTERM, then SIGKILL a second later (child_killed_reload). */
export const READER_KILL_GRACE_MS = 1_000;

export type FifoKeyword = "notify_fifo" | "vrrp_notify_fifo" | "lvs_notify_fifo";

export interface NotifyFifoSpec {
  keyword: FifoKeyword;
  path: string;
  /** The *_fifo_script, ready to run (script security passed). */
  script?: NotifyScript;
  /** Who owns a FIFO tandem creates: the script user. */
  owner: ScriptIdentity;
}

/** What the engine and the director hold: the real FIFO below, or a test's recorder. */
export interface NotifyFifoPort {
  open(spec: NotifyFifoSpec): void;
  /** One line, newline added; never blocks, never throws. */
  write(line: string): void;
  /** SIGTERM to the reader script (keepalived does it before its last lines); idempotent. */
  terminateReader(): void;
  /** Removes the FIFO if tandem created it, closes it, and resolves once its reader has gone. */
  close(): Promise<void>;
}

interface Opened {
  fd: number;
  dev: number;
  ino: number;
}

export class NotifyFifo implements NotifyFifoPort {
  private opened: Opened | undefined;
  /** The FIFO tandem made, to remove at close if the path still names it (not one the other process made since). */
  private created: { dev: number; ino: number } | undefined;
  private reader: { process: RunningProcess; exited: Promise<void>; terminated: boolean } | undefined;
  private spec: NotifyFifoSpec | undefined;
  private dropped = 0;
  private dropping = false;

  constructor(private readonly deps: { logger: Logger; runner: ProcessRunner }) {}

  /** Creates (if need be) and opens the FIFO, after starting its script; a failure is logged and leaves no FIFO. */
  open(spec: NotifyFifoSpec): void {
    const { logger } = this.deps;
    this.spec = spec;
    this.dropped = 0;
    this.dropping = false;
    if (!this.make(spec)) return;
    if (spec.script) this.startReader(spec.script, spec);
    this.opened = this.openPath(spec);
    if (this.opened) logger.info(`${spec.keyword} ${spec.path}: open`);
    else this.removeCreated();
  }

  write(line: string): void {
    if (!this.opened) return;
    this.followPath();
    try {
      writeSync(this.opened.fd, `${line}\n`);
      if (this.dropping) {
        this.dropping = false;
        this.deps.logger.info(`${this.name()}: written to again; ${this.dropped} line(s) lost so far`);
      }
    } catch {
      // EAGAIN: no one reads and the pipe is full. keepalived ignores the failed write too.
      this.dropped++;
      if (!this.dropping) {
        this.dropping = true;
        this.deps.logger.warn(`${this.name()} is full (no reader, or one that does not keep up): its lines are lost until it is read`);
      }
    }
  }

  terminateReader(): void {
    const reader = this.reader;
    if (!reader || reader.terminated) return;
    reader.terminated = true;
    if (reader.process.terminate) reader.process.terminate(READER_KILL_GRACE_MS);
    else reader.process.kill();
  }

  /** The reader first, then the FIFO removed (first, so a reader looping on reopen cannot) and closed. */
  async close(): Promise<void> {
    this.terminateReader();
    const reader = this.reader;
    this.reader = undefined;
    this.removeCreated();
    if (this.opened) closeSync(this.opened.fd);
    this.opened = undefined;
    if (this.dropped > 0) this.deps.logger.warn(`${this.name()}: ${this.dropped} line(s) were lost while no one read it`);
    this.dropped = 0;
    await reader?.exited;
  }

  private name(): string {
    return `${this.spec?.keyword} ${this.spec?.path}`;
  }

  private make(spec: NotifyFifoSpec): boolean {
    const { logger } = this.deps;
    try {
      makeFifo(spec.path, FIFO_MODE);
      const stat = lstatSync(spec.path);
      this.created = { dev: stat.dev, ino: stat.ino };
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") {
        logger.error(`${spec.keyword} ${spec.path} cannot be created: ${(error as Error).message}; no notify lines are written`);
        return false;
      }
      // keepalived opens whatever is there; a regular file would fill up, so tandem wants a FIFO.
      if (fileType(spec.path) !== S_IFIFO) {
        logger.error(`${spec.keyword} ${spec.path} exists and is not a FIFO: remove it or name another path; no notify lines are written`);
        return false;
      }
      return true;
    }
    const { uid, gid } = spec.owner;
    if (uid !== process.getuid?.() || gid !== process.getgid?.()) {
      try {
        chownSync(spec.path, uid, gid);
      } catch (error) {
        logger.warn(`${spec.keyword} ${spec.path}: cannot give it to uid:gid ${uid}:${gid}: ${(error as Error).message}`);
      }
    }
    return true;
  }

  private openPath(spec: NotifyFifoSpec): Opened | undefined {
    try {
      const fd = openSync(spec.path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW);
      const stat = fstatSync(fd);
      return { fd, dev: stat.dev, ino: stat.ino };
    } catch (error) {
      this.deps.logger.error(`${spec.keyword} ${spec.path} cannot be opened: ${(error as Error).message}; no notify lines are written`);
      return undefined;
    }
  }

  /**
   * The path may name another FIFO than the one open (the other process removed it at a
   * reload and made a new one, where the new reader looks), or none: write to the one there
   * now, making it if it has gone. Lines are few, so one lstat each costs nothing.
   */
  private followPath(): void {
    const spec = this.spec;
    const opened = this.opened;
    if (!spec || !opened) return;
    const stat = statOrUndefined(spec.path);
    if (stat && (stat.mode & S_IFMT) !== S_IFIFO) return;
    if (stat && stat.dev === opened.dev && stat.ino === opened.ino) return;
    if (!stat && !this.make(spec)) return;
    const next = this.openPath(spec);
    if (!next) return;
    closeSync(opened.fd);
    this.opened = next;
  }

  /** keepalived system_call_script(..., TIMER_NEVER, fifo->script) with the FIFO's name as its last argument. */
  private startReader(script: NotifyScript, spec: NotifyFifoSpec): void {
    const { logger, runner } = this.deps;
    const argv = argvWithArgs(script.command, [spec.path]);
    const process = runner.start({
      argv,
      timeoutMs: Infinity,
      ...(script.uid !== undefined ? { uid: script.uid } : {}),
      ...(script.gid !== undefined ? { gid: script.gid } : {}),
    });
    const exited = process.result.then((result) => {
      if (this.reader?.process === process) this.reader = undefined;
      // keepalived: "vrrp notify fifo script terminated"; it is not started again until a reload.
      logger.info(`${spec.keyword}_script ${argv.join(" ")} terminated (${runOutcome(result)})`);
    });
    this.reader = { process, exited, terminated: false };
  }

  private removeCreated(): void {
    const created = this.created;
    this.created = undefined;
    if (!created || !this.spec) return;
    const now = statOrUndefined(this.spec.path);
    if (now?.dev !== created.dev || now.ino !== created.ino) return;
    try {
      unlinkSync(this.spec.path);
    } catch {
      /* already gone */
    }
  }
}

function statOrUndefined(path: string): { mode: number; dev: number; ino: number } | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function fileType(path: string): number | undefined {
  const stat = statOrUndefined(path);
  return stat === undefined ? undefined : stat.mode & S_IFMT;
}
