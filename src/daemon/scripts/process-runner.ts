// Runs one external program the way keepalived runs scripts: own session/process group,
// optional uid/gid, clean environment, timeout that kills the whole group, bounded output.
// Never throws: every failure comes back as a ProcessResult.
//
// Bun 1.4.4's Bun.spawn supports `uid`, `gid` (it also empties the supplementary groups,
// checked with /proc/self/status) and `detached` (setsid(), so pid == pgid): no setpriv needed.
// Not reproduced: keepalived's PR_SET_PDEATHSIG(SIGTERM) (Bun cannot set it), so a caller
// must kill() what it started before exiting (the scheduler and notify runner do on stop()).

import type { Clock, TimerHandle } from "../../common/clock.ts";
import type { ProcessResult, ProcessRunner, ProcessSpec, RunningProcess } from "../../common/process.ts";

/** keepalived runs scripts with the daemon's environment; we give a clean one with this PATH. */
export const scriptSearchPath = "/usr/sbin:/usr/bin:/sbin:/bin";
export const defaultOutputLimitBytes = 4096;
/** After the program exits, how long a grandchild that kept stdout open may delay the result. */
const outputDrainGraceMs = 200;

export type { ProcessResult, ProcessRunner, ProcessSpec, RunningProcess } from "../../common/process.ts";

export function createProcessRunner(clock: Clock): ProcessRunner {
  return { start: (spec) => startProcess(clock, spec) };
}

function startProcess(clock: Clock, spec: ProcessSpec): RunningProcess {
  const startedMs = clock.nowMs();
  const env: Record<string, string> = { PATH: scriptSearchPath, ...spec.env };
  const failed = (spawnError: string): RunningProcess => ({
    pid: undefined,
    kill: () => {},
    result: Promise.resolve({ exitCode: null, signal: null, timedOut: false, output: "", outputTruncated: false, durationMs: 0, spawnError }),
  });

  const program = resolveProgram(spec.argv[0], env.PATH ?? scriptSearchPath);
  if (!program.ok) return failed(program.error);

  let proc: ReturnType<typeof spawnPiped>;
  try {
    proc = spawnPiped([program.path, ...spec.argv.slice(1)], spec, env);
  } catch (error) {
    return failed(describeSpawnError(program.path, error, spec));
  }

  const output = new BoundedOutput(spec.outputLimitBytes ?? defaultOutputLimitBytes);
  const drains = [drain(proc.stdout, output), drain(proc.stderr, output)];
  const timers: TimerHandle[] = [];
  let timedOut = false;
  let exited = false;

  const signalGroup = (signal: NodeJS.Signals) => {
    if (exited) return;
    try {
      process.kill(-proc.pid, signal);
    } catch {
      // The group is gone (ESRCH) or the leader left it: fall back to the leader itself.
      try {
        proc.kill(signal);
      } catch {
        /* already dead */
      }
    }
  };
  const grace = spec.killGraceMs ?? 0;
  // setTimeout fires at once for a delay it cannot hold, so "never" arms nothing.
  if (Number.isFinite(spec.timeoutMs))
    timers.push(
      clock.at(startedMs + spec.timeoutMs, () => {
        timedOut = true;
        if (grace > 0) {
          signalGroup("SIGTERM");
          timers.push(clock.at(clock.nowMs() + grace, () => signalGroup("SIGKILL")));
        } else signalGroup("SIGKILL");
      }),
    );

  const result = (async (): Promise<ProcessResult> => {
    await proc.exited.catch(() => undefined);
    const durationMs = clock.nowMs() - startedMs;
    // A timed-out leader may die before its children: finish the group off.
    if (timedOut) {
      try {
        process.kill(-proc.pid, "SIGKILL");
      } catch {
        /* nothing left */
      }
    }
    exited = true;
    for (const timer of timers) timer.cancel();
    await waitForDrains(clock, drains);
    return {
      exitCode: proc.signalCode ? null : proc.exitCode,
      signal: signalName(proc.signalCode),
      timedOut,
      ...output.text(),
      durationMs,
    };
  })();

  return {
    pid: proc.pid,
    result,
    kill: () => signalGroup("SIGKILL"),
    terminate: (graceMs) => {
      if (exited) return;
      signalGroup("SIGTERM");
      timers.push(clock.at(clock.nowMs() + graceMs, () => signalGroup("SIGKILL")));
    },
  };
}

function signalName(signal: string | number | null): string | null {
  if (signal === null || signal === undefined) return null;
  return typeof signal === "number" ? `signal ${signal}` : signal;
}

function spawnPiped(argv: string[], spec: ProcessSpec, env: Record<string, string>) {
  return Bun.spawn(argv, {
    cwd: spec.cwd ?? "/",
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    detached: true,
    ...(spec.uid !== undefined ? { uid: spec.uid } : {}),
    ...(spec.gid !== undefined ? { gid: spec.gid } : {}),
  });
}

/** keepalived path-searches a bare program name (and warns); we search our clean PATH. */
function resolveProgram(program: string | undefined, searchPath: string): { ok: true; path: string } | { ok: false; error: string } {
  if (!program) return { ok: false, error: "no program given (the command is empty)" };
  if (program.includes("/")) return { ok: true, path: program };
  const found = Bun.which(program, { PATH: searchPath });
  return found ? { ok: true, path: found } : { ok: false, error: `program '${program}' was not found in PATH ${searchPath}: give its full path` };
}

function describeSpawnError(path: string, error: unknown, spec: ProcessSpec): string {
  const code = (error as { code?: string } | null)?.code;
  const who = spec.uid !== undefined ? ` for uid ${spec.uid}${spec.gid !== undefined ? ` gid ${spec.gid}` : ""}` : "";
  switch (code) {
    case "ENOENT":
      return `program ${path} does not exist (or its #! interpreter does not): check the path`;
    case "EACCES":
      return `permission denied running ${path}${who}: it must be a regular file with execute permission, in directories the user can search`;
    case "ENOEXEC":
      return `${path} is not an executable format: add a #! line (e.g. #!/bin/sh) to the script`;
    case "EPERM":
      return `not permitted to start ${path}${who}: switching user needs root`;
    default:
      return `could not start ${path}${who}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Keeps the first `limit` bytes of everything written; counts the rest. */
class BoundedOutput {
  private readonly chunks: Uint8Array[] = [];
  private kept = 0;
  private dropped = false;

  constructor(private readonly limit: number) {}

  push(chunk: Uint8Array): void {
    const room = this.limit - this.kept;
    if (chunk.length > room) this.dropped = true;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(part.slice());
    this.kept += part.length;
  }

  text(): { output: string; outputTruncated: boolean } {
    const all = new Uint8Array(this.kept);
    let at = 0;
    for (const chunk of this.chunks) {
      all.set(chunk, at);
      at += chunk.length;
    }
    return { output: new TextDecoder("utf-8", { fatal: false }).decode(all), outputTruncated: this.dropped };
  }
}

interface Drain {
  done: Promise<void>;
  cancel(): void;
}

/** Read a pipe to its end, keeping a bounded prefix: reading on stops a chatty child blocking on a full pipe. */
function drain(stream: ReadableStream<Uint8Array>, output: BoundedOutput): Drain {
  const reader = stream.getReader();
  const done = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        if (value) output.push(value);
      }
    } catch {
      /* cancelled or broken pipe: what we have is the output */
    }
  })();
  return { done, cancel: () => void reader.cancel().catch(() => undefined) };
}

async function waitForDrains(clock: Clock, drains: Drain[]): Promise<void> {
  const all = Promise.all(drains.map((d) => d.done));
  let timer: TimerHandle | undefined;
  const late = new Promise<void>((resolve) => {
    timer = clock.at(clock.nowMs() + outputDrainGraceMs, () => {
      for (const d of drains) d.cancel();
      resolve();
    });
  });
  await Promise.race([all, late]);
  timer?.cancel();
}
