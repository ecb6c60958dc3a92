// The appliance's headline test: a long-lived TCP connection through a VIP survives the loss
// of the director that carried it. Two appliances flashed from out/tandem.img (qemu TCG),
// each running make demo's configuration (scripts/demo-a.conf / demo-b.conf: the seed's
// dual-master pair plus virtual servers on both VIPs in DR mode and `lvs_sync_daemon eth0
// VI_1`), on a private L2 with two real servers: network namespaces on the host running
// Debian's nginx (scripts/real-server.sh, the VIPs on their lo, arp_ignore=1 and
// arp_announce=2), and a client namespace. One pair boot proves, in order:
//   - each box's tandem runs the director: the same DR table on both (ipvsadm -Sn), the
//     master sync daemon on A (MASTER of VI_1) and the backup one on B, and the image's
//     sysctl.conf (sync_threshold 3 0, sync_refresh_period 10);
//   - a kept-alive HTTP/1.1 connection through .41 (a request every 200 ms) is answered by one
//     real server, and B, still BACKUP, holds its connection entry (ipvsadm -Lnc) from A's
//     sync messages;
//   - a quiet connection (a request every 2 s) opened while B's backup sync daemon was
//     stopped behind tandem's back reaches B once the daemon listens again, within the
//     refresh period, not after its 53rd packet (~50 s: the kernel's default);
//   - a control connection, opened while B's daemon is stopped again, has no entry on B;
//   - A's VM killed with SIGKILL: B takes .41 (its gratuitous ARP), both synced connections
//     are never reset and every request after the failover is answered by the same real
//     server on the same nginx connection, within a bounded gap; the control connection is
//     reset (B's IPVS has no entry for it, so B's own stack answers its next segment).
// Needs root, qemu, tcpdump, curl, debugfs, `make image` and scripts/install-test-servers.sh.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DISK_IMAGE, ROOT, makeBoxDisk } from "./lib/box-disk.ts";
import { Guest, QEMU, secs, sleep } from "./lib/guest.ts";
import { PrivateL2 } from "./lib/private-l2.ts";

const VIP1 = "10.98.0.41";
const VIP2 = "10.98.0.51";
const A_ADDRESS = "10.98.0.11";
const B_ADDRESS = "10.98.0.12";
const MAC_A = "52:54:00:98:00:11";
const MAC_B = "52:54:00:98:00:12";
const BOX_OF_MAC = { [MAC_A]: "a", [MAC_B]: "b" };
const REAL_SERVERS = [
  { name: "rs1", address: "10.98.0.21" },
  { name: "rs2", address: "10.98.0.22" },
];
const NGINX = join(process.env.TEST_SERVERS ?? "/var/cache/tandem-test", "nginx", "usr", "sbin", "nginx");
/** Small guests: the whole appliance (four tandem processes) runs in a third of the default. */
const GUEST_MEMORY_MB = 320;
/** The set-up copies two 800 MB disk images: seconds when the disk is busy (bun's hook default is 5 s). */
const SETUP_MS = 120_000;
/** The table both boxes program from demo-a.conf / demo-b.conf, as ipvsadm -Sn prints it (sorted). */
const TABLE = [VIP1, VIP2].flatMap((vip) => [`-A -t ${vip}:80 -s rr`, ...REAL_SERVERS.map((rs) => `-a -t ${vip}:80 -r ${rs.address}:80 -g -w 1`)]).sort();
/** ipvsadm -L --daemon's line for lvs_sync_daemon eth0 VI_1 id 41, with the kernel's defaults for the rest (maxlen from eth0's MTU, 224.0.0.81:8848, ttl 1). */
const daemon = (state: "master" | "backup") => `${state} sync daemon (mcast=eth0, syncid=41, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)`;
/**
 * The longest the kept-alive connection may go unanswered across the failover: B's
 * master-down interval (3 x 1 s + (256 - 90) / 256 s = 3.65 s) and TCG's slowness, plus the
 * client's TCP retransmission backoff (its unanswered request is resent 0.2, 0.6, 1.4, 3, 6.2,
 * 12.6 s after it was first sent; the first resend after B holds the VIP is answered).
 */
const MAX_GAP_MS = 20_000;

function unavailableReason(): string | null {
  if (process.getuid?.() !== 0) return "needs root (network namespaces, a bridge and taps)";
  for (const tool of [QEMU, "tcpdump", "curl", "ip", "debugfs", "sfdisk"]) if (!Bun.which(tool)) return `${tool} is missing`;
  if (!existsSync(DISK_IMAGE)) return `${DISK_IMAGE} is missing (run: make image)`;
  if (!existsSync(NGINX)) return `${NGINX} is missing (run: sh scripts/install-test-servers.sh)`;
  return null;
}
const unavailable = unavailableReason();
if (unavailable) console.log(`test/image/pair-sync.test.ts skipped: ${unavailable}`);

type ClientEvent =
  | { event: "connect-failed"; error: string; atMs: number }
  | { event: "connected"; local: string; atMs: number }
  | { event: "answer"; n: number; sentAtMs: number; status: number; body: string; atMs: number }
  | { event: "error"; error: string; atMs: number }
  | { event: "closed"; atMs: number };

/** scripts/keepalive-client.ts in the client namespace: one kept-alive connection, its events as they come. */
class KeptAliveClient {
  readonly events: ClientEvent[] = [];
  private readonly process: ReturnType<typeof Bun.spawn>;
  stderr = "";

  constructor(netns: string, vip: string, intervalMs: number) {
    const program = [process.execPath, join(ROOT, "scripts", "keepalive-client.ts"), vip, "80", "--interval", String(intervalMs)];
    const client = Bun.spawn(["ip", "netns", "exec", netns, ...program], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    this.process = client;
    void (async () => {
      let partial = "";
      for await (const chunk of client.stdout) {
        partial += new TextDecoder().decode(chunk);
        const lines = partial.split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) if (line.trim()) this.events.push(JSON.parse(line) as ClientEvent);
      }
    })();
    void new Response(client.stderr).text().then((text) => (this.stderr = text));
  }

  answers = (): Extract<ClientEvent, { event: "answer" }>[] => this.events.filter((e) => e.event === "answer");
  ended = (): ClientEvent | undefined => this.events.find((e) => e.event === "error" || e.event === "closed");
  /** The client's own end, as ipvsadm -Lnc shows it (10.98.0.99:PORT). */
  local(): string | undefined {
    const connected = this.events.find((e) => e.event === "connected");
    return connected?.event === "connected" ? connected.local : undefined;
  }
  summary = (): string => this.events.map((e) => JSON.stringify(e)).join("\n") + (this.stderr ? `\nstderr: ${this.stderr}` : "");

  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill("SIGKILL");
    await this.process.exited;
  }
}

/** "served by rs1 (10.98.0.21), connection 3, request 17" */
function parsePage(body: string): { server: string; connection: number; request: number } {
  const m = body.match(/^served by (\S+) \(\S+\), connection (\d+), request (\d+)/);
  if (!m) throw new Error(`not a real server's page: ${JSON.stringify(body)}`);
  return { server: m[1]!, connection: Number(m[2]), request: Number(m[3]) };
}

/** The connection entries of ipvsadm -Lnc: "TCP  14:58  ESTABLISHED 10.98.0.99:40312 10.98.0.41:80 10.98.0.21:80". */
function connectionEntries(listing: string): { state: string; client: string; virtual: string; destination: string }[] {
  return [...listing.matchAll(/^TCP\s+\S+\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$/gm)].map((m) => ({
    state: m[1]!,
    client: m[2]!,
    virtual: m[3]!,
    destination: m[4]!,
  }));
}

const title = "the pair's director: a long-lived connection through the VIP survives kill -9 of the master's VM (root, qemu)";
describe.skipIf(unavailable !== null)(unavailable ? `${title}: skipped, ${unavailable}` : title, () => {
  let dir = "";
  let l2: PrivateL2;
  let a: Guest;
  let b: Guest;
  let guests: Guest[] = [];
  const servers: ReturnType<typeof Bun.spawn>[] = [];
  const serverNamespaces = REAL_SERVERS.map((_, i) => `trs${i + 1}${process.pid}`);
  const clients: KeptAliveClient[] = [];

  const diagnostics = () =>
    [
      ...guests.map((g) => g.tail()),
      ...clients.map((c, i) => `--- client ${i + 1}:\n${c.summary().split("\n").slice(-15).join("\n")}`),
      `--- tcpdump (${l2.arpLog}), last lines:`,
      l2.arpText().split("\n").slice(-10).join("\n"),
    ].join("\n");

  async function waitFor<T>(value: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs: number, stepMs = 100): Promise<T> {
    const start = performance.now();
    while (performance.now() - start < timeoutMs) {
      const v = await value();
      if (v !== undefined && v !== false) return v;
      await sleep(stepMs);
    }
    throw new Error(`${what}: not within ${timeoutMs} ms.\n${diagnostics()}`);
  }

  /** The lines of a console command's output that match `pattern`: tandem logs to the same console. */
  const lines = async (g: Guest, command: string, pattern: RegExp) =>
    (await g.run(command))
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => pattern.test(l));
  const ipvsTable = async (g: Guest) => (await lines(g, "ipvsadm -Sn", /^-[Aa] /)).sort();
  const syncDaemons = (g: Guest) => lines(g, "ipvsadm -L --daemon", /^(master|backup) sync daemon /);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tandem-pair-sync-"));
    l2 = new PrivateL2(dir);
    await l2.up(["tA", "tB"]);
    const disk = (box: "a" | "b", address: string) =>
      makeBoxDisk(dir, { name: box, address: `${address}/24`, keepalivedConf: join(ROOT, "scripts", `demo-${box}.conf`) });
    a = new Guest("a", { disk: disk("a", A_ADDRESS) }, { tap: "tA", netns: l2.net, mac: MAC_A }, dir, GUEST_MEMORY_MB);
    b = new Guest("b", { disk: disk("b", B_ADDRESS) }, { tap: "tB", netns: l2.net, mac: MAC_B }, dir, GUEST_MEMORY_MB);
    guests = [a, b];
    a.start();
    b.start();
    // The real servers start while the boxes boot.
    for (const [i, rs] of REAL_SERVERS.entries()) {
      const server = Bun.spawn(["bash", join(ROOT, "scripts", "real-server.sh"), serverNamespaces[i]!, l2.net, rs.name, `${rs.address}/24`, VIP1, VIP2], {
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      });
      servers.push(server);
      // Its first line says it listens (or, if it exits first, stdout ends and stderr says why).
      const reader = (server.stdout as ReadableStream<Uint8Array>).getReader();
      const line = new TextDecoder().decode((await reader.read()).value ?? new Uint8Array());
      reader.releaseLock();
      if (!line.includes(`real-server ${rs.name}: ready`))
        throw new Error(`real server ${rs.name} did not start: ${line}${await new Response(server.stderr as ReadableStream<Uint8Array>).text()}`);
    }
  }, SETUP_MS);

  afterAll(async () => {
    for (const c of clients) await c.stop();
    for (const g of guests) await g.kill().catch(() => {});
    for (const server of servers) {
      server.kill("SIGTERM"); // real-server.sh stops nginx and deletes its namespace
      await Promise.race([server.exited, sleep(5_000)]);
    }
    for (const ns of serverNamespaces) Bun.spawnSync(["ip", "netns", "del", ns], { stderr: "ignore" });
    await l2?.down();
    if (dir && !process.env.TANDEM_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
  });

  test("both boxes run the director: the same DR table; A (MASTER of VI_1) runs the master sync daemon, B the backup one", async () => {
    const bootStart = performance.now();
    await waitFor(
      () => {
        if (!a.running() || !b.running()) throw new Error(`a qemu exited early.\n${diagnostics()}`);
        return a.lastState("VI_1") === "MASTER" && b.lastState("VI_1") === "BACKUP" && b.lastState("VI_2") === "MASTER";
      },
      "A MASTER of VI_1, B BACKUP of VI_1 and MASTER of VI_2",
      150_000,
    );
    const bootMs = performance.now() - bootStart;
    for (const g of guests) {
      expect(g.sinceBoot()).toContain("config /etc/tandem/keepalived.conf");
      expect(g.sinceBoot()).not.toMatch(/Kernel panic|did not load|did not apply|setup failed|rescue shell/);
      // The image's sysctl.conf: the sync master resends live connections every 10 s of their traffic, not every 50 packets.
      const settings = await lines(g, "cat /proc/sys/net/ipv4/vs/sync_refresh_period /proc/sys/net/ipv4/vs/sync_threshold", /^\d+(\s+\d+)?$/);
      expect(settings.map((l) => l.split(/\s+/).join(" "))).toEqual(["10", "3 0"]);
      await waitFor(
        async () => ((await ipvsTable(g)).join("\n") === TABLE.join("\n") ? true : undefined),
        `box ${g.name}: the director's table`,
        60_000,
        1_000,
      );
      expect(await ipvsTable(g)).toEqual(TABLE);
      // The director is its own process beside the engine (the supervisor starts it for the virtual servers).
      // Only the matching line: a whole ps listing is a long console burst the log interleaves with.
      expect(await g.run('ps | grep "[_]_director"')).toMatch(/tandem\S* __director/);
    }
    await waitFor(async () => ((await syncDaemons(a)).join() === daemon("master") ? true : undefined), "A's master sync daemon, alone", 30_000, 1_000);
    await waitFor(async () => ((await syncDaemons(b)).join() === daemon("backup") ? true : undefined), "B's backup sync daemon, alone", 30_000, 1_000);
    const memory = await a.run("free -m | sed -n 2p");
    console.log(
      `pair-sync: power-on of both (${GUEST_MEMORY_MB} MiB each) to VI_1 MASTER on A and BACKUP on B: ${secs(bootMs)}; A's memory (total used free ...): ${memory}`,
    );
  }, 240_000);

  test("kill -9 of A's VM: kept-alive connections through .41 go on with the same real server on B, never reset; the unsynced control is reset", async () => {
    await waitFor(async () => ((await l2.owner(VIP1, BOX_OF_MAC)).box === "a" ? true : undefined), "the client reaches A on .41", 15_000, 200);
    const kept = new KeptAliveClient(l2.client, VIP1, 200);
    clients.push(kept);
    const firstPage = async (c: KeptAliveClient, what: string) => {
      await waitFor(() => c.answers().length >= 3 || c.ended() !== undefined, `three answers on ${what}`, 15_000);
      expect(c.ended()).toBeUndefined();
      const page = parsePage(c.answers()[0]!.body);
      return { local: c.local()!, page, destination: `${REAL_SERVERS.find((rs) => rs.name === page.server)!.address}:80` };
    };
    const k = await firstPage(kept, "the kept-alive connection");
    const entry = (listing: string, local: string) => connectionEntries(listing).find((e) => e.client === local && e.virtual === `${VIP1}:80`);
    const onB = async (local: string) => entry(await b.run("ipvsadm -Lnc"), local);

    // B is BACKUP of VI_1: A's master sync daemon sent it the connection, bound to the same real server.
    const syncStart = performance.now();
    await waitFor(
      async () => (await onB(k.local))?.destination === k.destination || undefined,
      `B: the synced entry of ${k.local} -> ${k.destination}`,
      30_000,
      1_000,
    );
    const syncedAfterMs = performance.now() - syncStart;
    expect((await onB(k.local))?.state).toBe("ESTABLISHED");
    expect(b.lastState("VI_1")).toBe("BACKUP");

    // A backup that starts listening late (B's backup sync daemon stopped behind tandem's back,
    // a quiet connection opened, the daemon started again) still learns the connection within
    // the refresh period (sysctl.conf: 10 s; with the kernel's default, only at its 53rd packet, about 50 s here).
    await b.run("ipvsadm --stop-daemon backup");
    expect(await syncDaemons(b)).toEqual([]);
    const quiet = new KeptAliveClient(l2.client, VIP1, 2_000);
    clients.push(quiet);
    const q = await firstPage(quiet, "the quiet connection");
    const quietOpenedAt = quiet.events.find((e) => e.event === "connected")!.atMs;
    await waitFor(async () => (entry(await a.run("ipvsadm -Lnc"), q.local) ? true : undefined), `A's entry for ${q.local}`, 10_000, 1_000);
    expect(await onB(q.local)).toBeUndefined();
    await b.run("ipvsadm --start-daemon backup --mcast-interface eth0 --syncid 41");
    expect(await syncDaemons(b)).toEqual([daemon("backup")]);
    await waitFor(
      async () => (await onB(q.local))?.destination === q.destination || undefined,
      `B: the entry of the quiet ${q.local}, refreshed`,
      30_000,
      1_000,
    );
    const quietLearnedAfterMs = Date.now() - quietOpenedAt;
    expect(quietLearnedAfterMs).toBeLessThan(25_000);

    // The control: B's daemon stopped again, then a third connection; A has it, B never gets it.
    await b.run("ipvsadm --stop-daemon backup");
    const control = new KeptAliveClient(l2.client, VIP1, 200);
    clients.push(control);
    const c = await firstPage(control, "the control connection");
    await waitFor(async () => (entry(await a.run("ipvsadm -Lnc"), c.local) ? true : undefined), `A's entry for ${c.local}`, 10_000, 1_000);
    await sleep(4_000); // beyond A's sync buffer flush (2 s)
    expect(await onB(c.local)).toBeUndefined();
    expect((await onB(k.local))?.destination).toBe(k.destination);

    const answeredBefore = kept.answers().length;
    const seen = l2.garps(VIP1).length;
    const killAt = Date.now();
    await a.kill();
    const garpMs = await waitFor(
      () => (l2.garps(VIP1).slice(seen).includes(MAC_B) ? Date.now() - killAt : undefined),
      "B's gratuitous ARP for .41",
      15_000,
      20,
    );
    // Answers after the failover on both synced connections, or their end (a failure, reported below).
    const answeredAfter = (client: KeptAliveClient, count: number) =>
      client.ended() !== undefined || client.answers().filter((e) => e.atMs > killAt).length >= count;
    await waitFor(() => answeredAfter(kept, 10) && answeredAfter(quiet, 2), "answers on both synced connections after the failover", MAX_GAP_MS + 15_000);
    await waitFor(() => control.ended(), "the control connection's end", 30_000);

    // Every request answered in order, by the real server of the first answer, on one nginx connection.
    const gaps: number[] = [];
    for (const [client, first] of [
      [kept, k],
      [quiet, q],
    ] as const) {
      expect(client.ended()).toBeUndefined();
      const answers = client.answers();
      for (const [i, answer] of answers.entries()) {
        expect(answer.status).toBe(200);
        expect(answer.n).toBe(i + 1);
        expect(parsePage(answer.body)).toEqual({ server: first.page.server, connection: first.page.connection, request: i + 1 });
      }
      gaps.push(answers.find((e) => e.atMs > killAt)!.atMs - answers.filter((e) => e.atMs <= killAt).at(-1)!.atMs);
    }
    const gapMs = gaps[0]!;
    expect(gapMs).toBeLessThan(MAX_GAP_MS);
    // The control: no answer after the failover, and a reset from B (its stack has no socket for it).
    expect(control.answers().filter((e) => e.atMs > killAt)).toEqual([]);
    expect(control.ended()).toMatchObject({ event: "error", error: "ECONNRESET" });

    // B now holds .41, runs the master sync daemon, and forwards the connections from the synced entries.
    expect((await l2.owner(VIP1, BOX_OF_MAC)).box).toBe("b");
    await waitFor(() => b.lastState("VI_1") === "MASTER", "B MASTER of VI_1", 5_000);
    await waitFor(async () => ((await syncDaemons(b)).join() === daemon("master") ? true : undefined), "B's master sync daemon, alone", 15_000, 1_000);
    expect(await onB(k.local)).toMatchObject({ state: "ESTABLISHED", destination: k.destination });
    const answers = kept.answers();
    const lastBefore = answers.filter((e) => e.atMs <= killAt).at(-1)!;
    console.log(
      `pair-sync: ${k.local} -> ${VIP1} -> ${k.page.server}: on B ${secs(syncedAfterMs)} after its first answers (sync); ` +
        `SIGKILL of A's qemu to B's GARP ${secs(garpMs)}; longest silence on the connection ${secs(gapMs)} ` +
        `(last answer ${secs(killAt - lastBefore.atMs)} before the kill); ` +
        `${answers.length} requests (${answeredBefore} before the kill) all answered by ${k.page.server} on nginx connection ${k.page.connection}; ` +
        `quiet connection (a request every 2 s, opened while B's sync daemon was stopped): on B ${secs(quietLearnedAfterMs)} after it opened, ` +
        `survived, silence ${secs(gaps[1]!)}; control ${c.local}: ${(control.ended() as { error?: string }).error ?? "closed"} ` +
        `${secs(control.ended()!.atMs - killAt)} after the kill`,
    );
  }, 180_000);
});
