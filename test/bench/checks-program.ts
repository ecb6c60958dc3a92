// Runs inside the qemu guest that test/bench/checks.ts boots (the appliance's kernel, IPVS):
// the same health checks by tandem (this tree's binary, `tandem -C`) and by keepalived 2.2.7's
// checker (`keepalived -C`), one after the other on the same kernel, against the same nginx.
// 1. Throughput: for each kind, N real servers with one checker each at delay_loop 1: checks
//    a second (nginx's stub_status) and the CPU of each daemon's processes per check, in
//    three windows; the checker process's RSS. Then the same servers at a delay_loop of an
//    hour, one window: the daemon's idle CPU, so that the marginal cost of a check shows
//    apart from the fixed cost of the daemon around it.
// 2. Detection: servers fail at one instant (one nginx SIGKILLed: TCP_CHECK and HTTP_GET
//    servers; another answering 503: HTTP_GET servers) and the kernel's table is read every
//    25 ms until each of them has left it: the time from the fault to the change, for the
//    default timers and for the fast profile.
// Each step prints "=== RESULT <name> <json>"; the host makes the tables.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import {
  FAST_TIMERS,
  globalDefs,
  LOAD_TIMERS,
  nginxConf,
  parseStubStatus,
  PORT_OF,
  realServerAddress,
  SECOND_HTTP_PORT,
  SERVER_RANGE,
  virtualServers,
  type CheckerGroup,
  type CheckKind,
  type CheckTimers,
} from "./checks-config.ts";

const KEEPALIVED = process.env.BENCH_KEEPALIVED!;
const IP = process.env.BENCH_IP!;
const NGINX = process.env.BENCH_NGINX!;
const TANDEM = "/capture/tandem";
const SCALE: Record<CheckKind, number> = JSON.parse(process.env.BENCH_GUEST_SCALE ?? '{"TCP_CHECK":25,"HTTP_GET":15,"SSL_GET":8}');
const WINDOWS = Number(process.env.BENCH_WINDOWS ?? 3);
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 10);
const FAST_TRIALS = Number(process.env.BENCH_FAST_TRIALS ?? 4);
const DETECTION_SERVERS = Number(process.env.BENCH_DETECTION_SERVERS ?? 10);
const FAST_SERVERS = Number(process.env.BENCH_FAST_SERVERS ?? 3);
const ONLY = process.env.BENCH_ONLY ?? "";
/** The checks on vCPU 1, the servers on vCPU 0, as on the host. */
const CHECKER_CPU = 1;
const SERVER_CPU = 0;
const { BUN_BE_BUN: _, ...ENV } = process.env;

function result(name: string, value: unknown): void {
  console.log(`=== RESULT ${name} ${JSON.stringify(value)}`);
}

function sh(command: string): string {
  const run = Bun.spawnSync(["/bin/sh", "-c", command], { stderr: "pipe", env: ENV });
  return run.stdout.toString() + run.stderr.toString();
}

const now = (): number => performance.now();
const TICK_MS = 10;

function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return NaN;
  }
}

function rssKb(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** A process and all its descendants (from /proc/PID/task/TID/children). */
function tree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const tid of sh(`ls /proc/${out[i]}/task 2>/dev/null`).split("\n").filter(Boolean)) {
      for (const child of sh(`cat /proc/${out[i]}/task/${tid}/children 2>/dev/null`).split(/\s+/).filter(Boolean)) out.push(Number(child));
    }
  }
  return out;
}

const pidIn = (file: string): number => Number(sh(`cat ${file} 2>/dev/null`).trim());

// ---- nginx: one for TCP_CHECK, HTTP_GET and SSL_GET (it is the one SIGKILLed), a second for the 503s.

const NGINX_DIRS = ["/tmp/nginx1", "/tmp/nginx2"] as const;
const STATUS = ["127.0.0.1:8081", "127.0.0.1:8082"] as const;

function startNginx(index: 0 | 1): void {
  const dir = NGINX_DIRS[index];
  if (!existsSync(`${dir}/nginx.conf`)) {
    mkdirSync(`${dir}/html`, { recursive: true });
    writeFileSync(`${dir}/html/health`, "healthy\n");
    sh(`cp /capture/cert/server.crt /capture/cert/server.key ${dir}/`);
    const ports = index === 0 ? Object.values(PORT_OF) : [SECOND_HTTP_PORT];
    writeFileSync(`${dir}/nginx.conf`, nginxConf({ dir, ports, tlsPorts: index === 0 ? [PORT_OF.SSL_GET] : [], statusListen: STATUS[index], workers: 1 }));
  }
  sh(`rm -f ${dir}/nginx.pid; taskset -c ${SERVER_CPU} ${NGINX} -p ${dir} -c ${dir}/nginx.conf > ${dir}/stdout 2>&1 &`);
}

async function nginxUp(index: 0 | 1): Promise<void> {
  await until(async () => (await stubStatus(index).catch(() => undefined)) !== undefined, 20_000, `nginx ${index + 1} answering`);
}

async function stubStatus(index: 0 | 1): Promise<{ accepts: number; requests: number }> {
  const text = await (await fetch(`http://${STATUS[index]}/status`)).text();
  const parsed = parseStubStatus(text);
  if (!parsed) throw new Error(`stub_status: ${text.slice(0, 100)}`);
  return parsed;
}

/** SIGKILL to nginx 1's master and workers at once: the server is gone, connections refused. */
function killNginx(): void {
  const master = pidIn(`${NGINX_DIRS[0]}/nginx.pid`);
  const workers = sh(`cat /proc/${master}/task/*/children 2>/dev/null`).split(/\s+/).filter(Boolean);
  sh(`kill -KILL ${master} ${workers.join(" ")}`);
}

async function until(done: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<number> {
  const t0 = now();
  for (;;) {
    if (await done()) return now() - t0;
    if (now() - t0 > timeoutMs) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await Bun.sleep(25);
  }
}

// ---- The two checkers.

interface Daemon {
  name: "tandem" | "keepalived";
  /** The process doing the checks: tandem's director, keepalived's checker child. */
  checkerPid(): number;
  /** Every process of the daemon. */
  pids(): number[];
  stop(): Promise<void>;
}

async function startDaemon(name: Daemon["name"], conf: string): Promise<Daemon> {
  writeFileSync("/tmp/checks.conf", conf);
  sh("rm -f /tmp/ka.pid /tmp/ka-checkers.pid /tmp/tandem.pid");
  if (name === "keepalived") {
    sh(`taskset -c ${CHECKER_CPU} ${KEEPALIVED} -n -l -C -f /tmp/checks.conf -p /tmp/ka.pid -c /tmp/ka-checkers.pid > /tmp/keepalived.log 2>&1 &`);
    await until(() => pidIn("/tmp/ka-checkers.pid") > 0, 60_000, "keepalived's checker");
    return {
      name,
      checkerPid: () => pidIn("/tmp/ka-checkers.pid"),
      pids: () => [pidIn("/tmp/ka.pid"), pidIn("/tmp/ka-checkers.pid")],
      async stop() {
        sh("kill -TERM $(cat /tmp/ka.pid) 2>/dev/null");
        await until(() => !existsSync(`/proc/${pidIn("/tmp/ka.pid")}`) || pidIn("/tmp/ka.pid") === 0, 20_000, "keepalived stopping").catch(() =>
          sh("kill -KILL $(cat /tmp/ka.pid) $(cat /tmp/ka-checkers.pid)"),
        );
        sh("ipvsadm -C");
      },
    };
  }
  sh(`taskset -c ${CHECKER_CPU} ${TANDEM} -n -l -C -f /tmp/checks.conf -p /tmp/tandem.pid --db /tmp/tandem.db > /tmp/tandem.log 2>&1 &`);
  await until(() => pidIn("/tmp/tandem.pid") > 0, 60_000, "tandem's pid file");
  const main = pidIn("/tmp/tandem.pid");
  const director = (): number => tree(main).find((pid) => sh(`cat /proc/${pid}/cmdline 2>/dev/null`).includes("__director")) ?? NaN;
  await until(() => Number.isFinite(director()), 60_000, "tandem's director");
  return {
    name,
    checkerPid: director,
    pids: () => tree(main),
    async stop() {
      sh(`kill -TERM ${main}`);
      await until(() => !existsSync(`/proc/${main}`), 20_000, "tandem stopping").catch(() => sh(`kill -KILL ${tree(main).join(" ")}`));
      sh("ipvsadm -C");
    },
  };
}

/** The kernel's destinations, as /proc/net/ip_vs lists them ("0A620101:0050" -> "10.98.1.1:80"). */
function destinations(): Set<string> {
  const out = new Set<string>();
  for (const match of readFileSync("/proc/net/ip_vs", "utf8").matchAll(/^\s+->\s+([0-9A-F]{8}):([0-9A-F]{4})\s+\S+\s+(\d+)/gm)) {
    const hex = match[1]!;
    const address = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(".");
    // Weight 0 (inhibit_on_failure) counts as out; not used here, but a reading must not lie.
    if (Number(match[3]) > 0) out.add(`${address}:${parseInt(match[2]!, 16)}`);
  }
  return out;
}

// ---- 1. Throughput.

async function throughput(kind: CheckKind, name: Daemon["name"]): Promise<void> {
  const servers = SCALE[kind];
  const conf = globalDefs(`bench_${name}`) + virtualServers([{ kind, servers, timers: LOAD_TIMERS }]);
  const daemon = await startDaemon(name, conf);
  let stopped = false;
  try {
    await until(() => destinations().size >= servers, 120_000, `${name}: the table's ${servers} real servers`);
    // Every checker past its first check (1 s plus up to delay_loop), then some.
    await Bun.sleep(5_000);
    const windows: ThroughputWindow[] = [];
    for (let w = 0; w < WINDOWS; w++) {
      const window = await cpuWindow(daemon);
      windows.push({
        checksPerS: window.checks / window.seconds,
        cpuUsPerCheck: (window.cpuMs * 1000) / window.checks,
        checkerCpuUsPerCheck: (window.checkerCpuMs * 1000) / window.checks,
        seconds: window.seconds,
      });
    }
    const roles = daemon
      .pids()
      .map((pid) => ({ pid, rssKb: rssKb(pid), cmd: sh(`cat /proc/${pid}/cmdline 2>/dev/null`).replaceAll("\0", " ").trim().slice(0, 80) }));
    const failures =
      name === "keepalived"
        ? (sh("grep -c -i 'fail\\|timeout' /tmp/keepalived.log").trim() as string)
        : (sh("grep -c 'failed' /tmp/tandem.log").trim() as string);
    const checkerRssKb = rssKb(daemon.checkerPid());
    await daemon.stop();
    stopped = true;
    const idle = await idleCost(kind, name, servers);
    result(`throughput-${kind}-${name}`, { kind, name, servers, windows, idle, checkerRssKb, processes: roles, failureLines: Number(failures) });
  } finally {
    if (!stopped) await daemon.stop();
  }
}

interface ThroughputWindow {
  checksPerS: number;
  cpuUsPerCheck: number;
  checkerCpuUsPerCheck: number;
  seconds: number;
}

/** One window of WINDOW_S: the checks nginx counted, the CPU of the daemon's processes and of its checker alone (ms). */
async function cpuWindow(daemon: Daemon): Promise<{ checks: number; cpuMs: number; checkerCpuMs: number; seconds: number }> {
  const pids = daemon.pids();
  const checker = daemon.checkerPid();
  const s0 = await stubStatus(0);
  const cpu0 = pids.map(cpuMs);
  const checker0 = cpuMs(checker);
  const t0 = now();
  await Bun.sleep(WINDOW_S * 1000);
  const seconds = (now() - t0) / 1000;
  const cpu1 = pids.map(cpuMs);
  const checker1 = cpuMs(checker);
  const s1 = await stubStatus(0);
  // The stub_status request itself is one of nginx's accepts.
  return { checks: s1.accepts - s0.accepts - 1, cpuMs: cpu1.reduce((sum, v, i) => sum + (v - cpu0[i]!), 0), checkerCpuMs: checker1 - checker0, seconds };
}

/** The idle run's delay_loop: the same servers and checkers, hardly a check in the window. */
const IDLE_DELAY_LOOP_S = 3_600;

/**
 * What the daemon costs without the checks' load: the same servers at a delay_loop of an hour
 * (warmup spreads the first checks over it), one window's CPU a second. A daemon's fixed cost
 * (tandem's status every second, keepalived's timer thread) divided by 25 checks a second
 * would otherwise pass for the checks' own: the marginal cost per check is the load run's CPU
 * a second less this, over its checks a second.
 */
async function idleCost(kind: CheckKind, name: Daemon["name"], servers: number): Promise<{ cpuMsPerS: number; checkerCpuMsPerS: number; checksPerS: number }> {
  const timers = { ...(LOAD_TIMERS as Exclude<CheckTimers, "default">), delayLoop: IDLE_DELAY_LOOP_S };
  const daemon = await startDaemon(name, globalDefs(`bench_${name}`) + virtualServers([{ kind, servers, timers }]));
  try {
    await until(() => destinations().size >= servers, 120_000, `${name}: the idle table's ${servers} real servers`);
    await Bun.sleep(5_000);
    const window = await cpuWindow(daemon);
    return { cpuMsPerS: window.cpuMs / window.seconds, checkerCpuMsPerS: window.checkerCpuMs / window.seconds, checksPerS: window.checks / window.seconds };
  } finally {
    await daemon.stop();
  }
}

// ---- 2. Detection.

/** The servers that fail: TCP_CHECK and HTTP_GET on nginx 1 (SIGKILL), HTTP_GET on nginx 2 (503). */
function detectionGroups(timers: CheckTimers, servers: number): { groups: CheckerGroup[]; fault: Record<string, string> } {
  const groups: CheckerGroup[] = [
    { kind: "TCP_CHECK", servers, timers, block: 1 },
    { kind: "HTTP_GET", servers, timers, block: 1 },
    { kind: "HTTP_GET", servers, timers, block: 2, port: SECOND_HTTP_PORT },
  ];
  const fault: Record<string, string> = {};
  for (const g of groups) {
    const label = g.port === SECOND_HTTP_PORT ? "HTTP_GET, 503" : `${g.kind}, SIGKILL`;
    for (let i = 0; i < g.servers; i++) fault[`${realServerAddress(i, g.block)}:${g.port ?? PORT_OF[g.kind]}`] = label;
  }
  return { groups, fault };
}

/**
 * tandem's own account of a fault, from its log (ISO times to the ms; keepalived's -l lines
 * carry whole seconds): when each server's checker logged its verdict of failure, and when
 * the director logged its removal, ms after the fault.
 */
function loggedTimes(servers: readonly string[], wall0: number): Record<string, { verdictMs?: number; removedMs?: number }> {
  const lines = readFileSync("/tmp/tandem.log", "utf8")
    .split("\n")
    .map((line) => ({ atMs: Date.parse(line.slice(0, 24)), line }))
    .filter((l) => l.atMs >= wall0);
  const out: Record<string, { verdictMs?: number; removedMs?: number }> = {};
  for (const server of servers) {
    const [address, port] = server.split(":");
    const name = `[${address}]:tcp:${port}`;
    const verdict = lines.find((l) => l.line.includes(name) && l.line.includes("failed"));
    const removed = lines.find((l) => l.line.includes(`Removing service ${name}`));
    out[server] = { ...(verdict ? { verdictMs: verdict.atMs - wall0 } : {}), ...(removed ? { removedMs: removed.atMs - wall0 } : {}) };
  }
  return out;
}

async function detection(profile: "default" | "fast", name: Daemon["name"]): Promise<void> {
  const timers = profile === "default" ? "default" : FAST_TIMERS;
  // At delay_loop 1 a few servers each: the fault's detection, not a loaded emulated CPU (the throughput runs measure that).
  const { groups, fault } = detectionGroups(timers, profile === "default" ? DETECTION_SERVERS : FAST_SERVERS);
  const all = Object.keys(fault);
  const daemon = await startDaemon(name, globalDefs(`bench_${name}`) + virtualServers(groups));
  const trials: { byServer: Record<string, number>; missing: string[]; logged: Record<string, { verdictMs?: number; removedMs?: number }> }[] = [];
  try {
    await until(() => all.every((d) => destinations().has(d)), 120_000, `${name}: the detection table`);
    const count = profile === "default" ? 1 : FAST_TRIALS;
    for (let trial = 0; trial < count; trial++) {
      // The fast profile: every checker has run (1 s, up to delay_loop) and sits at a random phase of its loop.
      await Bun.sleep(profile === "fast" ? 3_000 + Math.random() * 1_000 : 2_000);
      const t0 = now();
      const wall0 = Date.now();
      killNginx();
      writeFileSync(`${NGINX_DIRS[1]}/down`, "");
      const gone: Record<string, number> = {};
      const limitMs = profile === "default" ? 80_000 : 20_000;
      while (Object.keys(gone).length < all.length && now() - t0 < limitMs) {
        const present = destinations();
        const at = now() - t0;
        for (const d of all) if (!present.has(d) && gone[d] === undefined) gone[d] = at;
        await Bun.sleep(25);
      }
      trials.push({ byServer: gone, missing: all.filter((d) => gone[d] === undefined), logged: name === "tandem" ? loggedTimes(all, wall0) : {} });
      // Back: the servers answer again and every one is in the table before the next trial.
      rmSync(`${NGINX_DIRS[1]}/down`, { force: true });
      startNginx(0);
      await nginxUp(0);
      await until(() => all.every((d) => destinations().has(d)), profile === "default" ? 150_000 : 30_000, `${name}: the servers back`).catch(() => 0);
    }
  } finally {
    await daemon.stop();
  }
  const byFault: Record<string, number[]> = {};
  const verdicts: Record<string, number[]> = {};
  const removals: Record<string, number[]> = {};
  for (const trial of trials) {
    for (const [d, ms] of Object.entries(trial.byServer)) (byFault[fault[d]!] ??= []).push(ms);
    for (const [d, times] of Object.entries(trial.logged)) {
      if (times.verdictMs !== undefined) (verdicts[fault[d]!] ??= []).push(times.verdictMs);
      if (times.removedMs !== undefined) (removals[fault[d]!] ??= []).push(times.removedMs);
    }
  }
  result(`detection-${profile}-${name}`, {
    profile,
    name,
    timers,
    byFault,
    verdicts,
    removals,
    missing: trials.flatMap((t) => t.missing),
    trials: trials.length,
  });
}

async function main(): Promise<void> {
  result("guest", {
    kernel: sh("uname -r").trim(),
    cpus: Number(sh("nproc").trim()),
    clocksource: sh("cat /sys/devices/system/clocksource/clocksource0/current_clocksource").trim(),
    keepalived: sh(`${KEEPALIVED} --version 2>&1 | head -1`).trim(),
  });
  sh(`${IP} route add local ${SERVER_RANGE} dev lo`);
  startNginx(0);
  startNginx(1);
  await nginxUp(0);
  await nginxUp(1);
  if (!ONLY || ONLY === "throughput") {
    for (const kind of ["TCP_CHECK", "HTTP_GET", "SSL_GET"] as const) {
      for (const name of ["tandem", "keepalived"] as const)
        await throughput(kind, name).catch((error: Error) => result(`throughput-${kind}-${name}`, { error: error.message }));
    }
  }
  if (!ONLY || ONLY === "detection") {
    for (const profile of ["fast", "default"] as const) {
      for (const name of ["tandem", "keepalived"] as const)
        await detection(profile, name).catch((error: Error) => result(`detection-${profile}-${name}`, { error: error.message }));
    }
  }
  result("logs", { tandem: sh("tail -5 /tmp/tandem.log"), keepalived: sh("tail -5 /tmp/keepalived.log") });
}

try {
  await main();
} catch (error) {
  result("crash", { message: (error as Error).stack ?? String(error) });
}
console.log("=== DONE");
process.exit(0);
