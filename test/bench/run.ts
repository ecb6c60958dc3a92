// Side-by-side VRRP failover benchmark (make bench) for tandem, keepalived and mixed pairs.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cpus } from "node:os";
import { cleanupStale, createTopology, implementationByName, REPO_ROOT, type Implementation } from "../netns/lib/index.ts";
import type { BenchContext, PairChoice, ScenarioResult } from "./context.ts";
import { FAILOVER_SCENARIOS, runFailover } from "./failover.ts";
import { FAST_FAILOVER, runIdle, SCENARIO_NAMES } from "./fast.ts";
import { describeBox, runIdleCpu, type BoxUsage } from "./idle-cpu.ts";
import { fmtSummary, markdownTable, summarize } from "./stats.ts";

const USAGE = `usage: bun test/bench/run.ts [--impl LIST] [--scenario LIST] [--trials N]
                             [--idle-minutes M] [--cpu-seconds S] [--out DIR]
  --impl      comma list of pairs: NAME (both boxes) or A:B (box a runs A, box b runs B);
              names: tandem, keepalived; "all" = tandem, keepalived, tandem:keepalived,
              keepalived:tandem (default: tandem,keepalived)
  --scenario  comma list (default: all): ${SCENARIO_NAMES.join(", ")};
              kill9|sigterm|track = both versions, fast = kill9-v3-fast + idle-v3-fast
  --trials    trials per failover scenario and pair (default 10)
  --idle-minutes  idle window of idle-v3-fast (default 5)
  --cpu-seconds   idle-cpu window (default 60)
  --out       directory for the JSON report (default out/bench)
Needs root. Everything it creates (namespaces td<hex>-*, daemons, captures) is removed on
exit, including Ctrl-C.`;

interface Options {
  impl: string[];
  scenarios: string[];
  trials: number;
  idleMinutes: number;
  cpuSeconds: number;
  out: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    impl: ["tandem", "keepalived"],
    scenarios: SCENARIO_NAMES,
    trials: 10,
    idleMinutes: 5,
    cpuSeconds: 60,
    out: join(REPO_ROOT, "out/bench"),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    const num = (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) fail(`${flag}: "${v}" is not a positive number`);
      return n;
    };
    switch (flag) {
      case "--impl": {
        const v = value();
        o.impl = v === "all" ? ["tandem", "keepalived", "tandem:keepalived", "keepalived:tandem"] : v.split(",").filter(Boolean);
        break;
      }
      case "--scenario":
        o.scenarios = expandScenarios(value().split(",").filter(Boolean));
        break;
      case "--trials":
        o.trials = Math.round(num(value()));
        break;
      case "--idle-minutes":
        o.idleMinutes = num(value());
        break;
      case "--cpu-seconds":
        o.cpuSeconds = num(value());
        break;
      case "--out":
        o.out = value();
        break;
      case "-h":
      case "--help":
        console.log(USAGE);
        process.exit(0);
      default:
        fail(`unknown option "${arg}"`);
    }
  }
  return o;
}

function expandScenarios(tokens: string[]): string[] {
  const out = new Set<string>();
  for (const t of tokens) {
    const hits = t === "fast" ? [FAST_FAILOVER.name, "idle-v3-fast"] : SCENARIO_NAMES.filter((n) => n === t || n === `${t}-v2` || n === `${t}-v3`);
    if (hits.length === 0) fail(`unknown scenario "${t}" (have: ${SCENARIO_NAMES.join(", ")}, fast)`);
    hits.forEach((h) => out.add(h));
  }
  return SCENARIO_NAMES.filter((n) => out.has(n)); // canonical order
}

function fail(msg: string): never {
  console.error(`bench: ${msg}\n\n${USAGE}`);
  process.exit(2);
}

/** Pair choices that can run here, and a note for each that cannot. */
function choosePairs(specs: string[]): { pairs: PairChoice[]; notRun: { label: string; reason: string }[] } {
  const pairs: PairChoice[] = [];
  const notRun: { label: string; reason: string }[] = [];
  for (const spec of specs) {
    const [an, bn = an] = spec.split(":") as [string, string?];
    let a: Implementation;
    let b: Implementation;
    try {
      a = implementationByName(an);
      b = implementationByName(bn!);
    } catch (e) {
      fail((e as Error).message);
    }
    const label = a.name === b.name ? a.name : `${a.name} A + ${b.name} B`;
    const reason = a.unavailableReason() ?? b.unavailableReason();
    if (reason) notRun.push({ label, reason });
    else pairs.push({ label, impls: { a, b } });
  }
  return { pairs, notRun };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) fail("needs root (network namespaces)");
  const { pairs, notRun } = choosePairs(opts.impl);
  for (const n of notRun) console.error(`bench: not running ${n.label}: ${n.reason}`);
  if (pairs.length === 0) fail("nothing to run");
  const removed = await cleanupStale();
  if (removed.length > 0) console.error(`bench: removed stale namespaces ${removed.join(" ")}`);
  const topo = await createTopology();
  const started = new Date();
  const log = (msg: string) => console.error(`[${new Date().toISOString().slice(11, 23)}] ${msg}`);
  log(`topology ${topo.prefix}; pairs: ${pairs.map((p) => p.label).join(", ")}; scenarios: ${opts.scenarios.join(", ")}`);
  const results: ScenarioResult[] = [];
  try {
    for (const name of opts.scenarios) {
      for (const pair of pairs) {
        const ctx: BenchContext = { topo, pair, trials: opts.trials, idleMinutes: opts.idleMinutes, cpuSeconds: opts.cpuSeconds, log };
        const failover = [...FAILOVER_SCENARIOS, FAST_FAILOVER].find((s) => s.name === name);
        try {
          if (failover) results.push(await runFailover(ctx, failover));
          else if (name === "idle-v3-fast") results.push(await runIdle(ctx));
          else if (name === "idle-cpu") results.push(await runIdleCpu(ctx));
        } catch (e) {
          log(`${pair.label} ${name}: ${(e as Error).message}`);
          results.push({
            implementation: pair.label,
            scenario: name,
            description: "",
            trials: 0,
            failures: [(e as Error).message.split("\n")[0]!],
            summary: {},
            runs: [],
          });
        }
      }
    }
  } finally {
    await topo.destroy();
  }
  const report = render(results, notRun);
  console.log(report);
  mkdirSync(opts.out, { recursive: true });
  const file = join(opts.out, `${started.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        started: started.toISOString(),
        finished: new Date().toISOString(),
        host: { cpus: cpus().length, kernel: Bun.spawnSync(["uname", "-r"]).stdout.toString().trim() },
        options: opts,
        notRun,
        results,
      },
      null,
      1,
    ),
  );
  console.log(`\nJSON: ${file}`);
}

function render(results: ScenarioResult[], notRun: { label: string; reason: string }[]): string {
  const out: string[] = [];
  const failover = results.filter((r) => r.scenario !== "idle-v3-fast" && r.scenario !== "idle-cpu");
  if (failover.length > 0 || notRun.length > 0) {
    out.push("## Failover (seconds after the action; min / median / max)\n");
    const rows = failover.map((r) => [
      r.implementation,
      r.scenario,
      String(r.trials),
      fmtSummary(r.summary.vipOnBackupS),
      fmtSummary(r.summary.garpFromBackupS),
      fmtSummary(r.summary.takeoverFromAdvertS),
      String(r.runs[0]?.takeoverReference ?? "-"),
      r.failures.length > 0 ? `${r.failures.length}: ${r.failures[0]}` : "",
    ]);
    for (const n of notRun) rows.push([n.label, "all", "0", "not run", "", "", "", n.reason]);
    out.push(
      markdownTable(
        ["implementation", "scenario", "trials", "VIP on backup (netlink)", "first GARP from backup", "takeover from master's advert", "advert", "failures"],
        rows,
      ),
    );
  }
  const idle = results.filter((r) => r.scenario === "idle-v3-fast");
  if (idle.length > 0) {
    out.push("\n## Idle at v3 adv 0.01 s (spurious transitions)\n");
    out.push(
      markdownTable(
        [
          "implementation",
          "window",
          "VIP changes",
          "adverts from backup",
          "master advert gap ms (min / median / max)",
          "gaps > 20 ms",
          "dual master",
          "failures",
        ],
        idle.map((r) => {
          const x = (r.extra ?? {}) as Record<string, unknown>;
          const gaps = x.masterAdvertGapMs as ReturnType<typeof summarize>;
          const overlaps = (x.dualMasterOverlaps as unknown[] | undefined)?.length;
          return [
            r.implementation,
            x.windowS !== undefined ? `${(x.windowS as number).toFixed(0)} s` : "-",
            String(x.vipChanges ?? "-"),
            String(x.advertsFromBackup ?? "-"),
            fmtSummary(gaps, 1),
            String(x.gapsOver20Ms ?? "-"),
            overlaps === undefined ? "-" : String(overlaps),
            r.failures.join("; "),
          ];
        }),
      ),
    );
  }
  const cpu = results.filter((r) => r.scenario === "idle-cpu");
  if (cpu.length > 0) {
    out.push("\n## Idle resources (v2 adv 1 s, track script 1 s)\n");
    const rows: string[][] = [];
    for (const r of cpu) {
      const boxes = ((r.extra ?? {}) as { boxes?: BoxUsage[] }).boxes ?? [];
      if (boxes.length === 0) rows.push([r.implementation, "-", "-", "-", "-", r.failures.join("; ")]);
      for (const b of boxes) {
        rows.push([
          r.implementation,
          `${b.side} (${b.role}, ${b.implementation})`,
          `${describeBox(b, "cpu")} / ${(r.runs[0] as { windowS: number }).windowS} s`,
          describeBox(b, "rss"),
          describeBox(b, "pss"),
          r.failures.join("; "),
        ]);
      }
    }
    out.push(markdownTable(["implementation", "box", "CPU (utime+stime)", "RSS (each process's own)", "PSS (shared pages divided)", "failures"], rows));
  }
  return out.join("\n");
}

await main();
