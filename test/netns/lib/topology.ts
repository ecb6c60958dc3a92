// Throw-away L2 topology in network namespaces (td<hex>-sw/-a/-b/-c), modelled on interop/harness.sh.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exec, execSync, onProcessExit, pidAlive, signal, waitFor } from "./proc.ts";

export { exec } from "./proc.ts";

/** One box on the shared segment. */
export interface BoxSpec {
  name: string;
  ip: string;
  mac: string;
}

/** The harness.sh layout: a and b are the routers, c the client. */
export const DEFAULT_BOXES: readonly BoxSpec[] = [
  { name: "a", ip: "10.99.0.11", mac: "02:99:00:00:00:11" },
  { name: "b", ip: "10.99.0.12", mac: "02:99:00:00:00:12" },
  { name: "c", ip: "10.99.0.100", mac: "02:99:00:00:00:64" },
];

/** A further veth from a box to a bridge in the switch namespace (created on demand). */
export interface ExtraInterface {
  box: string;
  /** Interface name inside the box, e.g. "eth1". */
  dev: string;
  /** Bridge in the switch namespace; "br0" shares the main segment (default "br1"). */
  bridge?: string;
  cidr?: string;
  mac?: string;
}

export interface TopologyOptions {
  boxes?: readonly BoxSpec[];
  prefixLen?: number;
  extraInterfaces?: readonly ExtraInterface[];
  /** Keep the run directory (configs, logs, pid files, captures) after destroy()
   * (default: the environment variable TANDEM_KEEP_RUN=1). */
  keepRunDir?: boolean;
}

export interface Box extends BoxSpec {
  ns: string;
  dev: string;
  /** ip/len on dev, e.g. 10.99.0.11/24. */
  cidr: string;
  /** The bridge port (in the switch namespace) this box's eth0 is plugged into. */
  port: string;
  /** Private directory for this box's config, pid files and logs. */
  runDir: string;
}

/** All run directories live here; each holds an "owner" file naming the live process. */
export const RUN_ROOT = "/tmp/tandem-netns";
const PREFIX_RE = /^(td[0-9a-f]{4})-[a-z0-9]+$/;

export class Topology {
  readonly boxes = new Map<string, Box>();
  readonly bridge = "br0";
  private unregisterExit: (() => void) | null = null;
  private destroyed = false;

  constructor(
    readonly prefix: string,
    readonly runDir: string,
    private readonly keepRunDir: boolean,
  ) {}

  get swNs(): string {
    return `${this.prefix}-sw`;
  }

  /** Every namespace of this topology, switch last (deleting it removes the veth ends). */
  get namespaces(): string[] {
    return [...[...this.boxes.values()].map((b) => b.ns), this.swNs];
  }

  box(name: string): Box {
    const b = this.boxes.get(name);
    if (!b) throw new Error(`no box "${name}" in topology ${this.prefix} (have ${[...this.boxes.keys()].join(", ")})`);
    return b;
  }

  /** Take a box's bridge port down: the box keeps carrier on eth0 but hears nothing. */
  portDown(name: string): Promise<void> {
    return linkDown(this.swNs, this.box(name).port);
  }

  portUp(name: string): Promise<void> {
    return linkUp(this.swNs, this.box(name).port);
  }

  /** Split brain between two boxes: both bridge ports become "isolated", so the bridge
   * forwards nothing (unicast, multicast VRRP, ARP) between them while both still reach
   * every non-isolated port (the client). Reversible with restoreLink. Isolation is
   * symmetric per port: cutting a|b and then a|c also separates b from c. */
  async cutLink(x: string, y: string): Promise<void> {
    for (const name of [x, y]) await setIsolated(this.swNs, this.box(name).port, true);
  }

  async restoreLink(x: string, y: string): Promise<void> {
    for (const name of [x, y]) await setIsolated(this.swNs, this.box(name).port, false);
  }

  /** Kill everything still running in our namespaces, delete them and the run directory. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    destroySync(this.namespaces, this.keepRunDir ? null : this.runDir);
    this.unregisterExit?.();
  }

  /** @internal */
  armExitCleanup(): void {
    this.unregisterExit = onProcessExit(() => destroySync(this.namespaces, this.keepRunDir ? null : this.runDir));
  }
}

/** Create the bridge namespace, the boxes and their veths; wait until every port forwards. */
export async function createTopology(opts: TopologyOptions = {}): Promise<Topology> {
  const boxes = opts.boxes ?? DEFAULT_BOXES;
  const prefixLen = opts.prefixLen ?? 24;
  const prefix = await freePrefix();
  const runDir = join(RUN_ROOT, prefix);
  mkdirSync(runDir, { recursive: true });
  // The owner file is written before any namespace exists, so cleanupStale in a parallel
  // run can always tell a live topology from an orphan.
  writeFileSync(join(runDir, "owner"), `${process.pid} ${procStartTicks(process.pid)}\n`);
  const topo = new Topology(prefix, runDir, opts.keepRunDir ?? process.env.TANDEM_KEEP_RUN === "1");
  for (const spec of boxes) {
    const boxDir = join(runDir, spec.name);
    mkdirSync(boxDir, { recursive: true });
    topo.boxes.set(spec.name, {
      ...spec,
      ns: `${prefix}-${spec.name}`,
      dev: "eth0",
      cidr: `${spec.ip}/${prefixLen}`,
      port: `p${spec.name}`,
      runDir: boxDir,
    });
  }
  topo.armExitCleanup();
  try {
    for (const ns of topo.namespaces) {
      await exec(null, ["ip", "netns", "add", ns]);
      await exec(null, ["ip", "-n", ns, "link", "set", "lo", "up"]);
    }
    const sw = topo.swNs;
    await addBridge(sw, topo.bridge);
    for (const box of topo.boxes.values()) {
      await plug(sw, topo.bridge, box.port, box.ns, box.dev, box.mac, box.cidr);
    }
    for (const [i, extra] of (opts.extraInterfaces ?? []).entries()) {
      const box = topo.box(extra.box);
      const bridge = extra.bridge ?? "br1";
      const have = await exec(null, ["ip", "-n", sw, "link", "show", "dev", bridge], { check: false });
      if (have.code !== 0) await addBridge(sw, bridge);
      await plug(sw, bridge, `p${box.name}x${i}`, box.ns, extra.dev, extra.mac, extra.cidr);
    }
    // stp off + forward_delay 0 means ports forward at once; still, do not let a test send
    // its first advert into a port that is not forwarding yet.
    await waitFor(
      async () => {
        const out = (await exec(null, ["bridge", "-n", sw, "link", "show"])).stdout;
        const ports = out.split("\n").filter((l) => l.includes("master"));
        return ports.length > 0 && ports.every((l) => l.includes("state forwarding"));
      },
      { timeoutMs: 3000, what: `bridge ports forwarding in ${sw}` },
    );
  } catch (e) {
    await topo.destroy();
    throw e;
  }
  return topo;
}

async function addBridge(ns: string, bridge: string): Promise<void> {
  await exec(null, ["ip", "-n", ns, "link", "add", bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0"]);
  await exec(null, ["ip", "-n", ns, "link", "set", bridge, "up"]);
}

async function plug(sw: string, bridge: string, port: string, ns: string, dev: string, mac: string | undefined, cidr: string | undefined): Promise<void> {
  // create the pair inside the switch namespace and move the peer straight into the box
  await exec(null, ["ip", "-n", sw, "link", "add", port, "type", "veth", "peer", "name", dev, "netns", ns]);
  await exec(null, ["ip", "-n", sw, "link", "set", port, "master", bridge, "up"]);
  if (mac) await exec(null, ["ip", "-n", ns, "link", "set", dev, "address", mac]);
  if (cidr) await exec(null, ["ip", "-n", ns, "addr", "add", cidr, "dev", dev]);
  await exec(null, ["ip", "-n", ns, "link", "set", dev, "up"]);
}

async function setIsolated(ns: string, port: string, on: boolean): Promise<void> {
  await exec(null, ["bridge", "-n", ns, "link", "set", "dev", port, "isolated", on ? "on" : "off"]);
}

/** IPv4 addresses (ip/len) on dev in ns; empty if the namespace or device is gone. */
export async function addrs(ns: string, dev: string): Promise<string[]> {
  const r = await exec(null, ["ip", "-n", ns, "-4", "-o", "addr", "show", "dev", dev], { check: false });
  if (r.code !== 0) return [];
  return [...r.stdout.matchAll(/\binet (\S+)/g)].map((m) => m[1]!);
}

/** True if ns has vip (bare address, any prefix length) on dev (default eth0). */
export async function holdsVip(ns: string, vip: string, dev = "eth0"): Promise<boolean> {
  return (await addrs(ns, dev)).some((a) => a.split("/")[0] === bareIp(vip));
}

/** "10.99.0.41/24" -> "10.99.0.41". */
export function bareIp(ipOrCidr: string): string {
  return ipOrCidr.split("/")[0]!;
}

/** Set a link down: a box's own interface, or a bridge port with ns = the switch namespace. */
export async function linkDown(ns: string, dev: string): Promise<void> {
  await exec(null, ["ip", "-n", ns, "link", "set", dev, "down"]);
}

export async function linkUp(ns: string, dev: string): Promise<void> {
  await exec(null, ["ip", "-n", ns, "link", "set", dev, "up"]);
}

/** Remove namespaces (and run directories) of earlier runs whose owner process is gone.
 * Returns the namespaces removed. Never touches a topology whose owner is still alive. */
export async function cleanupStale(): Promise<string[]> {
  const runStartMs = performance.timeOrigin;
  const byPrefix = new Map<string, string[]>();
  for (const ns of listNamespaces()) {
    const m = PREFIX_RE.exec(ns);
    if (!m) continue;
    byPrefix.set(m[1]!, [...(byPrefix.get(m[1]!) ?? []), ns]);
  }
  const removed: string[] = [];
  for (const [prefix, namespaces] of byPrefix) {
    if (ownerAlive(prefix)) continue;
    // a namespace younger than this process cannot be an orphan of an earlier run
    const old = namespaces.filter((ns) => nsCreatedMs(ns) < runStartMs);
    if (old.length === 0) continue;
    // switch namespace last; killing first lets `ip netns del` free the interfaces at once
    old.sort((x, y) => Number(x.endsWith("-sw")) - Number(y.endsWith("-sw")));
    destroySync(old, join(RUN_ROOT, prefix));
    removed.push(...old);
  }
  // run directories whose namespaces are already gone
  if (existsSync(RUN_ROOT)) {
    for (const prefix of readdirSync(RUN_ROOT)) {
      if (/^td[0-9a-f]{4}$/.test(prefix) && !byPrefix.has(prefix) && !ownerAlive(prefix)) {
        rmSync(join(RUN_ROOT, prefix), { recursive: true, force: true });
      }
    }
  }
  return removed;
}

function listNamespaces(): string[] {
  try {
    return readdirSync("/run/netns");
  } catch {
    return [];
  }
}

function nsCreatedMs(ns: string): number {
  try {
    const st = statSync(join("/run/netns", ns));
    return st.birthtimeMs > 0 ? st.birthtimeMs : st.mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Field 22 of /proc/PID/stat: start time in clock ticks, which tells a reused pid apart. */
function procStartTicks(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
  } catch {
    return "";
  }
}

function ownerAlive(prefix: string): boolean {
  try {
    const [pid, start] = readFileSync(join(RUN_ROOT, prefix, "owner"), "utf8")
      .trim()
      .split(" ");
    const n = Number(pid);
    return n > 0 && pidAlive(n) && procStartTicks(n) === start;
  } catch {
    return false;
  }
}

/** Synchronous teardown (also used from exit and signal handlers). */
function destroySync(namespaces: string[], runDir: string | null): void {
  for (const ns of namespaces) {
    if (!existsSync(join("/run/netns", ns))) continue;
    const r = Bun.spawnSync(["ip", "netns", "pids", ns], { stdout: "pipe", stderr: "ignore" });
    for (const pid of r.stdout.toString().split(/\s+/).filter(Boolean).map(Number)) {
      // every process inside our namespaces was started by this library
      if (pid !== process.pid) signal(pid, "SIGKILL");
    }
  }
  for (const ns of namespaces) {
    if (existsSync(join("/run/netns", ns))) execSync(["ip", "netns", "del", ns]);
  }
  if (runDir) rmSync(runDir, { recursive: true, force: true });
}

async function freePrefix(): Promise<string> {
  const existing = new Set(listNamespaces().map((ns) => PREFIX_RE.exec(ns)?.[1]));
  for (let i = 0; i < 100; i++) {
    const hex = Math.floor(Math.random() * 0x10000)
      .toString(16)
      .padStart(4, "0");
    const prefix = `td${hex}`;
    if (!existing.has(prefix) && !existsSync(join(RUN_ROOT, prefix))) return prefix;
  }
  throw new Error("no free td<hex> prefix: run cleanupStale() or remove old namespaces");
}
