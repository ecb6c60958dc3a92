// Config front-end benchmark (issue 8): how long a parse takes and how much memory it needs,
// on realistic large files and on hostile ones, tandem beside keepalived 2.2.7 in the same run.
// For each input: `tandem check` and `keepalived -t` as whole processes (wall time and peak
// RSS, start-up included; keepalived is stopped after 60 s), and tandem's parse in-process
// (median of warm runs, ms per MB).
// Prints a markdown table.
//   bun test/bench/config-parse.ts [--runs N]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { nodeFiles, parseConfig } from "../../src/config/index.ts";
import { markdownTable, summarize } from "./stats.ts";

const ROOT = resolve(import.meta.dir, "../..");
const TANDEM = join(ROOT, "dist", "tandem");
const KEEPALIVED = "/usr/sbin/keepalived";
const runs = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 5;
const MB = 1e6;

function realisticVirtualServers(bytes: number): string {
  let text = "global_defs {\n  router_id lb\n}\n";
  for (let i = 0; text.length < bytes; i++) {
    text += `virtual_server 10.1.${(i >> 8) & 255}.${i & 255} 80 {\n  delay_loop 6\n  lb_algo wrr\n  lb_kind DR\n  protocol TCP\n`;
    for (let j = 0; j < 4; j++)
      text += `  real_server 192.168.${j}.${i & 255} 80 {\n    weight 1\n    HTTP_GET {\n      url {\n        path /health\n        status_code 200\n      }\n      connect_timeout 3\n    }\n  }\n`;
    text += "}\n";
  }
  return text;
}

function realisticInstances(bytes: number): string {
  let text = "";
  for (let i = 1; text.length < bytes; i++) {
    text += `vrrp_instance VI_${i} {\n  state BACKUP\n  interface eth${i % 4}\n  virtual_router_id ${(i % 255) + 1}\n  priority 100\n  advert_int 1\n  virtual_ipaddress {\n    10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/24\n  }\n}\n`;
  }
  return text;
}

const INPUTS: { name: string; text: string }[] = [
  { name: "1 MB of virtual servers with HTTP_GET checks", text: realisticVirtualServers(MB) },
  { name: "1 MB of VRRP instances (VRIDs repeating)", text: realisticInstances(MB) },
  { name: "1 MB of one-character lines", text: "x\n".repeat(MB / 2) },
  { name: "1 MB of stray braces, one per line", text: "{\n".repeat(MB / 2) },
  { name: "1 MB of unmatched closing braces", text: "}\n".repeat(MB / 2) },
  { name: "the issue's 48-byte body ($X=$X=${X}${X})", text: "$X=$X=${X}${X}\nglobal_defs {\n  router_id ${X}\n}\n" },
  { name: "~SEQ inside ~SEQ (10,000 x 10,000)", text: "~SEQ(a,1,10000) ~SEQ(b,1,10000) vrrp_script s${a}_${b} {\n" },
  {
    name: "multi-line definitions doubling 40 times",
    text: `$A0=x \\\nx\n${Array.from({ length: 40 }, (_, i) => `$A${i + 1}=\${A${i}} \\\n\${A${i}}`).join("\n")}\n\${A40}\n`,
  },
];

interface ProcessRun {
  ms: number;
  rssMb: number;
  code: number | null;
}

async function timedProcess(argv: string[], timeoutMs = 60_000): Promise<ProcessRun> {
  const wrapper = Bun.spawn([process.execPath, join(import.meta.dir, "peak-rss.ts"), String(timeoutMs), ...argv], { stdout: "pipe", stderr: "ignore" });
  const report = JSON.parse(await new Response(wrapper.stdout).text()) as ProcessRun;
  await wrapper.exited;
  return report;
}

async function median(times: number, run: () => Promise<ProcessRun>): Promise<{ ms: number; rssMb: number; code: number | null }> {
  const all: ProcessRun[] = [];
  for (let i = 0; i < times; i++) all.push(await run());
  return { ms: summarize(all.map((r) => r.ms))!.median, rssMb: Math.max(...all.map((r) => r.rssMb)), code: all[0]!.code };
}

function inProcessMs(file: string): number {
  const samples: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const started = performance.now();
    parseConfig(file, nodeFiles);
    samples.push(performance.now() - started);
  }
  return summarize(samples.slice(2))!.median;
}

const dir = mkdtempSync(join(tmpdir(), "tandem-config-bench-"));
const haveKeepalived = await Bun.file(KEEPALIVED).exists();
const rows: string[][] = [];
try {
  for (const input of INPUTS) {
    const file = join(dir, "keepalived.conf");
    writeFileSync(file, input.text);
    const bytes = Buffer.byteLength(input.text);
    const tandem = await median(runs, () => timedProcess([TANDEM, "check", "-f", file]));
    const keepalived = haveKeepalived ? await median(runs, () => timedProcess([KEEPALIVED, "-t", "-f", file, "-n"])) : undefined;
    const warm = inProcessMs(file);
    const perMb = bytes >= 100_000 ? `${((warm * MB) / bytes).toFixed(0)} ms/MB` : "-";
    rows.push([
      input.name,
      bytes >= 1000 ? `${(bytes / MB).toFixed(2)} MB` : `${bytes} B`,
      `${tandem.ms.toFixed(0)} ms, ${tandem.rssMb.toFixed(0)} MB (exit ${tandem.code})`,
      `${warm.toFixed(1)} ms (${perMb})`,
      keepalived
        ? `${keepalived.code === null ? `killed after ${(keepalived.ms / 1000).toFixed(0)} s` : `${keepalived.ms.toFixed(0)} ms`}, ${keepalived.rssMb.toFixed(0)} MB${keepalived.code === null ? "" : ` (exit ${keepalived.code})`}`
        : "not installed",
    ]);
    console.error(`done: ${input.name}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(markdownTable(["input", "size", "tandem check (wall, peak RSS)", "tandem parse in-process (warm median)", "keepalived -t (wall, peak RSS)"], rows));
