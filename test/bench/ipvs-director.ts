// The IPVS director benchmark (issue 10 §5): tandem's director beside `ipvsadm -R` and
// keepalived 2.2.7, all in ONE qemu guest booted from the appliance image, in the same run
// (test/bench/ipvs-director-program.ts is what runs there): load 1,000 x 10 from empty; reload
// 2,000 x 20 with 1 % of the weights changed (writes and time); the drift scan of 40,000
// destinations; a VRRPv3 pair at 10 ms adverts running through the 1,000 x 10 loads; the
// director's memory and its status loop. Prints markdown tables and writes the JSON report.
//   nice bun test/bench/ipvs-director.ts [--out DIR] [--keep]    (TANDEM_IMAGE_DIR=/work/main/out)
// BENCH_ONLY=small runs only the 1,000 x 10 loads and the pair; BENCH_ONLY=large only tandem's 2,000 x 20 parts; BENCH_ONLY=tandem-load only
// tandem's load, and BENCH_PROFILE=1 adds each director process's CPU profile (top functions).
// Needs qemu-system-x86_64, cpio, and on the host keepalived, ip (iproute2), tcpdump and strace,
// which are copied into the guest with their libraries. No root. Slow (TCG): ~10 minutes.
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { addHostBinary, newGuestRoot, removeUnlessKept, runGuest } from "../fixtures/ipvs/guest.ts";
import { imageDir } from "../ipvs/ipvs-guest.ts";
import { parseTimes } from "./emulation-penalty.ts";
import { keepalivedConf } from "./ipvs-director-tables.ts";
import { markdownTable } from "./stats.ts";

const REPO = resolve(import.meta.dir, "../..");
const GUEST_CPUS = Number(process.env.BENCH_GUEST_CPUS ?? 2);
const GUEST_MEMORY_MB = 2048;
const argv = process.argv.slice(2);
const outArg = argv.indexOf("--out");
const outDir = outArg >= 0 ? resolve(argv[outArg + 1]!) : join(REPO, "out/bench");

function fail(message: string): never {
  console.error(`ipvs-director bench: ${message}`);
  process.exit(2);
}

/** veth is not in the image's module set; the kernel package the image was built from has it. */
function vethModule(image: string): string {
  const packages = join(image, "cache/pkgs");
  for (const pkg of existsSync(packages) ? readdirSync(packages).filter((p) => p.startsWith("linux-image-")) : []) {
    const modules = join(packages, pkg, "lib/modules");
    for (const version of readdirSync(modules)) {
      const path = join(modules, version, "kernel/drivers/net/veth.ko");
      if (existsSync(path)) return path;
    }
  }
  fail(`no veth.ko under ${packages} (the image build's kernel package)`);
}

function compile(entry: string, outfile: string): void {
  const build = Bun.spawnSync([process.execPath, "build", "--compile", "--bytecode", entry, "--outfile", outfile], { cwd: REPO, stderr: "pipe" });
  if (build.exitCode !== 0) fail(`bun build --compile ${entry}: ${build.stderr.toString()}`);
}

function bundle(entry: string, outfile: string): void {
  const build = Bun.spawnSync([process.execPath, "build", "--target=bun", entry, "--outfile", outfile], { cwd: REPO, stderr: "pipe" });
  if (build.exitCode !== 0) fail(`bun build ${entry}: ${build.stderr.toString()}`);
}

async function main(): Promise<void> {
  const image = imageDir() ?? fail("no image: set TANDEM_IMAGE_DIR to a directory with vmlinux and initramfs.zst (make image)");
  const { work, root } = newGuestRoot();
  const tools = {
    BENCH_KEEPALIVED: addHostBinary(root, "keepalived"),
    BENCH_IP: addHostBinary(root, "ip"),
    BENCH_TCPDUMP: addHostBinary(root, "tcpdump"),
    BENCH_STRACE: addHostBinary(root, "strace"),
  };
  copyFileSync(vethModule(image), join(root, "capture/veth.ko"));
  bundle("test/bench/ipvs-director-program.ts", join(root, "capture/bench.js"));
  // The director as this tree has it: this tree's binary, built as the Makefile builds it
  // (bytecode); with BENCH_PROFILE, this bundle on the image's runtime, which takes --cpu-prof.
  compile("src/main.ts", join(root, "capture/tandem"));
  if (process.env.BENCH_PROFILE) bundle("src/main.ts", join(root, "capture/tandem.js"));
  const init = `#!/bin/sh
# PID 1 of the benchmark guest (written by test/bench/ipvs-director.ts).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mkdir -p /run && mount -t tmpfs tmpfs /run
for module in virtio_pci virtio_net nf_conntrack ip_vs ip_vs_wrr; do modprobe $module; done
ip link set lo up
cd /tmp
${process.env.BENCH_ONLY ? `export BENCH_ONLY='${process.env.BENCH_ONLY}'` : ""}
${process.env.BENCH_PROFILE ? "export BENCH_PROFILE=1" : ""}
${Object.entries(tools)
  .map(([name, command]) => `export ${name}='${command}'`)
  .join("\n")}
echo "=== START $(uname -r)" > /dev/ttyS1
BUN_BE_BUN=1 BUN_RUNTIME_TRANSPILER_CACHE_PATH=0 /usr/sbin/tandem /capture/bench.js > /dev/ttyS1 2>&1
echo "=== EXIT $?" > /dev/ttyS1
echo "=== DONE" > /dev/ttyS1
echo o > /proc/sysrq-trigger
`;
  // The same two parses the guest times, here (emulation-penalty.ts): the same binaries, the same file.
  const conf = join(work, "small.conf");
  writeFileSync(conf, keepalivedConf({ services: 1_000, realServers: 10 }));
  const hostParse = await parseTimes(Bun.which("keepalived") ?? fail("no keepalived on the host"), join(root, "capture/tandem"), conf);
  const started = new Date();
  const load = Bun.spawnSync(["uptime"]).stdout.toString().trim();
  console.error(`booting the guest (${GUEST_CPUS} vCPUs, TCG) from ${image}; host: ${load}`);
  const data = await runGuest({ work, root, init, out: image, memoryMb: GUEST_MEMORY_MB, cpus: GUEST_CPUS, timeoutMs: 40 * 60_000 });
  removeUnlessKept(work, argv);
  const results = new Map<string, unknown>();
  for (const match of data.matchAll(/^=== RESULT (\S+) (.*)$/gm)) results.set(match[1]!, JSON.parse(match[2]!));
  results.set("parse-host", hostParse);
  if (results.has("crash")) {
    console.error(data.slice(-6000));
    fail(`the guest program crashed: ${(results.get("crash") as { message: string }).message}`);
  }
  const report = {
    started: started.toISOString(),
    finished: new Date().toISOString(),
    host: { cpus: cpus().length, uptimeBefore: load, uptimeAfter: Bun.spawnSync(["uptime"]).stdout.toString().trim() },
    guest: { cpus: GUEST_CPUS, memoryMb: GUEST_MEMORY_MB, accel: "tcg" },
    results: Object.fromEntries(results),
  };
  console.log(render(results));
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `ipvs-director-${started.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(report, null, 1));
  console.log(`\nJSON: ${file}`);
}

// ---- The tables.

/** The guest's JSON results, read loosely: a missing one prints as "-". */
type Any = Record<string, any>;
const ms = (value: number | undefined): string => (value === undefined || !Number.isFinite(value) ? "-" : `${Math.round(value).toLocaleString("en-US")} ms`);
const cpuText = (cpu: { userMs: number; systemMs: number } | undefined): string =>
  cpu ? `CPU ${ms(cpu.userMs)} user, ${ms(cpu.systemMs)} system (the kernel)` : "CPU -";
const mb = (kb: number | undefined): string => (kb === undefined || !Number.isFinite(kb) ? "-" : `${(kb / 1024).toFixed(1)} MB`);

export function render(results: Map<string, unknown>): string {
  const get = (name: string): Any => (results.get(name) as Any | undefined) ?? {};
  const out: string[] = [];
  const guest = get("guest");
  out.push(`guest: ${guest.kernel}, ${guest.cpus} vCPUs (TCG), clocksource ${guest.clocksource}\n`);

  const ipvsadm = get("load-ipvsadm");
  const keepalived = get("load-keepalived");
  const tandem = get("load-tandem");
  const floor = get("load-floor");
  out.push("## Load 1,000 x 10 from an empty table (until the table is complete)\n");
  out.push(
    markdownTable(
      ["", "time", "entries", "notes"],
      [
        [
          "the kernel's floor",
          ms(floor.ms),
          String(floor.entries),
          `the same ${floor.writes} requests encoded beforehand, sent in batches by one process (${floor.failures} failed): ${cpuText(floor.cpu)}`,
        ],
        ["ipvsadm -R", ms(ipvsadm.ms), String(ipvsadm.entries), `exit ${ipvsadm.exit}; ${cpuText(ipvsadm.cpu)}`],
        [
          "keepalived 2.2.7 (-C)",
          ms(keepalived.verifiedMs),
          String(keepalived.entries),
          `start to last service complete ${ms(keepalived.lastServiceMs)}; polled every 10 ms`,
        ],
        [
          "tandem director",
          ms(tandem.completeMs),
          String(tandem.entries),
          `parse ${ms(tandem.parseMs)}; the start pass began at ${ms(tandem.passStartedMs)} (process start, the configuration received and planned, the preflight); in it: the read ${ms(tandem.readMs)}, planning ${ms(tandem.planMs)}, the writes ${ms(tandem.applyMs)} (${tandem.writes} writes, ${tandem.failures} failed); started ${ms(tandem.startedMs)}; the director process until then: ${cpuText(tandem.cpu)}`,
        ],
        ["tandem / ipvsadm -R", `${((tandem.completeMs / ipvsadm.ms) * 100).toFixed(0)} %`, "", "target: at most 50 %"],
      ],
    ),
  );
  const inGuest = get("parse-guest");
  const onHost = get("parse-host");
  const slower = (side: "keepalived" | "tandem") => `${(inGuest[side]?.ms / onHost[side]?.ms).toFixed(1)}x`;
  out.push("\nThe emulation's cost, C beside JavaScript: the same file parsed by the same binaries on this host and in the guest (median of 3)\n");
  out.push(
    markdownTable(
      ["", "host", "guest", "guest / host"],
      (["keepalived", "tandem"] as const).map((side) => [
        side === "keepalived" ? "keepalived -t (C)" : "tandem check (JavaScript)",
        `${ms(onHost[side]?.ms)} (user ${ms(onHost[side]?.userMs)}; exit ${onHost[side]?.exit})`,
        `${ms(inGuest[side]?.ms)} (user ${ms(inGuest[side]?.userMs)}; exit ${inGuest[side]?.exit}${inGuest[side]?.exit === 0 ? "" : `: ${inGuest[side]?.stderr}`})`,
        slower(side),
      ]),
    ),
  );

  const reload = get("reload-tandem");
  const kaReload = get("reload-keepalived");
  const kaWrites = (kaReload.traced?.writes ?? {}) as Record<string, number>;
  out.push("\n## Reload of 2,000 x 20 with 1 % of the real servers re-weighted\n");
  out.push(
    markdownTable(
      ["", "time until the table shows the change", "writes"],
      [
        [
          "tandem director",
          `${ms(reload.reloadMs)} (parse ${ms(reload.parseMs)}; the pass began at ${ms(reload.passStartedMs)}, in it the reads ${ms(reload.readMs)}, planning ${ms(reload.planMs)}, the writes ${ms(reload.applyMs)})`,
          `${reload.writes} for ${reload.changed} changed (${reload.failures} failed; table ${reload.correct ? "correct" : "WRONG"})`,
        ],
        [
          "keepalived 2.2.7 (SIGHUP)",
          `${ms(kaReload.reload?.lastServiceMs)} (the last changed service; keepalived writes in the file's order. The whole table checked at ${ms(kaReload.reload?.verifiedMs)}: the check reads every service)`,
          `${Object.entries(kaWrites)
            .map(([k, v]) => `${v} ${k}`)
            .join(", ")} (${kaReload.traced?.sendmsgs} sendmsg calls under strace, a second reload of the same size)`,
        ],
      ],
    ),
  );
  const large = get("large-load-tandem");
  const kaLarge = get("large-load-keepalived");
  out.push(`\nLoading the 2,000 x 20 itself: tandem ${ms(large.completeMs)} (${large.writes} writes), keepalived ${ms(kaLarge.verifiedMs)}.`);

  const drift = get("drift");
  const scans = ((drift.scans ?? []) as Any[]).map((s) => s.passMs as number).sort((a, b) => a - b);
  const dumps = ((drift.scans ?? []) as Any[]).map((s) => s.dumpMs as number).sort((a, b) => a - b);
  out.push(`\n## Drift scan of ${drift.destinations?.toLocaleString("en-US")} destinations (a pass: one dump, the compare, no writes)\n`);
  out.push(
    markdownTable(
      ["pass", "time", "of which the dump", "writes"],
      [
        ["adopting the table (start over it)", ms(drift.adopt?.passMs), ms(drift.adopt?.dumpMs), String(drift.adopt?.ops)],
        [`drift scan (median of ${scans.length})`, ms(scans[Math.floor(scans.length / 2)]), ms(dumps[Math.floor(dumps.length / 2)]), "0"],
        ["one destination deleted behind its back", ms(drift.repair?.passMs), ms(drift.repair?.dumpMs), String(drift.repair?.ops)],
      ],
    ),
  );
  out.push(`\nThe compare alone: ${ms(drift.compareMs)}.`);

  const pair = get("pair");
  out.push("\n## VRRPv3 pair at 10 ms adverts in the same guest (adverts from the master, captured on the backup)\n");
  out.push(
    markdownTable(
      ["while", "seconds", "adverts", "max gap", "gaps > 30 ms", "adverts from the backup", "transitions"],
      ((pair.windows ?? []) as Any[]).map((w) => [
        w.name,
        w.seconds.toFixed(1),
        String(w.adverts),
        `${w.maxGapMs.toFixed(1)} ms`,
        String(w.gapsOver30Ms),
        String(w.advertsFromB),
        String(w.transitions),
      ]),
    ),
  );
  const withPair = get("load-tandem-with-pair");
  const restoreWithPair = get("load-ipvsadm-with-pair");
  out.push(
    `\nThe loads with the pair running: tandem ${ms(withPair.completeMs)} (the writes ${ms(withPair.applyMs)}), ipvsadm -R ${ms(restoreWithPair.ms)}. ` +
      `The pair was up (A MASTER) ${ms(get("pair-up").ms)} after its start; ${((pair.transitions ?? []) as string[]).length} transitions over the whole run (start and stop included).`,
  );

  const status = get("status-loop");
  out.push("\n## Memory and the status loop with 40,000 destinations\n");
  out.push(
    markdownTable(
      ["", "RSS", "peak RSS"],
      [
        ["tandem director process", mb(status.memory?.rssKb), mb(status.memory?.hwmKb)],
        ["keepalived checker process", mb(kaReload.checker?.rssKb), mb(kaReload.checker?.hwmKb)],
        ["keepalived parent process", mb(kaLarge.parent?.rssKb), mb(kaLarge.parent?.hwmKb)],
      ],
    ),
  );
  out.push(
    `\nStatus loop, idle for ${ms(status.windowMs)}: ${status.statusMessages} status messages of ${(status.statusBytes / 1e6).toFixed(2)} MB each; ` +
      `director CPU ${ms(status.directorCpuMs)} (two drift scans included), the receiving end ${ms(status.receiverCpuMs)}. ` +
      `One status built from a snapshot: ${ms(drift.status?.buildMs)}, serialized ${ms(drift.status?.serializeMs)} (${(drift.status?.bytes / 1e6).toFixed(2)} MB).`,
  );
  return out.join("\n");
}

if (import.meta.main) await main();
