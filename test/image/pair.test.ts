// Two appliances booted from the flashable disk (out/tandem.img: BIOS, SYSLINUX, squashfs
// root, ext4 data partition) under qemu TCG, each disk configured like an operator would
// before flashing (image/configure-disk.sh: node.conf and the seed's keepalived.conf on
// the data partition). They run the seed's dual-master pair on a private L2 (a bridge in
// a network namespace with a tap per guest and a client namespace): box A is master of
// VI_1 (VIP 10.98.0.41), box B of VI_2 (10.98.0.51). Failovers are watched from outside
// the guests: tcpdump's gratuitous ARPs on the bridge, curl and the neighbour table in
// the client namespace. Proves, in order:
//   - both boot; the client reaches each box's REST API over HTTPS on the box's own
//     address (A's certificate made before flashing and trusted with --cacert, B's made by
//     its first boot and trusted by the fingerprint its console printed), and each VIP on
//     its master;
//   - tandem on A stopped gracefully moves .41 to B; started again, A preempts it back;
//   - A's chk_mt_down failing moves .41 to B, and back;
//   - maintenance through the API (A's token written on its data partition before
//     flashing) moves .41 to B; it survives a clean reboot of A (so do the token and the
//     history), and leaving it gives .41 back to A;
//   - A's VM killed outright moves .41 to B within the master-down interval; A booted
//     again on the same disk preempts .41 back, its history intact after the power cut.
// Needs root, qemu, tcpdump, curl, debugfs and `make image`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DISK_IMAGE, ROOT, makeBoxDisk } from "./lib/box-disk.ts";
import { Guest, QEMU, secs, sleep } from "./lib/guest.ts";
import { PrivateL2, sh } from "./lib/private-l2.ts";

const VIP1 = "10.98.0.41";
const VIP2 = "10.98.0.51";
const A_ADDRESS = "10.98.0.11";
const B_ADDRESS = "10.98.0.12";
const TOKEN_A = "7e57".repeat(16);
const MAC_A = "52:54:00:98:00:11";
const MAC_B = "52:54:00:98:00:12";
const BOX_OF_MAC = { [MAC_A]: "a", [MAC_B]: "b" };
const api = (address: string) => `https://${address}:8443`;

function unavailableReason(): string | null {
  if (process.getuid?.() !== 0) return "needs root (network namespaces, a bridge and taps)";
  for (const tool of [QEMU, "tcpdump", "curl", "ip", "debugfs", "sfdisk"]) if (!Bun.which(tool)) return `${tool} is missing`;
  if (!existsSync(DISK_IMAGE)) return `${DISK_IMAGE} is missing (run: make image)`;
  return null;
}
const unavailable = unavailableReason();
if (unavailable) console.log(`test/image/pair.test.ts skipped: ${unavailable}`);

type TandemEvent = { id: number; kind: string; atMs: number; instance?: string; summary: string; data: Record<string, unknown> };

const title = "a pair of appliances flashed from out/tandem.img fails over (root, qemu)";
describe.skipIf(unavailable !== null)(unavailable ? `${title}: skipped, ${unavailable}` : title, () => {
  let dir = "";
  let l2: PrivateL2;
  let a: Guest;
  let b: Guest;
  let guests: Guest[] = [];

  const diagnostics = () =>
    [...guests.map((g) => g.tail()), `--- tcpdump (${l2.arpLog}), last lines:`, l2.arpText().split("\n").slice(-15).join("\n")].join("\n");

  async function waitFor(ok: () => boolean | Promise<boolean>, what: string, timeoutMs: number, stepMs = 50): Promise<number> {
    const start = performance.now();
    while (performance.now() - start < timeoutMs) {
      if (await ok()) return performance.now() - start;
      await sleep(stepMs);
    }
    throw new Error(`${what}: not within ${timeoutMs} ms.\n${diagnostics()}`);
  }

  /** Waits until a gratuitous ARP for `vip` from `mac` appears after the first `seen` ones. */
  const waitForGarp = (vip: string, mac: string | undefined, seen: number, what: string, timeoutMs: number) =>
    waitFor(
      () =>
        l2
          .garps(vip)
          .slice(seen)
          .includes(mac ?? "?"),
      what,
      timeoutMs,
      20,
    );

  const waitForOwner = (vip: string, box: "a" | "b", timeoutMs = 10_000) =>
    waitFor(async () => (await l2.owner(vip, BOX_OF_MAC)).box === box, `the client reaches box ${box} on ${vip}`, timeoutMs, 200);

  /** Boots a guest and waits until tandem runs with both instances settled. */
  async function bootAndSettle(g: Guest, what: string): Promise<number> {
    g.start();
    return g.waitForConsole(
      /VI_1: \w+ -> (MASTER|BACKUP)[^]*VI_2: \w+ -> (MASTER|BACKUP)|VI_2: \w+ -> (MASTER|BACKUP)[^]*VI_1: \w+ -> (MASTER|BACKUP)/,
      what,
      120_000,
    );
  }

  /** The API answers a little after the instances run (the observer starts once the engine does). */
  const waitForApi = (address: string) =>
    waitFor(async () => (await l2.http(`${api(address)}/healthz`, trust(address))).status === 200, `the API of ${address}`, 30_000, 200);

  async function events(address: string, query: string): Promise<TandemEvent[]> {
    const r = await l2.http(`${api(address)}/events?${query}`, trust(address));
    if (r.status !== 200) throw new Error(`GET /events?${query} on ${address}: ${r.status} ${r.body}`);
    return (JSON.parse(r.body) as { events: TandemEvent[] }).events;
  }

  /** How the client trusts a box's certificate: A's by its file, B's after its fingerprint was checked. */
  let certA = "";
  let fingerprintB = "";
  const trust = (address: string) => (address === A_ADDRESS ? { cacert: certA } : { insecure: true });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tandem-pair-"));
    certA = join(dir, "api-cert-a.pem");
    sh([join(ROOT, "dist", "tandem"), "tls-certificate", "--cert", certA, "--key", join(dir, "api-key-a.pem"), "--name", "box-a", "--ip", A_ADDRESS]);
    l2 = new PrivateL2(dir);
    await l2.up(["tA", "tB"]);
    const seed = (name: string) => join(ROOT, "overlay", "etc", "keepalived", `seed-${name}.conf`);
    // A's API token is set before flashing, as an operator may; B makes its own at first boot.
    const diskA = makeBoxDisk(dir, {
      name: "a",
      address: `${A_ADDRESS}/24`,
      keepalivedConf: seed("a"),
      token: TOKEN_A,
      tls: { certificate: certA, key: join(dir, "api-key-a.pem") },
    });
    const diskB = makeBoxDisk(dir, { name: "b", address: `${B_ADDRESS}/24`, keepalivedConf: seed("b") });
    a = new Guest("a", { disk: diskA }, { tap: "tA", netns: l2.net, mac: MAC_A }, dir);
    b = new Guest("b", { disk: diskB }, { tap: "tB", netns: l2.net, mac: MAC_B }, dir);
    guests = [a, b];
    a.start();
    b.start();
  }, 120_000); // two 800 MB disk images copied: seconds when the disk is busy (bun's hook default is 5 s)

  afterAll(async () => {
    for (const g of guests) await g.kill().catch(() => {});
    await l2?.down();
    if (dir && !process.env.TANDEM_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
  });

  test("both boot from disk; A holds .41 (VI_1) and B holds .51 (VI_2); the client reaches each box's API", async () => {
    const bootMs = await waitFor(
      () => {
        if (!a.running() || !b.running()) throw new Error(`a qemu exited early.\n${diagnostics()}`);
        return a.lastState("VI_1") === "MASTER" && b.lastState("VI_2") === "MASTER" && a.lastState("VI_2") === "BACKUP" && b.lastState("VI_1") === "BACKUP";
      },
      "A MASTER of VI_1 and B MASTER of VI_2",
      120_000,
      100,
    );
    for (const g of guests) {
      const console = g.sinceBoot();
      expect(console).toContain("stage1: root /dev/vda2");
      expect(console).toMatch(/mount-data: \/dev\/vda3 on \/data/);
      expect(console).toContain(`node-setup: box-${g.name}, eth0 10.98.0.1${g.name === "a" ? 1 : 2}/24`);
      expect(console).toContain("config /etc/tandem/keepalived.conf");
      if (g === a) expect(console).not.toMatch(/first-boot: (created the API token|API certificate)/);
      else expect(console).toContain("first-boot: created the API token");
      expect(console).not.toMatch(/Kernel panic|did not load|setup failed|rescue shell/);
    }
    await waitForApi(A_ADDRESS);
    await waitForApi(B_ADDRESS);
    // B's certificate is its own: trusted by the fingerprint its console showed, with tandem's client.
    fingerprintB = b.sinceBoot().match(/first-boot: API certificate (sha256:[0-9A-F:]{95})/)?.[1] ?? "";
    expect(fingerprintB).not.toBe("");
    const pinned = sh([
      "ip",
      "netns",
      "exec",
      l2.client,
      join(ROOT, "dist", "tandem"),
      "state",
      "--api",
      api(B_ADDRESS),
      "--fingerprint",
      fingerprintB,
      "--json",
    ]);
    expect(pinned).toContain('"routerId":"tandem-b"');
    const wrongPin = Bun.spawnSync(
      ["ip", "netns", "exec", l2.client, join(ROOT, "dist", "tandem"), "state", "--api", api(B_ADDRESS), "--fingerprint", `sha256:${"00:".repeat(31)}00`],
      { stderr: "pipe" },
    );
    expect(wrongPin.exitCode).toBe(1);
    expect(wrongPin.stderr.toString()).toContain(`presented the certificate ${fingerprintB}`);
    // The API is on each box's own address only: not on a VIP, and not in plain HTTP.
    expect((await l2.http(`${api(VIP1)}/healthz`, { insecure: true })).status).toBe(0);
    expect((await l2.http(`http://${A_ADDRESS}:8443/healthz`)).status).not.toBe(200);
    for (const [address, box] of [
      [A_ADDRESS, "a"],
      [B_ADDRESS, "b"],
    ] as const) {
      const r = await l2.http(`${api(address)}/vrrp/state`, trust(address));
      expect(r.status).toBe(200);
      const state = JSON.parse(r.body) as { instances: { name: string; state: string }[]; daemon: { routerId: string } };
      expect(r.body).toContain(`"routerId":"tandem-${box}"`);
      expect(state.instances.map((i) => `${i.name}=${i.state}`).sort()).toEqual(box === "a" ? ["VI_1=MASTER", "VI_2=BACKUP"] : ["VI_1=BACKUP", "VI_2=MASTER"]);
    }
    await waitForOwner(VIP1, "a", 15_000);
    await waitForOwner(VIP2, "b", 15_000);
    expect((await l2.owner(VIP1, BOX_OF_MAC)).mac).toBe(a.mac);
    expect((await l2.owner(VIP2, BOX_OF_MAC)).mac).toBe(b.mac);
    console.log(`pair: power-on (both qemu in parallel, BIOS + SYSLINUX + squashfs) to A MASTER of VI_1 and B MASTER of VI_2: ${secs(bootMs)}`);
  }, 130_000);

  test("tandem on A stopped gracefully: .41 moves to B; started again: A preempts and takes .41 back", async () => {
    await a.run("true"); // the console is open before the clock starts
    let seen = l2.garps(VIP1).length;
    const stopAt = performance.now();
    await a.run("touch /run/tandem/hold; kill -TERM $(pidof tandem)");
    await waitForGarp(VIP1, b.mac, seen, "B's gratuitous ARP for .41 after A's tandem stopped", 10_000);
    const moveMs = performance.now() - stopAt;
    await waitForOwner(VIP1, "b");
    expect((await l2.owner(VIP1, BOX_OF_MAC)).mac).toBe(b.mac);
    expect((await l2.owner(VIP2, BOX_OF_MAC)).box).toBe("b");
    await waitFor(() => /held until \/run\/tandem\/hold is removed/.test(a.sinceBoot()), "A's supervisor holds tandem", 10_000);

    seen = l2.garps(VIP1).length;
    const startAt = performance.now();
    await a.run("rm /run/tandem/hold");
    await waitForGarp(VIP1, a.mac, seen, "A's gratuitous ARP for .41 after its tandem started again", 30_000);
    const backMs = performance.now() - startAt;
    await waitForOwner(VIP1, "a");
    expect(b.lastState("VI_1")).toBe("BACKUP");
    expect((await l2.owner(VIP2, BOX_OF_MAC)).box).toBe("b");
    console.log(
      `pair: graceful stop of A's tandem to B's GARP for .41: ${secs(moveMs)}; ` + `restart to A's GARP (preempt, includes tandem's start): ${secs(backMs)}`,
    );
  }, 60_000);

  test("chk_mt_down: touch /run/tandem/down on A moves .41 to B (100 - 15 < 90); rm moves it back", async () => {
    await waitFor(() => a.lastState("VI_1") === "MASTER" && b.lastState("VI_1") === "BACKUP", "A MASTER of VI_1 again", 15_000);
    let seen = l2.garps(VIP1).length;
    const downAt = performance.now();
    await a.run("touch /run/tandem/down");
    await waitForGarp(VIP1, b.mac, seen, "B's gratuitous ARP for .41 after A's chk_mt_down failed", 15_000);
    const moveMs = performance.now() - downAt;
    await waitForOwner(VIP1, "b");
    expect((await l2.owner(VIP2, BOX_OF_MAC)).box).toBe("b");
    seen = l2.garps(VIP1).length;
    const upAt = performance.now();
    await a.run("rm /run/tandem/down");
    await waitForGarp(VIP1, a.mac, seen, "A's gratuitous ARP for .41 after chk_mt_down recovered", 15_000);
    const backMs = performance.now() - upAt;
    await waitForOwner(VIP1, "a");
    console.log(`pair: chk_mt_down on A to B's GARP for .41: ${secs(moveMs)}; recovered to A's GARP: ${secs(backMs)}`);
  }, 50_000);

  test("maintenance through the API survives a clean reboot of A, with its token and history; leaving it gives .41 back", async () => {
    await waitFor(() => a.lastState("VI_1") === "MASTER" && b.lastState("VI_1") === "BACKUP", "A MASTER of VI_1 again", 15_000);
    // A's tandem was restarted two tests ago: its API comes up a little after its VRRP (slower on a loaded host).
    await waitForApi(A_ADDRESS);
    const token = TOKEN_A;
    const refused = await l2.http(`${api(A_ADDRESS)}/vrrp/instances/VI_1/maintenance`, { method: "POST", token: "0".repeat(64), cacert: certA });
    expect(refused.status).toBe(403);

    let seen = l2.garps(VIP1).length;
    const enter = await l2.http(`${api(A_ADDRESS)}/vrrp/instances/VI_1/maintenance`, { method: "POST", token, cacert: certA });
    expect(enter.status).toBe(200);
    await waitForGarp(VIP1, b.mac, seen, "B's gratuitous ARP for .41 after A entered maintenance", 15_000);
    await waitForOwner(VIP1, "b");
    const before = await events(A_ADDRESS, "limit=1000&order=asc");
    const entered = before.filter((e) => e.kind === "api.action" && e.data.action === "maintenance.enter");
    expect(entered.length).toBe(1);

    // A clean reboot: busybox init runs the shutdown script (tandem stops, /data unmounted),
    // and qemu's -no-reboot turns the reboot into an exit; then the same disk boots again.
    await a.run("reboot", 5_000).catch(() => ""); // the marker may be cut off by the shutdown
    await a.exited(30_000);
    expect(a.sinceBoot()).toContain("shutdown: data partition unmounted");
    expect(b.lastState("VI_1")).toBe("MASTER");
    const rebootMs = await bootAndSettle(a, "A boots again");
    await waitForApi(A_ADDRESS);
    const again = a.sinceBoot();
    expect(again).toMatch(/mount-data: \/dev\/vda3 on \/data/);
    expect(again).not.toContain("first-boot: created the API token");
    expect(again).not.toContain("first boot: copied");
    expect(await a.run(`grep -c '^${token}$' /var/lib/tandem/api-token`)).toBe("1");
    // Still in maintenance after the reboot: A stays BACKUP, B keeps .41.
    await sleep(5_000);
    expect(a.lastState("VI_1")).toBe("BACKUP");
    expect((await l2.owner(VIP1, BOX_OF_MAC)).box).toBe("b");
    const state = JSON.parse((await l2.http(`${api(A_ADDRESS)}/vrrp/instances/VI_1`, { cacert: certA })).body) as Record<string, unknown>;
    expect(JSON.stringify(state)).toMatch(/"maintenance":true/);
    // The history of the first boot is still there, under the same ids.
    const after = await events(A_ADDRESS, "limit=1000&order=asc");
    for (const e of before) expect(after.find((x) => x.id === e.id)?.summary).toBe(e.summary);
    expect(after.filter((e) => e.kind === "daemon.start").length).toBeGreaterThanOrEqual(before.filter((e) => e.kind === "daemon.start").length + 1);

    seen = l2.garps(VIP1).length;
    const leave = await l2.http(`${api(A_ADDRESS)}/vrrp/instances/VI_1/maintenance`, { method: "DELETE", token, cacert: certA });
    expect(leave.status).toBe(200);
    await waitForGarp(VIP1, a.mac, seen, "A's gratuitous ARP for .41 after leaving maintenance", 15_000);
    await waitForOwner(VIP1, "a");
    console.log(
      `pair: clean reboot of A to tandem running both instances: ${secs(rebootMs)}; ` + `${before.length} events of the first boot all read back after it`,
    );
  }, 150_000);

  test("A's VM killed outright: .41 moves to B; A booted again on the same disk preempts it back, history intact", async () => {
    await waitFor(() => a.lastState("VI_1") === "MASTER" && b.lastState("VI_1") === "BACKUP", "A MASTER of VI_1 again", 15_000);
    const before = await events(A_ADDRESS, "limit=1000&order=asc");
    const left = before.find((e) => e.kind === "api.action" && e.data.action === "maintenance.leave");
    expect(left).toBeDefined();
    // Events are not fsync'd one by one; the box bounds a power cut's loss to ~3 s (mount-data).
    await sleep(5_000);
    let seen = l2.garps(VIP1).length;
    const killAt = performance.now();
    await a.kill();
    await waitForGarp(VIP1, b.mac, seen, "B's gratuitous ARP for .41 after A's VM died", 10_000);
    const moveMs = performance.now() - killAt;
    await waitForOwner(VIP1, "b");
    expect((await l2.owner(VIP2, BOX_OF_MAC)).box).toBe("b");
    // master-down interval for priority 90: 3 x 1 s + (256 - 90) / 256 s = 3.65 s, plus TCG latency.
    expect(moveMs).toBeLessThan(8_000);

    seen = l2.garps(VIP1).length;
    a.start();
    await waitForGarp(VIP1, a.mac, seen, "A's gratuitous ARP for .41 after booting again", 120_000);
    const backMs = performance.now() - a.startedMs;
    await waitForOwner(VIP1, "a");
    // B steps down on A's first advert; its console line can trail A's ARP under TCG.
    await waitFor(() => b.lastState("VI_1") === "BACKUP", "B BACKUP of VI_1 again", 5_000);
    expect(a.sinceBoot()).toMatch(/mount-data: \/dev\/vda3 on \/data/);
    await waitForApi(A_ADDRESS);
    // Every event recorded up to the 5 s before the power cut is still there, under its id.
    const after = await events(A_ADDRESS, "limit=1000&order=asc");
    for (const e of before) expect(after.find((x) => x.id === e.id)?.summary).toBe(e.summary);
    console.log(
      `pair: SIGKILL of A's qemu to B's GARP for .41: ${secs(moveMs)} (master-down interval 3.65 s); ` +
        `A powered on again to its GARP for .41 (preempt): ${secs(backMs)}; history kept ${before.length} events`,
    );
  }, 160_000);
});
