// Event history benchmark (issue 3): append throughput, query latency for a page of 100 at
// 100,000 rows, retention batch cost, reopen time, file size and the process RSS after
// 100,000 stored events. Prints a small markdown table.
//   bun test/bench/store-events.ts [--events 100000] [--queries 200] [--dir DIR]
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../src/common/clock.ts";
import { openEventLog, type EventFilter, type EventLog, type NewEvent } from "../../src/store/index.ts";
import { EventTable } from "../../src/store/event-table.ts";
import { applyRetention, retentionPolicy, RETENTION_BATCH_ROWS } from "../../src/store/retention.ts";
import { nodeStoreFiles } from "../unit/store/fixtures/node-files.ts";
import { pageOf } from "../unit/store/fixtures/page-of.ts";
import { markdownTable } from "./stats.ts";

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

const EVENTS = Number(option("events", "100000"));
const QUERIES = Number(option("queries", "200"));
const keepDir = process.argv.includes("--dir");
const dir = keepDir ? option("dir", "") : mkdtempSync(join(tmpdir(), "tandem-store-bench-"));
const path = join(dir, "tandem.db");
const clock = systemClock();
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const rssMb = () => {
  Bun.gc(true);
  return mb(process.memoryUsage().rss);
};

/** A realistic mix: mostly tracker changes and priority moves, some transitions and notify runs. */
function eventAt(n: number, atMs: number): NewEvent {
  const instance = `VI_${(n % 8) + 1}`;
  switch (n % 10) {
    case 0:
      return {
        kind: "vrrp.transition",
        atMs,
        instance,
        summary: `${instance} BACKUP -> MASTER: no advert for 3649 ms`,
        data: {
          from: "BACKUP",
          to: "MASTER",
          cause: "master-down-timer",
          detail: "no advert for 3649 ms",
          peer: { address: "10.0.0.2", priority: 100 },
          priority: { base: 150, effective: 150 },
          advertsMissed: 3,
          takeoverMs: 3649,
        },
      };
    case 1:
      return {
        kind: "notify.run",
        atMs,
        instance,
        summary: `${instance} notify_master exit 0 in 12 ms`,
        data: {
          role: "notify_master",
          state: "MASTER",
          argv: ["/etc/keepalived/notify.sh", "INSTANCE", instance, "MASTER"],
          exitCode: 0,
          signal: null,
          timedOut: false,
          durationMs: 12,
          output: "ok\n",
        },
      };
    case 2:
    case 3:
      return {
        kind: "vrrp.priority",
        atMs,
        instance,
        summary: `${instance} priority 150 -> 130: chk_nginx down`,
        data: { from: 150, to: 130, reason: "chk_nginx down" },
      };
    case 9:
      return {
        kind: "api.action",
        atMs,
        instance,
        summary: `10.0.0.9: maintenance.enter ${instance}`,
        data: { action: "maintenance.enter", caller: { address: "10.0.0.9" }, target: instance, ok: true },
      };
    default:
      return {
        kind: "tracker.change",
        atMs,
        instance,
        summary: `chk_nginx ${n % 2 ? "down" : "up"} (exit ${n % 2})`,
        data: {
          tracker: { kind: "script", name: "chk_nginx" },
          healthy: n % 2 === 0,
          detail: `exit ${n % 2}`,
          exitCode: n % 2,
          output: "curl: (7) Failed to connect to 127.0.0.1 port 80: Connection refused\n",
        },
      };
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

function timed(fn: () => void, times: number): { median: number; p99: number; max: number } {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { median: percentile(samples, 50), p99: percentile(samples, 99), max: samples.at(-1)! };
}

const ms = (v: number) => v.toFixed(3);
const rows: string[][] = [];
const rssStart = rssMb();

// Appends: one implicit transaction each, as the daemon does.
const log: EventLog = openEventLog({ path, clock, files: nodeStoreFiles(), retention: { maxRows: EVENTS * 2 } });
if (log.health().state !== "ok") throw new Error(`history degraded: ${log.health().reason}`);
const start = clock.wallMs() - EVENTS * 1000;
const appendMs: number[] = [];
const appendStart = performance.now();
for (let n = 0; n < EVENTS; n++) {
  const t = performance.now();
  log.append(eventAt(n, start + n * 1000));
  appendMs.push(performance.now() - t);
}
const appendTotalMs = performance.now() - appendStart;
appendMs.sort((a, b) => a - b);
rows.push([
  "append (own transaction each)",
  `${Math.round((EVENTS / appendTotalMs) * 1000)} events/s`,
  `median ${ms(percentile(appendMs, 50))} ms, p99 ${ms(percentile(appendMs, 99))} ms, max ${ms(appendMs.at(-1)!)} ms`,
]);
appendMs.length = 0;
const rssAfterAppend = rssMb();

// Queries: a page of 100 at EVENTS rows, after a reopen: open (and the 10-minute upkeep)
// refresh the planner statistics, which a file that grew from empty in one go lacks.
log.close();
const reader: EventLog = openEventLog({ path, clock, files: nodeStoreFiles(), retention: { maxRows: EVENTS * 2 } });
let deepCursor: string | undefined;
{
  let filter: EventFilter = { limit: 1000 };
  for (let i = 0; i < Math.floor(EVENTS / 2000); i++) filter = { limit: 1000, cursor: pageOf(reader.query(filter)).nextCursor! };
  deepCursor = filter.cursor;
}
const queries: [string, EventFilter][] = [
  ["newest 100", { limit: 100 }],
  ["oldest 100 (asc)", { limit: 100, order: "asc" }],
  ["100 from the middle (cursor)", { limit: 100, ...(deepCursor ? { cursor: deepCursor } : {}) }],
  ["kind = vrrp.transition (10 %)", { limit: 100, kinds: ["vrrp.transition"] }],
  ["kind = daemon.start (none)", { limit: 100, kinds: ["daemon.start"] }],
  ["instance = VI_3", { limit: 100, instance: "VI_3" }],
  ["kind + instance", { limit: 100, kinds: ["vrrp.transition", "notify.run"], instance: "VI_3" }],
  ["1 h time range in the middle", { limit: 100, sinceMs: start + (EVENTS / 2) * 1000, untilMs: start + (EVENTS / 2) * 1000 + 3_600_000 }],
  [
    "vrrp.transition in a 1 h window mid-history (worst shape)",
    { limit: 100, kinds: ["vrrp.transition"], sinceMs: start + (EVENTS / 2) * 1000, untilMs: start + (EVENTS / 2) * 1000 + 3_600_000 },
  ],
];
for (const [name, filter] of queries) {
  let count = 0;
  const t = timed(() => (count = pageOf(reader.query(filter)).events.length), QUERIES);
  rows.push([`query: ${name}`, `${count} events`, `median ${ms(t.median)} ms, p99 ${ms(t.p99)} ms, max ${ms(t.max)} ms`]);
}
reader.close();
const walBytes = existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0;
rows.push(["database file", `${mb(statSync(path).size + walBytes)} MB`, `${EVENTS} events, ${Math.round(statSync(path).size / EVENTS)} bytes/event`]);

// Reopen (daemon start with a full history).
const reopen = timed(() => openEventLog({ path, clock, files: nodeStoreFiles(), retention: { maxRows: EVENTS * 2 } }).close(), 5);
rows.push(["reopen (open, migrate check, retention check)", "-", `median ${ms(reopen.median)} ms, max ${ms(reopen.max)} ms`]);

// One retention batch (the most a run deletes), on a copy-free reopened table.
{
  const { Database } = await import("bun:sqlite");
  const db = new Database(path);
  const table = new EventTable(db);
  const policy = retentionPolicy({ maxRows: EVENTS - 4 * RETENTION_BATCH_ROWS });
  const batch = timed(() => applyRetention(table, policy, clock.wallMs()), 3);
  db.close();
  rows.push([`retention batch (${RETENTION_BATCH_ROWS} rows + incremental vacuum)`, "-", `median ${ms(batch.median)} ms, max ${ms(batch.max)} ms`]);
}

rows.push(["RSS at start", `${rssStart} MB`, "bun runtime, nothing opened"]);
rows.push([`RSS after ${EVENTS} stored events`, `${rssAfterAppend} MB`, "same process, after the appends and a GC"]);
const child = Bun.spawnSync([
  process.execPath,
  "-e",
  `
  const { openEventLog } = await import(${JSON.stringify(join(import.meta.dir, "../../src/store/index.ts"))});
  const { systemClock } = await import(${JSON.stringify(join(import.meta.dir, "../../src/common/clock.ts"))});
  const log = openEventLog({ path: ${JSON.stringify(path)}, clock: systemClock() });
  let cursor; for (let i = 0; i < 20; i++) cursor = pageOf(log.query({ limit: 100, ...(cursor ? { cursor } : {}) })).nextCursor;
  log.append({ kind: "daemon.stop", atMs: Date.now(), summary: "bench", data: { reason: "bench" } });
  Bun.gc(true); console.log(process.memoryUsage().rss);
  log.close();
`,
]);
const childRss = Number(child.stdout.toString().trim());
rows.push([`RSS of a fresh process on the ${EVENTS}-event file`, Number.isFinite(childRss) ? `${mb(childRss)} MB` : "-", "open, 20 pages read, one append"]);

console.log(`\nEvent history (bun:sqlite ${Bun.version}, WAL, synchronous=NORMAL), ${EVENTS} events, ${QUERIES} runs per query\n`);
console.log(markdownTable(["measure", "value", "detail"], rows));
if (!keepDir) rmSync(dir, { recursive: true, force: true });
