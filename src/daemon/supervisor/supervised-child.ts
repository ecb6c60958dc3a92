// One child process of the supervisor (the engine or the observer): started from the same
// binary with an IPC channel, watched for silence (a hung process stops talking) and, when
// given a limit, for its resident memory, and started again after a death with the restart
// policy's back-off. Every death is reported with why and when the next start is.
import { readFileSync } from "node:fs";
import type { Clock, TimerHandle } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import { RestartPolicy } from "../../common/restart-policy.ts";

export interface ChildExit {
  pid: number;
  exitCode: number | null;
  signal: string | null;
  /** Why the supervisor killed it, when it did. */
  killedFor?: string;
  /** When it will be started again; undefined when it will not (the daemon is stopping). */
  restartInMs?: number;
}

export interface SupervisedChildOptions<Out> {
  /** "vrrp" or "observer", for logs and events. */
  role: string;
  argv: readonly string[];
  clock: Clock;
  logger: Logger;
  /** No message for this long: the child hangs, and is killed and restarted. */
  silenceLimitMs: number;
  /**
   * The limit before its first message (default: silenceLimitMs, at least 30 s): loading a
   * 100 MB binary and parsing the configuration on a loaded box takes longer than a running
   * child may stay quiet, and a start killed as hung is a daemon that never starts.
   */
  startLimitMs?: number;
  /** Resident memory past this is killed and restarted (undefined: not watched). */
  memoryLimitBytes?: number;
  /** Right after each start (the first message to send goes here), with the new pid. */
  onStart(pid: number): void;
  onMessage(message: Out): void;
  onExit(exit: ChildExit): void;
  env?: Record<string, string | undefined>;
  policy?: RestartPolicy;
}

const MEMORY_POLL_MS = 500;
const PAGE_BYTES = 4096;

export class SupervisedChild<In, Out> {
  private process: ReturnType<typeof Bun.spawn> | undefined;
  private startedMs = 0;
  private lastHeardMs = 0;
  private heardSinceStart = false;
  private watch: TimerHandle | undefined;
  private restart: TimerHandle | undefined;
  private killedFor: string | undefined;
  private stopping = false;
  private readonly policy: RestartPolicy;

  constructor(private readonly options: SupervisedChildOptions<Out>) {
    this.policy = options.policy ?? new RestartPolicy();
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  start(): void {
    const { clock } = this.options;
    this.killedFor = undefined;
    let child: ReturnType<typeof Bun.spawn>;
    try {
      child = Bun.spawn([...this.options.argv], {
        stdio: ["ignore", "inherit", "inherit"],
        serialization: "advanced",
        env: this.options.env ?? process.env,
        ipc: (message) => {
          this.lastHeardMs = clock.nowMs();
          this.heardSinceStart = true;
          this.options.onMessage(message as Out);
        },
        onExit: (_proc, exitCode, signalCode) => this.exited(child, exitCode, signalCode === null ? null : String(signalCode)),
      });
    } catch (error) {
      this.options.logger.error(`${this.options.role}: cannot start ${this.options.argv.join(" ")}: ${(error as Error).message}`);
      this.scheduleRestart(clock.nowMs());
      return;
    }
    this.process = child;
    this.startedMs = clock.nowMs();
    this.lastHeardMs = this.startedMs;
    this.heardSinceStart = false;
    this.options.onStart(child.pid);
    this.armWatch();
  }

  send(message: In): boolean {
    if (!this.running) return false;
    try {
      this.process!.send(message);
      return true;
    } catch {
      return false;
    }
  }

  /** Restarts again after stopRestarting (a child that is wanted again, e.g. after a reload). */
  resumeRestarting(): void {
    this.stopping = false;
  }

  /** No more restarts; the caller asks the child to stop by a message, then waits for its exit. */
  stopRestarting(): void {
    this.stopping = true;
    this.restart?.cancel();
    this.restart = undefined;
  }

  /** Resolves once the child has exited, or after timeoutMs with a SIGKILL. */
  async waitExit(timeoutMs: number): Promise<void> {
    const child = this.process;
    if (!child || !this.running) return;
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = this.options.clock.at(this.options.clock.nowMs() + timeoutMs, resolve)));
    await Promise.race([child.exited, timedOut]);
    timer?.cancel();
    if (this.running) {
      this.options.logger.warn(`${this.options.role} (pid ${child.pid}) did not stop within ${timeoutMs} ms; killing it`);
      child.kill("SIGKILL");
      await child.exited;
    }
  }

  kill(reason: string): void {
    if (!this.running) return;
    this.killedFor = reason;
    this.options.logger.error(`${this.options.role} (pid ${this.process!.pid}) ${reason}: killing it`);
    this.process!.kill("SIGKILL");
  }

  private armWatch(): void {
    this.watch?.cancel();
    const { clock } = this.options;
    const check = () => {
      if (!this.running) return;
      const silentMs = clock.nowMs() - this.lastHeardMs;
      if (!this.heardSinceStart) {
        const startLimitMs = this.options.startLimitMs ?? Math.max(this.options.silenceLimitMs, 30_000);
        if (silentMs > startLimitMs) return this.kill(`has said nothing in the ${Math.round(silentMs)} ms since its start (hung)`);
      } else if (silentMs > this.options.silenceLimitMs) return this.kill(`has not been heard from for ${Math.round(silentMs)} ms (hung)`);
      const limit = this.options.memoryLimitBytes;
      if (limit !== undefined) {
        const rss = residentBytes(this.process!.pid);
        if (rss !== undefined && rss > limit) return this.kill(`uses ${Math.round(rss / 2 ** 20)} MiB, over its ${Math.round(limit / 2 ** 20)} MiB limit`);
      }
      this.watch = clock.at(clock.nowMs() + MEMORY_POLL_MS, check);
    };
    this.watch = clock.at(clock.nowMs() + MEMORY_POLL_MS, check);
  }

  private exited(child: ReturnType<typeof Bun.spawn>, exitCode: number | null, signal: string | null): void {
    if (child !== this.process) return;
    this.watch?.cancel();
    const now = this.options.clock.nowMs();
    const restartInMs = this.stopping ? undefined : this.policy.delayAfter(this.startedMs, now);
    this.options.onExit({
      pid: child.pid,
      exitCode,
      signal,
      ...(this.killedFor ? { killedFor: this.killedFor } : {}),
      ...(restartInMs === undefined ? {} : { restartInMs }),
    });
    if (restartInMs !== undefined) this.scheduleRestart(now, restartInMs);
  }

  private scheduleRestart(now: number, delayMs = this.policy.delayAfter(now, now)): void {
    if (this.stopping) return;
    this.restart = this.options.clock.at(now + delayMs, () => {
      this.restart = undefined;
      if (!this.stopping) this.start();
    });
  }
}

function residentBytes(pid: number): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, "latin1").split(" ")[1]) * PAGE_BYTES;
  } catch {
    return undefined;
  }
}
