// Idle CPU (utime+stime of every daemon process) and RSS of a steady pair at v2 adv 1 s.

import { delay, sampleAll, usageBetween, type ProcUsage } from "../netns/lib/index.ts";
import { boxConfig, startPair, type BenchContext, type ScenarioResult } from "./context.ts";

export interface BoxUsage {
  side: "a" | "b";
  role: "master" | "backup";
  implementation: string;
  processes: ProcUsage[];
  cpuMs: number;
  /** CPU of reaped children (track and notify scripts). */
  scriptCpuMs: number;
  rssKb: number;
  pssKb: number;
}

export async function runIdleCpu(ctx: BenchContext): Promise<ScenarioResult> {
  const result: ScenarioResult = {
    implementation: ctx.pair.label,
    scenario: "idle-cpu",
    description: `idle CPU over ${ctx.cpuSeconds} s and RSS, v2 adv 1 s, track script interval 1 s`,
    trials: 1,
    failures: [],
    summary: {},
    runs: [],
  };
  const pair = await startPair(ctx, (side) => boxConfig(ctx, side, { version: 2, advertInt: 1, track: true }));
  try {
    await pair.waitSoleHolder("a", 20_000);
    await delay(6000); // past the start-up GARP bursts, so only the steady state is counted
    const pids = { a: pair.daemon("a").pids(), b: pair.daemon("b").pids() };
    const before = sampleAll([...pids.a, ...pids.b]);
    ctx.log(`${ctx.pair.label} idle-cpu: sampling ${ctx.cpuSeconds} s`);
    await delay(ctx.cpuSeconds * 1000); // the measurement window itself
    const after = sampleAll([...pids.a, ...pids.b]);
    const boxes: BoxUsage[] = (["a", "b"] as const).map((side) => {
      const d = pair.daemon(side);
      const roles = d.rolePids();
      const roleOf = (pid: number) => Object.entries(roles).find(([, p]) => p === pid)?.[0] ?? "child";
      const own = new Map([...before].filter(([pid]) => pids[side].includes(pid)));
      const processes = usageBetween(own, after, roleOf);
      return {
        side,
        role: side === "a" ? "master" : "backup",
        implementation: ctx.pair.impls[side].name,
        processes,
        cpuMs: processes.reduce((s, p) => s + p.cpuMs, 0),
        scriptCpuMs: processes.reduce((s, p) => s + p.childrenCpuMs, 0),
        rssKb: processes.reduce((s, p) => s + p.rssKb, 0),
        pssKb: processes.reduce((s, p) => s + p.pssKb, 0),
      };
    });
    result.runs.push({ windowS: ctx.cpuSeconds, boxes });
    result.extra = { boxes };
  } catch (e) {
    result.failures.push((e as Error).message.split("\n")[0]!);
  } finally {
    await pair.stop();
  }
  return result;
}

/** "31 ms (parent 0 + vrrp 31)" for the table. */
export function describeBox(b: BoxUsage, what: "cpu" | "rss" | "pss"): string {
  if (what === "cpu") {
    const parts = b.processes.map((p) => `${p.role} ${p.cpuMs.toFixed(0)}`).join(" + ");
    return `${b.cpuMs.toFixed(0)} ms (${parts}; scripts ${b.scriptCpuMs.toFixed(0)})`;
  }
  const kb = (p: { rssKb: number; pssKb: number }) => (what === "rss" ? p.rssKb : p.pssKb);
  const parts = b.processes.map((p) => `${p.role} ${(kb(p) / 1024).toFixed(1)}`).join(" + ");
  return `${(kb(b) / 1024).toFixed(1)} MB (${parts})`;
}
