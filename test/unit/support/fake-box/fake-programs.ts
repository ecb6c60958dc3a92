// The programs installed on a fake box (vrrp_scripts, notify scripts): what each exits with
// and how long it takes, set by the test; every run recorded; and the ProcessRunner and
// SecurityFs an engine process gets to run and vet them. Runs finish on the process's clock,
// so a killed process's scripts never report.
import type { Clock } from "../../../../src/common/clock.ts";
import type { ProcessResult, ProcessRunner, ProcessSpec, RunningProcess } from "../../../../src/common/process.ts";
import type { FileStat, SecurityFs } from "../../../../src/daemon/scripts/script-security.ts";

export interface ProgramBehaviour {
  /** Or, for a shell (/bin/sh -c TEXT), what the command would exit with now. */
  exitCode: number | ((argv: readonly string[]) => number);
  durationMs: number;
  output: string;
}

export interface ProgramRun {
  argv: string[];
  uid: number | undefined;
  startedAtMs: number;
  finishedAtMs?: number;
  exitCode?: number | null;
  timedOut?: boolean;
  killed?: boolean;
}

const REGULAR_755 = 0o100755;
const DIRECTORY_755 = 0o040755;

export class FakePrograms {
  readonly runs: ProgramRun[] = [];
  private readonly installed = new Map<string, ProgramBehaviour>();

  /** Install (or change) the program at an absolute path; it applies from its next run. */
  set(path: string, behaviour: Partial<ProgramBehaviour> = {}): void {
    const current = this.installed.get(path) ?? { exitCode: 0, durationMs: 0, output: "" };
    this.installed.set(path, { ...current, ...behaviour });
  }

  exitWith(path: string, exitCode: number): void {
    this.set(path, { exitCode });
  }

  runsOf(path: string): ProgramRun[] {
    return this.runs.filter((r) => r.argv[0] === path);
  }

  /** Root-owned, mode 0755: what script security finds for installed programs and their directories. */
  readonly securityFs: SecurityFs = {
    lstat: (path) => this.stat(path),
    stat: (path) => this.stat(path),
    realpath: (path) => (this.stat(path) ? path : undefined),
  };

  private stat(path: string): FileStat | undefined {
    if (this.installed.has(path)) return { mode: REGULAR_755, uid: 0, gid: 0 };
    const directory = path.endsWith("/") ? path : `${path}/`;
    return [...this.installed.keys()].some((p) => p.startsWith(directory)) ? { mode: DIRECTORY_755, uid: 0, gid: 0 } : undefined;
  }

  /** The runner of one process, timing runs on its clock. */
  runner(clock: Clock): ProcessRunner {
    return { start: (spec) => this.start(spec, clock) };
  }

  private start(spec: ProcessSpec, clock: Clock): RunningProcess {
    const behaviour = this.installed.get(spec.argv[0] ?? "");
    const startedAtMs = clock.nowMs();
    const run: ProgramRun = { argv: [...spec.argv], uid: spec.uid, startedAtMs };
    this.runs.push(run);
    let resolve!: (result: ProcessResult) => void;
    const result = new Promise<ProcessResult>((r) => (resolve = r));
    let done = false;
    const finish = (outcome: Partial<ProcessResult>) => {
      if (done) return;
      done = true;
      timer.cancel();
      run.finishedAtMs = clock.nowMs();
      run.exitCode = outcome.exitCode ?? null;
      run.timedOut = outcome.timedOut ?? false;
      resolve({ exitCode: null, signal: null, timedOut: false, output: "", outputTruncated: false, durationMs: clock.nowMs() - startedAtMs, ...outcome });
    };
    const durationMs = behaviour?.durationMs ?? 0;
    const timedOut = durationMs > spec.timeoutMs;
    const timer = clock.at(startedAtMs + Math.min(durationMs, spec.timeoutMs), () => {
      if (!behaviour) finish({ spawnError: `${spec.argv[0]}: No such file or directory` });
      else if (timedOut) finish({ signal: "SIGKILL", timedOut: true });
      else finish({ exitCode: typeof behaviour.exitCode === "number" ? behaviour.exitCode : behaviour.exitCode(spec.argv), output: behaviour.output });
    });
    return {
      pid: 1000 + this.runs.length,
      result,
      kill: () => {
        run.killed = true;
        finish({ signal: "SIGKILL" });
      },
    };
  }
}
