// The notify FIFOs of the real daemon (root, network namespaces). One box's notify_fifo and
// vrrp_notify_fifo are read by a reader of the test's through start, a failover and back, a
// reload and a stop, in two stories (a sync group tracking a script that fails; a sync group
// whose peer dies), with keepalived 2.2.7 on the other box; and the same stories are run with
// keepalived 2.2.7 on the observed box, whose lines tandem's must equal. Then: a FIFO that no
// one reads and that is full never delays a takeover; and with a virtual_server the director
// runs notify_fifo_script, which reads the engine's lines from the FIFO both write.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import {
  Capture,
  cleanupStale,
  createTopology,
  delay,
  holdsVip,
  keepalivedImpl,
  ownLog,
  signal,
  tandemImpl,
  waitFor,
  wallMs,
  type DaemonHandle,
  type Implementation,
  type Topology,
} from "./lib/index.ts";
import { isRoot } from "./support/pair-scenarios.ts";

const VIP1 = "10.99.0.41";
const VIP2 = "10.99.0.51";
const keepalivedThere = keepalivedImpl.unavailableReason() === null;
/** The peer is keepalived where it is installed, for both observed implementations: the same transitions for each. */
const peerImpl: Implementation = keepalivedThere ? keepalivedImpl : tandemImpl;

interface BoxFiles {
  global: string;
  vrrp: string;
  fail: string;
  /** What notify_fifo_script writes: its arguments, then the lines it read from notify_fifo (the test reads vrrp_notify_fifo). */
  scriptOut: string;
}

const filesOf = (dir: string): BoxFiles => ({
  global: join(dir, "global.fifo"),
  vrrp: join(dir, "vrrp.fifo"),
  fail: join(dir, "fail"),
  scriptOut: join(dir, "script.out"),
});

/** Two instances in sync group G1, advert 0.1 s; VI_1 optionally tracks a script failing while `fail` exists. */
function groupConfig(o: { box: string; priority: number; state: "MASTER" | "BACKUP"; files?: BoxFiles; trackFail?: string }): string {
  const f = o.files;
  const fifos = f
    ? [
        `    notify_fifo ${f.global}`,
        `    vrrp_notify_fifo ${f.vrrp}`,
        // keepalived appends the FIFO's path: $1 after the $0 given here. cat dies of the SIGTERM
        // it gets before the STOP lines, as keepalived's own sample warns. With no director, the
        // VRRP process runs it.
        `    notify_fifo_script "/bin/sh -c 'echo args $# $* >> ${f.scriptOut}; exec cat $1 >> ${f.scriptOut}' reader"`,
        "    fifo_write_vrrp_states_on_reload",
      ]
    : [];
  const script = o.trackFail
    ? [`vrrp_script chk {`, `    script "/usr/bin/test ! -e ${o.trackFail}"`, "    interval 1", "    fall 1", "    rise 1", "}", ""]
    : [];
  const instance = (name: string, vrid: number, vip: string, track: boolean) => [
    `vrrp_instance ${name} {`,
    `    state ${o.state}`,
    "    interface eth0",
    `    virtual_router_id ${vrid}`,
    `    priority ${o.priority}`,
    "    advert_int 0.1",
    "    virtual_ipaddress {",
    `        ${vip}/24`,
    "    }",
    ...(track ? ["    track_script {", "        chk", "    }"] : []),
    "}",
    "",
  ];
  return [
    "global_defs {",
    `    router_id ${o.box}`,
    "    script_user root",
    "    enable_script_security",
    "    vrrp_version 3",
    ...fifos,
    "}",
    ...script,
    "vrrp_sync_group G1 {",
    "    group {",
    "        VI_1",
    "        VI_2",
    "    }",
    "}",
    ...instance("VI_1", 51, VIP1, o.trackFail !== undefined),
    ...instance("VI_2", 52, VIP2, false),
  ].join("\n");
}

/** A reader like a FIFO script that reopens it after each close (keepalived makes a new one at a reload). */
class FifoReader {
  private constructor(
    private readonly proc: Bun.Subprocess,
    readonly out: string,
  ) {}

  static start(fifo: string, out: string): FifoReader {
    writeFileSync(out, "");
    const loop = `while true; do while [ ! -p ${fifo} ]; do sleep 0.01; done; cat ${fifo}; done`;
    const proc = Bun.spawn(["sh", "-c", loop], { stdout: openSync(out, "a"), stderr: "ignore", detached: true });
    return new FifoReader(proc, out);
  }

  lines(): string[] {
    return readFileSync(this.out, "utf8").split("\n").filter(Boolean);
  }

  async waitFor(line: string, count = 1, timeoutMs = 5_000): Promise<void> {
    await waitFor(() => this.lines().filter((l) => l === line).length >= count, { timeoutMs, intervalMs: 20, what: `${line} (x${count}) in ${this.out}` });
  }

  stop(): void {
    // The loop and its cat: the whole group (it was started detached, so its pid is the group's).
    try {
      process.kill(-this.proc.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
}

/** keepalived notifies the members of a group in the order their timers fire: sort each run of instance lines with one state. */
function normalized(lines: readonly string[]): string[] {
  const out: string[] = [];
  let run: string[] = [];
  const state = (l: string) => l.split(" ").slice(2).join(" ");
  const flush = () => {
    out.push(...run.sort());
    run = [];
  };
  for (const line of lines) {
    if (!line.startsWith("INSTANCE") || (run.length > 0 && state(run[0]!) !== state(line))) flush();
    if (line.startsWith("INSTANCE")) run.push(line);
    else out.push(line);
  }
  flush();
  return out;
}

const holders = async (topo: Topology, vip: string) => {
  const out: string[] = [];
  for (const side of ["a", "b"]) if (await holdsVip(topo.box(side).ns, vip)) out.push(side);
  return out.join(",");
};
const waitHolders = (topo: Topology, want: string, timeoutMs = 8_000) =>
  waitFor(async () => (await holders(topo, VIP1)) === want && (await holders(topo, VIP2)) === want, {
    timeoutMs,
    intervalMs: 20,
    what: `both VIPs held by ${want}`,
  });

/** The lines keepalived 2.2.7 writes, as observed with this harness (and the code says). */
const TRACKED_STORY = [
  'INSTANCE "VI_1" BACKUP 100',
  'INSTANCE "VI_2" BACKUP 100',
  'GROUP "G1" BACKUP 0',
  'INSTANCE "VI_1" MASTER 100',
  'INSTANCE "VI_2" MASTER 100',
  'GROUP "G1" MASTER 0',
  // VI_1's script fails: it is FAULT, and its group with it.
  'INSTANCE "VI_1" FAULT 100',
  'INSTANCE "VI_2" FAULT 100',
  'GROUP "G1" FAULT 0',
  // It succeeds again: BACKUP, then A preempts the lower-priority peer.
  'INSTANCE "VI_1" BACKUP 100',
  'INSTANCE "VI_2" BACKUP 100',
  'GROUP "G1" BACKUP 0',
  'INSTANCE "VI_1" MASTER 100',
  'INSTANCE "VI_2" MASTER 100',
  'GROUP "G1" MASTER 0',
  // A reload with fifo_write_vrrp_states_on_reload: the group's state, none for master instances.
  'GROUP "G1" MASTER 0',
  'INSTANCE "VI_1" STOP 100',
  'INSTANCE "VI_2" STOP 100',
  'GROUP "G1" STOP 0',
];

const UNTRACKED_STORY = [
  // No member waits on a script: the group is BACKUP before its members (vrrp_init_state).
  'GROUP "G1" BACKUP 0',
  'INSTANCE "VI_1" BACKUP 90',
  'INSTANCE "VI_2" BACKUP 90',
  // The master (the peer) dies.
  'INSTANCE "VI_1" MASTER 90',
  'INSTANCE "VI_2" MASTER 90',
  'GROUP "G1" MASTER 0',
  // It is back and preempts.
  'INSTANCE "VI_1" BACKUP 90',
  'INSTANCE "VI_2" BACKUP 90',
  'GROUP "G1" BACKUP 0',
  // A reload: the group's state and its backup instances'.
  'GROUP "G1" BACKUP 0',
  'INSTANCE "VI_1" BACKUP 90',
  'INSTANCE "VI_2" BACKUP 90',
  'INSTANCE "VI_1" STOP 90',
  'INSTANCE "VI_2" STOP 90',
  'GROUP "G1" STOP 0',
];

interface Observed {
  vrrp: string[];
  script: string[];
  fifosLeft: boolean[];
}

/** What each implementation wrote, for the comparison at the end. */
const results: Record<string, { tracked?: Observed; untracked?: Observed }> = { keepalived: {}, tandem: {} };

for (const observed of [keepalivedImpl, tandemImpl]) {
  const unavailable = observed.unavailableReason() ?? peerImpl.unavailableReason();
  describe.skipIf(!isRoot || unavailable !== null)(`notify FIFOs of ${observed.name} (peer: ${peerImpl.name}; root, netns)`, () => {
    let topo: Topology;
    const daemons: DaemonHandle[] = [];
    const readers: FifoReader[] = [];
    const start = async (side: "a" | "b", impl: Implementation, config: string) => {
      const box = topo.box(side);
      const d = await impl.start({ ns: box.ns, runDir: box.runDir, config });
      daemons.push(d);
      return d;
    };
    const read = (files: BoxFiles, dir: string) => {
      const vrrp = FifoReader.start(files.vrrp, join(dir, "vrrp.out"));
      readers.push(vrrp);
      return { vrrp };
    };
    const collect = (files: BoxFiles, r: { vrrp: FifoReader }): Observed => ({
      vrrp: r.vrrp.lines(),
      script: existsSync(files.scriptOut) ? readFileSync(files.scriptOut, "utf8").split("\n").filter(Boolean) : [],
      fifosLeft: [existsSync(files.global), existsSync(files.vrrp)],
    });

    beforeAll(async () => {
      await cleanupStale();
      topo = await createTopology();
    });
    afterEach(async () => {
      for (const r of readers.splice(0)) r.stop();
      for (const d of daemons.splice(0)) if (d.exitCode === null) await d.stop("SIGTERM", 5_000);
    });
    afterAll(async () => {
      await topo?.destroy();
    });

    test("a sync group tracking a script: its lines through start, a fault and back, a reload and a stop", async () => {
      const dir = topo.box("a").runDir;
      const files = filesOf(dir);
      rmSync(files.scriptOut, { force: true });
      await start("b", peerImpl, groupConfig({ box: "b", priority: 90, state: "BACKUP" }));
      await waitHolders(topo, "b");
      const r = read(files, dir);
      const o = await start("a", observed, groupConfig({ box: "a", priority: 100, state: "BACKUP", files, trackFail: files.fail }));
      await r.vrrp.waitFor('GROUP "G1" MASTER 0');
      await waitHolders(topo, "a");
      writeFileSync(files.fail, "");
      await r.vrrp.waitFor('GROUP "G1" FAULT 0');
      await waitHolders(topo, "b");
      rmSync(files.fail);
      await r.vrrp.waitFor('GROUP "G1" MASTER 0', 2);
      await waitHolders(topo, "a");
      signal(o.mainPid, "SIGHUP");
      await r.vrrp.waitFor('GROUP "G1" MASTER 0', 3);
      await delay(1_000);
      expect(await holders(topo, VIP1)).toBe("a");
      expect(await o.stop("SIGTERM", 5_000)).toBe(0);
      await r.vrrp.waitFor('GROUP "G1" STOP 0');
      await delay(200);
      const seen = collect(files, r);
      results[observed.name]!.tracked = seen;
      expect(normalized(seen.vrrp)).toEqual(TRACKED_STORY);
      // notify_fifo_script: the FIFO's path appended, started again at the reload; it read
      // the same lines from notify_fifo until its SIGTERM, which comes before the STOP lines.
      const args = seen.script.filter((l) => l.startsWith("args"));
      expect(args).toEqual([`args 1 ${files.global}`, `args 1 ${files.global}`]);
      expect(normalized(seen.script.filter((l) => !l.startsWith("args")))).toEqual(TRACKED_STORY.slice(0, -3));
      // Made by the daemon, removed by it.
      expect(seen.fifosLeft).toEqual([false, false]);
    }, 60_000);

    test("a sync group whose master dies and comes back: its lines as a backup, through a reload and a stop", async () => {
      const dir = topo.box("b").runDir;
      const files = filesOf(dir);
      rmSync(files.scriptOut, { force: true });
      const peerConfig = groupConfig({ box: "a", priority: 100, state: "MASTER" });
      const peer = await start("a", peerImpl, peerConfig);
      await waitHolders(topo, "a");
      const r = read(files, dir);
      const o = await start("b", observed, groupConfig({ box: "b", priority: 90, state: "BACKUP", files }));
      await r.vrrp.waitFor('INSTANCE "VI_2" BACKUP 90');
      await delay(1_000);
      peer.kill9();
      await r.vrrp.waitFor('GROUP "G1" MASTER 0');
      await waitFor(async () => (await holders(topo, VIP1)).includes("b") && (await holders(topo, VIP2)).includes("b"), { timeoutMs: 3_000, what: "b holds" });
      await start("a", peerImpl, peerConfig);
      await r.vrrp.waitFor('GROUP "G1" BACKUP 0', 2);
      await waitHolders(topo, "a");
      signal(o.mainPid, "SIGHUP");
      await r.vrrp.waitFor('GROUP "G1" BACKUP 0', 3);
      await delay(1_000);
      expect(await o.stop("SIGTERM", 5_000)).toBe(0);
      await r.vrrp.waitFor('GROUP "G1" STOP 0');
      await delay(200);
      const seen = collect(files, r);
      results[observed.name]!.untracked = seen;
      expect(normalized(seen.vrrp)).toEqual(UNTRACKED_STORY);
      expect(normalized(seen.script.filter((l) => !l.startsWith("args")))).toEqual(UNTRACKED_STORY.slice(0, -3));
      expect(seen.fifosLeft).toEqual([false, false]);
    }, 60_000);
  });
}

describe.skipIf(!isRoot || !keepalivedThere || tandemImpl.unavailableReason() !== null)("tandem's notify FIFO lines equal keepalived 2.2.7's", () => {
  test("for both stories, in vrrp_notify_fifo and as notify_fifo_script read notify_fifo (instances of one group change in timer order)", () => {
    for (const story of ["tracked", "untracked"] as const) {
      const k = results.keepalived?.[story];
      const t = results.tandem?.[story];
      expect(k && t ? "both ran" : `missing: ${story}`).toBe("both ran");
      expect(normalized(t!.vrrp)).toEqual(normalized(k!.vrrp));
      // Each ran in a topology of its own: the FIFO's directory differs.
      const unrooted = (lines: string[]) => normalized(lines).map((l) => l.replace(/\/tmp\/tandem-netns\/td[0-9a-f]+\//, "<run>/"));
      expect(unrooted(t!.script)).toEqual(unrooted(k!.script));
    }
  });
});

describe.skipIf(!isRoot || tandemImpl.unavailableReason() !== null)("a notify FIFO no one reads (tandem; root, netns)", () => {
  let topo: Topology;
  const daemons: DaemonHandle[] = [];
  const held: number[] = [];
  beforeAll(async () => {
    await cleanupStale();
    topo = await createTopology();
  });
  afterAll(async () => {
    for (const d of daemons) if (d.exitCode === null) await d.stop("SIGTERM", 5_000);
    for (const fd of held) closeSync(fd);
    await topo?.destroy();
  });

  test("full to the brim before the daemon starts: the backup still takes over Master_Down_Interval after the master's last advert", async () => {
    const a = topo.box("a");
    const b = topo.box("b");
    const files = filesOf(b.runDir);
    // Made by someone else and filled, its writer kept open: every line tandem writes is refused (EAGAIN).
    for (const path of [files.global, files.vrrp]) {
      rmSync(path, { force: true });
      expect(Bun.spawnSync(["mkfifo", "-m", "600", path]).exitCode).toBe(0);
      const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
      held.push(fd);
      const chunk = Buffer.alloc(4096, "x");
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch {
          break;
        }
      }
    }
    const single = (box: string, priority: number, state: string, fifos: boolean) =>
      [
        "global_defs {",
        `    router_id ${box}`,
        "    vrrp_version 3",
        ...(fifos ? [`    notify_fifo ${files.global}`, `    vrrp_notify_fifo ${files.vrrp}`] : []),
        "}",
        "vrrp_instance VI_1 {",
        `    state ${state}`,
        "    interface eth0",
        "    virtual_router_id 51",
        `    priority ${priority}`,
        "    advert_int 0.1",
        "    virtual_ipaddress {",
        `        ${VIP1}/24`,
        "    }",
        "}",
        "",
      ].join("\n");
    const master = await tandemImpl.start({ ns: a.ns, runDir: a.runDir, config: single("a", 100, "MASTER", false) });
    daemons.push(master);
    await waitFor(() => holdsVip(a.ns, VIP1), { timeoutMs: 5_000, what: "a master" });
    const backup = await tandemImpl.start({ ns: b.ns, runDir: b.runDir, config: single("b", 90, "BACKUP", true) });
    daemons.push(backup);
    await waitFor(() => ownLog(backup).includes("is full"), { timeoutMs: 5_000, what: "the backup's BACKUP line refused" });
    const cap = await Capture.start(topo, { file: join(topo.runDir, "fifo-full.pcap") });
    await delay(300 + Math.random() * 100);
    const t0 = wallMs();
    master.kill9();
    await waitFor(() => holdsVip(b.ns, VIP1), { timeoutMs: 3_000, intervalMs: 2, what: "b takes over" });
    const tookMs = wallMs();
    const { adverts } = await cap.stop();
    const last = adverts.filter((x) => x.srcIp === a.ip && x.tMs < t0).at(-1);
    expect(last).toBeDefined();
    // RFC 5798: 3 x 0.1 s + (256 - 90) x 0.1 / 256 s; the same bound as the pair tests (poll included).
    const masterDownMs = 300 + (166 * 100) / 256;
    expect(tookMs - last!.tMs).toBeLessThan(masterDownMs + 150);
    const log = ownLog(backup);
    // Said once per FIFO, not once per line.
    expect(log.split("\n").filter((l) => l.includes(`vrrp_notify_fifo ${files.vrrp} is full`))).toHaveLength(1);
    expect(log.split("\n").filter((l) => l.includes(`notify_fifo ${files.global} is full`) && !l.includes("vrrp_"))).toHaveLength(1);
    expect(await backup.stop("SIGTERM", 5_000)).toBe(0);
    // Not tandem's: left where they were.
    expect([existsSync(files.global), existsSync(files.vrrp)]).toEqual([true, true]);
  }, 30_000);
});

describe.skipIf(!isRoot || tandemImpl.unavailableReason() !== null)("notify_fifo with a director (tandem; root, netns)", () => {
  let topo: Topology;
  let daemon: DaemonHandle | undefined;
  beforeAll(async () => {
    await cleanupStale();
    topo = await createTopology();
  });
  afterAll(async () => {
    if (daemon?.exitCode === null) await daemon.stop("SIGTERM", 5_000);
    await topo?.destroy();
  });

  test("the director runs notify_fifo_script (keepalived's checker does), and it reads the engine's lines from the FIFO both write", async () => {
    const a = topo.box("a");
    const dir = join(a.runDir, "director-fifo");
    mkdirSync(dir, { recursive: true });
    const fifo = join(dir, "notify.fifo");
    const out = join(dir, "script.out");
    const config = [
      "global_defs {",
      "    router_id a",
      "    vrrp_version 3",
      "    script_user root",
      `    notify_fifo ${fifo}`,
      `    notify_fifo_script "/bin/sh -c 'echo ppid $PPID args $*  >> ${out}; exec cat $1 >> ${out}' reader"`,
      "}",
      "vrrp_instance VI_1 {",
      "    state MASTER",
      "    interface eth0",
      "    virtual_router_id 51",
      "    priority 100",
      "    advert_int 0.1",
      "    virtual_ipaddress {",
      `        ${VIP1}/24`,
      "    }",
      "}",
      // No IPVS on this kernel: the director says it is unavailable, and its FIFO still opens.
      "virtual_server 10.99.0.200 80 {",
      "    protocol TCP",
      "    real_server 10.99.0.100 80 {",
      "    }",
      "}",
      "",
    ].join("\n");
    daemon = await tandemImpl.start({ ns: a.ns, runDir: a.runDir, config });
    await waitFor(() => existsSync(out) && readFileSync(out, "utf8").includes('INSTANCE "VI_1" MASTER 100'), {
      timeoutMs: 8_000,
      intervalMs: 20,
      what: "the script reads the engine's MASTER line",
    });
    const lines = readFileSync(out, "utf8").split("\n").filter(Boolean);
    const started = lines.filter((l) => l.startsWith("ppid"));
    // One reader, the director's child, with the FIFO's path as its argument.
    expect(started).toEqual([`ppid ${daemon.rolePids().director} args ${fifo}`]);
    expect(lines.filter((l) => l.startsWith("INSTANCE"))).toEqual(['INSTANCE "VI_1" BACKUP 100', 'INSTANCE "VI_1" MASTER 100']);
    expect(await daemon.stop("SIGTERM", 10_000)).toBe(0);
    expect(existsSync(fifo)).toBe(false);
  }, 30_000);
});
