// Observers for root tests: netlink VIP watcher, bridge packet capture, dual-master detector.

import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { Topology, bareIp, holdsVip } from "./topology.ts";
import { delay, onProcessExit, signal, waitFor, wallMs, withTimeout } from "./proc.ts";
import { parsePcap, type PcapContents } from "./pcap.ts";

export type { Advert, ArpFrame, PcapContents } from "./pcap.ts";

export interface VipEvent {
  /** Wall-clock ms (the kernel event as printed by ip -ts). */
  tMs: number;
  kind: "add" | "del";
}

/** When a VIP change was seen: by netlink (precise) and by polling (the fallback). */
export interface VipChange {
  netlinkMs: number | null;
  pollMs: number | null;
  /** The better of the two: netlink if it reported, else the poll. */
  tMs: number;
}

/** Follows one VIP on one device of one namespace through RTM_NEWADDR/RTM_DELADDR. */
export class VipWatcher {
  readonly events: VipEvent[] = [];
  private present = false;
  private listeners = new Set<() => void>();
  private unregisterExit: () => void = () => {};

  private constructor(
    readonly ns: string,
    readonly vip: string,
    readonly dev: string,
    private readonly proc: Bun.Subprocess<"ignore", "pipe", "ignore">,
  ) {}

  /** Start `ip -n NS -ts monitor address` and wait until its netlink socket is subscribed,
   * so no change after start() returns can be missed. */
  static async start(ns: string, vip: string, dev = "eth0"): Promise<VipWatcher> {
    // TZ=UTC: ip prints local time without a zone; pin it so the parse is unambiguous
    const proc = Bun.spawn(["ip", "-n", ns, "-ts", "monitor", "address"], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "ignore",
      env: { ...process.env, TZ: "UTC" },
    });
    const w = new VipWatcher(ns, bareIp(vip), dev, proc);
    w.unregisterExit = onProcessExit(() => signal(proc.pid, "SIGKILL"));
    void w.readLoop();
    await waitFor(() => netlinkSubscribed(proc.pid) || proc.exitCode !== null, {
      timeoutMs: 3000,
      intervalMs: 2,
      what: `ip monitor subscribed in ${ns}`,
    });
    if (proc.exitCode !== null) throw new Error(`ip -n ${ns} monitor exited ${proc.exitCode}`);
    // snapshot after subscribing: a change in between shows up as an event anyway
    w.present = await holdsVip(ns, vip, dev);
    return w;
  }

  /** Current state as netlink reported it. */
  holds(): boolean {
    return this.present;
  }

  firstEvent(kind: VipEvent["kind"], afterMs: number): VipEvent | undefined {
    return this.events.find((e) => e.kind === kind && e.tMs >= afterMs);
  }

  /** Wait until the VIP is present (or absent), counting only changes at or after afterMs
   * (default: now). Polls every pollMs as a fallback; after a poll hit, gives netlink up to
   * 300 ms to report its (more precise) timestamp. Throws after timeoutMs. */
  async waitFor(present: boolean, opts: { timeoutMs: number; afterMs?: number; pollMs?: number }): Promise<VipChange> {
    const afterMs = opts.afterMs ?? wallMs();
    const kind = present ? "add" : "del";
    const deadline = performance.now() + opts.timeoutMs;
    let pollHit: number | null = null;
    const fromNetlink = () => this.firstEvent(kind, afterMs)?.tMs ?? null;
    while (fromNetlink() === null && pollHit === null) {
      if (performance.now() >= deadline) {
        throw new Error(`VIP ${this.vip} did not ${present ? "appear in" : "leave"} ${this.ns} within ${opts.timeoutMs} ms`);
      }
      const nextPoll = performance.now() + (opts.pollMs ?? 10);
      if ((await holdsVip(this.ns, this.vip, this.dev)) === present) pollHit = wallMs();
      else await this.changed(nextPoll - performance.now());
    }
    const graceEnd = performance.now() + 300;
    while (fromNetlink() === null && performance.now() < graceEnd) await this.changed(graceEnd - performance.now());
    const netlinkMs = fromNetlink();
    return { netlinkMs, pollMs: pollHit, tMs: netlinkMs ?? pollHit! };
  }

  /** Resolves on the next netlink change (any kind), or after timeoutMs if given. */
  changed(timeoutMs?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const fn = () => {
        clearTimeout(timer);
        this.listeners.delete(fn);
        resolve();
      };
      this.listeners.add(fn);
      if (timeoutMs !== undefined) timer = setTimeout(fn, Math.max(0, timeoutMs));
    });
  }

  async stop(): Promise<void> {
    signal(this.proc.pid, "SIGTERM");
    await withTimeout(this.proc.exited, 2000);
    signal(this.proc.pid, "SIGKILL");
    this.unregisterExit();
  }

  private async readLoop(): Promise<void> {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of this.proc.stdout) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        this.onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
  }

  private onLine(line: string): void {
    const m = MONITOR_LINE.exec(line);
    if (!m || m[9] !== this.dev || bareIp(m[10]!) !== this.vip) return;
    const [, y, mo, d, h, mi, s, us, deleted] = m;
    const tMs = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!) + Number(us) / 1000;
    const kind = deleted ? "del" : "add";
    this.events.push({ tMs, kind });
    this.present = kind === "add";
    for (const fn of [...this.listeners]) fn();
  }
}

// [2026-11-26T04:06:19.185599] Deleted 3: eth0    inet 10.99.0.41/24 scope global secondary eth0
const MONITOR_LINE = /^\[(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})\]\s+(Deleted\s+)?\d+:\s+(\S+)\s+inet\s+(\S+)/;

/** True once pid owns a NETLINK_ROUTE socket bound to at least one multicast group. */
function netlinkSubscribed(pid: number): boolean {
  try {
    const inodes = new Set<string>();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(safeReadlink(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    }
    // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
    return readFileSync(`/proc/${pid}/net/netlink`, "utf8")
      .split("\n")
      .slice(1)
      .some((l) => {
        const f = l.trim().split(/\s+/);
        return f[1] === "0" && f[3] !== undefined && !/^0+$/.test(f[3]) && inodes.has(f[9] ?? "");
      });
  } catch {
    return false;
  }
}

function safeReadlink(p: string): string {
  try {
    return readlinkSync(p);
  } catch {
    return "";
  }
}

/** Which of the watchers' namespaces hold their VIP right now (netlink view). */
export function holders(watchers: VipWatcher[]): string[] {
  return watchers.filter((w) => w.holds()).map((w) => w.ns);
}

// ---------------------------------------------------------------------------- capture

export interface CaptureOptions {
  /** pcap file to write. */
  file: string;
  /** BPF filter (default: VRRP and ARP). */
  filter?: string;
  /** Capture tool (default: tcpdump if installed, else dumpcap). dumpcap can lose the
   * last frames before it is stopped (measured: a frame 1 s old was missing 3 times in 5),
   * tcpdump --immediate-mode does not. */
  tool?: "dumpcap" | "tcpdump";
}

/** A packet capture on a device of a namespace (normally the switch bridge). */
export class Capture {
  private constructor(
    readonly file: string,
    private readonly proc: Bun.Subprocess<"ignore", "ignore", "pipe">,
    private readonly unregisterExit: () => void,
  ) {}

  /** Start capturing on dev (default the topology's bridge) and wait until the tool says it
   * is capturing. */
  static async start(topo: Topology | { ns: string; dev: string }, opts: CaptureOptions): Promise<Capture> {
    const ns = topo instanceof Topology ? topo.swNs : topo.ns;
    const dev = topo instanceof Topology ? topo.bridge : topo.dev;
    const filter = opts.filter ?? "ip proto 112 or arp";
    const tool = opts.tool ?? (existsSync("/usr/bin/tcpdump") || !existsSync("/usr/bin/dumpcap") ? "tcpdump" : "dumpcap");
    // dumpcap: -P classic pcap (our reader's format); tcpdump: write each packet at once, and
    // stay root (-Z) so it can write into our root-owned run directory
    const argv =
      tool === "dumpcap"
        ? ["dumpcap", "-q", "-P", "-i", dev, "-f", filter, "-w", opts.file]
        : ["tcpdump", "-U", "--immediate-mode", "-Z", "root", "-n", "-i", dev, "-w", opts.file, filter];
    const proc = Bun.spawn(["ip", "netns", "exec", ns, ...argv], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    const unregister = onProcessExit(() => signal(proc.pid, "SIGKILL"));
    const ready = tool === "dumpcap" ? /Capturing on/ : /listening on/;
    const seen = await withTimeout(readUntil(proc.stderr, ready), 5000);
    if (!seen) {
      signal(proc.pid, "SIGKILL");
      unregister();
      throw new Error(`${tool} did not start capturing on ${ns}/${dev} within 5 s`);
    }
    return new Capture(opts.file, proc, unregister);
  }

  /** Stop (SIGINT flushes the file), then decode it. */
  async stop(): Promise<PcapContents> {
    signal(this.proc.pid, "SIGINT");
    if ((await withTimeout(this.proc.exited, 5000)) === undefined) {
      signal(this.proc.pid, "SIGKILL");
      await withTimeout(this.proc.exited, 2000);
    }
    this.unregisterExit();
    return readCapture(this.file);
  }
}

export async function readCapture(file: string): Promise<PcapContents> {
  return parsePcap(new Uint8Array(await Bun.file(file).arrayBuffer()));
}

/** Read a stream until pattern matches the accumulated text; keep draining afterwards so
 * the tool never blocks on a full pipe. */
async function readUntil(stream: ReadableStream<Uint8Array>, pattern: RegExp): Promise<boolean> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return false;
    text += decoder.decode(value, { stream: true });
    if (pattern.test(text)) {
      void (async () => {
        while (!(await reader.read()).done) {
          // drain
        }
      })();
      return true;
    }
  }
}

// ---------------------------------------------------------------------- dual master

export interface Overlap {
  startMs: number;
  endMs: number;
  durationMs: number;
  /** Namespaces holding the VIP together. */
  holders: string[];
}

export interface DualMasterReport {
  vip: string;
  samples: number;
  /** Achieved mean sampling period. */
  periodMs: number;
  overlaps: Overlap[];
  totalOverlapMs: number;
}

/** Sample every namespace every intervalMs (default 10) for windowMs; report each stretch
 * where two or more hold vip at once. A stretch is timed from the first sample showing it
 * to the first sample not showing it. */
export async function detectDualMaster(
  namespaces: string[],
  vip: string,
  opts: { windowMs: number; intervalMs?: number; dev?: string },
): Promise<DualMasterReport> {
  const interval = opts.intervalMs ?? 10;
  const start = wallMs();
  const end = start + opts.windowMs;
  const overlaps: Overlap[] = [];
  let open: Overlap | null = null;
  let samples = 0;
  let next = performance.now();
  while (wallMs() < end) {
    const t = wallMs();
    const held = await Promise.all(namespaces.map((ns) => holdsVip(ns, vip, opts.dev)));
    samples++;
    const who = namespaces.filter((_, i) => held[i]);
    if (who.length >= 2 && !open) open = { startMs: t, endMs: t, durationMs: 0, holders: who };
    else if (who.length < 2 && open) {
      open.endMs = t;
      open.durationMs = t - open.startMs;
      overlaps.push(open);
      open = null;
    }
    next += interval;
    await delay(next - performance.now());
  }
  if (open) {
    open.endMs = wallMs();
    open.durationMs = open.endMs - open.startMs;
    overlaps.push(open);
  }
  return {
    vip,
    samples,
    periodMs: (wallMs() - start) / Math.max(1, samples),
    overlaps,
    totalOverlapMs: overlaps.reduce((s, o) => s + o.durationMs, 0),
  };
}

/** The same question answered exactly from netlink events of watchers of one VIP: every
 * interval in [fromMs, toMs] where two or more namespaces held it. Needs each watcher's
 * state at fromMs, which is derived from its events (or its start snapshot). */
export function overlapsFromEvents(watchers: VipWatcher[], fromMs: number, toMs: number, initiallyHeld: Record<string, boolean>): Overlap[] {
  const timeline = watchers
    .flatMap((w) => w.events.filter((e) => e.tMs >= fromMs && e.tMs <= toMs).map((e) => ({ ...e, ns: w.ns })))
    .sort((x, y) => x.tMs - y.tMs);
  const held = new Map(watchers.map((w) => [w.ns, initiallyHeld[w.ns] ?? false]));
  const out: Overlap[] = [];
  let openSince: { startMs: number; holders: string[] } | null = null;
  const check = (t: number) => {
    const who = [...held].filter(([, h]) => h).map(([ns]) => ns);
    if (who.length >= 2 && !openSince) openSince = { startMs: t, holders: who };
    else if (who.length < 2 && openSince) {
      out.push({ ...openSince, endMs: t, durationMs: t - openSince.startMs });
      openSince = null;
    }
  };
  check(fromMs);
  for (const e of timeline) {
    held.set(e.ns, e.kind === "add");
    check(e.tMs);
  }
  check(toMs);
  const last = openSince as { startMs: number; holders: string[] } | null;
  if (last) out.push({ ...last, endMs: toMs, durationMs: toMs - last.startMs });
  return out;
}
