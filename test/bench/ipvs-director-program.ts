// Runs inside the qemu guest that test/bench/ipvs-director.ts boots: tandem's director beside
// ipvsadm -R and keepalived 2.2.7 on the same kernel, in one run. The director runs as the
// supervisor runs it: `tandem __director` (this tree's binary, compiled as the Makefile does) spawned with an IPC
// channel, given the parsed configuration; this program plays the supervisor. Meanwhile a
// VRRPv3 pair of full tandem daemons (the image's binary) at 10 ms adverts runs in two network
// namespaces joined by a veth pair, captured by tcpdump. Each step prints
// "=== RESULT <name> <json>"; the host makes the table.
import { readFileSync, writeFileSync } from "node:fs";
import { serialize } from "bun:jsc";
import { systemClock } from "../../src/common/clock.ts";
import { createLogger } from "../../src/common/logger.ts";
import { memoryFiles, parseConfig, type Config } from "../../src/config/index.ts";
import { openDirectorKernel, planDirector } from "../../src/daemon/director/director-command.ts";
import { ipvsStatus } from "../../src/daemon/director/ipvs-status.ts";
import type { FromDirector, ToDirector } from "../../src/daemon/ipc/messages.ts";
import { openGenericNetlinkSocket, type GenericNetlinkSocket } from "../../src/net/generic-netlink-socket.ts";
import { Director, type IpvsKernelPort } from "../../src/ipvs/director.ts";
import { NO_DRAINS } from "../../src/ipvs/drain.ts";
import { IPVS_GENL_NAME } from "../../src/ipvs/ip-vs-constants.ts";
import { decodeDestinationDump } from "../../src/ipvs/ipvs-replies.ts";
import { encodeIpvsRequest } from "../../src/ipvs/ipvs-requests.ts";
import { requestOfOp } from "../../src/ipvs/op-requests.ts";
import { reconcile } from "../../src/ipvs/reconcile.ts";
import type { IpvsOp } from "../../src/ipvs/ops.ts";
import { parseIpAddress, type IpAddress } from "../../src/common/ip-address.ts";
import type { ServiceKey } from "../../src/ipvs/types.ts";
import { decodeMessages } from "../../src/netlink/netlink-codec.ts";
import { transfersOf } from "../fixtures/ipvs/guest.ts";
import { configFor } from "../netns/lib/config.ts";
import { parsePcap } from "../netns/lib/pcap.ts";
import { changedCount, ipvsadmRules, keepalivedConf, lastChanged, realServerOf, vipOf, weightOf, type BenchTable } from "./ipvs-director-tables.ts";
import { fromJsonText, toJsonText, type JsonText } from "../../src/daemon/ipc/json-text.ts";
import { directorConfigOf, type DirectorConfig } from "../../src/daemon/ipc/director-config.ts";
import type { NewEvent } from "../../src/store/event.ts";
import { parseTimes } from "./emulation-penalty.ts";

const SMALL: BenchTable = { services: 1_000, realServers: 10 };
const LARGE: BenchTable = { services: 2_000, realServers: 20 };
const KEEPALIVED = process.env.BENCH_KEEPALIVED!;
const IP = process.env.BENCH_IP!;
const TCPDUMP = process.env.BENCH_TCPDUMP!;
const STRACE = process.env.BENCH_STRACE!;
const TANDEM_JS = "/capture/tandem.js";
const TANDEM_BINARY = "/capture/tandem";
const clock = systemClock();
const logger = createLogger(() => {}, "error");

function result(name: string, value: unknown): void {
  console.log(`=== RESULT ${name} ${JSON.stringify(value)}`);
}

function sh(command: string): string {
  const run = Bun.spawnSync(["/bin/sh", "-c", command], { stderr: "pipe" });
  return run.stdout.toString() + run.stderr.toString();
}

const now = (): number => performance.now();
const entries = (): number => Number(sh("wc -l < /proc/net/ip_vs").trim()) - 3; // three header lines
const expected = (t: BenchTable): number => t.services * (1 + t.realServers);
const flush = (): void => void sh("ipvsadm -C");

function ip(text: string): IpAddress {
  const address = parseIpAddress(text);
  if (!address) throw new Error(`bad address ${text}`);
  return address;
}
const keyOf = (i: number): ServiceKey => ({ kind: "address", protocol: "TCP", address: ip(vipOf(i)), port: 80 });

function configOf(text: string): Config {
  const parsed = parseConfig("/etc/keepalived/keepalived.conf", { ...memoryFiles({ "/etc/keepalived/keepalived.conf": text }), configId: undefined });
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (!parsed.config || errors.length > 0) throw new Error(`config: ${JSON.stringify(errors.slice(0, 3))}`);
  return parsed.config;
}

/** The supervisor's share of a start or reload: the file parsed, and the director's part of it encoded as it sends it. */
const directorConfigText = (text: string): JsonText<DirectorConfig> => toJsonText(directorConfigOf(configOf(text)));

/** user and system CPU ms of a process, from /proc/PID/stat (clock ticks of 10 ms). */
function cpuSplitMs(pid: number): { userMs: number; systemMs: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return { userMs: Number(fields[11]) * 10, systemMs: Number(fields[12]) * 10 };
}

/** user + system CPU ms of a process. */
function cpuMs(pid: number): number {
  const { userMs, systemMs } = cpuSplitMs(pid);
  return userMs + systemMs;
}

function memoryKb(pid: number): { rssKb: number; hwmKb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN);
  return { rssKb: field("VmRSS"), hwmKb: field("VmHWM") };
}

/** A poller of one service's destinations through its own socket: cheap beside a whole dump. */
async function servicePoller(): Promise<{ weights(i: number): Promise<Map<string, number>>; close(): void }> {
  const opened = await openGenericNetlinkSocket(IPVS_GENL_NAME);
  if (!opened.ok) throw new Error(opened.message);
  const socket: GenericNetlinkSocket = opened.socket;
  return {
    async weights(i) {
      const parts = await socket
        .dump((seq, pid) => encodeIpvsRequest(socket.family.id, { kind: "get-destinations", service: keyOf(i) }, seq, pid), "poll")
        .catch(() => []);
      return new Map(decodeDestinationDump(parts, 4).entries.map((d) => [d.address.text, d.weight]));
    },
    close: () => socket.close(),
  };
}

/** Polls every 10 ms until `done` holds; the time it first held, ms after `fromMs`. */
async function until(fromMs: number, done: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  for (;;) {
    if (await done()) return now() - fromMs;
    if (now() - fromMs > timeoutMs) throw new Error(`not done after ${timeoutMs} ms`);
    await Bun.sleep(10);
  }
}

// ---- The VRRP pair: two full tandem daemons, veth between two namespaces, tcpdump on B's side.

interface Window {
  name: string;
  fromMs: number;
  toMs: number;
}
const windows: Window[] = [];
/** Wall-clock ms, the capture's clock. */
const wall = (): number => Date.now();

/** The scheduling the appliance's own configurations give (overlay/etc/keepalived): the engine realtime, the rest below it. */
const APPLIANCE_SCHEDULING = ["vrrp_rt_priority 50", "vrrp_rlimit_rttime 1000000", "vrrp_no_swap", "checker_priority 10"];
const asTheAppliance = (conf: string): string =>
  conf.replace("global_defs {\n", `global_defs {\n${APPLIANCE_SCHEDULING.map((line) => `    ${line}\n`).join("")}`);

function startPair(): { stop(): Promise<void> } {
  sh(`insmod /capture/veth.ko; mkdir -p /run/netns`);
  const setup = [
    `${IP} netns add va`,
    `${IP} netns add vb`,
    `${IP} link add va0 type veth peer name vb0`,
    `${IP} link set va0 netns va`,
    `${IP} link set vb0 netns vb`,
    `${IP} -n va addr add 10.77.0.1/24 dev va0`,
    `${IP} -n vb addr add 10.77.0.2/24 dev vb0`,
    `${IP} -n va link set lo up`,
    `${IP} -n vb link set lo up`,
    `${IP} -n va link set va0 up`,
    `${IP} -n vb link set vb0 up`,
  ];
  const out = setup.map((command) => sh(command)).join("");
  if (out.trim()) result("pair-setup", out.trim());
  for (const [side, state, priority, dev] of [
    ["a", "MASTER", 100, "va0"],
    ["b", "BACKUP", 90, "vb0"],
  ] as const) {
    const conf = asTheAppliance(
      configFor({ box: side, state, priority, version: 3, advertInt: 0.01, vip: "10.77.0.100/24", dev, notifyLog: `/tmp/notify-${side}.log` }),
    );
    writeFileSync(`/tmp/vrrp-${side}.conf`, conf);
    sh(`mkdir -p /tmp/${side}`);
    sh(
      // Without BUN_BE_BUN (this program's runtime has it): the image's binary as the daemon it is.
      `setsid ${IP} netns exec v${side} env -u BUN_BE_BUN /usr/sbin/tandem -f /tmp/vrrp-${side}.conf -n -l -p /tmp/${side}/tandem.pid --db /tmp/${side}/tandem.db > /tmp/${side}/tandem.log 2>&1 &`,
    );
  }
  sh(`setsid ${IP} netns exec vb ${TCPDUMP} -Z root -U -B 8192 -i vb0 -w /tmp/adverts.pcap ip proto 112 > /tmp/tcpdump.log 2>&1 &`);
  return {
    async stop() {
      sh("kill -INT $(pidof tcpdump) 2>/dev/null");
      await Bun.sleep(1_000);
      sh("for p in /tmp/a/tandem.pid /tmp/b/tandem.pid; do kill -TERM $(cat $p) 2>/dev/null; done");
      await Bun.sleep(2_000);
    },
  };
}

function pairReport(): void {
  const capture = parsePcap(readFileSync("/tmp/adverts.pcap"));
  const fromA = capture.adverts.filter((a) => a.srcIp === "10.77.0.1").map((a) => a.tMs);
  const fromB = capture.adverts.filter((a) => a.srcIp === "10.77.0.2");
  // The engines' own lines ("<ISO time> tandem[pid] INFO  VI_1: BACKUP -> MASTER: ..."): the notify log's times need date +%N, which busybox lacks.
  const transitionsOf = (side: string) =>
    [...sh(`cat /tmp/${side}/tandem.log`).matchAll(/^(\S+Z) \S+ INFO +VI_1: (\w+) -> (\w+)/gm)].map((m) => ({
      tMs: Date.parse(m[1]!),
      tag: side,
      state: `${m[2]}->${m[3]}`,
    }));
  const notifies = [...transitionsOf("a"), ...transitionsOf("b")].sort((x, y) => x.tMs - y.tMs);
  const perWindow = windows.map((w) => {
    const inside = fromA.filter((t) => t >= w.fromMs && t <= w.toMs);
    let maxGapMs = 0;
    let over30 = 0;
    for (let k = 1; k < inside.length; k++) {
      const gap = inside[k]! - inside[k - 1]!;
      maxGapMs = Math.max(maxGapMs, gap);
      if (gap > 30) over30++;
    }
    // The gap from the window's start to its first advert, and from its last one to the end, count too.
    const edges = inside.length > 0 ? Math.max(inside[0]! - w.fromMs, w.toMs - inside.at(-1)!) : w.toMs - w.fromMs;
    return {
      name: w.name,
      seconds: (w.toMs - w.fromMs) / 1000,
      adverts: inside.length,
      maxGapMs: Math.max(maxGapMs, edges),
      gapsOver30Ms: over30,
      advertsFromB: fromB.filter((a) => a.tMs >= w.fromMs && a.tMs <= w.toMs).length,
      transitions: notifies.filter((n) => n.tMs >= w.fromMs && n.tMs <= w.toMs).length,
    };
  });
  result("pair", {
    frames: capture.frames,
    advertsFromA: fromA.length,
    advertsFromB: fromB.length,
    transitions: notifies.map((n) => `${new Date(n.tMs).toISOString().slice(11, 23)} ${n.tag} ${n.state}`),
    tcpdump: sh("cat /tmp/tcpdump.log").trim().split("\n").slice(-3),
    logs: [sh("tail -5 /tmp/a/tandem.log"), sh("tail -5 /tmp/b/tandem.log")],
    windows: perWindow,
  });
}

/** Runs `work` as a named window of the pair's capture. */
async function inWindow<T>(name: string, work: () => Promise<T>): Promise<T> {
  const fromMs = wall();
  try {
    return await work();
  } finally {
    windows.push({ name, fromMs, toMs: wall() });
  }
}

// ---- tandem's director, as the supervisor runs it.

interface DirectorChild {
  pid: number;
  messages: { atMs: number; message: Received }[];
  /** Resolves with the time the next message of this type came (performance.now()). */
  next(type: FromDirector["type"], after?: number): Promise<number>;
  send(message: ToDirector): void;
  kill(): Promise<void>;
}

/** A message from the director, its events decoded (they come as JSON text). */
type Received = Exclude<FromDirector, { type: "events" }> | { type: "events"; events: NewEvent[] };
const received = (message: FromDirector): Received => (message.type === "events" ? { type: "events", events: fromJsonText(message.events) } : message);

let directorRuns = 0;
/** BENCH_PROFILE: each director process writes a CPU profile (at its exit) into this directory. */
const PROFILE_DIR = process.env.BENCH_PROFILE ? "/tmp/profiles" : undefined;
function spawnDirector(): DirectorChild {
  const messages: { atMs: number; message: Received }[] = [];
  const waiters: { type: string; after: number; resolve: (atMs: number) => void }[] = [];
  const log = `/tmp/director-${++directorRuns}.log`;
  const profile = PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}/director-${directorRuns}`] : [];
  // This tree's binary, as the supervisor runs it; profiled, its bundle on the image's runtime.
  const argv = PROFILE_DIR ? ["/usr/sbin/tandem", ...profile, TANDEM_JS, "__director"] : [TANDEM_BINARY, "__director"];
  const { BUN_BE_BUN: _, ...inherited } = process.env;
  const env = PROFILE_DIR ? { ...inherited, BUN_BE_BUN: "1", BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0" } : inherited;
  const child = Bun.spawn(argv, {
    env,
    stdio: ["ignore", Bun.file(log), Bun.file(log)],
    serialization: "advanced",
    ipc(message) {
      const atMs = now();
      messages.push({ atMs, message: received(message as FromDirector) });
      for (const w of [...waiters]) {
        if (w.type === (message as FromDirector).type && atMs >= w.after) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(atMs);
        }
      }
    },
  });
  return {
    pid: child.pid,
    messages,
    next: (type, after = now()) => new Promise((resolve) => waiters.push({ type, after, resolve })),
    send: (message) => child.send(message),
    async kill() {
      // A profiled process writes its profile at exit: it stops (keeping the table) and exits by itself.
      if (PROFILE_DIR) {
        child.send({ type: "stop", reason: "bench" });
        await Promise.race([child.exited, Bun.sleep(60_000)]);
      }
      child.kill("SIGKILL");
      await child.exited;
    },
  };
}

function startMessage(config: JsonText<DirectorConfig>, keepIpvsOnStop: boolean): ToDirector {
  return {
    type: "start",
    config,
    intent: { drained: [] },
    drainState: NO_DRAINS,
    keepIpvsOnStop,
    vrrpRuns: true,
    ownershipFile: `/tmp/ipvs-${directorRuns}.db`,
    log: { console: true, syslog: false, facility: undefined, detail: false },
  };
}

const applyEvents = (child: DirectorChild, afterMs: number) =>
  child.messages.flatMap((m) =>
    m.atMs >= afterMs && m.message.type === "events"
      ? m.message.events.flatMap((e) => (e.kind === "ipvs.apply" ? [{ ...e.data, readMs: e.data.readMs ?? 0, planMs: e.data.planMs ?? 0, atMs: e.atMs }] : []))
      : [],
  );

/** The passes' phases summed: reading the kernel, planning, writing; and when (ms after wall0) the first pass began. */
function passPhases(apply: ReturnType<typeof applyEvents>, wall0: number) {
  const first = apply[0];
  return {
    readMs: apply.reduce((n, a) => n + a.readMs, 0),
    planMs: apply.reduce((n, a) => n + a.planMs, 0),
    passStartedMs: first ? first.atMs - first.durationMs - first.planMs - first.readMs - wall0 : NaN,
  };
}

/** From nothing to the table: parse, spawn, start; the time the apply's event came is when the table was complete. */
async function tandemLoad(table: BenchTable, keepIpvsOnStop: boolean) {
  const t0 = now();
  const wall0 = Date.now();
  const config = directorConfigText(keepalivedConf(table));
  const parsedMs = now() - t0;
  const child = spawnDirector();
  const started = child.next("started");
  child.send(startMessage(config, keepIpvsOnStop));
  const startedAt = await started;
  // At "started" the start pass is over: what the process spent until then, in itself and in the kernel.
  const cpu = cpuSplitMs(child.pid);
  const apply = applyEvents(child, t0);
  const appliedAt = child.messages.find((m) => m.message.type === "events" && m.message.events.some((e) => e.kind === "ipvs.apply"))?.atMs ?? NaN;
  return {
    child,
    numbers: {
      parseMs: parsedMs,
      completeMs: appliedAt - t0,
      startedMs: startedAt - t0,
      writes: apply.reduce((n, a) => n + a.writes, 0),
      failures: apply.reduce((n, a) => n + a.failures, 0),
      applyMs: apply.reduce((n, a) => n + a.durationMs, 0),
      ...passPhases(apply, wall0),
      entries: entries(),
      cpu,
    },
  };
}

/** The functions that took the most CPU (self time) in each profile written, with their share. */
function profileSummaries(): void {
  if (!PROFILE_DIR) return;
  for (const dir of sh(`ls ${PROFILE_DIR} 2>/dev/null`).split("\n").filter(Boolean)) {
    for (const file of sh(`ls ${PROFILE_DIR}/${dir}`).split("\n").filter(Boolean)) {
      const profile = JSON.parse(readFileSync(`${PROFILE_DIR}/${dir}/${file}`, "utf8")) as {
        nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
        samples: number[];
        timeDeltas: number[];
      };
      const byId = new Map(profile.nodes.map((n) => [n.id, n]));
      const parent = new Map<number, number>();
      for (const node of profile.nodes as { id: number; children?: number[] }[]) for (const child of node.children ?? []) parent.set(child, node.id);
      const nameOf = (id: number) => {
        const frame = byId.get(id)!.callFrame;
        return `${frame.functionName || "(anonymous)"} ${frame.url.split("/").at(-1)}:${frame.lineNumber + 1}`;
      };
      const self = new Map<string, number>();
      const inclusive = new Map<string, number>();
      let total = 0;
      profile.samples.forEach((id, k) => {
        const us = profile.timeDeltas[k]!;
        self.set(nameOf(id), (self.get(nameOf(id)) ?? 0) + us);
        const seen = new Set<string>();
        for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) seen.add(nameOf(at));
        for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + us);
        total += us;
      });
      const top = (map: Map<string, number>, n: number) =>
        [...map.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, n)
          .map(([name, us]) => `${((us / total) * 100).toFixed(1)}% ${(us / 1000).toFixed(0)} ms ${name}`);
      result(`profile-${dir}`, { totalMs: total / 1000, self: top(self, 40), inclusive: top(inclusive, 60) });
    }
  }
}

// ---- keepalived 2.2.7, checker only.

function startKeepalived(conf: string): void {
  writeFileSync("/tmp/keepalived.conf", conf);
  sh("rm -f /tmp/ka.pid /tmp/ka-checkers.pid");
  sh(`${KEEPALIVED} -n -l -C -f /tmp/keepalived.conf -p /tmp/ka.pid -c /tmp/ka-checkers.pid > /tmp/ka.log 2>&1 &`);
}
const keepalivedPid = (file: string): number => Number(sh(`cat ${file} 2>/dev/null`).trim());
async function stopKeepalived(): Promise<void> {
  sh("kill -KILL $(cat /tmp/ka-checkers.pid) $(cat /tmp/ka.pid) 2>/dev/null");
  await Bun.sleep(500);
  flush();
}

/** Until the last service in the file has all its real servers at `reloaded`'s weights, then until the whole table has as many entries as asked for. */
async function tableShows(
  table: BenchTable,
  fromMs: number,
  reloaded: boolean,
  poller: Awaited<ReturnType<typeof servicePoller>>,
  timeoutMs: number,
  change = reloaded,
) {
  const i = change ? lastChanged(table).i : table.services - 1;
  const lastOk = async () => {
    const weights = await poller.weights(i);
    for (let j = 0; j < table.realServers; j++) if (weights.get(realServerOf(table, i, j)) !== weightOf(table, i, j, reloaded)) return false;
    return true;
  };
  const lastMs = await until(fromMs, lastOk, timeoutMs);
  // keepalived writes in the file's order; should it not, the whole table decides.
  const wholeMs = await until(fromMs, async () => entries() === expected(table) && (!change || (await allWeights(table, reloaded, poller))), timeoutMs);
  return { lastServiceMs: lastMs, verifiedMs: wholeMs };
}

async function allWeights(table: BenchTable, reloaded: boolean, poller: Awaited<ReturnType<typeof servicePoller>>): Promise<boolean> {
  for (let i = 0; i < table.services; i++) {
    const weights = await poller.weights(i);
    for (let j = 0; j < table.realServers; j++) if (weights.get(realServerOf(table, i, j)) !== weightOf(table, i, j, reloaded)) return false;
  }
  return true;
}

/** keepalived's IPVS writes in an strace of its checker (-e write=all hex dumps of each sendmsg): requests by genetlink command. */
function countWrites(trace: string): Record<string, number> {
  const names: Record<number, string> = { 1: "NEW_SERVICE", 2: "SET_SERVICE", 3: "DEL_SERVICE", 5: "NEW_DEST", 6: "SET_DEST", 7: "DEL_DEST" };
  const counts: Record<string, number> = {};
  // strace -f starts each line with the pid; transfersOf reads lines as strace without -f writes them.
  for (const transfer of transfersOf(trace.replace(/^\d+\s+/gm, "").replace(/^([|*])/gm, " $1"))) {
    if (transfer.direction !== ">") continue;
    for (const message of decodeMessages(new Uint8Array(transfer.bytes)).messages) {
      // GENL_ID_CTRL (0x10) is the family lookup; anything else here is IPVS.
      if (message.header.type <= 0x10) continue;
      const name = names[message.payload[0]!] ?? `command ${message.payload[0]}`;
      counts[name] = (counts[name] ?? 0) + 1;
    }
  }
  return counts;
}

// ---- The steps.

/** ipvsadm -R: one process reading the 1,000 x 10 rules from stdin; its CPU split between itself and the kernel. */
async function ipvsadmRestore() {
  writeFileSync("/tmp/rules", ipvsadmRules(SMALL));
  const t0 = now();
  const proc = Bun.spawn(["ipvsadm", "-R"], { stdin: Bun.file("/tmp/rules"), stdout: "pipe", stderr: "pipe" });
  await proc.exited;
  const ms = now() - t0;
  const usage = proc.resourceUsage();
  const cpu = usage ? { userMs: Number(usage.cpuTime.user) / 1000, systemMs: Number(usage.cpuTime.system) / 1000 } : undefined;
  return { ms, exit: proc.exitCode, stderr: (await new Response(proc.stderr).text()).slice(0, 300), entries: entries(), cpu };
}

/**
 * The floor under any program's load of 1,000 x 10: the same 11,000 requests, encoded
 * beforehand, sent in batches through one socket (each acknowledged); only the syscalls and
 * the kernel's own work remain. Its system time is the kernel's share of every load here.
 */
async function kernelFloor() {
  flush();
  const opened = await openGenericNetlinkSocket(IPVS_GENL_NAME, { clock });
  if (!opened.ok) throw new Error(opened.message);
  const netlink = opened.socket;
  // The ops tandem's director sends for this configuration, from a Director over an empty table that writes nothing.
  let ops: readonly IpvsOp[] = [];
  const planner = new Director({
    kernel: {
      dump: async () => ({ services: [] }),
      dumpServices: async () => ({ services: [] }),
      apply: async (planned) => ((ops = planned), planned.map(() => ({ ok: true as const }))),
    },
    ownership: { owned: () => new Set(), replace: () => ({ ok: true }) },
    clock,
    logger,
    report: () => {},
    drainTimeoutMs: 0,
    driftScanMs: 0,
  });
  await planner.start(planDirector(configOf(keepalivedConf(SMALL))).virtualServers, { drained: [] });
  const encoded = ops.map((op) => encodeIpvsRequest(netlink.family.id, requestOfOp(op), 0, 0));
  const before = cpuSplitMs(process.pid);
  const t0 = now();
  const answers = await netlink.sendBatch({
    count: encoded.length,
    encode: (index, seq, pid) => {
      // Only the header's sequence number and port differ from the bytes encoded beforehand.
      const bytes = encoded[index]!;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      view.setUint32(8, seq, true);
      view.setUint32(12, pid, true);
      return bytes;
    },
  });
  const ms = now() - t0;
  const after = cpuSplitMs(process.pid);
  netlink.close();
  return {
    ms,
    writes: encoded.length,
    failures: answers.filter((a) => !a.ok).length,
    cpu: { userMs: after.userMs - before.userMs, systemMs: after.systemMs - before.systemMs },
    entries: entries(),
  };
}

/** The emulation's cost for C and for tandem's JavaScript: the host runs the same two parses (emulation-penalty.ts). */
async function parseInGuest(): Promise<void> {
  writeFileSync("/tmp/small.conf", keepalivedConf(SMALL));
  result("parse-guest", await parseTimes(KEEPALIVED, TANDEM_BINARY, "/tmp/small.conf"));
}

async function loadSmall(): Promise<void> {
  await parseInGuest();
  result("load-floor", await kernelFloor());
  flush();
  result("load-ipvsadm", await ipvsadmRestore());
  flush();

  const poller = await servicePoller();
  const t0 = now();
  startKeepalived(keepalivedConf(SMALL));
  const shown = await tableShows(SMALL, t0, false, poller, 300_000);
  result("load-keepalived", { ...shown, entries: entries() });
  await stopKeepalived();
  poller.close();

  const tandem = await tandemLoad(SMALL, false);
  result("load-tandem", tandem.numbers);
  await tandem.child.kill();
  flush();
}

async function large(): Promise<void> {
  flush();
  // tandem: load 40,000, then the reload of 1 %.
  const loaded = await tandemLoad(LARGE, true);
  const child = loaded.child;
  result("large-load-tandem", loaded.numbers);
  const t0 = now();
  const wall0 = Date.now();
  const config = directorConfigText(keepalivedConf(LARGE, true));
  const parseMs = now() - t0;
  const applied = child.next("applied");
  child.send({ type: "apply", config });
  const appliedAt = await applied;
  const apply = applyEvents(child, t0);
  const poller = await servicePoller();
  result("reload-tandem", {
    changed: changedCount(LARGE),
    parseMs,
    reloadMs: appliedAt - t0,
    writes: apply.reduce((n, a) => n + a.writes, 0),
    failures: apply.reduce((n, a) => n + a.failures, 0),
    applyMs: apply.reduce((n, a) => n + a.durationMs, 0),
    ...passPhases(apply, wall0),
    correct: await allWeights(LARGE, true, poller),
  });

  // The status loop over 40,000 destinations: what the director sends, and what it costs both ends, for 20 s.
  await Bun.sleep(2_000);
  const fromIndex = child.messages.length;
  const cpu0 = cpuMs(child.pid);
  const self0 = process.cpuUsage();
  const w0 = now();
  await Bun.sleep(20_000);
  const windowMs = now() - w0;
  const statuses = child.messages.slice(fromIndex).filter((m) => m.message.type === "status");
  const last = statuses.at(-1)?.message;
  const selfUsage = process.cpuUsage(self0);
  result("status-loop", {
    windowMs,
    directorCpuMs: cpuMs(child.pid) - cpu0,
    receiverCpuMs: (selfUsage.user + selfUsage.system) / 1000,
    statusMessages: statuses.length,
    statusBytes: last ? serialize(last).byteLength : 0,
    memory: memoryKb(child.pid),
  });
  // With -I the table stays for the drift scans below.
  const stopped = child.next("stopped");
  child.send({ type: "stop", reason: "bench" });
  await Promise.race([stopped, Bun.sleep(10_000)]);
  await child.kill();

  // The drift scan: the Director over the kernel port as the process runs it, its scans back
  // to back (every 50 ms after the last ends, not the ten times the read it waits in the
  // process): a pass is the dump, the compare and any writes. Each pass is timed from its
  // dump to its ownership record.
  const opened = await openDirectorKernel(clock);
  if (!opened.ok) throw new Error(opened.reason);
  interface Pass {
    startMs: number;
    dumpMs: number[];
    ops: number;
    endMs?: number;
  }
  const passes: Pass[] = [];
  const kernel: IpvsKernelPort = {
    async dump() {
      const started = now();
      if (!passes.at(-1) || passes.at(-1)!.endMs !== undefined) passes.push({ startMs: started, dumpMs: [], ops: 0 });
      const table = await opened.kernel.dump();
      passes.at(-1)!.dumpMs.push(now() - started);
      return table;
    },
    dumpServices: (keys) => opened.kernel.dumpServices(keys),
    apply: (ops: readonly IpvsOp[]) => opened.kernel.apply(ops),
  };
  const director = new Director({
    kernel,
    ownership: { owned: () => new Set<string>(), replace: () => ((passes.at(-1)!.endMs = now()), { ok: true as const }) },
    clock,
    logger,
    report: (report) => {
      if (report.kind === "applied") passes.at(-1)!.ops = report.ops.length;
    },
    drainTimeoutMs: 0,
    driftScanMs: 50,
    driftScanGapFactor: 0,
  });
  const timed = (p: Pass) => ({ passMs: p.endMs! - p.startMs, dumpMs: p.dumpMs[0]!, ops: p.ops, dumps: p.dumpMs.length });
  const ended = (n: number) => until(now(), async () => passes.filter((p) => p.endMs !== undefined).length >= n, 900_000);
  await director.start(planDirector(fromJsonText(config)).virtualServers, { drained: [] }, NO_DRAINS);
  await ended(3);
  sh(`ipvsadm -d -t ${vipOf(7)}:80 -r ${realServerOf(LARGE, 7, 3)}:80`);
  await ended(5); // the scan under way may have dumped before the delete: the one after it repairs
  await director.stop(false);
  const adopt = timed(passes[0]!);
  const scans = passes.slice(1, 3).map(timed);
  const repair = timed(passes.slice(3).find((p) => p.ops > 0) ?? passes[4]!);
  // The compare alone, on the last dump.
  const snapshot = director.snapshot()!;
  const c0 = now();
  const noOps = reconcile(snapshot.desired.table, snapshot.observed, { owned: snapshot.owned });
  const compareMs = now() - c0;
  // The status the director sends, built from that snapshot.
  const s0 = now();
  const view = ipvsStatus({ available: true, resolved: director.virtualServers(), snapshot, driftRepairs: 0, observedAtMs: snapshot.observedAtMs });
  const statusBuildMs = now() - s0;
  // As the director sends it: its JSON text, in an IPC message (structured clone of a string: a copy).
  const z0 = now();
  const bytes = serialize({ type: "status", status: toJsonText(view) }).byteLength;
  const serializeMs = now() - z0;
  result("drift", {
    destinations: snapshot.observed.services.reduce((n, s) => n + s.destinations.length, 0),
    adopt,
    scans,
    repair,
    compareMs,
    compareOps: noOps.length,
    status: { buildMs: statusBuildMs, serializeMs, bytes },
  });
  opened.close();
  flush();
  poller.close();
}

async function keepalivedLarge(): Promise<void> {
  flush();
  const poller = await servicePoller();
  const t00 = now();
  startKeepalived(keepalivedConf(LARGE));
  const loaded = await tableShows(LARGE, t00, false, poller, 600_000);
  await Bun.sleep(2_000);
  const checker = keepalivedPid("/tmp/ka-checkers.pid");
  const parent = keepalivedPid("/tmp/ka.pid");
  result("large-load-keepalived", { ...loaded, entries: entries(), checker: memoryKb(checker), parent: memoryKb(parent) });

  // The reload, timed without a tracer.
  writeFileSync("/tmp/keepalived.conf", keepalivedConf(LARGE, true));
  const t0 = now();
  sh(`kill -HUP ${parent}`);
  const reload = await tableShows(LARGE, t0, true, poller, 600_000);
  await Bun.sleep(2_000);
  const checkerAfter = keepalivedPid("/tmp/ka-checkers.pid");
  // The writes, under strace: the same change back, so the diff is the same size (the tracer slows it, so it is not timed).
  sh(`${STRACE} -f -p ${checkerAfter} -o /tmp/ka.strace -e trace=sendmsg -e write=all -s 65535 -xx > /tmp/strace.log 2>&1 &`);
  await Bun.sleep(2_000);
  writeFileSync("/tmp/keepalived.conf", keepalivedConf(LARGE, false));
  const t1 = now();
  sh(`kill -HUP ${parent}`);
  const back = await tableShows(LARGE, t1, false, poller, 600_000, true).catch((error: Error) => ({ error: error.message }));
  await Bun.sleep(3_000);
  sh("kill -INT $(pidof strace) 2>/dev/null");
  await Bun.sleep(1_000);
  const trace = sh("cat /tmp/ka.strace");
  result("reload-keepalived", {
    reload,
    checkerSamePid: checker === checkerAfter,
    traced: {
      back,
      writes: countWrites(trace),
      sendmsgs: trace.split("\n").filter((l) => l.includes("sendmsg(")).length,
      sample: trace.split("\n").slice(0, 2),
    },
    checker: memoryKb(checkerAfter),
  });
  await stopKeepalived();
  poller.close();
}

async function main(): Promise<void> {
  result("guest", {
    kernel: sh("uname -r").trim(),
    cpus: Number(sh("nproc").trim()),
    memory: sh("free -m | sed -n 2p").trim(),
    // Under TCG without a stable TSC the kernel reads an emulated timer: every clock read is slow.
    clocksource: sh("cat /sys/devices/system/clocksource/clocksource0/current_clocksource").trim(),
  });
  // Warm-up: the modules loaded, the kernel's caches and the runtimes' first compile.
  writeFileSync("/tmp/warm", ipvsadmRules({ services: 50, realServers: 10 }));
  sh("ipvsadm -R < /tmp/warm; ipvsadm -C");
  const warm = await tandemLoad({ services: 50, realServers: 10 }, false);
  await warm.child.kill();
  flush();

  // BENCH_ONLY=large: tandem's 2,000 x 20 parts alone.
  if (process.env.BENCH_ONLY === "large") {
    await large();
    return;
  }
  if (process.env.BENCH_ONLY === "tandem-load") {
    // A quick look at one part (with BENCH_PROFILE, where its time goes).
    await parseInGuest();
    result("load-floor", await kernelFloor());
    flush();
    result("load-ipvsadm", await ipvsadmRestore());
    flush();
    const tandem = await tandemLoad(SMALL, true);
    result("load-tandem", tandem.numbers);
    await tandem.child.kill();
    flush();
    result("director-log", sh(`tail -20 /tmp/director-${directorRuns}.log`));
    profileSummaries();
    return;
  }
  // The three loads alone in the guest, in turn; then the pair, first alone, then through a
  // load by tandem and (for comparison) one by ipvsadm -R.
  await loadSmall();
  const pair = startPair();
  const up = await until(now(), async () => sh("cat /tmp/a/tandem.log").includes("-> MASTER"), 120_000).catch(() => NaN);
  await Bun.sleep(5_000);
  result("pair-up", { ms: up });
  await inWindow("the pair alone", () => Bun.sleep(10_000));
  const withPair = await inWindow("tandem loading 1,000 x 10", () => tandemLoad(SMALL, false));
  result("load-tandem-with-pair", withPair.numbers);
  await withPair.child.kill();
  flush();
  await inWindow("the pair alone, after", () => Bun.sleep(5_000));
  const restore = await inWindow("ipvsadm -R loading 1,000 x 10", () => ipvsadmRestore());
  result("load-ipvsadm-with-pair", restore);
  flush();
  await pair.stop();
  pairReport();

  // BENCH_ONLY=small: the 1,000 x 10 loads and the pair, not the 2,000 x 20 parts (a few minutes instead of half an hour).
  if (process.env.BENCH_ONLY !== "small") {
    await large();
    await keepalivedLarge();
  }
  profileSummaries();
}

try {
  await main();
} catch (error) {
  result("crash", { message: (error as Error).stack ?? String(error) });
}
console.log("=== DONE");
process.exit(0);
