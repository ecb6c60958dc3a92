// Issue 9's promise: the VRRP engine runs in its own process, and nothing the other side
// does reaches it. A v3 pair at 10 ms adverts; on the master, the observer (API, history)
// is made, through the test-only fault hook, to spin for 5 s, then to allocate without
// bound, then to crash. No VRRP transition, no advert gap over 30 ms, the engine keeps its
// pid, the observer is restarted each time it died, and the history records why.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Capture, VrrpPair, cleanupStale, configFor, createTopology, delay, exec, tandemImpl, waitFor, type Topology } from "./lib/index.ts";
import { isRoot } from "./support/pair-scenarios.ts";

const VIP = "10.99.0.41";
const unavailable = tandemImpl.unavailableReason();

interface HistoryEvent {
  kind: string;
  atMs: number;
  summary: string;
  data: Record<string, unknown>;
}

describe.skipIf(!isRoot || unavailable !== null)("the VRRP engine is isolated from the rest of the daemon (root, netns)", () => {
  let topo: Topology;
  let pair: VrrpPair;
  let faultFile = "";
  let gaps: number[] = [];
  let engineBefore = 0;
  let engineAfter = 0;
  const observerPids: number[] = [];
  let events: HistoryEvent[] = [];
  let schedulingLine = "";
  let faultsAt = 0;

  const roles = () => pair.daemon("a").rolePids();
  const api = () => `http://${topo.box("a").ip}:8080`;
  const fault = async (what: string) => {
    writeFileSync(faultFile, what);
    process.kill(roles().observer!, "SIGUSR1");
  };
  const newObserver = (old: number) =>
    waitFor(
      () => {
        const pid = roles().observer;
        return pid !== undefined && pid !== old ? pid : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 20, what: "a new observer" },
    );
  const apiUp = () =>
    waitFor(
      async () =>
        (await exec(topo.box("c").ns, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "1", `${api()}/healthz`], { check: false })).stdout ===
        "200",
      { timeoutMs: 10_000, intervalMs: 50, what: "A's API" },
    );

  beforeAll(async () => {
    await cleanupStale();
    topo = await createTopology();
    faultFile = join(topo.box("a").runDir, "fault");
    pair = await VrrpPair.start({
      topo,
      vip: VIP,
      impls: { a: tandemImpl, b: tandemImpl },
      config: (side) =>
        configFor({
          box: side,
          state: side === "a" ? "MASTER" : "BACKUP",
          priority: side === "a" ? 100 : 90,
          version: 3,
          advertInt: 0.01,
          vip: `${VIP}/24`,
        }).replace(
          "global_defs {",
          `global_defs {\n    api_listen ${topo.box(side).ip}:8080\n    vrrp_rt_priority 50\n    vrrp_no_swap\n    checker_priority 10`,
        ),
    });
    // The fault hook is armed on A only, through its environment.
    await pair.daemon("a").stop("SIGTERM", 5000);
    pair.daemons.a = await tandemImpl.start({
      ns: topo.box("a").ns,
      runDir: topo.box("a").runDir,
      config: pair.opts.config("a"),
      env: { TANDEM_TEST_FAULTS: faultFile },
    });
    await pair.waitSoleHolder("a", 5000);
    await apiUp();
    engineBefore = roles().vrrp!;
    observerPids.push(roles().observer!);
    schedulingLine =
      readFileSync(`/proc/${engineBefore}/sched`, "utf8")
        .split("\n")
        .find((l) => l.startsWith("policy")) ?? "";

    const capture = await Capture.start(topo, { file: join(topo.runDir, "isolation.pcap"), filter: "ip proto 112" });
    const startedAt = Date.now();
    faultsAt = startedAt;
    await fault("busy 5000");
    await delay(5_500);
    await fault("grow");
    observerPids.push(await newObserver(observerPids.at(-1)!));
    await apiUp();
    await fault("crash");
    observerPids.push(await newObserver(observerPids.at(-1)!));
    await apiUp();
    await delay(500);
    const adverts = (await capture.stop()).adverts.filter((a) => a.srcIp === topo.box("a").ip && a.tMs >= startedAt).map((a) => a.tMs);
    gaps = adverts.slice(1).map((t, i) => t - adverts[i]!);
    engineAfter = roles().vrrp!;
    const body = await exec(topo.box("c").ns, ["curl", "-s", `${api()}/events?limit=1000&order=asc`]);
    // Only what happened once the faults began (A's history also holds its earlier runs).
    events = (JSON.parse(body.stdout) as { events: HistoryEvent[] }).events.filter((e) => e.atMs >= startedAt);
    const big = adverts
      .slice(1)
      .map((t, i) => [t - startedAt, t - adverts[i]!])
      .filter(([, g]) => g! > 20);
    console.log(`big gaps (ms since start, gap): ${JSON.stringify(big.map(([t, g]) => [Math.round(t!), Math.round(g!)]))}`);
    console.log(
      events
        .filter((e) => e.kind !== "tracker.change")
        .map((e) => `${e.atMs - startedAt} ${e.kind} ${e.summary}`)
        .join("\n"),
    );
    console.log(
      `isolation: ${adverts.length} adverts from A over ${((Date.now() - startedAt) / 1000).toFixed(1)} s, largest gap ${Math.max(...gaps).toFixed(1)} ms; ` +
        `observers ${observerPids.join(" -> ")}; engine ${engineBefore} -> ${engineAfter}`,
    );
  }, 120_000);

  afterAll(async () => {
    await pair?.stop();
    await topo?.destroy();
  }, 30_000);

  test("the engine runs with the scheduling its keywords ask for (vrrp_rt_priority: SCHED_RR)", () => {
    expect(schedulingLine).toMatch(/policy\s+:\s+2$/);
  });

  test("no VRRP transition: the backup never took the VIP and the master never dropped it", () => {
    expect(pair.watchers.b.events.filter((e) => e.kind === "add" && e.tMs >= faultsAt)).toEqual([]);
    expect(pair.watchers.a.holds()).toBe(true);
    expect(events.filter((e) => e.kind === "vrrp.transition")).toEqual([]);
    expect(events.length).toBeGreaterThan(0);
  });

  test("no advert gap over 30 ms while the observer spun, grew and crashed, and the engine kept its pid", () => {
    expect(gaps.length).toBeGreaterThan(500);
    expect(Math.max(...gaps)).toBeLessThan(30);
    expect(engineAfter).toBe(engineBefore);
  });

  test("the observer was restarted after it grew and after it crashed, and the history says why", () => {
    expect(new Set(observerPids).size).toBe(3);
    const exits = events.filter((e) => e.kind === "process.exit");
    expect(exits.map((e) => e.data.role)).toEqual(["observer", "observer"]);
    expect(exits[0]!.data.killedFor).toMatch(/MiB, over its 512 MiB limit/);
    expect(exits[0]!.data.restartInMs).toBe(500);
    expect(exits[1]!.data.exitCode).toBe(70);
    expect(exits[1]!.summary).toMatch(/the observer \(API, history\) \(pid \d+\) exited with status 70; restarting in/);
  });
});
