// The host part of the health-check benchmark (test/bench/checks.ts): tandem's checks on one
// core, the servers on the other, in network namespaces (no qemu, no IPVS: the director is
// unavailable and the checks run all the same). Box a runs the daemon pinned to core 1 (every
// process of it: taskset before exec, inherited), with N real servers each with one checker
// at delay_loop 1 (N checks a second asked for) and the VRRPv3 instance of a pair at 10 ms
// adverts; box b runs the pair's backup and box c one nginx answering all N addresses, both
// pinned to core 0. For each kind, N rises until the rate stops following it or the lag p99
// passes 20 ms. Each step: three windows of the checks counted by nginx (stub_status), the CPU
// of the daemon's processes (/proc utime + stime), the lag from a capture of a sample of the
// checkers' connections (checks-lag.ts), the director's RSS; the pair's adverts are captured
// on b all along and judged in the windows.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  Capture,
  cleanupStale,
  configFor,
  createTopology,
  delay,
  exec,
  sampleAll,
  tandemImpl,
  VipWatcher,
  waitFor,
  wallMs,
  type DaemonHandle,
  type Topology,
} from "../netns/lib/index.ts";
import {
  APPLIANCE_SCHEDULING,
  certificateArgv,
  LOAD_TIMERS,
  nginxConf,
  parseStubStatus,
  PORT_OF,
  SERVER_RANGE,
  virtualServers,
  type CheckKind,
} from "./checks-config.ts";
import { lateChecks, percentileOf, tcpEvents } from "./checks-lag.ts";

const NGINX = join(process.env.TEST_SERVERS ?? "/var/cache/tandem-test", "nginx/usr/sbin/nginx");
const VIP = "10.99.0.41";
const CHECKER_CORE = 1;
const SERVER_CORE = 0;
const STATUS = "127.0.0.1:8081";
/** The sampled checkers for the lag: the servers of the range's first /24 (255 of them). */
const LAG_SAMPLE = "10.98.0.0/24";

export interface HostOptions {
  /** The Ns to try for each kind, in order. */
  steps: Record<CheckKind, number[]>;
  windows: number;
  windowS: number;
  /** The ramp of a kind stops past this lag p99 (ms; Infinity: only when the rate stops following). */
  lagBoundMs: number;
  /** The command that runs tandem on box a (a binary, or a runtime and a bundle when profiled). */
  tandem: string;
  /** The pair's backup on box b. */
  backupTandem: string;
  log(message: string): void;
}

export interface Window {
  fromMs: number;
  toMs: number;
  checksPerS: number;
  /** The daemon's processes (all of box a), and the director's alone, per check. */
  cpuUsPerCheck: number;
  directorCpuUsPerCheck: number;
  /** The director's share in the kernel (its system time: the sockets' syscalls and the packets they send). */
  directorSystemUsPerCheck: number;
  /** Each core's busy share over the window (/proc/stat: everything but idle and iowait), %. */
  coreBusy: number[];
  /** Of which softirq (packet processing), %. */
  coreSoftirq: number[];
}

export interface Step {
  kind: CheckKind;
  servers: number;
  windows: Window[];
  lag: { samples: number; p50: number; p99: number; max: number };
  /** The latest checks (ms after the first window's start, lag ms), and how many of the windows' seconds had a check later than 20 ms. */
  worstLags?: [number, number][];
  secondsWithLateChecks?: { late: number; of: number };
  directorRssKb: number;
  daemonRssKb: Record<string, number>;
  /** From the daemon's API at the end of the step: its own counters of every checker. */
  api?: { checkers: number; checks: number; failures: number; failureClasses: Record<string, number> };
  startMs: number;
  directorPid?: number;
  error?: string;
}

export interface PairWindow {
  step: string;
  seconds: number;
  adverts: number;
  maxGapMs: number;
  gapsOver30Ms: number;
  advertsFromBackup: number;
  vipChanges: number;
}

export interface HostResult {
  cpus: number;
  steps: Step[];
  pair: PairWindow[];
  notes: string[];
}

/** `taskset -c CORE tandem "$@"`: every process the daemon starts inherits the core. */
function pinnedTandem(dir: string, binary: string, core: number): string {
  const path = join(dir, `tandem-core${core}`);
  writeFileSync(path, `#!/bin/sh\nexec taskset -c ${core} ${binary} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

/** user and system ms of one process (/proc/PID/stat, 10 ms ticks). */
function userSystemMs(pid: number): { userMs: number; systemMs: number } {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return { userMs: Number(f[11]) * 10, systemMs: Number(f[12]) * 10 };
  } catch {
    return { userMs: NaN, systemMs: NaN };
  }
}

function cpuTimes(): { busy: number; softirq: number; total: number }[] {
  return readFileSync("/proc/stat", "utf8")
    .split("\n")
    .filter((line) => /^cpu\d+ /.test(line))
    .map((line) => {
      const f = line.split(/\s+/).slice(1).map(Number);
      const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
      return { busy: total - f[3]! - f[4]!, softirq: f[6]!, total };
    });
}

async function stubStatus(topo: Topology): Promise<{ accepts: number; requests: number }> {
  const out = (await exec(topo.box("c").ns, ["curl", "-s", "--max-time", "5", `http://${STATUS}/status`])).stdout;
  const parsed = parseStubStatus(out);
  if (!parsed) throw new Error(`stub_status: ${out.slice(0, 200)}`);
  return parsed;
}

/** The checkers' counters as the daemon's API gives them (GET /ipvs/state, refreshed every 5 s). */
async function apiCounters(topo: Topology): Promise<Step["api"]> {
  const out = (await exec(topo.box("a").ns, ["curl", "-s", "--max-time", "20", "http://127.0.0.1:8080/ipvs/state"], { check: false })).stdout;
  let state: unknown;
  try {
    state = JSON.parse(out);
  } catch {
    return undefined;
  }
  const totals = { checkers: 0, checks: 0, failures: 0, failureClasses: {} as Record<string, number> };
  // Wherever the view nests them: every object with numeric checks and failures beside failuresByClass.
  const walk = (value: unknown): void => {
    if (!value || typeof value !== "object") return;
    const v = value as Record<string, unknown>;
    if (typeof v.checks === "number" && typeof v.failures === "number" && v.failuresByClass && typeof v.failuresByClass === "object") {
      totals.checkers++;
      totals.checks += v.checks;
      totals.failures += v.failures;
      for (const [name, n] of Object.entries(v.failuresByClass as Record<string, number>)) totals.failureClasses[name] = (totals.failureClasses[name] ?? 0) + n;
      return;
    }
    for (const child of Object.values(v)) walk(child);
  };
  walk(state);
  return totals;
}

function boxAConfig(kind: CheckKind, servers: number): string {
  return (
    withScheduling(configFor({ box: "a", state: "MASTER", priority: 100, version: 3, advertInt: 0.01, vip: `${VIP}/24` })) +
    "\n" +
    virtualServers([{ kind, servers, timers: LOAD_TIMERS }])
  );
}

const withScheduling = (conf: string): string =>
  conf.replace("global_defs {\n", `global_defs {\n${APPLIANCE_SCHEDULING.map((line) => `    ${line}\n`).join("")}`);

async function startNginx(topo: Topology, dir: string): Promise<ReturnType<typeof Bun.spawn>> {
  const nginx = Bun.spawn(["taskset", "-c", String(SERVER_CORE), "ip", "netns", "exec", topo.box("c").ns, NGINX, "-p", dir, "-c", join(dir, "nginx.conf")], {
    stdout: "ignore",
    stderr: "inherit",
  });
  await waitFor(async () => (await exec(topo.box("c").ns, ["ss", "-ltn", "sport = :443"])).stdout.includes(":443"), {
    timeoutMs: 10_000,
    intervalMs: 50,
    what: "nginx listening",
  });
  return nginx;
}

export async function runHost(o: HostOptions): Promise<HostResult> {
  await cleanupStale();
  const topo = await createTopology();
  const notes: string[] = [];
  const steps: Step[] = [];
  const windows: { step: string; fromMs: number; toMs: number }[] = [];
  let nginx: ReturnType<typeof Bun.spawn> | undefined;
  let backup: DaemonHandle | undefined;
  let watchers: VipWatcher[] = [];
  let adverts: Capture | undefined;
  let pcap: Awaited<ReturnType<Capture["stop"]>> | undefined;
  try {
    const a = topo.box("a");
    const c = topo.box("c");
    // The servers' addresses: routed from a to c, local on c (one listener answers them all).
    await exec(a.ns, ["ip", "route", "add", SERVER_RANGE, "via", c.ip]);
    await exec(c.ns, ["ip", "route", "add", "local", SERVER_RANGE, "dev", "lo"]);
    // The server's share of the packets' processing on the server's core: without it a veth
    // delivers on the sending CPU, and c's receive work would run on the checker's core.
    await exec(c.ns, ["sh", "-c", `echo ${1 << SERVER_CORE} > /sys/class/net/eth0/queues/rx-0/rps_cpus`], { check: false });
    await exec(a.ns, ["sh", "-c", `echo ${1 << CHECKER_CORE} > /sys/class/net/eth0/queues/rx-0/rps_cpus`], { check: false });
    const dir = join(topo.runDir, "nginx");
    mkdirSync(join(dir, "html"), { recursive: true });
    writeFileSync(join(dir, "html/health"), "healthy\n");
    writeFileSync(join(dir, "nginx.conf"), nginxConf({ dir, ports: Object.values(PORT_OF), tlsPorts: [PORT_OF.SSL_GET], statusListen: STATUS, workers: 1 }));
    await exec(null, certificateArgv(dir));
    nginx = await startNginx(topo, dir);

    const plain = o.tandem;
    watchers = [await VipWatcher.start(a.ns, VIP), await VipWatcher.start(topo.box("b").ns, VIP)];
    adverts = await Capture.start({ ns: topo.box("b").ns, dev: "eth0" }, { file: join(topo.runDir, "adverts.pcap"), filter: "ip proto 112" });
    process.env.TANDEM_BIN = pinnedTandem(topo.runDir, o.backupTandem, SERVER_CORE);
    backup = await tandemImpl.start({
      ns: topo.box("b").ns,
      runDir: topo.box("b").runDir,
      config: withScheduling(configFor({ box: "b", state: "BACKUP", priority: 90, version: 3, advertInt: 0.01, vip: `${VIP}/24` })),
    });

    for (const kind of ["TCP_CHECK", "HTTP_GET", "SSL_GET"] as const) {
      for (const servers of o.steps[kind]) {
        o.log(`host: ${kind} x ${servers}`);
        const step = await runStep(o, topo, kind, servers, plain, windows);
        steps.push(step);
        const rates = step.windows.map((w) => w.checksPerS).sort((x, y) => x - y);
        const median = rates[Math.floor(rates.length / 2)] ?? 0;
        o.log(
          `host: ${kind} x ${servers}: ${median.toFixed(0)} checks/s, lag p99 ${step.lag.p99.toFixed(1)} ms, ` +
            `${step.windows.map((w) => w.cpuUsPerCheck.toFixed(0)).join("/")} us CPU a check, director RSS ${(step.directorRssKb / 1024).toFixed(0)} MB${step.error ? `; ${step.error}` : ""}`,
        );
        // The rate stopped following N, or the lag passed its bound: more would only say so louder.
        if (step.error || median < 0.95 * servers || !(step.lag.p99 <= o.lagBoundMs)) break;
      }
    }
  } finally {
    pcap = adverts ? await adverts.stop().catch(() => undefined) : undefined;
    await backup?.stop("SIGTERM", 5000).catch(() => undefined);
    nginx?.kill("SIGKILL");
    for (const w of watchers) await w.stop();
    await topo.destroy();
  }
  const fromA = (pcap?.adverts ?? []).filter((x) => x.srcIp === topo.box("a").ip).map((x) => x.tMs);
  const fromB = (pcap?.adverts ?? []).filter((x) => x.srcIp === topo.box("b").ip).map((x) => x.tMs);
  const vipEvents = watchers.flatMap((w) => w.events);
  const pair: PairWindow[] = windows.map((w) => {
    const inside = fromA.filter((t) => t >= w.fromMs && t <= w.toMs);
    const gaps = inside.slice(1).map((t, k) => t - inside[k]!);
    // The time from the window's start to its first advert, and from its last one to its end, count too.
    const edges = inside.length > 0 ? Math.max(inside[0]! - w.fromMs, w.toMs - inside.at(-1)!) : w.toMs - w.fromMs;
    return {
      step: w.step,
      seconds: (w.toMs - w.fromMs) / 1000,
      adverts: inside.length,
      maxGapMs: Math.max(edges, ...gaps),
      gapsOver30Ms: gaps.filter((g) => g > 30).length,
      advertsFromBackup: fromB.filter((t) => t >= w.fromMs && t <= w.toMs).length,
      vipChanges: vipEvents.filter((e) => e.tMs >= w.fromMs && e.tMs <= w.toMs).length,
    };
  });
  return { cpus: cpuTimes().length, steps, pair, notes };
}

async function runStep(
  o: HostOptions,
  topo: Topology,
  kind: CheckKind,
  servers: number,
  plain: string,
  windows: { step: string; fromMs: number; toMs: number }[],
): Promise<Step> {
  const a = topo.box("a");
  const startMs = wallMs();
  const step: Step = { kind, servers, windows: [], lag: { samples: 0, p50: NaN, p99: NaN, max: NaN }, directorRssKb: NaN, daemonRssKb: {}, startMs };
  process.env.TANDEM_BIN = pinnedTandem(topo.runDir, plain, CHECKER_CORE);
  let daemon: DaemonHandle | undefined;
  try {
    daemon = await tandemImpl.start({ ns: a.ns, runDir: a.runDir, config: boxAConfig(kind, servers), readyTimeoutMs: 120_000 });
    const started = daemon;
    await waitFor(() => started.rolePids().director, { timeoutMs: 60_000, intervalMs: 100, what: "the director process" });
    // The pair settled (a master again, alone) and every checker past its first check
    // (BOOTSTRAP_DELAY 1 s plus up to delay_loop of warmup), then a second more.
    await waitFor(async () => (await exec(a.ns, ["ip", "-4", "-o", "addr", "show", "dev", "eth0"])).stdout.includes(VIP), {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: "a holding the VIP",
    });
    await delay(5_000);
    const lagCapture = await Capture.start(
      { ns: topo.box("c").ns, dev: "eth0" },
      {
        file: join(topo.runDir, `lag-${kind}-${servers}.pcap`),
        filter: `src host ${a.ip} and dst net ${LAG_SAMPLE} and ((tcp[13] & 0x12 == 0x02) or (tcp[13] & 0x05 != 0))`,
      },
    );
    try {
      for (let w = 0; w < o.windows; w++) {
        const pids = daemon.pids();
        const director = daemon.rolePids().director!;
        const status0 = await stubStatus(topo);
        const cpu0 = sampleAll(pids);
        const split0 = userSystemMs(director);
        const cores0 = cpuTimes();
        const fromMs = wallMs();
        await delay(o.windowS * 1000);
        const toMs = wallMs();
        const cores1 = cpuTimes();
        const cpu1 = sampleAll(pids);
        const split1 = userSystemMs(director);
        const status1 = await stubStatus(topo);
        // The second poll is counted in its own numbers.
        const checks = status1.accepts - status0.accepts - 1;
        const seconds = (toMs - fromMs) / 1000;
        let cpuMs = 0;
        for (const [pid, s] of cpu1) cpuMs += s.cpuMs - (cpu0.get(pid)?.cpuMs ?? s.cpuMs);
        const directorMs = (cpu1.get(director)?.cpuMs ?? NaN) - (cpu0.get(director)?.cpuMs ?? NaN);
        step.windows.push({
          fromMs,
          toMs,
          checksPerS: checks / seconds,
          cpuUsPerCheck: (cpuMs * 1000) / checks,
          directorCpuUsPerCheck: (directorMs * 1000) / checks,
          directorSystemUsPerCheck: ((split1.systemMs - split0.systemMs) * 1000) / checks,
          coreBusy: cores1.map((c, i) => (100 * (c.busy - cores0[i]!.busy)) / (c.total - cores0[i]!.total)),
          coreSoftirq: cores1.map((c, i) => (100 * (c.softirq - cores0[i]!.softirq)) / (c.total - cores0[i]!.total)),
        });
        windows.push({ step: `${kind} x ${servers} #${w + 1}`, fromMs, toMs });
      }
    } finally {
      await lagCapture.stop();
      const checks = lateChecks(tcpEvents(new Uint8Array(readFileSync(lagCapture.file))), 1000);
      const lags = checks.map((c) => c.lagMs);
      step.lag = { samples: lags.length, p50: percentileOf(lags, 50), p99: percentileOf(lags, 99), max: percentileOf(lags, 100) };
      // Whether the late checks come together (a pause of the whole process) or spread (a busy loop).
      const origin = step.windows[0]?.fromMs ?? 0;
      step.worstLags = [...checks]
        .sort((x, y) => y.lagMs - x.lagMs)
        .slice(0, 30)
        .map((c) => [Math.round(c.atMs - origin), Math.round(c.lagMs)]);
      const seconds = new Set(checks.map((c) => Math.floor((c.atMs - origin) / 1000)));
      const late = new Set(checks.filter((c) => c.lagMs > 20).map((c) => Math.floor((c.atMs - origin) / 1000)));
      step.secondsWithLateChecks = { late: late.size, of: seconds.size };
    }
    const roles = daemon.rolePids();
    step.directorPid = roles.director;
    const memory = sampleAll(Object.values(roles));
    for (const [role, pid] of Object.entries(roles)) step.daemonRssKb[role] = memory.get(pid)?.rssKb ?? NaN;
    step.directorRssKb = step.daemonRssKb.director ?? NaN;
    step.api = await apiCounters(topo);
  } catch (error) {
    step.error = (error as Error).message.split("\n")[0];
  } finally {
    await daemon?.stop("SIGTERM", 15_000).catch(() => undefined);
  }
  return step;
}
