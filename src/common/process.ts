// Running an external program, as an interface: what the checkers' and the scripts'
// schedulers ask for and get back. The implementation over Bun.spawn (own process group,
// uid/gid, clean environment, group kill at the timeout, bounded output) is in
// daemon/scripts/process-runner.ts; tests give fakes.

export interface ProcessSpec {
  argv: readonly string[];
  /** Infinity: never killed for its time (keepalived's TIMER_NEVER, the notify FIFO's reader). */
  timeoutMs: number;
  uid?: number;
  gid?: number;
  /** Added to (and overriding) the clean environment { PATH }. */
  env?: Readonly<Record<string, string>>;
  /** keepalived's daemon runs from "/". */
  cwd?: string;
  outputLimitBytes?: number;
  /** 0 (default): SIGKILL the group at the timeout. >0: SIGTERM first, SIGKILL this much later (keepalived uses 2 s). */
  killGraceMs?: number;
}

export interface ProcessResult {
  /** The exit status, or null if it died from a signal or never started. */
  exitCode: number | null;
  /** e.g. "SIGKILL" when it died from a signal. */
  signal: string | null;
  timedOut: boolean;
  /** stdout and stderr interleaved in arrival order, first outputLimitBytes only. */
  output: string;
  outputTruncated: boolean;
  durationMs: number;
  /** Set when the program could not be started at all; the other fields are then empty. */
  spawnError?: string;
}

export interface RunningProcess {
  readonly pid: number | undefined;
  readonly result: Promise<ProcessResult>;
  /** Kill the whole process group now (SIGKILL). Safe to call at any time, more than once. */
  kill(): void;
  /**
   * SIGTERM to the whole group, SIGKILL graceMs later if it has not exited: keepalived's
   * script_killall, for a long-running script that may want to finish reading (a notify
   * FIFO's reader). A runner without it is asked to kill() instead.
   */
  terminate?(graceMs: number): void;
}

export interface ProcessRunner {
  start(spec: ProcessSpec): RunningProcess;
}
