// VRRPv3 at advert 0.01 s: kill -9 failover trials and an idle spurious-transition watch.

import { join } from "node:path";
import { Capture, delay, overlapsFromEvents, wallMs } from "../netns/lib/index.ts";
import { boxConfig, startPair, VIP, type BenchContext, type ScenarioResult } from "./context.ts";
import { FAILOVER_SCENARIOS, runFailover, type FailoverScenario } from "./failover.ts";
import { summarize } from "./stats.ts";

export const FAST_FAILOVER: FailoverScenario = {
  name: "kill9-v3-fast",
  description: "kill -9 (whole daemon), v3 adv 0.01 s, no track script",
  action: "kill9",
  version: 3,
  advertInt: 0.01,
  track: false,
  prerollMs: 300,
  jitterMs: 100,
};

/** Both results of the "fast" scenario. */
export async function runFast(ctx: BenchContext): Promise<ScenarioResult[]> {
  return [await runFailover(ctx, FAST_FAILOVER), await runIdle(ctx)];
}

/** A steady pair for idleMinutes: every VIP change on either box, every advert from the
 * backup, every priority other than 100 from the master, and the gaps between the
 * master's adverts are counted. None of them should happen. */
export async function runIdle(ctx: BenchContext): Promise<ScenarioResult> {
  const windowMs = ctx.idleMinutes * 60_000;
  const result: ScenarioResult = {
    implementation: ctx.pair.label,
    scenario: "idle-v3-fast",
    description: `idle ${ctx.idleMinutes} min, v3 adv 0.01 s: spurious transitions`,
    trials: 1,
    failures: [],
    summary: {},
    runs: [],
  };
  const pair = await startPair(ctx, (side) => boxConfig(ctx, side, { version: 3, advertInt: 0.01, track: false }));
  try {
    await pair.waitSoleHolder("a", 10_000);
    await delay(6000); // the master's second GARP burst comes 5 s after it took over
    const cap = await Capture.start(ctx.topo, { file: join(ctx.topo.runDir, `idle-${Date.now()}.pcap`), filter: "ip proto 112" });
    const from = wallMs();
    ctx.log(`${ctx.pair.label} idle-v3-fast: watching for ${ctx.idleMinutes} min`);
    await delay(windowMs); // the measurement itself is a fixed window
    const to = wallMs();
    const { adverts } = await cap.stop();
    const a = ctx.topo.box("a");
    const b = ctx.topo.box("b");
    const vipEvents = [...pair.watchers.a.events, ...pair.watchers.b.events].filter((e) => e.tMs >= from && e.tMs <= to);
    const fromA = adverts.filter((x) => x.srcIp === a.ip && x.tMs >= from && x.tMs <= to);
    const gaps = fromA.slice(1).map((x, i) => x.tMs - fromA[i]!.tMs);
    const overlaps = overlapsFromEvents([pair.watchers.a, pair.watchers.b], from, to, { [a.ns]: true, [b.ns]: false });
    const run = {
      windowS: (to - from) / 1000,
      vipChanges: vipEvents.length,
      advertsFromBackup: adverts.filter((x) => x.srcIp === b.ip && x.tMs >= from && x.tMs <= to).length,
      masterAdvertsNot100: fromA.filter((x) => x.priority !== 100).length,
      masterAdverts: fromA.length,
      masterAdvertGapMs: summarize(gaps),
      gapsOver20Ms: gaps.filter((g) => g > 20).length,
      dualMasterOverlaps: overlaps,
      aliveAtEnd: { a: pair.daemon("a").alive(), b: pair.daemon("b").alive() },
    };
    result.runs.push(run);
    result.summary.vipChanges = summarize([run.vipChanges]);
    result.summary.advertsFromBackup = summarize([run.advertsFromBackup]);
    result.extra = run;
  } catch (e) {
    result.failures.push((e as Error).message.split("\n")[0]!);
  } finally {
    await pair.stop();
  }
  return result;
}

export const SCENARIO_NAMES = [...FAILOVER_SCENARIOS.map((s) => s.name), FAST_FAILOVER.name, "idle-v3-fast", "idle-cpu"];
