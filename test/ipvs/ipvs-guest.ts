// Boots the appliance's kernel and root under qemu (TCG, no network but an isolated NIC) with an
// extra cpio holding a test program bundled from this tree, run by the image's own tandem binary
// acting as the Bun runtime (BUN_BE_BUN=1), and returns what it printed between markers. A test
// may add host binaries (with their own libraries) and kernel modules the image leaves out.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";

const REPO = resolve(import.meta.dir, "../..");

/** The image to boot: $TANDEM_IMAGE_DIR, else this tree's out/ (make image). */
export function imageDir(): string | undefined {
  const candidates = [process.env.TANDEM_IMAGE_DIR, join(REPO, "out")].filter((dir): dir is string => Boolean(dir));
  return candidates.find((dir) => existsSync(join(dir, "vmlinux")) && existsSync(join(dir, "initramfs.zst")));
}

export const hasQemu = (): boolean => Bun.which("qemu-system-x86_64") !== null && Bun.which("cpio") !== null;

export interface GuestRun {
  /** name -> the JSON value the program printed as "=== RESULT name value". */
  results: Map<string, unknown>;
  /** Everything the program printed, for failure messages. */
  output: string;
  /** Milliseconds from qemu's start to its exit. */
  elapsedMs: number;
}

export interface GuestOptions {
  timeoutMs?: number;
  memoryMb?: number;
  /** vCPUs; default $IPVS_GUEST_SMP, else 1. */
  smp?: number;
  /**
   * Host binaries (absolute paths) the program runs by name: each is /ktest/bin/NAME in the
   * guest (first on PATH), run by the host's loader with the libraries ldd lists, since the
   * image's libc is not the host's.
   */
  hostBinaries?: string[];
  /** Kernel modules the image does not carry (veth, bridge, ipip, ...), loaded with their dependencies before the program. */
  modules?: string[];
}

/** Runs `program` (a .ts under test/) in a fresh guest; throws with the console's tail if it does not finish. */
export async function runInGuest(program: string, image: string, options: GuestOptions = {}): Promise<GuestRun> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  const work = mkdtempSync(join(tmpdir(), "ipvs-guest-"));
  try {
    const root = join(work, "root");
    mkdirSync(join(root, "ktest"), { recursive: true });
    for (const binary of options.hostBinaries ?? []) addHostBinary(root, binary);
    const insmods = addModules(root, image, options.modules ?? []);
    const build = Bun.spawnSync([process.execPath, "build", "--target=bun", program, "--outfile", join(root, "ktest/program.js")], {
      cwd: REPO,
      stderr: "pipe",
    });
    if (build.exitCode !== 0) throw new Error(`bun build ${program} failed: ${build.stderr.toString()}`);
    const init = `#!/bin/sh
# PID 1 of the test guest (written by test/ipvs/ipvs-guest.ts). IPVS is not loaded here: the port's own request loads it.
export PATH=/ktest/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mkdir -p /run && mount -t tmpfs tmpfs /run
for module in virtio_pci virtio_net; do modprobe $module; done
${insmods.map((path) => `insmod ${path} 2>/dev/null`).join("\n")}
ip link set lo up
ip link set eth0 up
ip addr add 192.0.2.10/24 dev eth0
cd /tmp
echo "=== START $(uname -r)" > /dev/ttyS1
BUN_BE_BUN=1 BUN_RUNTIME_TRANSPILER_CACHE_PATH=0 /usr/sbin/tandem /ktest/program.js > /dev/ttyS1 2>&1
echo "=== EXIT $?" > /dev/ttyS1
echo o > /proc/sysrq-trigger
`;
    writeFileSync(join(root, "ktest/init"), init, { mode: 0o755 });
    const list = Bun.spawnSync(["find", "."], { cwd: root }).stdout;
    const archive = Bun.spawnSync(["cpio", "--quiet", "-o", "-H", "newc", "--owner=0:0"], { cwd: root, stdin: list });
    if (archive.exitCode !== 0) throw new Error(`cpio failed: ${archive.stderr.toString()}`);
    // The kernel unpacks concatenated archives in order: ours (plain newc) first, then the image's root.
    const initrd = join(work, "initrd");
    writeFileSync(initrd, Buffer.concat([archive.stdout, readFileSync(join(image, "initramfs.zst"))]));
    const consoleLog = join(work, "console.log");
    const dataLog = join(work, "data.log");
    const started = performance.now();
    const qemu = Bun.spawn(
      [
        "qemu-system-x86_64",
        "-accel",
        "tcg",
        "-cpu",
        "max",
        "-m",
        String(options.memoryMb ?? 1024),
        "-smp",
        String(options.smp ?? process.env.IPVS_GUEST_SMP ?? "1"),
        "-nographic",
        "-no-reboot",
        "-nic",
        "none",
        // A NIC on a hub with no other port: eth0 exists for the sync daemon, and reaches nothing.
        "-netdev",
        "hubport,id=n0,hubid=0",
        "-device",
        "virtio-net-pci,netdev=n0,romfile=",
        "-kernel",
        join(image, "vmlinux"),
        "-initrd",
        initrd,
        "-append",
        "console=ttyS0 rdinit=/ktest/init panic=-1 loglevel=4",
        "-serial",
        `file:${consoleLog}`,
        "-serial",
        `file:${dataLog}`,
        "-monitor",
        "none",
      ],
      { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
    );
    const timer = setTimeout(() => qemu.kill("SIGKILL"), timeoutMs);
    await qemu.exited;
    clearTimeout(timer);
    const elapsedMs = performance.now() - started;
    const output = existsSync(dataLog) ? readFileSync(dataLog, "utf8").replaceAll("\r", "") : "";
    if (!output.includes("=== DONE")) {
      const consoleText = existsSync(consoleLog) ? readFileSync(consoleLog, "utf8") : "";
      throw new Error(
        `the guest did not finish in ${Math.round(elapsedMs)} ms; console tail:\n${consoleText.split("\n").slice(-30).join("\n")}\nprogram output:\n${output.slice(-4000)}`,
      );
    }
    const results = new Map<string, unknown>();
    for (const match of output.matchAll(/^=== RESULT (\S+) (.*)$/gm)) results.set(match[1]!, JSON.parse(match[2]!));
    return { results, output, elapsedMs };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Copies a host binary and the libraries ldd lists for it into the guest root, behind a wrapper on PATH. */
function addHostBinary(root: string, path: string): void {
  if (!existsSync(path)) throw new Error(`${path} is missing on the host (scripts/install-test-servers.sh puts the test servers in place)`);
  const name = basename(path);
  for (const dir of ["ktest/bin", "ktest/real", "ktest/lib"]) mkdirSync(join(root, dir), { recursive: true });
  copyFileSync(path, join(root, "ktest/real", name));
  chmodSync(join(root, "ktest/real", name), 0o755);
  const ldd = Bun.spawnSync(["ldd", path]).stdout.toString();
  if (/not found/.test(ldd)) throw new Error(`ldd ${path}: a library is missing on the host:\n${ldd}`);
  let loader = "";
  for (const match of ldd.matchAll(/(\/\S+\.so[.\d]*)/g)) {
    const library = match[1]!;
    copyFileSync(realpathSync(library), join(root, "ktest/lib", basename(library)));
    if (basename(library).startsWith("ld-linux")) loader = `/ktest/lib/${basename(library)}`;
  }
  if (!loader) throw new Error(`no loader in ldd's output for ${path}:\n${ldd}`);
  writeFileSync(join(root, "ktest/bin", name), `#!/bin/sh\nexec ${loader} --library-path /ktest/lib /ktest/real/${name} "$@"\n`, { mode: 0o755 });
}

/**
 * Copies `modules` and their dependencies from the image's unpacked kernel package (the same
 * kernel the guest boots) into the guest root; returns their guest paths in load order.
 */
function addModules(root: string, image: string, modules: readonly string[]): string[] {
  if (modules.length === 0) return [];
  const packages = join(image, "cache/pkgs");
  const kernelPackage = existsSync(packages) ? readdirSync(packages).find((name) => name.startsWith("linux-image-")) : undefined;
  if (!kernelPackage) throw new Error(`${packages}/linux-image-* is missing: the image's kernel package (make image unpacks it there)`);
  const tree = join(packages, kernelPackage);
  const version = readdirSync(join(tree, "lib/modules"))[0]!;
  const paths: string[] = [];
  mkdirSync(join(root, "ktest/modules"), { recursive: true });
  for (const module of modules) {
    const shown = Bun.spawnSync(["modprobe", "-d", tree, "-S", version, "--show-depends", module], { stderr: "pipe" });
    if (shown.exitCode !== 0) throw new Error(`modprobe --show-depends ${module}: ${shown.stderr.toString()}`);
    for (const match of shown.stdout.toString().matchAll(/^insmod (\S+)/gm)) {
      const guestPath = `/ktest/modules/${basename(match[1]!)}`;
      if (paths.includes(guestPath)) continue;
      copyFileSync(match[1]!, join(root, guestPath));
      paths.push(guestPath);
    }
  }
  return paths;
}
