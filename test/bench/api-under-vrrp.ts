// Issue 3's benchmark: GET /vrrp/state at 1,000 requests/s from inside box A's namespace
// while A and B run VRRPv3 at advert_int 0.01 (10 ms), for 2 minutes: latency p50/p99 and
// spurious VRRP transitions (none allowed). Then the daemon's RSS with 100,000 stored events.
//   bun test/bench/api-under-vrrp.ts [--seconds 120] [--rate 1000] [--events 100000]
import { join } from "node:path";
import { systemClock } from "../../src/common/clock.ts";
import { openEventLog } from "../../src/store/index.ts";
import { nodeStoreFiles } from "../../src/daemon/os/store-files.ts";
import { VrrpPair, cleanupStale, configFor, createTopology, exec, sampleProcess, tandemImpl, waitFor, type Side } from "../netns/lib/index.ts";

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const seconds = arg("seconds", 120);
const rate = arg("rate", 1000);
const eventCount = arg("events", 100_000);
const VIP = "10.99.0.41";

if (process.getuid?.() !== 0) {
  console.error("api-under-vrrp: needs root (network namespaces)");
  process.exit(1);
}
const unavailable = tandemImpl.unavailableReason();
if (unavailable) {
  console.error(`api-under-vrrp: ${unavailable}`);
  process.exit(1);
}

await cleanupStale();
const topo = await createTopology();
const dbOf = (side: Side) => join(topo.box(side).runDir, "tandem.db");
let pair: VrrpPair | undefined;
try {
  // History with eventCount events already stored, so the run also shows the daemon's
  // memory with a large history behind it.
  const clock = systemClock();
  const log = openEventLog({ path: dbOf("a"), clock, files: nodeStoreFiles() });
  const start = clock.wallMs() - eventCount * 1000;
  for (let i = 0; i < eventCount; i++) {
    log.append({
      kind: "tracker.change",
      atMs: start + i * 1000,
      summary: `script chk ${i % 2 ? "failed" : "healthy"}`,
      data: { tracker: { kind: "script", name: "chk" }, healthy: i % 2 === 0, detail: `run ${i}` },
    });
  }
  log.close();

  pair = await VrrpPair.start({
    topo,
    vip: VIP,
    impls: { a: tandemImpl, b: tandemImpl },
    extraArgs: (side) => ["--db", dbOf(side)],
    config: (side) =>
      configFor({
        box: side,
        state: side === "a" ? "MASTER" : "BACKUP",
        priority: side === "a" ? 100 : 90,
        version: 3,
        advertInt: 0.01,
        vip: `${VIP}/24`,
      }).replace("global_defs {", `global_defs {\n    api_listen ${topo.box(side).ip}:8080`),
  });
  await pair.waitSoleHolder("a", 5000);
  const apiA = `http://${topo.box("a").ip}:8080`;
  await waitFor(
    async () => (await exec(topo.box("a").ns, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", `${apiA}/healthz`], { check: false })).stdout === "200",
    { timeoutMs: 5000, intervalMs: 50, what: "A's API" },
  );
  const rssBefore = sampleProcess(pair.daemon("a").mainPid)?.rssKb ?? 0;

  const t0 = Date.now();
  const generator = await exec(
    topo.box("a").ns,
    [process.execPath, join(import.meta.dir, "api-load-generator.ts"), `${apiA}/vrrp/state`, String(seconds * rate), String(rate), "500"],
    { timeoutMs: (seconds + 60) * 1000 },
  );
  const result = JSON.parse(generator.stdout.trim().split("\n").at(-1)!);
  const t1 = Date.now();

  const vipChanges = (["a", "b"] as const).map((s) => pair!.watchers[s].events.filter((e) => e.tMs >= t0 && e.tMs <= t1).length);
  const rssAfter = sampleProcess(pair.daemon("a").mainPid)?.rssKb ?? 0;
  const eventsPage = await exec(topo.box("a").ns, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", `${apiA}/events?limit=1000`], {
    check: false,
  });

  console.log(`\n## GET /vrrp/state at ${rate}/s for ${seconds} s, from box A's namespace, while A and B run VRRPv3 at 10 ms adverts\n`);
  console.log("| requests | achieved rate | failures | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | client send lag p99 ms | VIP changes on A / B |");
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  const l = result.latencyMs;
  console.log(
    `| ${result.requests} | ${result.achievedRate}/s | ${result.failures} | ${l.p50.toFixed(3)} | ${l.p90.toFixed(3)} | ${l.p99.toFixed(3)} | ${l.p999.toFixed(3)} | ${l.max.toFixed(3)} | ${result.sendLagMs.p99.toFixed(3)} | ${vipChanges[0]} / ${vipChanges[1]} |`,
  );
  console.log(`\n## Daemon A's memory with ${eventCount} events in its history\n`);
  console.log("| RSS before the load | RSS after the load | GET /events?limit=1000 |");
  console.log("|---|---|---|");
  console.log(
    `| ${(rssBefore / 1024).toFixed(1)} MB | ${(rssAfter / 1024).toFixed(1)} MB | HTTP ${eventsPage.stdout.split(" ")[0]} in ${(Number(eventsPage.stdout.split(" ")[1]) * 1000).toFixed(1)} ms |`,
  );
  const ok = result.failures === 0 && l.p99 <= 5 && vipChanges.every((n) => n === 0);
  console.log(`\ntargets (p99 <= 5 ms, no failures, no VRRP transition): ${ok ? "met" : "NOT met"}`);
} finally {
  await pair?.stop();
  await topo.destroy();
}
