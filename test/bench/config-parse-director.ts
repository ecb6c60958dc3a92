// Config front-end benchmark on the IPVS director's tables (ipvs-director-tables.ts): how
// long the daemon's load (parseConfig through the real file system, as run-command.ts's
// loadConfig calls it at start-up and at each SIGHUP) takes for 1,000 x 10 and 2,000 x 20
// virtual/real servers, and what handing the Config to a child costs: structuredClone, and
// bun:jsc serialize/deserialize (the structured-clone bytes Bun's "advanced" IPC sends, which
// the supervisor does for the engine, the observer and the director at each reload), and its size as JSON.
// "cold" is the first parse in a fresh process (the JIT not warmed up yet: the daemon's
// start-up, and close to a reload in a supervisor that has parsed once); "warm" the median
// of further parses in one process. Prints a markdown table.
//   bun test/bench/config-parse-director.ts [--runs N]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deserialize, serialize } from "bun:jsc";
import { nodeFiles, parseConfig, type Config } from "../../src/config/index.ts";
import { keepalivedConf, type BenchTable } from "./ipvs-director-tables.ts";
import { markdownTable, summarize } from "./stats.ts";

const runs = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 7;
const WARM_UP = 2;

const TABLES: BenchTable[] = [
  { services: 1000, realServers: 10 },
  { services: 2000, realServers: 20 },
];

/** Median of `runs` timed calls after WARM_UP untimed ones, in ms. */
function medianMs<T>(run: () => T): { ms: number; last: T } {
  let last = run();
  for (let i = 1; i < WARM_UP; i++) last = run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    last = run();
    samples.push(performance.now() - started);
  }
  return { ms: summarize(samples)!.median, last };
}

function load(file: string): Config {
  const { config, diagnostics } = parseConfig(file, { ...nodeFiles, configId: "bench" });
  if (!config) throw new Error(`the bench file did not parse: ${diagnostics.length} diagnostic(s)`);
  return config;
}

/** The child of the cold runs: one parse of argv's file, its time on stdout. */
if (process.argv[2] === "--cold") {
  const started = performance.now();
  load(process.argv[3]!);
  console.log(performance.now() - started);
  process.exit(0);
}

async function coldMs(file: string): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const child = Bun.spawn([process.execPath, import.meta.path, "--cold", file], { stdout: "pipe", stderr: "inherit" });
    samples.push(Number(await new Response(child.stdout).text()));
    await child.exited;
  }
  return summarize(samples)!.median;
}

const dir = mkdtempSync(join(tmpdir(), "tandem-config-director-bench-"));
const rows: string[][] = [];
try {
  for (const table of TABLES) {
    const text = keepalivedConf(table);
    const file = join(dir, `keepalived-${table.services}x${table.realServers}.conf`);
    writeFileSync(file, text);
    const lines = text.split("\n").length - 1;
    const cold = await coldMs(file);
    const parsed = medianMs(() => load(file));
    const config = parsed.last;
    const clone = medianMs(() => structuredClone(config));
    const serialized = medianMs(() => serialize(config));
    const deserializeMs = medianMs(() => deserialize(serialized.last)).ms;
    const json = JSON.stringify(config);
    const jsonMs = medianMs(() => JSON.stringify(config)).ms;
    rows.push([
      `${table.services} x ${table.realServers}`,
      `${lines} lines, ${(text.length / 1e6).toFixed(2)} MB`,
      `${cold.toFixed(1)} ms`,
      `${parsed.ms.toFixed(1)} ms (${((parsed.ms * 1e6) / text.length).toFixed(0)} ms/MB)`,
      `${clone.ms.toFixed(1)} ms`,
      `${(serialized.last.byteLength / 1e6).toFixed(2)} MB, ${serialized.ms.toFixed(1)} ms + ${deserializeMs.toFixed(1)} ms`,
      `${(Buffer.byteLength(json) / 1e6).toFixed(2)} MB, ${jsonMs.toFixed(1)} ms`,
    ]);
    console.error(`done: ${table.services} x ${table.realServers}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`parseConfig through nodeFiles; cold: ${runs} fresh processes; warm: median of ${runs} runs after ${WARM_UP} warm-up runs (Bun ${Bun.version})\n`);
console.log(
  markdownTable(
    [
      "table (virtual x real servers)",
      "file",
      "parse, cold (median)",
      "parse, warm (median)",
      "structuredClone(config)",
      "IPC form: serialize + deserialize",
      "JSON.stringify(config)",
    ],
    rows,
  ),
);
