// The health-check benchmark (issue 11): throughput and cost of TCP_CHECK, HTTP_GET and SSL_GET.
// - On the host (checks-host.ts, network namespaces, no qemu): tandem's checks pinned to one
//   core, nginx on the other; N checkers at delay_loop 1 rising until the rate stops following
//   or the lag p99 passes 20 ms: checks/s, CPU per check, lag, the director's memory per 1,000
//   checkers, and a VRRPv3 pair at 10 ms adverts in the same daemon (gaps, transitions).
// - In ONE qemu guest of the appliance image (checks-program.ts): the same checks by tandem and
//   by keepalived 2.2.7's checker one after the other at a scale the emulator carries, and the
//   detection time from a server's failure to the kernel's table change, default timers and a
//   fast profile, both daemons.
// Prints markdown tables and writes the JSON report.
//   nice bun test/bench/checks.ts [--only host|guest] [--small] [--rate-only] [--profile] [--no-wait] [--out DIR] [--keep]
// --small: a quick run to try the bench (small N, short windows). --rate-only: the host's ramp
// stops only when the rate stops following N, past the lag bound too. --profile: one step per kind
// on the host with the director's CPU profile (the daemon from a bundle under bun --cpu-prof)
// instead of the ramp. The full run waits for a quiet machine (1-minute load below 0.8) unless
// --no-wait. BENCH_HOST_KINDS=SSL_GET,HTTP_GET: only those kinds on the host. Needs root, nginx
// (scripts/install-test-servers.sh), tcpdump, curl, openssl, and for the guest
// qemu-system-x86_64, cpio, keepalived, the image (TANDEM_IMAGE_DIR or out/).
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { addHostBinary, newGuestRoot, removeUnlessKept, runGuest } from "../fixtures/ipvs/guest.ts";
import { imageDir } from "../ipvs/ipvs-guest.ts";
import { certificateArgv, type CheckKind } from "./checks-config.ts";
import { hostDetection, type HostDetection } from "./checks-host-detection.ts";
import { runHost, type HostResult } from "./checks-host.ts";
import { profileOf, summarizeProfile } from "./checks-profile.ts";
import { renderGuest, renderHost } from "./checks-tables.ts";

const REPO = resolve(import.meta.dir, "../..");
const NGINX = join(process.env.TEST_SERVERS ?? "/var/cache/tandem-test", "nginx/usr/sbin/nginx");
const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(name);
const option = (name: string): string | undefined => (argv.indexOf(name) >= 0 ? argv[argv.indexOf(name) + 1] : undefined);
const outDir = resolve(option("--out") ?? join(REPO, "out/bench"));
const only = option("--only");
const small = flag("--small");
const profile = flag("--profile");

const ALL_HOST_STEPS: Record<CheckKind, number[]> = small
  ? { TCP_CHECK: [500, 1000], HTTP_GET: [300], SSL_GET: [100] }
  : profile
    ? { TCP_CHECK: [3_000], HTTP_GET: [2_000], SSL_GET: [400] }
    : { TCP_CHECK: [1_000, 2_500, 4_000, 6_000, 10_000, 15_000], HTTP_GET: [1_000, 2_000, 3_000, 4_500], SSL_GET: [200, 400, 500, 700, 1_000] };
/** BENCH_HOST_KINDS=SSL_GET,HTTP_GET: only those kinds' ramps on the host (a change to one kind's checks, measured alone). */
const HOST_KINDS = process.env.BENCH_HOST_KINDS?.split(",");
const HOST_STEPS = Object.fromEntries(
  Object.entries(ALL_HOST_STEPS).map(([kind, steps]) => [kind, !HOST_KINDS || HOST_KINDS.includes(kind) ? steps : []]),
) as Record<CheckKind, number[]>;
const GUEST_SCALE: Record<CheckKind, number> = small ? { TCP_CHECK: 30, HTTP_GET: 20, SSL_GET: 10 } : { TCP_CHECK: 25, HTTP_GET: 15, SSL_GET: 8 };
const WINDOWS = 3;
const WINDOW_S = small ? 4 : 10;
const GUEST_CPUS = 2;
const QUIET_LOAD = 0.8;

function fail(message: string): never {
  console.error(`checks bench: ${message}`);
  process.exit(2);
}

const log = (message: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
const uptime = (): string => Bun.spawnSync(["uptime"]).stdout.toString().trim();
const loadAverage = (): number => Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);

/** Benchmarks need a quiet machine: waits (BENCH_QUIET_WAIT_MIN, default 30 minutes) until the 1-minute load is below QUIET_LOAD. */
async function quietMachine(): Promise<string> {
  if (small || flag("--no-wait")) return `not waited for (${uptime()})`;
  const t0 = Date.now();
  const waitMin = Number(process.env.BENCH_QUIET_WAIT_MIN ?? 30);
  while (loadAverage() >= QUIET_LOAD) {
    if (Date.now() - t0 > waitMin * 60_000) return `still loaded after ${waitMin} minutes: ${uptime()}`;
    log(`waiting for a quiet machine: ${uptime()}`);
    await Bun.sleep(30_000);
  }
  return uptime();
}

function compile(entry: string, outfile: string, bytecode = true): void {
  const args = bytecode ? ["build", "--compile", "--bytecode", entry, "--outfile", outfile] : ["build", "--target=bun", entry, "--outfile", outfile];
  const build = Bun.spawnSync([process.execPath, ...args], { cwd: REPO, stderr: "pipe" });
  if (build.exitCode !== 0) fail(`bun ${args.join(" ")}: ${build.stderr.toString()}`);
}

async function host(work: string): Promise<{ result: HostResult; profiles?: Record<string, unknown>; detection?: HostDetection }> {
  if (!existsSync(NGINX)) fail(`${NGINX} is missing (scripts/install-test-servers.sh)`);
  if (process.getuid?.() !== 0) fail("the host part needs root (network namespaces)");
  const binary = join(work, "tandem");
  compile("src/main.ts", binary);
  let tandem = binary;
  const profileDir = join(work, "profiles");
  if (profile) {
    // The same source as a bundle on this runtime, which takes --cpu-prof (BUN_OPTIONS reaches every process it starts).
    compile("src/main.ts", join(work, "tandem.js"), false);
    mkdirSync(profileDir, { recursive: true });
    tandem = `env BUN_OPTIONS='--cpu-prof --cpu-prof-dir=${profileDir}' ${process.execPath} ${join(work, "tandem.js")}`;
  }
  const lagBoundMs = flag("--rate-only") ? Number.POSITIVE_INFINITY : 20;
  const result = await runHost({ steps: HOST_STEPS, windows: WINDOWS, windowS: WINDOW_S, lagBoundMs, tandem, backupTandem: binary, log });
  if (!profile) return { result, detection: await hostDetection({ tandem: binary, servers: small ? 3 : 10, trials: small ? 1 : 3, log }) };
  const profiles: Record<string, unknown> = {};
  for (const step of result.steps) {
    const file = step.directorPid ? profileOf(profileDir, step.directorPid) : undefined;
    profiles[`${step.kind} x ${step.servers}`] = file
      ? summarizeProfile(file)
      : { error: `no profile of the director (pid ${step.directorPid}) in ${profileDir}` };
  }
  return { result, profiles };
}

async function guest(work: string): Promise<Map<string, unknown>> {
  const image = imageDir() ?? fail("no image: set TANDEM_IMAGE_DIR to a directory with vmlinux and initramfs.zst (make image)");
  const { work: guestWork, root } = newGuestRoot();
  const tools = {
    BENCH_KEEPALIVED: addHostBinary(root, "keepalived"),
    BENCH_IP: addHostBinary(root, "ip"),
    BENCH_NGINX: addHostBinary(root, NGINX),
  };
  mkdirSync(join(root, "capture/cert"), { recursive: true });
  const made = Bun.spawnSync(certificateArgv(join(root, "capture/cert")), { stderr: "pipe" });
  if (made.exitCode !== 0) fail(`openssl: ${made.stderr.toString()}`);
  compile("test/bench/checks-program.ts", join(root, "capture/bench.js"), false);
  compile("src/main.ts", join(root, "capture/tandem"));
  const env: Record<string, string> = {
    ...tools,
    BENCH_GUEST_SCALE: JSON.stringify(GUEST_SCALE),
    BENCH_WINDOWS: String(WINDOWS),
    BENCH_WINDOW_S: String(WINDOW_S),
  };
  if (process.env.BENCH_ONLY) env.BENCH_ONLY = process.env.BENCH_ONLY;
  if (small) Object.assign(env, { BENCH_FAST_TRIALS: "2", BENCH_DETECTION_SERVERS: "4", BENCH_FAST_SERVERS: "2" });
  const init = `#!/bin/sh
# PID 1 of the benchmark guest (written by test/bench/checks.ts).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mkdir -p /run && mount -t tmpfs tmpfs /run
for module in virtio_pci virtio_net nf_conntrack ip_vs ip_vs_rr ip_vs_wrr; do modprobe $module; done
ip link set lo up
ulimit -n 65536
cd /tmp
${Object.entries(env)
  .map(([name, value]) => `export ${name}='${value}'`)
  .join("\n")}
echo "=== START $(uname -r)" > /dev/ttyS1
BUN_BE_BUN=1 BUN_RUNTIME_TRANSPILER_CACHE_PATH=0 /usr/sbin/tandem /capture/bench.js > /dev/ttyS1 2>&1
echo "=== EXIT $?" > /dev/ttyS1
echo "=== DONE" > /dev/ttyS1
echo o > /proc/sysrq-trigger
`;
  log(`booting the guest (${GUEST_CPUS} vCPUs, TCG) from ${image}; host: ${uptime()}`);
  const data = await runGuest({ work: guestWork, root, init, out: image, memoryMb: 2048, cpus: GUEST_CPUS, timeoutMs: 60 * 60_000 });
  if (flag("--keep")) copyFileSync(join(guestWork, "console.log"), join(work, "guest-console.log"));
  removeUnlessKept(guestWork, argv);
  const results = new Map<string, unknown>();
  for (const match of data.matchAll(/^=== RESULT (\S+) (.*)$/gm)) results.set(match[1]!, JSON.parse(match[2]!));
  if (results.has("crash")) {
    console.error(data.slice(-6000));
    fail(`the guest program crashed: ${(results.get("crash") as { message: string }).message}`);
  }
  return results;
}

async function main(): Promise<void> {
  const work = join("/tmp", `checks-bench-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const started = new Date();
  const report: Record<string, unknown> = {
    started: started.toISOString(),
    host: { cpus: cpus().length, kernel: Bun.spawnSync(["uname", "-r"]).stdout.toString().trim() },
  };
  const out: string[] = [];
  if (only !== "guest") {
    const before = await quietMachine();
    log(`host part: ${before}`);
    const { result, profiles, detection } = await host(work);
    report.hostPart = { uptimeBefore: before, uptimeAfter: uptime(), ...result, ...(profiles ? { profiles } : {}), ...(detection ? { detection } : {}) };
    out.push(renderHost(result, profiles, detection));
  }
  if (only !== "host") {
    const before = await quietMachine();
    const results = await guest(work);
    report.guestPart = {
      uptimeBefore: before,
      uptimeAfter: uptime(),
      guest: { cpus: GUEST_CPUS, memoryMb: 2048, accel: "tcg" },
      scale: GUEST_SCALE,
      results: Object.fromEntries(results),
    };
    out.push(renderGuest(results));
  }
  report.finished = new Date().toISOString();
  console.log(out.join("\n\n"));
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `checks-${started.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(report, null, 1));
  console.log(`\nJSON: ${file}`);
}

if (import.meta.main) await main();
