// lvs_notify_fifo: the FIFO the director writes keepalived's notify lines to ("VS [10.0.0.1]:tcp:80
// UP", "RS [10.0.1.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN"), as keepalived 2.2.7 does (lib/notify.c
// fifo_open/fifo_close, check/ipwrapper.c notify_fifo_vs/notify_fifo_rs): created if missing
// (mode 0644, owned by the script user) and then removed at close, opened read-write and
// non-blocking so a missing or slow reader never blocks the director (a line that does not
// fit is lost, as in keepalived), and lvs_notify_fifo_script started first with the FIFO's
// path appended, never timed out, stopped at close. The director closes and reopens it at a
// reload, as keepalived does, since the file may name another FIFO.
import { closeSync, constants, lstatSync, openSync, unlinkSync, writeSync, chownSync } from "node:fs";
import type { Logger } from "../../common/logger.ts";
import type { ProcessRunner, RunningProcess } from "../../common/process.ts";
import { makeFifo } from "../../net/index.ts";
import type { NotifyScript } from "../scripts/notify-runner.ts";
import { argvWithArgs } from "../scripts/script-command.ts";
import { runOutcome } from "../scripts/script-queue.ts";
import type { ScriptIdentity } from "../scripts/script-user.ts";

/** S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH, keepalived's mode for the FIFO it creates. */
const FIFO_MODE = 0o644;
const S_IFMT = 0o170000;
const S_IFIFO = 0o010000;

export interface NotifyFifoSpec {
  path: string;
  /** lvs_notify_fifo_script, ready to run (script security passed). */
  script?: NotifyScript;
  /** Who owns a FIFO tandem creates: the script user. */
  owner: ScriptIdentity;
}

export class NotifyFifo {
  private fd: number | undefined;
  private created = false;
  private reader: RunningProcess | undefined;
  private path = "";

  constructor(private readonly deps: { logger: Logger; runner: ProcessRunner }) {}

  /** Creates (if need be) and opens the FIFO, after starting its script; a failure is logged and leaves no FIFO. */
  open(spec: NotifyFifoSpec): void {
    const { logger } = this.deps;
    this.path = spec.path;
    const made = this.make(spec);
    if (!made) return;
    if (spec.script) this.startReader(spec.script);
    try {
      this.fd = openSync(spec.path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW);
      logger.info(`lvs_notify_fifo ${spec.path}: open`);
    } catch (error) {
      logger.error(`lvs_notify_fifo ${spec.path} cannot be opened: ${(error as Error).message}; no notify lines are written`);
      this.removeCreated();
    }
  }

  /** One line, newline added; never blocks, never throws. */
  write(line: string): void {
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, `${line}\n`);
    } catch {
      // EAGAIN: no one reads and the pipe is full. keepalived ignores the failed write too.
    }
  }

  /** Stops the script, closes the FIFO and removes it if tandem created it (first, so a reader looping on reopen cannot). */
  close(): void {
    this.removeCreated();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.reader?.kill();
    this.reader = undefined;
  }

  private make(spec: NotifyFifoSpec): boolean {
    const { logger } = this.deps;
    try {
      makeFifo(spec.path, FIFO_MODE);
      this.created = true;
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") {
        logger.error(`lvs_notify_fifo ${spec.path} cannot be created: ${(error as Error).message}; no notify lines are written`);
        return false;
      }
      // keepalived opens whatever is there; a regular file would fill up, so tandem wants a FIFO.
      const type = lstatOrUndefined(spec.path);
      if (type !== S_IFIFO) {
        logger.error(`lvs_notify_fifo ${spec.path} exists and is not a FIFO: remove it or name another path; no notify lines are written`);
        return false;
      }
      return true;
    }
    const { uid, gid } = spec.owner;
    if (uid !== process.getuid?.() || gid !== process.getgid?.()) {
      try {
        chownSync(spec.path, uid, gid);
      } catch (error) {
        logger.warn(`lvs_notify_fifo ${spec.path}: cannot give it to uid:gid ${uid}:${gid}: ${(error as Error).message}`);
      }
    }
    return true;
  }

  /** keepalived system_call_script(..., TIMER_NEVER, fifo->script) with the FIFO's name as its last argument. */
  private startReader(script: NotifyScript): void {
    const { logger, runner } = this.deps;
    const argv = argvWithArgs(script.command, [this.path]);
    const reader = runner.start({
      argv,
      timeoutMs: Infinity,
      ...(script.uid !== undefined ? { uid: script.uid } : {}),
      ...(script.gid !== undefined ? { gid: script.gid } : {}),
    });
    this.reader = reader;
    void reader.result.then((result) => {
      if (this.reader === reader) this.reader = undefined;
      // keepalived: "lvs notify fifo script terminated"; it is not started again until a reload.
      logger.info(`lvs_notify_fifo_script ${argv.join(" ")} terminated (${runOutcome(result)})`);
    });
  }

  private removeCreated(): void {
    if (!this.created) return;
    this.created = false;
    try {
      unlinkSync(this.path);
    } catch {
      /* already gone */
    }
  }
}

function lstatOrUndefined(path: string): number | undefined {
  try {
    return lstatSync(path).mode & S_IFMT;
  } catch {
    return undefined;
  }
}
