// The flashable disk, out/tandem.img: its partition layout, image/configure-disk.sh's
// refusals, one box powered on from it (BIOS, SYSLINUX, stage 1, squashfs root, data
// partition) up to MASTER, a staged upgrade (and a corrupt one), and the build's
// reproducibility (a second build, as nobody, into another directory gives the same bytes).
// Reports the image sizes and power-on to MASTER.
// Needs root, qemu, e2fsprogs, fdisk, mtools and `make image`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DISK_IMAGE, ROOT } from "./lib/box-disk.ts";
import { Guest, QEMU, secs } from "./lib/guest.ts";
import { sh } from "./lib/private-l2.ts";

const OUT = join(ROOT, "out");
const CONFIGURE = join(ROOT, "image", "configure-disk.sh");

function unavailableReason(): string | null {
  if (process.getuid?.() !== 0) return "needs root (the image tier uses taps in a network namespace)";
  for (const tool of [QEMU, "debugfs", "sfdisk", "mdir", "zstd", "mksquashfs"]) if (!Bun.which(tool)) return `${tool} is missing`;
  if (!existsSync(DISK_IMAGE)) return `${DISK_IMAGE} is missing (run: make image)`;
  return null;
}
const unavailable = unavailableReason();
if (unavailable) console.log(`test/image/disk.test.ts skipped: ${unavailable}`);

/** `length` bytes at `offset`: the image is 800 MiB, not something to read whole. */
function readAt(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const bytes = Buffer.alloc(length);
    readSync(fd, bytes, 0, length, offset);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
const run = (argv: string[]) => Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });

type Partition = { node: string; start: number; size: number; type: string; bootable?: boolean };

/**
 * The box's history size, asked with tandem's own client on the box: it finds the API in
 * the running keepalived.conf (HTTPS on the node's address), pins the certificate from the
 * file, and sends the token from api_token_file.
 */
const EVENT_COUNT = "tandem events -f /etc/keepalived/keepalived.conf --limit 1000 --json | grep -o '\"id\":' | wc -l";

const title = "the flashable disk out/tandem.img (root, qemu)";
describe.skipIf(unavailable !== null)(unavailable ? `${title}: skipped, ${unavailable}` : title, () => {
  let dir = "";
  let box: Guest | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tandem-disk-"));
  });
  afterAll(async () => {
    await box?.kill();
    if (dir && !process.env.TANDEM_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
  });

  test("three partitions: bootable FAT with SYSLINUX, the squashfs root, the ext4 data partition", () => {
    const table = JSON.parse(sh(["sfdisk", "--json", DISK_IMAGE])) as { partitiontable: { label: string; id: string; partitions: Partition[] } };
    expect(table.partitiontable.label).toBe("dos");
    const [boot, root, data] = table.partitiontable.partitions;
    expect(table.partitiontable.partitions.length).toBe(3);
    expect(boot).toMatchObject({ type: "e", bootable: true });
    expect([root?.type, data?.type]).toEqual(["83", "83"]);
    const sector = (p: Partition | undefined) => (p?.start ?? 0) * 512;
    // SYSLINUX's MBR code: the boot sector is not empty, and it ends with 0x55AA.
    const mbr = readAt(DISK_IMAGE, 0, 512);
    expect(mbr.subarray(0, 440).some((b) => b !== 0)).toBe(true);
    expect([mbr[510], mbr[511]]).toEqual([0x55, 0xaa]);

    const files = sh(["mdir", "-a", "-b", "-i", `${DISK_IMAGE}@@${sector(boot)}`, "::/"]);
    for (const f of ["LDLINUX.SYS", "LDLINUX.C32", "SYSLINUX.CFG", "VMLINUZ", "STAGE1.ZST"]) expect(files.toUpperCase()).toContain(f);
    const cfg = sh(["mtype", "-i", `${DISK_IMAGE}@@${sector(boot)}`, "::/syslinux.cfg"]);
    expect(cfg).toMatch(/LINUX \/vmlinuz/);
    expect(cfg).toMatch(/INITRD \/stage1\.zst/);

    const squashMagic = readAt(DISK_IMAGE, sector(root), 4).toString("latin1");
    expect(squashMagic).toBe("hsqs");
    const fs = `${DISK_IMAGE}?offset=${sector(data)}`;
    expect(sh(["dumpe2fs", "-h", fs], false)).toMatch(/Filesystem volume name:\s+tandem-data/);
    const listing = sh(["debugfs", "-R", "ls -p /", fs]);
    for (const name of ["etc", "var", "README"]) expect(listing).toContain(`/${name}/`);
    console.log(
      `disk: tandem.img ${mib(statSync(DISK_IMAGE).size)} raw ` +
        `(boot ${mib((boot?.size ?? 0) * 512)}, root ${mib((root?.size ?? 0) * 512)} holding a ${mib(statSync(join(OUT, "root.squashfs")).size)} squashfs, ` +
        `data ${mib((data?.size ?? 0) * 512)})`,
    );
  });

  test("configure-disk.sh refuses what is not a Tandem disk, a relative path, and a missing file", () => {
    const notDisk = join(dir, "not-a-disk.img");
    writeFileSync(notDisk, Buffer.alloc(1 << 20));
    const node = join(dir, "node.conf");
    writeFileSync(node, "HOSTNAME=x\n");
    let r = run([CONFIGURE, notDisk, "--node", node]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr.toString()).toContain("has no partition 3");

    const disk = join(dir, "disk.img");
    sh(["cp", "--sparse=always", DISK_IMAGE, disk]);
    r = run([CONFIGURE, disk, "--put", `${node}:etc/tandem/x.conf`]);
    expect(r.stderr.toString()).toContain("must be an absolute path");
    r = run([CONFIGURE, disk, "--config", join(dir, "missing.conf")]);
    expect(r.stderr.toString()).toContain("is not a file");
    r = run([CONFIGURE, disk]);
    expect(r.stderr.toString()).toContain("nothing to write");
    r = run([CONFIGURE, disk, "--put", `${node}:/etc/tandem/deep/er/x.conf`]);
    expect(r.exitCode).toBe(0);
    expect(sh(["debugfs", "-R", "cat /etc/tandem/deep/er/x.conf", `${disk}?offset=${readPartitionStart(disk, 3) * 512}`])).toContain("HOSTNAME=x");
  });

  test("one box powered on from the disk reaches MASTER; the root is read-only, /etc/tandem and /var/lib/tandem are on the data partition", async () => {
    const disk = join(dir, "box.img");
    sh(["cp", "--sparse=always", DISK_IMAGE, disk]);
    box = new Guest("disk", { disk }, { isolated: true }, dir);
    box.start();
    const stage1Ms = await box.waitForConsole(/stage1: root \/dev\/vda2/, "stage 1 finds the root", 60_000);
    await box.waitForConsole(/mount-data: first boot: copied the default node\.conf/, "the first boot seeds node.conf", 20_000);
    const tandemMs = await box.waitForConsole(/Tandem [\d.]+ starting/, "tandem starts", 30_000);
    const masterMs = await box.waitForConsole(/VI_1: set 1\/1 virtual addresses: 10\.98\.0\.100\/24 dev eth0/, "VI_1 becomes MASTER", 60_000);
    const mounts = await box.run("cat /proc/mounts");
    expect(mounts).toMatch(/^\/dev\/vda2 \/ squashfs ro/m);
    expect(mounts).toMatch(/^\/dev\/vda3 \/data ext4 rw,noatime,commit=1/m);
    expect(mounts).toMatch(/^\/dev\/vda3 \/var\/lib\/tandem ext4/m);
    expect(mounts).toMatch(/^\/dev\/vda3 \/etc\/tandem ext4/m);
    expect(await box.run("touch /usr/sbin/x 2>&1 || echo refused")).toContain("refused");
    const data = await box.run("ls /data/var/lib/tandem");
    for (const file of ["api-cert.pem", "api-key.pem", "api-token", "tandem.db"]) expect(data).toContain(file);
    expect(box.sinceBoot()).toMatch(/first-boot: API certificate sha256:[0-9A-F:]{95}/);
    expect(await box.run("stat -c %a /var/lib/tandem/api-key.pem")).toBe("600");
    // Short answers only: a long burst through the emulated serial port can duplicate a character.
    expect(await box.run("grep -q '^ADDRESS=10.98.0.11/24$' /data/etc/tandem/node.conf && echo seeded")).toBe("seeded");
    const compressed = Number(sh(["sh", "-c", `zstd -q -c -T0 -3 ${DISK_IMAGE} | wc -c`]).trim());
    console.log(
      `disk: power-on (BIOS, SYSLINUX, bzImage, stage 1) to the squashfs root ${secs(stage1Ms)}, to tandem ${secs(tandemMs)}, ` +
        `to MASTER ${secs(masterMs)} (includes the ~3.6 s master-down interval); ` +
        `tandem.img ${mib(statSync(DISK_IMAGE).size)} raw, ${mib(compressed)} as zstd -3 to download`,
    );
  }, 150_000);

  test("a staged upgrade replaces the root and boot partitions at the next boot and keeps the data; a bad one is rejected", async () => {
    if (!box) throw new Error("the previous test did not boot the box");
    const disk = (box.boot as { disk: string }).disk;
    const eventsBefore = Number(await box.run(EVENT_COUNT));
    expect(eventsBefore).toBeGreaterThan(0);
    await box.run("poweroff", 5_000).catch(() => "");
    await box.exited(30_000);

    // A new root: today's tree plus a marker file, so the upgraded box can show which root it runs.
    const bundle = join(dir, "upgrade");
    sh(["mkdir", "-p", bundle]);
    sh([
      "mksquashfs",
      join(OUT, "rootfs"),
      join(bundle, "root.squashfs"),
      "-noappend",
      "-quiet",
      "-comp",
      "zstd",
      "-Xcompression-level",
      "3",
      "-all-root",
      "-p",
      "usr/lib/tandem/upgrade-marker f 444 0 0 echo upgraded-by-the-image-tier",
    ]);
    sh(["cp", join(OUT, "upgrade", "boot.vfat.gz"), join(bundle, "boot.vfat.gz")]);
    writeFileSync(join(bundle, "SHA256SUMS"), sh(["sh", "-c", `cd ${bundle} && sha256sum root.squashfs boot.vfat.gz`]));
    const stage = (files: string) => {
      try {
        return sh([CONFIGURE, disk, ...["root.squashfs", "boot.vfat.gz", "SHA256SUMS"].flatMap((f) => ["--put", `${join(files, f)}:/upgrade/${f}`])]);
      } catch (error) {
        // Say how the box went down: the console holds the shutdown's own lines.
        throw new Error(`${(error as Error).message}\nthe box's console before it:\n${box!.tail()}`);
      }
    };

    // A corrupt bundle first: refused, nothing written, the box boots as before.
    const bad = join(dir, "bad");
    sh(["cp", "-r", bundle, bad]);
    sh(["sh", "-c", `printf 'x' | dd of=${join(bad, "root.squashfs")} bs=1 seek=100000 conv=notrunc 2>/dev/null`]);
    stage(bad);
    box.start();
    await box.waitForConsole(/upgrade: rejected, nothing written: a file does not match SHA256SUMS/, "the corrupt bundle is rejected", 60_000);
    await box.waitForConsole(/VI_1: \w+ -> MASTER/, "MASTER after the rejected upgrade", 60_000);
    expect(await box.run("cat /usr/lib/tandem/upgrade-marker 2>&1")).toContain("No such file");
    expect(await box.run("ls /data/upgrade/rejected")).toMatch(/SHA256SUMS[^]*boot\.vfat\.gz[^]*root\.squashfs/);
    await box.run("poweroff", 5_000).catch(() => "");
    await box.exited(30_000);

    // The good bundle: stage 1 writes it and reboots (qemu's -no-reboot ends that boot).
    stage(bundle);
    box.start();
    await box.waitForConsole(/upgrade: (applied|rejected)/, "stage 1 handles the upgrade", 90_000);
    expect(box.sinceBoot()).toMatch(/upgrade: applied [0-9a-f]{16}\.\.\.; rebooting into it/);
    await box.exited(30_000);
    box.start();
    const masterMs = await box.waitForConsole(/VI_1: \w+ -> MASTER/, "MASTER on the upgraded root", 90_000);
    expect(box.sinceBoot()).not.toContain("upgrade:");
    expect(await box.run("cat /usr/lib/tandem/upgrade-marker")).toBe("upgraded-by-the-image-tier");
    expect(await box.run("cat /data/upgrade/log")).toMatch(/rejected[^]*writing root\.squashfs to \/dev\/vda2[^]*applied/);
    expect(await box.run("ls /data/upgrade")).not.toContain("root.squashfs");
    const eventsAfter = Number(await box.run(EVENT_COUNT));
    expect(eventsAfter).toBeGreaterThan(eventsBefore);
    console.log(
      `disk: staged upgrade applied by stage 1, upgraded box MASTER ${secs(masterMs)} after power-on; history ${eventsBefore} -> ${eventsAfter} events`,
    );
  }, 300_000);

  test("reproducible and rootless: a second build, as nobody, into another directory gives the same bytes for every output", () => {
    // The build needs no root: the second one runs as nobody (setpriv), reading the first
    // one's package cache. A checkout nobody cannot read (e.g. under /root) leaves only
    // the reproducibility to check, and says so.
    const out2 = mkdtempSync(join(tmpdir(), "tandem-rebuild-"));
    try {
      const rootless = run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "test", "-r", join(ROOT, "image", "build.sh")]).exitCode === 0;
      if (rootless) sh(["chown", "nobody:nogroup", out2]);
      else console.log("disk: the checkout is not readable by nobody; the second build runs as root");
      const argv = ["sh", join(ROOT, "image", "build.sh")];
      const r = Bun.spawnSync(rootless ? ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", ...argv] : argv, {
        env: { ...process.env, OUT: out2, CACHE: join(OUT, "cache"), HOME: out2 },
        stdout: "pipe",
        stderr: "pipe",
      });
      if (r.exitCode !== 0) throw new Error(`second build failed: ${r.stderr.toString()}`);
      expect(readFileSync(join(out2, "SHA256SUMS"), "utf8")).toBe(readFileSync(join(OUT, "SHA256SUMS"), "utf8"));
    } finally {
      rmSync(out2, { recursive: true, force: true });
    }
  }, 300_000);
});

function readPartitionStart(disk: string, n: number): number {
  const table = JSON.parse(sh(["sfdisk", "--json", disk])) as { partitiontable: { partitions: Partition[] } };
  return table.partitiontable.partitions[n - 1]?.start ?? 0;
}
