// The appliance image boots under qemu (TCG) and its tandem becomes MASTER: one guest,
// no peer, so VI_1 moves BACKUP -> MASTER after the master-down interval. Measures boot
// time (qemu start to MASTER) and the image sizes. Needs root, qemu and `make image`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const OUT = join(ROOT, "out");
const VMLINUX = join(OUT, "vmlinux");
const INITRAMFS = join(OUT, "initramfs.zst");
const QEMU = "qemu-system-x86_64";
const ADDRESS = "10.98.0.11/24";

function unavailableReason(): string | null {
  if (process.getuid?.() !== 0) return "needs root (the image tier will use taps in a network namespace)";
  if (!Bun.which(QEMU)) return `${QEMU} is missing (apt-get install qemu-system-x86)`;
  if (!existsSync(VMLINUX) || !existsSync(INITRAMFS)) return `${VMLINUX} or ${INITRAMFS} is missing (run: make image)`;
  return null;
}
const unavailable = unavailableReason();
if (unavailable) console.log(`test/image/boot.test.ts skipped: ${unavailable}`);

const mib = (path: string) => `${(statSync(path).size / 1048576).toFixed(1)} MiB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const title = "appliance image boots under qemu (root, qemu, out/vmlinux)";
describe.skipIf(unavailable !== null)(unavailable ? `${title}: skipped, ${unavailable}` : title, () => {
  let dir = "";
  let serialPath = "";
  let consolePath = "";
  let consoleSocket: Awaited<ReturnType<typeof Bun.connect>> | undefined;
  let commands = 0;
  let qemu: ReturnType<typeof Bun.spawn> | undefined;
  let startedMs = 0;

  const serial = () => (existsSync(serialPath) ? readFileSync(serialPath, "utf8") : "");
  const tail = (lines = 40) => serial().split("\n").slice(-lines).join("\n");
  /** Waits until the serial log matches; fails with the log's tail attached. Returns ms since qemu started. */
  const waitForSerial = async (pattern: RegExp, what: string, timeoutMs: number) => {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (pattern.test(serial())) return performance.now() - startedMs;
      if (qemu?.exitCode !== null) break;
      await sleep(50);
    }
    const why = qemu?.exitCode !== null ? `qemu exited with status ${qemu?.exitCode}` : `not within ${timeoutMs} ms`;
    throw new Error(`${what}: ${why}. Last lines of the serial console (${serialPath}):\n${tail()}`);
  };

  /** Runs a command in the console's root shell and returns its output (between markers). */
  const run = async (command: string, timeoutMs = 20_000): Promise<string> => {
    if (!consoleSocket) {
      consoleSocket = await Bun.connect({ unix: consolePath, socket: { data() {} } });
      consoleSocket.write("\n"); // busybox init's askfirst: "Please press Enter to activate this console."
      await sleep(500);
    }
    const n = ++commands;
    // The tty echoes what is typed; quoting splits the markers so only the output matches.
    consoleSocket.write(`echo "@@"BEGIN-${n}; ${command}; echo "@@"END-${n}\n`);
    await waitForSerial(new RegExp(`@@END-${n}\\r?\\n`), `console command: ${command}`, timeoutMs);
    const text = serial();
    return text.slice(text.lastIndexOf(`@@BEGIN-${n}`) + `@@BEGIN-${n}`.length, text.lastIndexOf(`@@END-${n}`)).trim();
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tandem-image-"));
    serialPath = join(dir, "serial.log");
    consolePath = join(dir, "console.sock");
    startedMs = performance.now();
    qemu = Bun.spawn([
      QEMU, "-accel", "tcg", "-cpu", "max", "-m", "512", "-nographic", "-no-reboot",
      // No NIC that reaches out: one virtio NIC on a qemu hub with no other port.
      "-nic", "none", "-netdev", "hubport,id=n0,hubid=0", "-device", "virtio-net-pci,netdev=n0,romfile=",
      // The console: a unix socket the test types into, logged to serial.log in full.
      "-chardev", `socket,id=console,path=${consolePath},server=on,wait=off,logfile=${serialPath}`,
      "-serial", "chardev:console", "-monitor", "none",
      "-kernel", VMLINUX, "-initrd", INITRAMFS,
      "-append", `console=ttyS0 panic=-1 tandem.hostname=box-a tandem.address=${ADDRESS}`,
    ], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  });

  afterAll(async () => {
    consoleSocket?.end();
    if (qemu && qemu.exitCode === null) {
      qemu.kill("SIGKILL");
      await qemu.exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("one box alone: /init configures it from the command line and tandem becomes MASTER of VI_1", async () => {
    const initMs = await waitForSerial(/init: tandem appliance/, "/init starts", 60_000);
    await waitForSerial(new RegExp(`node-setup: box-a, eth0 ${ADDRESS.replaceAll(".", "\\.")}`), "node-setup applies tandem.address=", 20_000);
    await waitForSerial(/first-boot: created the API token/, "first boot creates the API token", 20_000);
    const tandemMs = await waitForSerial(/Tandem [\d.]+ starting/, "tandem starts", 30_000);
    const masterMs = await waitForSerial(/VI_1: BACKUP -> MASTER/, "VI_1 becomes MASTER", 60_000);
    await waitForSerial(/VI_1: set 1\/1 virtual addresses: 10\.98\.0\.100\/24 dev eth0/, "the VIP is installed", 10_000);
    expect(serial()).not.toMatch(/Kernel panic|module \S+ did not load|node setup failed/);
    console.log(
      `image: vmlinux ${mib(VMLINUX)}, initramfs.zst ${mib(INITRAMFS)}; ` +
      `qemu start to /init ${(initMs / 1000).toFixed(1)} s, to tandem ${(tandemMs / 1000).toFixed(1)} s, ` +
      `to MASTER ${(masterMs / 1000).toFixed(1)} s (includes the ~3.6 s master-down interval)`,
    );
  }, 150_000);

  test("on the box: the API token, the ring log file, the VIP on eth0, and IPVS through ipvsadm", async () => {
    await waitForSerial(/VI_1: set 1\/1 virtual addresses/, "VI_1 becomes MASTER", 90_000);
    expect(await run("wc -c </var/lib/tandem/api-token")).toBe("65"); // 64 hex digits and a newline
    expect(await run("grep -c 'VI_1: BACKUP -> MASTER' /run/tandem.log")).toBe("1");
    expect(await run("ip -4 -o addr show dev eth0")).toContain("inet 10.98.0.100/24");
    const ipvs = await run("ipvsadm -A -t 10.98.0.100:80 -s wlc && ipvsadm -a -t 10.98.0.100:80 -r 10.98.0.21:80 -g && ipvsadm -Ln");
    expect(ipvs).toMatch(/TCP\s+10\.98\.0\.100:80 wlc/);
    expect(ipvs).toMatch(/-> 10\.98\.0\.21:80\s+Route/);
    const rssKb = Number((await run("grep VmRSS /proc/$(pidof tandem)/status")).match(/(\d+) kB/)?.[1]);
    const freeKb = Number((await run("grep MemAvailable /proc/meminfo")).match(/(\d+) kB/)?.[1]);
    console.log(`image: tandem RSS ${(rssKb / 1024).toFixed(0)} MiB, MemAvailable ${(freeKb / 1024).toFixed(0)} MiB of -m 512`);
    expect(rssKb).toBeGreaterThan(0);
  }, 150_000);

  test("the supervisor restarts tandem after kill -9, and it is MASTER again", async () => {
    await waitForSerial(/VI_1: set 1\/1 virtual addresses/, "VI_1 becomes MASTER", 90_000);
    const before = (serial().match(/Tandem [\d.]+ starting/g) ?? []).length;
    await run("kill -9 $(pidof tandem)");
    await waitForSerial(/supervise: tandem exited with status 137/, "the supervisor sees the exit", 10_000);
    await waitForSerial(new RegExp(`(Tandem [\\d.]+ starting[^]*){${before + 1}}`), "tandem starts again", 30_000);
    const again = serial().slice(serial().lastIndexOf("Tandem "));
    expect(again).not.toContain("supervise:");
    await waitForSerial(/supervise: tandem exited[^]*VI_1: \w+ -> MASTER[^]*$/, "MASTER again", 30_000);
  }, 120_000);
});
