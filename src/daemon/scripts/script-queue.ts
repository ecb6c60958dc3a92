// One ordered queue of script runs: each waits for the one before it, so scripts that react
// to a sequence of changes see them in order and never overlap (keepalived forks them all at
// once, where they race). The caller's loop never waits: push() returns at once. Bounded
// (the oldest queued runs are dropped and counted), every run has a timeout, and stop()
// kills what runs. The VRRP notify runner keeps one per instance or group, the director one.
import type { Clock } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import type { ProcessResult, ProcessRunner, RunningProcess } from "./process-runner.ts";

/** What to run, as the process runner takes it. */
export interface QueuedRun<T> {
  /** The caller's own description of the run, handed back with its result. */
  job: T;
  argv: readonly string[];
  timeoutMs: number;
  uid?: number;
  gid?: number;
}

/** How a run went: the process runner's result, when it started, and what it ran. */
export interface FinishedRun extends ProcessResult {
  argv: string[];
  startedWallMs: number;
}

export interface ScriptQueueOptions<T> {
  clock: Clock;
  runner: ProcessRunner;
  logger: Logger;
  /** For the log line that says runs were dropped, e.g. "notify INSTANCE VI_1". */
  name: string;
  /** Pending runs kept; beyond it the oldest are dropped (scripts slower than the changes must not queue forever). */
  maxQueued: number;
  onFinished(job: T, run: FinishedRun): void;
}

export class ScriptQueue<T> {
  private readonly jobs: QueuedRun<T>[] = [];
  private running: RunningProcess | undefined;
  private drained: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Runs dropped because the queue was full, since it was made. */
  dropped = 0;

  constructor(private readonly options: ScriptQueueOptions<T>) {}

  push(runs: readonly QueuedRun<T>[]): void {
    if (this.stopped || runs.length === 0) return;
    const wasIdle = !this.busy();
    this.jobs.push(...runs);
    const excess = this.jobs.length - this.options.maxQueued;
    if (excess > 0) {
      this.jobs.splice(0, excess);
      this.dropped += excess;
      this.options.logger.warn(`${this.options.name}: ${excess} queued run(s) dropped, the scripts are slower than the changes they report`);
    }
    if (wasIdle) this.drained = this.drained.then(() => this.drain());
  }

  busy(): boolean {
    return this.jobs.length > 0 || this.running !== undefined;
  }

  /** Resolves when nothing is queued and nothing runs (runs queued meanwhile included). */
  async idle(): Promise<void> {
    while (this.busy()) await this.drained;
  }

  /** Drops what is queued and kills what runs; nothing runs afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.jobs.length = 0;
    this.running?.kill();
    await this.drained;
  }

  private async drain(): Promise<void> {
    for (let run = this.jobs.shift(); run && !this.stopped; run = this.jobs.shift()) await this.runOne(run);
  }

  private async runOne(run: QueuedRun<T>): Promise<void> {
    const { clock, runner, logger } = this.options;
    const argv = [...run.argv];
    const startedWallMs = clock.wallMs();
    const failed = (error: unknown): ProcessResult => ({
      exitCode: null,
      signal: null,
      timedOut: false,
      output: "",
      outputTruncated: false,
      durationMs: 0,
      spawnError: String(error),
    });
    let result: ProcessResult;
    // Nothing here may throw: a run that fails to start is a failed run, and the queue goes on.
    try {
      const running = runner.start({
        argv,
        timeoutMs: run.timeoutMs,
        ...(run.uid !== undefined ? { uid: run.uid } : {}),
        ...(run.gid !== undefined ? { gid: run.gid } : {}),
      });
      this.running = running;
      result = await running.result.catch(failed);
    } catch (error) {
      result = failed(error);
    }
    this.running = undefined;
    try {
      this.options.onFinished(run.job, { ...result, argv, startedWallMs });
    } catch (error) {
      logger.error(`${this.options.name}: the handler of a finished run threw: ${String(error)}`);
    }
  }
}

/** "exit 0", "exit 3", "timed out", "killed by SIGKILL", or why it could not start. */
export function runOutcome(run: ProcessResult): string {
  return run.spawnError ?? (run.timedOut ? "timed out" : run.signal ? `killed by ${run.signal}` : `exit ${run.exitCode}`);
}

/** Whether a run went wrong (could not start, timed out, killed, nonzero status). */
export function runFailed(run: ProcessResult): boolean {
  return run.spawnError !== undefined || run.timedOut || run.signal !== null || run.exitCode !== 0;
}

/** One log line for a finished run: info when it exited 0, a warning otherwise. */
export function logFinishedRun(logger: Logger, what: string, run: ProcessResult): void {
  const took = `${Math.round(run.durationMs)} ms`;
  const firstLine = run.output.trim().split("\n")[0] ?? "";
  const said = firstLine ? `: ${firstLine.slice(0, 200)}` : "";
  if (run.spawnError !== undefined) logger.warn(`${what} could not run: ${run.spawnError}`);
  else if (run.timedOut) logger.warn(`${what} timed out after ${took} and was killed${said}`);
  else if (run.signal) logger.warn(`${what} killed by ${run.signal} after ${took}${said}`);
  else if (run.exitCode !== 0) logger.warn(`${what} exited with status ${run.exitCode} after ${took}${said}`);
  else logger.info(`${what} exited with status 0 after ${took}`);
}
