// What every benchmark scenario shares: topology, implementation per box, VIP, per-box config.

import { join } from "node:path";
import { configFor, exec, holdsVip, VrrpPair, type Implementation, type Side, type Topology, type VrrpConfigOptions } from "../netns/lib/index.ts";
import type { Summary } from "./stats.ts";

export const VIP = "10.99.0.41";
export const PRIORITY: Record<Side, number> = { a: 100, b: 90 };

export interface PairChoice {
  /** "keepalived", "tandem", "tandem A + keepalived B", ... */
  label: string;
  impls: Record<Side, Implementation>;
}

export interface BenchContext {
  topo: Topology;
  pair: PairChoice;
  trials: number;
  idleMinutes: number;
  cpuSeconds: number;
  /** Progress lines go here (stderr), results go to the report. */
  log: (msg: string) => void;
}

/** The result of one scenario for one pair, as written to JSON. */
export interface ScenarioResult {
  implementation: string;
  scenario: string;
  description: string;
  trials: number;
  failures: string[];
  summary: Record<string, Summary | null>;
  runs: Record<string, unknown>[];
  extra?: Record<string, unknown>;
}

/** The harness.sh gen-conf instance for a box: a MASTER 100, b BACKUP 90. */
export function boxConfig(ctx: BenchContext, side: Side, o: Pick<VrrpConfigOptions, "version" | "advertInt" | "scriptInterval"> & { track: boolean }): string {
  const box = ctx.topo.box(side);
  return configFor({
    implementation: ctx.pair.impls[side].name,
    box: side,
    state: side === "a" ? "MASTER" : "BACKUP",
    priority: PRIORITY[side],
    version: o.version,
    advertInt: o.advertInt,
    scriptInterval: o.scriptInterval,
    vip: `${VIP}/24`,
    trackFile: o.track ? trackFile(ctx, side) : undefined,
    notifyLog: notifyLog(ctx, side),
  });
}

export function trackFile(ctx: BenchContext, side: Side): string {
  return join(ctx.topo.box(side).runDir, "fail");
}

export function notifyLog(ctx: BenchContext, side: Side): string {
  return join(ctx.topo.box(side).runDir, "notify.log");
}

export async function startPair(ctx: BenchContext, config: (side: Side) => string): Promise<VrrpPair> {
  await scrubBoxes(ctx);
  return VrrpPair.start({ topo: ctx.topo, impls: ctx.pair.impls, vip: VIP, config });
}

/** Remove a VIP a crashed daemon may have left, so the next pair starts from bare boxes
 * (each daemon's own stale-VIP handling is measured within a pair, not across pairs). */
export async function scrubBoxes(ctx: BenchContext): Promise<void> {
  for (const side of ["a", "b"] as const) {
    const box = ctx.topo.box(side);
    if (await holdsVip(box.ns, VIP)) {
      await exec(null, ["ip", "-n", box.ns, "addr", "del", `${VIP}/24`, "dev", box.dev], { check: false });
    }
  }
}
