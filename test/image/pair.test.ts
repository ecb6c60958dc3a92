// Two appliances under qemu (TCG) on one L2, running the seed's dual-master pair: box A
// is master of VI_1 (VIP 10.98.0.41), box B of VI_2 (10.98.0.51). The L2 is a bridge in a
// private network namespace with a tap per guest and a veth to a client namespace. Proves
// failover three ways, watched from outside the guests (tcpdump's gratuitous ARPs on the
// bridge, curl and the neighbour table in the client namespace):
//   - tandem on A stopped gracefully (priority-0 advert): .41 moves to B;
//   - tandem on A started again: A preempts and takes .41 back;
//   - A's chk_mt_down fails (touch /run/tandem/down, weight -15): .41 moves to B, and back;
//   - A's VM killed outright (SIGKILL qemu): .41 moves to B after the master-down interval.
// Needs root, qemu, tcpdump, curl and `make image`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const VMLINUX = join(ROOT, "out", "vmlinux");
const INITRAMFS = join(ROOT, "out", "initramfs.zst");
const QEMU = "qemu-system-x86_64";

const NET = `tpair${process.pid}`; // the bridge's namespace
const CLIENT = `tpairc${process.pid}`; // the client's namespace
const CLIENT_ADDRESS = "10.98.0.99/24";
const VIP1 = "10.98.0.41";
const VIP2 = "10.98.0.51";

function unavailableReason(): string | null {
  if (process.getuid?.() !== 0) return "needs root (network namespaces, a bridge and taps)";
  for (const tool of [QEMU, "tcpdump", "curl", "ip"]) if (!Bun.which(tool)) return `${tool} is missing`;
  if (!existsSync(VMLINUX) || !existsSync(INITRAMFS)) return `${VMLINUX} or ${INITRAMFS} is missing (run: make image)`;
  return null;
}
const unavailable = unavailableReason();
if (unavailable) console.log(`test/image/pair.test.ts skipped: ${unavailable}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function sh(argv: string[], check = true): string {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (check && r.exitCode !== 0) throw new Error(`${argv.join(" ")}: exit ${r.exitCode}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

class Guest {
  qemu: ReturnType<typeof Bun.spawn> | undefined;
  startedMs = 0;
  readonly serialPath: string;
  readonly consolePath: string;
  private socket: Awaited<ReturnType<typeof Bun.connect>> | undefined;
  private commands = 0;

  constructor(
    readonly name: string, // "a" or "b"
    readonly address: string,
    readonly mac: string,
    readonly tap: string,
    dir: string,
  ) {
    this.serialPath = join(dir, `serial-${name}.log`);
    this.consolePath = join(dir, `console-${name}.sock`);
  }

  boot() {
    this.socket = undefined;
    this.startedMs = performance.now();
    rmSync(this.consolePath, { force: true });
    this.qemu = Bun.spawn([
      "ip", "netns", "exec", NET, // exec's qemu: the pid is qemu's
      QEMU, "-accel", "tcg", "-cpu", "max", "-m", "512", "-nographic", "-no-reboot",
      "-nic", "none", "-netdev", `tap,id=n0,ifname=${this.tap},script=no,downscript=no`,
      "-device", `virtio-net-pci,netdev=n0,mac=${this.mac},romfile=`,
      "-chardev", `socket,id=console,path=${this.consolePath},server=on,wait=off,logfile=${this.serialPath}`,
      "-serial", "chardev:console", "-monitor", "none",
      "-kernel", VMLINUX, "-initrd", INITRAMFS,
      "-append", `console=ttyS0 panic=-1 tandem.hostname=box-${this.name} tandem.address=${this.address}/24 ` +
        `tandem.config=/etc/keepalived/seed-${this.name}.conf`,
    ], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  }

  serial = () => (existsSync(this.serialPath) ? readFileSync(this.serialPath, "utf8") : "");
  tail = (lines = 30) => `--- box ${this.name} (${this.serialPath}), last ${lines} lines:\n` +
    this.serial().split("\n").slice(-lines).join("\n");
  running = () => this.qemu !== undefined && this.qemu.exitCode === null;

  async kill() {
    this.socket?.end();
    this.socket = undefined;
    if (this.running()) {
      this.qemu!.kill("SIGKILL");
      await this.qemu!.exited;
    }
  }

  /** Runs a command in the console's root shell and returns its output. */
  async run(command: string, timeoutMs = 15_000): Promise<string> {
    if (!this.socket) {
      this.socket = await Bun.connect({ unix: this.consolePath, socket: { data() {} } });
      this.socket.write("\n"); // busybox init's askfirst
      await sleep(500);
    }
    const n = ++this.commands;
    this.socket.write(`echo "@@"BEGIN-${n}; ${command}; echo "@@"END-${n}\n`);
    await waitFor(() => new RegExp(`@@END-${n}\\r?\\n`).test(this.serial()), `box ${this.name}: console command ${command}`, timeoutMs);
    const text = this.serial();
    return text.slice(text.lastIndexOf(`@@BEGIN-${n}`) + `@@BEGIN-${n}`.length, text.lastIndexOf(`@@END-${n}`)).trim();
  }

  /** The last state VRRP instance `instance` moved to, from the serial log. */
  lastState(instance: string): string | undefined {
    const all = [...this.serial().matchAll(new RegExp(`${instance}: \\w+ -> (\\w+)`, "g"))];
    return all.at(-1)?.[1];
  }
}

let guests: Guest[] = [];
let tcpdump: ReturnType<typeof Bun.spawn> | undefined;
let tcpdumpPath = "";

const diagnostics = () =>
  [...guests.map((g) => g.tail()), `--- tcpdump (${tcpdumpPath}), last lines:`,
    (existsSync(tcpdumpPath) ? readFileSync(tcpdumpPath, "utf8") : "").split("\n").slice(-15).join("\n")].join("\n");

async function waitFor(ok: () => boolean | Promise<boolean>, what: string, timeoutMs: number, stepMs = 50): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    if (await ok()) return performance.now() - start;
    await sleep(stepMs);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms.\n${diagnostics()}`);
}

/** Gratuitous ARPs for `vip` that tcpdump saw on the bridge, each with its sender MAC, in order. */
function garps(vip: string): string[] {
  const text = existsSync(tcpdumpPath) ? readFileSync(tcpdumpPath, "utf8") : "";
  // "52:54:00:98:00:12 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.98.0.41 (ff:ff:ff:ff:ff:ff) tell 10.98.0.41, length 28"
  const v = vip.replaceAll(".", "\\.");
  const re = new RegExp(`^\\S+ (\\S+) > ff:ff:ff:ff:ff:ff.*who-has ${v} (?:\\(\\S+\\) )?tell ${v}\\b`, "gm");
  return [...text.matchAll(re)].map((m) => m[1] ?? "");
}

/** Waits until a gratuitous ARP for `vip` from `mac` appears after the first `seen` ones; returns ms. */
const waitForGarp = (vip: string, mac: string, seen: number, what: string, timeoutMs: number) =>
  waitFor(() => garps(vip).slice(seen).includes(mac), what, timeoutMs, 20);

/** From the client namespace: which box answers the API on `vip`, and the MAC the client has for it. */
async function owner(vip: string): Promise<{ box: string | undefined; mac: string | undefined }> {
  const r = Bun.spawn(["ip", "netns", "exec", CLIENT, "curl", "-sf", "--max-time", "2", `http://${vip}:8080/vrrp/state`], { stdout: "pipe", stderr: "ignore" });
  const body = await new Response(r.stdout).text();
  await r.exited;
  const box = body.match(/"routerId":"tandem-(a|b)"/)?.[1];
  const mac = sh(["ip", "-n", CLIENT, "neigh", "show", vip], false).match(/lladdr (\S+)/)?.[1];
  return { box, mac };
}

const title = "a pair of appliances under qemu fails over (root, qemu, out/vmlinux)";
describe.skipIf(unavailable !== null)(unavailable ? `${title}: skipped, ${unavailable}` : title, () => {
  let dir = "";
  let a: Guest;
  let b: Guest;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tandem-pair-"));
    tcpdumpPath = join(dir, "tcpdump.txt");
    sh(["ip", "netns", "add", NET]);
    sh(["ip", "netns", "add", CLIENT]);
    const n = (...args: string[]) => sh(["ip", "-n", NET, ...args]);
    n("link", "add", "br0", "type", "bridge", "stp_state", "0", "mcast_snooping", "0", "forward_delay", "0");
    for (const tap of ["tA", "tB"]) {
      n("tuntap", "add", tap, "mode", "tap");
      n("link", "set", tap, "master", "br0", "up");
    }
    n("link", "add", "vc", "type", "veth", "peer", "name", "eth0", "netns", CLIENT);
    n("link", "set", "vc", "master", "br0", "up");
    n("link", "set", "br0", "up");
    sh(["ip", "-n", CLIENT, "link", "set", "lo", "up"]);
    sh(["ip", "-n", CLIENT, "addr", "add", CLIENT_ADDRESS, "dev", "eth0"]);
    sh(["ip", "-n", CLIENT, "link", "set", "eth0", "up"]);

    tcpdump = Bun.spawn(["ip", "netns", "exec", NET, "tcpdump", "-i", "br0", "-n", "-e", "-l", "-U", "arp"],
      { stdin: "ignore", stdout: Bun.file(tcpdumpPath), stderr: "pipe" });
    a = new Guest("a", "10.98.0.11", "52:54:00:98:00:11", "tA", dir);
    b = new Guest("b", "10.98.0.12", "52:54:00:98:00:12", "tB", dir);
    guests = [a, b];
    await sleep(300); // tcpdump attaches
    a.boot();
    b.boot();
  });

  afterAll(async () => {
    for (const g of guests) await g.kill().catch(() => {});
    if (tcpdump && tcpdump.exitCode === null) {
      tcpdump.kill("SIGKILL");
      await tcpdump.exited;
    }
    sh(["ip", "netns", "del", NET], false);
    sh(["ip", "netns", "del", CLIENT], false);
    if (dir && !process.env.TANDEM_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
  });

  test("both boot; A holds .41 (VI_1) and B holds .51 (VI_2), as seen from the client", async () => {
    const bootMs = await waitFor(
      () => {
        if (!a.running() || !b.running()) throw new Error(`a qemu exited early.\n${diagnostics()}`);
        return a.lastState("VI_1") === "MASTER" && b.lastState("VI_2") === "MASTER" &&
          a.lastState("VI_2") === "BACKUP" && b.lastState("VI_1") === "BACKUP";
      },
      "A MASTER of VI_1 and B MASTER of VI_2", 90_000, 100);
    for (const g of guests) {
      expect(g.serial()).toContain(`config /etc/keepalived/seed-${g.name}.conf`);
      expect(g.serial()).not.toMatch(/Kernel panic|did not load|node setup failed/);
    }
    await waitFor(async () => (await owner(VIP1)).box === "a" && (await owner(VIP2)).box === "b",
      "the client reaches A on .41 and B on .51", 15_000, 200);
    expect((await owner(VIP1)).mac).toBe(a.mac);
    expect((await owner(VIP2)).mac).toBe(b.mac);
    console.log(`pair: qemu start (both in parallel) to A MASTER of VI_1 and B MASTER of VI_2: ${secs(bootMs)}`);
  }, 100_000);

  test("tandem on A stopped gracefully: .41 moves to B; started again: A preempts and takes .41 back", async () => {
    await a.run("true"); // the console is open before the clock starts
    let seen = garps(VIP1).length;
    const stopAt = performance.now();
    await a.run("touch /run/tandem/hold; kill -TERM $(pidof tandem)");
    await waitForGarp(VIP1, b.mac, seen, "B's gratuitous ARP for .41 after A's tandem stopped", 10_000);
    const moveMs = performance.now() - stopAt;
    await waitFor(async () => (await owner(VIP1)).box === "b", "the client reaches B on .41", 10_000, 200);
    expect((await owner(VIP1)).mac).toBe(b.mac);
    expect((await owner(VIP2)).box).toBe("b");
    await waitFor(() => /held until \/run\/tandem\/hold is removed/.test(a.serial()), "A's supervisor holds tandem", 10_000);

    seen = garps(VIP1).length;
    const startAt = performance.now();
    await a.run("rm /run/tandem/hold");
    await waitForGarp(VIP1, a.mac, seen, "A's gratuitous ARP for .41 after its tandem started again", 30_000);
    const backMs = performance.now() - startAt;
    await waitFor(async () => (await owner(VIP1)).box === "a", "the client reaches A on .41 again", 10_000, 200);
    expect(b.lastState("VI_1")).toBe("BACKUP");
    expect((await owner(VIP2)).box).toBe("b");
    console.log(`pair: graceful stop of A's tandem to B's GARP for .41: ${secs(moveMs)}; ` +
      `restart to A's GARP (preempt, includes tandem's start): ${secs(backMs)}`);
  }, 60_000);

  test("chk_mt_down: touch /run/tandem/down on A moves .41 to B (100 - 15 < 90); rm moves it back", async () => {
    await waitFor(() => a.lastState("VI_1") === "MASTER" && b.lastState("VI_1") === "BACKUP", "A MASTER of VI_1 again", 15_000);
    let seen = garps(VIP1).length;
    const downAt = performance.now();
    await a.run("touch /run/tandem/down");
    await waitForGarp(VIP1, b.mac, seen, "B's gratuitous ARP for .41 after A's chk_mt_down failed", 15_000);
    const moveMs = performance.now() - downAt;
    await waitFor(async () => (await owner(VIP1)).box === "b", "the client reaches B on .41", 10_000, 200);
    expect((await owner(VIP2)).box).toBe("b");
    seen = garps(VIP1).length;
    const upAt = performance.now();
    await a.run("rm /run/tandem/down");
    await waitForGarp(VIP1, a.mac, seen, "A's gratuitous ARP for .41 after chk_mt_down recovered", 15_000);
    const backMs = performance.now() - upAt;
    await waitFor(async () => (await owner(VIP1)).box === "a", "the client reaches A on .41 again", 10_000, 200);
    console.log(`pair: chk_mt_down on A to B's GARP for .41: ${secs(moveMs)}; recovered to A's GARP: ${secs(backMs)}`);
  }, 50_000);

  test("A's VM killed outright (SIGKILL qemu): .41 moves to B within a few seconds", async () => {
    await waitFor(() => a.lastState("VI_1") === "MASTER" && b.lastState("VI_1") === "BACKUP", "A MASTER of VI_1 again", 15_000);
    const seen = garps(VIP1).length;
    const killAt = performance.now();
    await a.kill();
    await waitForGarp(VIP1, b.mac, seen, "B's gratuitous ARP for .41 after A's VM died", 10_000);
    const moveMs = performance.now() - killAt;
    await waitFor(async () => (await owner(VIP1)).box === "b", "the client reaches B on .41", 10_000, 200);
    expect((await owner(VIP2)).box).toBe("b");
    // master-down interval for priority 90: 3 x 1 s + (256 - 90) / 256 s = 3.65 s, plus TCG latency.
    expect(moveMs).toBeLessThan(8_000);
    console.log(`pair: SIGKILL of A's qemu to B's GARP for .41: ${secs(moveMs)} (master-down interval 3.65 s)`);
  }, 40_000);
});
