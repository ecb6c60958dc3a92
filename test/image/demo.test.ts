// `make demo`'s script, driven through its stdin the way an operator types: it boots the
// pair from out/tandem.img with its two nginx real servers, each box's status page answers
// on the host's 127.0.0.1:8081 and :8082, "watch" shows new requests through both VIPs
// answered by both real servers through their masters and a kept-alive connection to .41,
// "a off" moves .41 to B (new requests go through B; the kept-alive connection goes on with
// the same server) and "a on" back, "b down" / "b up" (typed into B's console) move .51 to A
// and back, and "q" removes everything it made (namespaces, qemu, forwarders, nginx). Needs
// root, qemu, curl, `make image` and scripts/install-test-servers.sh (the demo runs it).
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DISK_IMAGE, ROOT } from "./lib/box-disk.ts";
import { QEMU, secs, sleep } from "./lib/guest.ts";
import { sh } from "./lib/private-l2.ts";

function unavailableReason(): string | null {
  if (process.getuid?.() !== 0) return "needs root (network namespaces, a bridge and taps)";
  for (const tool of [QEMU, "curl", "ip", "debugfs"]) if (!Bun.which(tool)) return `${tool} is missing`;
  if (!existsSync(DISK_IMAGE)) return `${DISK_IMAGE} is missing (run: make image)`;
  if (sh(["ip", "netns", "list"], false).match(/\btdemo-(l2|client|rs1|rs2)\b/)) return "a demo is running (namespace tdemo-l2 exists)";
  return null;
}
const unavailable = unavailableReason();
if (unavailable) console.log(`test/image/demo.test.ts skipped: ${unavailable}`);

const title = "make demo: the pair under qemu, status pages on 127.0.0.1:8081/8082 (root, qemu)";
describe.skipIf(unavailable !== null)(unavailable ? `${title}: skipped, ${unavailable}` : title, () => {
  let demo: ReturnType<typeof Bun.spawn> | undefined;
  let output = "";

  afterAll(async () => {
    if (demo && demo.exitCode === null) {
      demo.kill("SIGINT"); // the demo's own cleanup
      await Promise.race([demo.exited, sleep(20_000)]);
      if (demo.exitCode === null) demo.kill("SIGKILL");
    }
  });

  async function waitFor(ok: () => boolean, what: string, timeoutMs: number): Promise<void> {
    for (const start = performance.now(); performance.now() - start < timeoutMs; await sleep(100)) if (ok()) return;
    throw new Error(`demo: ${what}: not within ${timeoutMs} ms. Its output:\n${output}`);
  }
  async function waitForOutput(pattern: RegExp, what: string, timeoutMs: number, from = 0): Promise<number> {
    const start = performance.now();
    while (performance.now() - start < timeoutMs) {
      if (pattern.test(output.slice(from))) return performance.now() - start;
      if (demo?.exitCode !== null) break;
      await sleep(100);
    }
    throw new Error(`demo: ${what}: not within ${timeoutMs} ms (exit ${demo?.exitCode}). Its output:\n${output}`);
  }
  /** The forwarded status pages are each box's HTTPS, trusted by the box's certificate (its name is the box's address, not 127.0.0.1). */
  let certificates: Record<string, string> = {};
  const get = async (url: string) => {
    const ca = certificates[new URL(url).port] ?? "";
    const r = await fetch(url, { signal: AbortSignal.timeout(3_000), tls: { ca, checkServerIdentity: () => undefined } } as RequestInit);
    return { status: r.status, body: await r.text() };
  };
  /** A box's API answers a little after its VIP moves (the observer starts once the engine runs). */
  const getWhenUp = async (url: string) => {
    for (const started = performance.now(); ; await sleep(250)) {
      try {
        return await get(url);
      } catch (error) {
        if (performance.now() - started > 30_000) throw error;
      }
    }
  };
  const say = (line: string) => {
    (demo!.stdin as import("bun").FileSink).write(`${line}\n`);
    (demo!.stdin as import("bun").FileSink).flush();
  };

  test("boots the pair, forwards both status pages, fails over on 'a off' / 'b down' and back on 'a on' / 'b up', cleans up on 'q'", async () => {
    demo = Bun.spawn(["bash", join(ROOT, "scripts", "demo.sh")], { cwd: ROOT, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    for (const stream of [demo.stdout, demo.stderr] as ReadableStream<Uint8Array>[]) {
      void (async () => {
        for await (const chunk of stream) output += new TextDecoder().decode(chunk);
      })();
    }
    const bootMs = await waitForOutput(/VIP \.41 on A {3}VIP \.51 on B/, "A holds .41 and B holds .51", 120_000);
    const dir = output.match(/Consoles: (\/tmp\/tandem-demo\.\w+)\//)?.[1];
    expect(dir).toBeDefined();
    certificates = { "8081": readFileSync(`${dir}/cert-a.pem`, "utf8"), "8082": readFileSync(`${dir}/cert-b.pem`, "utf8") };
    expect(output).toMatch(/A sha256:[0-9A-F:]{95}\n\s+B sha256:[0-9A-F:]{95}/);

    const pageA = await getWhenUp("https://127.0.0.1:8081/");
    expect(pageA.status).toBe(200);
    expect(pageA.body).toContain("<html");
    expect((await getWhenUp("https://127.0.0.1:8081/vrrp/state")).body).toContain('"routerId":"tandem-a"');
    expect((await getWhenUp("https://127.0.0.1:8082/vrrp/state")).body).toContain('"routerId":"tandem-b"');

    // watch: both real servers answer new requests through each VIP's master; one kept-alive connection to .41.
    let mark = output.length;
    say("watch");
    const watchLine = /\.41 (rs[12]|no answer)(?: via (\w+))? {3}\.51 (rs[12]|no answer)(?: via (\w+))? {3}kept-alive \.41: (.*)/g;
    const watched = (from: number) =>
      [...output.slice(from).matchAll(watchLine)].map((m) => ({ vip41: m[1], via41: m[2], vip51: m[3], via51: m[4], kept: m[5]! }));
    const keptAnswer = (kept: string) => kept.match(/^#(\d+) (rs[12]) \(its nginx connection (\d+)\)/);
    await waitForOutput(/kept-alive \.41: #[1-9]\d* rs[12]/, "the kept-alive connection's answers", 30_000, mark);
    await sleep(5_000);
    const before = watched(mark);
    expect(new Set(before.filter((w) => w.via41 === "A").map((w) => w.vip41))).toEqual(new Set(["rs1", "rs2"]));
    expect(new Set(before.filter((w) => w.via51 === "B").map((w) => w.vip51))).toEqual(new Set(["rs1", "rs2"]));
    const keptBefore = keptAnswer(before.at(-1)!.kept);
    expect(keptBefore).not.toBeNull();

    mark = output.length;
    say("a off");
    await waitForOutput(/box A is powered off/, "A powered off", 10_000, mark);
    const offMs = await waitForOutput(/VIP \.41 on B {3}VIP \.51 on B/, "B takes .41", 15_000, mark);
    await waitForOutput(/\.41 rs[12] via B/, "new requests to .41 answered through B", 15_000, mark);
    // The kept-alive connection goes on after the failover: a later request, the same server and nginx connection.
    await waitFor(
      () => watched(mark).some((w) => Number(keptAnswer(w.kept)?.[1]) > Number(keptBefore![1]) + 5),
      "the kept-alive connection answered after the failover",
      30_000,
    );
    const after = watched(mark);
    expect(after.map((w) => w.kept).filter((k) => !keptAnswer(k))).toEqual([]);
    for (const w of after) expect(keptAnswer(w.kept)!.slice(2)).toEqual(keptBefore!.slice(2));
    mark = output.length;
    say("watch");
    await waitForOutput(/watch: stopped/, "watch stopped", 5_000, mark);
    mark = output.length;
    say("a on");
    const onMs = await waitForOutput(/VIP \.41 on A {3}VIP \.51 on B/, "A takes .41 back after booting", 120_000, mark);
    expect((await getWhenUp("https://127.0.0.1:8081/vrrp/state")).body).toContain('"routerId":"tandem-a"');
    mark = output.length;
    say("b down"); // typed into B's console: touch /run/tandem/down
    await waitForOutput(/VIP \.41 on A {3}VIP \.51 on A/, "A takes .51 when B's chk_mt_down fails", 15_000, mark);
    mark = output.length;
    say("b up");
    await waitForOutput(/VIP \.41 on A {3}VIP \.51 on B/, "B takes .51 back", 15_000, mark);

    say("q");
    await Promise.race([demo.exited, sleep(30_000)]);
    expect(demo.exitCode).toBe(0);
    expect(output).toContain("demo: namespaces removed");
    expect(sh(["ip", "netns", "list"], false)).not.toMatch(/\btdemo-(l2|client|rs1|rs2)\b/);
    // pgrep directly (not through sh, whose own command line would match).
    expect(sh(["pgrep", "-f", `qemu-system-x86_64.*${dir}`], false).trim()).toBe("");
    expect(sh(["pgrep", "-f", `port-forward.ts.*${dir}`], false).trim()).toBe("");
    // Each real server's nginx ran from its own directory, which its log names.
    for (const rs of ["rs1", "rs2"]) {
      const serverDir = readFileSync(`${dir}/${rs}.log`, "utf8").match(/log (\/tmp\/tandem-rs-\S+)\/access\.log/)?.[1];
      expect(serverDir).toBeDefined();
      expect(sh(["pgrep", "-f", `nginx -p ${serverDir}`], false).trim()).toBe("");
      expect(existsSync(serverDir!)).toBe(false);
    }
    expect(
      await fetch("https://127.0.0.1:8081/", { signal: AbortSignal.timeout(2_000) }).then(
        () => "open",
        () => "closed",
      ),
    ).toBe("closed");
    expect(existsSync(`${dir}/disk-a.img`)).toBe(false);
    console.log(
      `demo: both VIPs on their masters ${secs(bootMs)} after start; 'a off' to .41 on B as the client sees it ${secs(offMs)}; ` +
        `'a on' to .41 back on A ${secs(onMs)}`,
    );
  }, 300_000);
});
