// The appliance's direct qemu boot (out/vmlinux + out/initramfs.zst: the whole root in
// RAM, no disk) comes up and its tandem becomes MASTER: one guest, no peer, so VI_1 moves
// BACKUP -> MASTER after the master-down interval. Also checks what the box offers its
// operator (token, ring log, ipvsadm), the supervisor's restart, and that a box without
// a data partition says its history is in RAM. Needs root, qemu and `make image`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./lib/box-disk.ts";
import { Guest, QEMU, secs } from "./lib/guest.ts";

const VMLINUX = join(ROOT, "out", "vmlinux");
const INITRAMFS = join(ROOT, "out", "initramfs.zst");
const ADDRESS = "10.98.0.11/24";

function unavailableReason(): string | null {
  if (process.getuid?.() !== 0) return "needs root (the image tier uses taps in a network namespace)";
  if (!Bun.which(QEMU)) return `${QEMU} is missing (apt-get install qemu-system-x86)`;
  if (!existsSync(VMLINUX) || !existsSync(INITRAMFS)) return `${VMLINUX} or ${INITRAMFS} is missing (run: make image)`;
  return null;
}
const unavailable = unavailableReason();
if (unavailable) console.log(`test/image/boot.test.ts skipped: ${unavailable}`);

const mib = (path: string) => `${(statSync(path).size / 1048576).toFixed(1)} MiB`;

const title = "appliance kernel + initramfs boot under qemu (root, qemu, out/vmlinux)";
describe.skipIf(unavailable !== null)(unavailable ? `${title}: skipped, ${unavailable}` : title, () => {
  let dir = "";
  let box: Guest;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tandem-image-"));
    box = new Guest(
      "a",
      {
        kernel: VMLINUX,
        initrd: INITRAMFS,
        append: `console=ttyS0 panic=-1 tandem.hostname=box-a tandem.address=${ADDRESS}`,
      },
      { isolated: true },
      dir,
    );
    box.start();
  });

  afterAll(async () => {
    await box?.kill();
    if (dir && !process.env.TANDEM_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
  });

  test("one box alone: /init configures it from the command line and tandem becomes MASTER of VI_1", async () => {
    const initMs = await box.waitForConsole(/init: tandem appliance/, "/init starts", 60_000);
    await box.waitForConsole(new RegExp(`node-setup: box-a, eth0 ${ADDRESS.replaceAll(".", "\\.")}`), "node-setup applies tandem.address=", 20_000);
    await box.waitForConsole(
      /mount-data: no data partition \(label tandem-data\): the history and the API token are kept in RAM/,
      "mount-data reports the RAM fallback",
      20_000,
    );
    await box.waitForConsole(/first-boot: created the API token/, "first boot creates the API token", 20_000);
    await box.waitForConsole(/first-boot: API certificate sha256:[0-9A-F:]{95}/, "first boot creates the API certificate", 20_000);
    const fingerprint = box.sinceBoot().match(/first-boot: API certificate (sha256:[0-9A-F:]{95})/)?.[1];
    expect(fingerprint).toBeDefined();
    const tandemMs = await box.waitForConsole(/Tandem [\d.]+ starting/, "tandem starts", 30_000);
    const masterMs = await box.waitForConsole(/VI_1: BACKUP -> MASTER/, "VI_1 becomes MASTER", 60_000);
    await box.waitForConsole(/VI_1: set 1\/1 virtual addresses: 10\.98\.0\.100\/24 dev eth0/, "the VIP is installed", 10_000);
    // The default config: HTTPS on the node's own address, with the certificate first boot made.
    await box.waitForConsole(
      /REST API and status page on https:\/\/10\.98\.0\.11:8443 \(certificate CN=box-a \((sha256:[0-9A-F:]{95})\)/,
      "the API serves HTTPS on the node's address",
      10_000,
    );
    expect(box.sinceBoot()).toContain(`(certificate CN=box-a (${fingerprint})`);
    expect(box.sinceBoot()).not.toMatch(/Kernel panic|module \S+ did not load|setup failed/);
    console.log(
      `image: vmlinux ${mib(VMLINUX)}, initramfs.zst ${mib(INITRAMFS)}; ` +
        `qemu start to /init ${secs(initMs)}, to tandem ${secs(tandemMs)}, ` +
        `to MASTER ${secs(masterMs)} (includes the ~3.6 s master-down interval)`,
    );
  }, 150_000);

  test("on the box: the API token, the ring log file, the VIP on eth0, and IPVS through ipvsadm", async () => {
    await box.waitForConsole(/VI_1: set 1\/1 virtual addresses/, "VI_1 becomes MASTER", 90_000);
    expect(await box.run("wc -c </var/lib/tandem/api-token")).toBe("65"); // 64 hex digits and a newline
    // tandem's own client on the box: HTTPS found from the config, the certificate pinned from its file.
    expect(await box.run('tandem state -f /etc/keepalived/keepalived.conf --json | grep -c \'"state":"MASTER"\'')).toBe("1");
    expect(await box.run("grep -c 'VI_1: BACKUP -> MASTER' /run/tandem.log")).toBe("1");
    expect(await box.run("ip -4 -o addr show dev eth0")).toContain("inet 10.98.0.100/24");
    const ipvs = await box.run("ipvsadm -A -t 10.98.0.100:80 -s wlc && ipvsadm -a -t 10.98.0.100:80 -r 10.98.0.21:80 -g && ipvsadm -Ln");
    expect(ipvs).toMatch(/TCP\s+10\.98\.0\.100:80 wlc/);
    expect(ipvs).toMatch(/-> 10\.98\.0\.21:80\s+Route/);
    // The daemon is three processes (supervisor, VRRP engine, observer): the sum of their RSS.
    expect(Number(await box.run("pidof tandem | wc -w"))).toBe(3);
    const rssKb = Number(await box.run("for p in $(pidof tandem); do grep VmRSS /proc/$p/status; done | awk '{ s += $2 } END { print s }'"));
    const freeKb = Number((await box.run("grep MemAvailable /proc/meminfo")).match(/(\d+) kB/)?.[1]);
    console.log(`image: tandem RSS ${(rssKb / 1024).toFixed(0)} MiB, MemAvailable ${(freeKb / 1024).toFixed(0)} MiB of -m 512`);
    expect(rssKb).toBeGreaterThan(0);
  }, 150_000);

  test("the supervisor restarts tandem after kill -9, and it is MASTER again", async () => {
    await box.waitForConsole(/VI_1: set 1\/1 virtual addresses/, "VI_1 becomes MASTER", 90_000);
    const before = (box.sinceBoot().match(/Tandem [\d.]+ starting/g) ?? []).length;
    await box.run("kill -9 $(pidof tandem)");
    await box.waitForConsole(/supervise: tandem exited with status 137/, "the supervisor sees the exit", 10_000);
    await box.waitForConsole(new RegExp(`(Tandem [\\d.]+ starting[^]*){${before + 1}}`), "tandem starts again", 30_000);
    const again = box.sinceBoot().slice(box.sinceBoot().lastIndexOf("Tandem "));
    expect(again).not.toContain("supervise:");
    await box.waitForConsole(/supervise: tandem exited[^]*VI_1: \w+ -> MASTER[^]*$/, "MASTER again", 30_000);
  }, 120_000);
});
