// How much slower the emulated guest runs C and tandem's JavaScript than this host does:
// the same work (parsing the 1,000 x 10 configuration: `keepalived -t` and `tandem check`,
// both the same binaries on both sides) timed on the host and in the guest of one benchmark
// run. Under TCG the guest's cost is not uniform: a JIT's freshly written code must be
// translated again by the emulator, so a JavaScript program loses more than a C one, and
// the comparison with ipvsadm (C) is skewed by that much. No KVM here to measure it away.

const TRIALS = 3;

export interface ParseTimes {
  keepalived: Timed;
  tandem: Timed;
}

/** Medians over the trials: wall time, and the user CPU of the process (all its threads); the last run's exit and the end of its stderr. */
interface Timed {
  ms: number;
  userMs: number;
  exit: number | null;
  stderr: string;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

// The guest's benchmark program runs on the image's binary as bun (BUN_BE_BUN): tandem must not.
const { BUN_BE_BUN: _, ...ENV } = process.env;

async function timed(argv: string[]): Promise<Timed> {
  const runs: Omit<Timed, "stderr">[] = [];
  let stderr = "";
  for (let trial = 0; trial < TRIALS; trial++) {
    const t0 = performance.now();
    const proc = Bun.spawn(argv, { env: ENV, stdout: "ignore", stderr: "pipe" });
    [stderr] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    const ms = performance.now() - t0;
    const usage = proc.resourceUsage();
    runs.push({ ms, userMs: usage ? Number(usage.cpuTime.user) / 1000 : NaN, exit: proc.exitCode });
  }
  return { ms: median(runs.map((r) => r.ms)), userMs: median(runs.map((r) => r.userMs)), exit: runs.at(-1)!.exit, stderr: stderr.slice(-300) };
}

/**
 * Both parsers over one file; the exit codes say each accepted it (keepalived -t: 0; tandem
 * check: 0). `keepalived` is its command line up to the options (in the guest, the copied
 * binary behind its own loader).
 */
export async function parseTimes(keepalived: string, tandem: string, configFile: string): Promise<ParseTimes> {
  return {
    keepalived: await timed([...keepalived.split(" "), "-t", "-f", configFile]),
    tandem: await timed([tandem, "check", "-f", configFile]),
  };
}
