// CPU time, RSS and PSS of daemon processes from /proc/PID/stat, status and smaps_rollup
// (proc(5)). PSS shares each page among the processes that map it: for several processes of
// one binary (tandem's supervisor, engine and observer) their PSS adds up, their RSS does not.

import { readFileSync } from "node:fs";

export interface ProcSample {
  pid: number;
  comm: string;
  /** utime + stime of the process itself, ms. */
  cpuMs: number;
  /** cutime + cstime: reaped children (track and notify scripts), ms. */
  childrenCpuMs: number;
  rssKb: number;
  /** Proportional set size; 0 where smaps_rollup is not readable. */
  pssKb: number;
}

let clockTicks: number | null = null;

/** USER_HZ: the unit of the /proc/PID/stat times (100 on every common Linux). */
export function clockTicksPerSecond(): number {
  if (clockTicks === null) {
    const r = Bun.spawnSync(["getconf", "CLK_TCK"], { stdout: "pipe", stderr: "ignore" });
    clockTicks = Number(r.stdout.toString().trim()) || 100;
  }
  return clockTicks;
}

/** One reading of pid, or null if it has gone. */
export function sampleProcess(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    // fields after "(comm)": index 0 is field 3 (state); utime is field 14 -> index 11
    const f = stat
      .slice(close + 2)
      .split(" ")
      .map(Number);
    const tickMs = 1000 / clockTicksPerSecond();
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    let pss: RegExpExecArray | null = null;
    try {
      pss = /^Pss:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    } catch {}
    return {
      pid,
      comm,
      cpuMs: ((f[11] ?? 0) + (f[12] ?? 0)) * tickMs,
      childrenCpuMs: ((f[13] ?? 0) + (f[14] ?? 0)) * tickMs,
      rssKb: rss ? Number(rss[1]) : 0,
      pssKb: pss ? Number(pss[1]) : 0,
    };
  } catch {
    return null;
  }
}

export interface ProcUsage {
  pid: number;
  comm: string;
  role: string;
  cpuMs: number;
  childrenCpuMs: number;
  rssKb: number;
  pssKb: number;
}

/** CPU spent by each process between two readings (processes present in both), and its RSS
 * at the second reading. */
export function usageBetween(before: Map<number, ProcSample>, after: Map<number, ProcSample>, roleOf: (pid: number) => string): ProcUsage[] {
  const out: ProcUsage[] = [];
  for (const [pid, b] of before) {
    const a = after.get(pid);
    if (!a) continue;
    out.push({
      pid,
      comm: a.comm,
      role: roleOf(pid),
      cpuMs: a.cpuMs - b.cpuMs,
      childrenCpuMs: a.childrenCpuMs - b.childrenCpuMs,
      rssKb: a.rssKb,
      pssKb: a.pssKb,
    });
  }
  return out;
}

export function sampleAll(pids: number[]): Map<number, ProcSample> {
  const m = new Map<number, ProcSample>();
  for (const pid of pids) {
    const s = sampleProcess(pid);
    if (s) m.set(pid, s);
  }
  return m;
}
