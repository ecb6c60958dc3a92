// Runs inside the qemu guest (test/ipvs/kernel-port.test.ts boots it): the director's kernel
// port against the appliance kernel's real IPVS, checked against ipvsadm in the same guest.
// Each step prints "=== RESULT <name> <json>" on stdout (the serial console); the host asserts.
import { openIpvsKernel, type IpvsKernel } from "../../src/daemon/ipvs/kernel-ipvs.ts";
import { systemClock } from "../../src/common/clock.ts";
import { timeSlices } from "../../src/common/time-slices.ts";
import { encodeIpvsRequest } from "../../src/ipvs/ipvs-requests.ts";
import { requestOfOp } from "../../src/ipvs/op-requests.ts";
import type { IpvsOp } from "../../src/ipvs/ops.ts";
import { destinationSpecOf } from "../../src/ipvs/spec-diff.ts";
import { destinationText, serviceKeyText, type DestinationSpec, type ServiceSpec } from "../../src/ipvs/types.ts";
import { destination, fwmark, ip, service, tcp, udp } from "../unit/ipvs/support/table-values.ts";
import { ipvsadmCommands, loadOps, richTable, richTableOps, updateOps, updatedRichTable } from "./kernel-port-tables.ts";

function result(name: string, value: unknown): void {
  console.log(`=== RESULT ${name} ${JSON.stringify(value)}`);
}

function sh(command: string): string {
  const run = Bun.spawnSync(["/bin/sh", "-c", command], { stderr: "pipe" });
  return run.stdout.toString() + run.stderr.toString();
}

/** ipvsadm -Sn, one rule a line, sorted: its own order is the kernel's hash order. */
const ipvsadmSave = (): string[] => sh("ipvsadm -Sn").split("\n").filter(Boolean).sort();

/** The table without the kernel's counters, services and destinations sorted: comparable with what was asked for. */
function specsOf(table: { services: (ServiceSpec & { destinations: (DestinationSpec & { stats?: unknown })[] })[] }) {
  return table.services
    .map((s) => ({ ...s, destinations: s.destinations.map(({ stats: _, ...d }) => d).sort((a, b) => destinationText(a).localeCompare(destinationText(b))) }))
    .sort((a, b) => serviceKeyText(a.key).localeCompare(serviceKeyText(b.key)));
}

/** Runs work while a 10 ms interval measures how late the event loop lets it fire. */
interface Measured<T> {
  value: T;
  ms: number;
  maxLateMs: number;
  /** The 95th percentile of the ticks' lateness: one stall (of the runtime, or of qemu on a busy host) does not move it. */
  p95LateMs: number;
  ticks: number;
  lateTicks: number[][];
}

async function measured<T>(work: () => Promise<T>): Promise<Measured<T>> {
  const started = performance.now();
  let last = started;
  let maxLateMs = 0;
  let ticks = 0;
  /** [ms since the start, ms late] of each tick more than 40 ms late: where the loop stalled. */
  const lateTicks: number[][] = [];
  const lateness: number[] = [];
  const interval = setInterval(() => {
    const now = performance.now();
    lateness.push(now - last - 10);
    maxLateMs = Math.max(maxLateMs, now - last - 10);
    if (now - last - 10 > 40) lateTicks.push([Math.round(now - started), Math.round(now - last - 10)]);
    last = now;
    ticks++;
  }, 10);
  try {
    const value = await work();
    // One more tick: lateness that spans the end of the work counts too.
    await new Promise((resolve) => setTimeout(resolve, 15));
    const sorted = lateness.sort((a, b) => a - b);
    const p95LateMs = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? Infinity;
    return { value, ms: performance.now() - started, maxLateMs, p95LateMs, ticks, lateTicks };
  } finally {
    clearInterval(interval);
  }
}

async function main(): Promise<void> {
  result("before", { ipVsLoaded: sh("lsmod").includes("ip_vs ") });
  const opened = await openIpvsKernel();
  if (!opened.ok) {
    result("open", opened);
    return;
  }
  const kernel: IpvsKernel = opened.kernel;
  result("open", { ok: true, ipVsLoaded: sh("lsmod").includes("ip_vs ") });
  result("info", await kernel.info());

  // Every kind of service and destination, and refusals on purpose.
  const refusals: IpvsOp[] = [
    { kind: "add-service", service: service(tcp("10.0.0.1", 80), "wrr") },
    { kind: "add-destination", service: tcp("10.9.9.9", 80), destination: destination("10.0.0.2", 80, "masquerade", 1) },
    { kind: "delete-destination", service: tcp("10.0.0.1", 80), destination: { address: ip("10.0.0.99"), port: 80 }, breaksConnections: true },
    { kind: "add-service", service: service(udp("10.0.0.1", 7), "nosuch") },
    { kind: "add-destination", service: tcp("10.0.0.1", 80), destination: destination("10.0.0.2", 80, "masquerade", 1) },
    { kind: "delete-service", key: fwmark(77), breaksConnections: true },
  ];
  const ops = [...richTableOps(), ...refusals];
  const applied = await kernel.apply(ops);
  result("rich-apply", { results: applied, kinds: ops.map((op) => op.kind) });
  const richDump = await kernel.dump();
  result("rich-dump", { observed: specsOf(richDump), wanted: specsOf(richTable()) });
  // Some services on their own (GET_SERVICE, then GET_DEST), one the kernel does not have among them.
  const some = [richDump.services.at(-1)!.key, tcp("10.9.9.9", 80), richDump.services[0]!.key];
  result("some-services", {
    observed: specsOf(await kernel.dumpServices(some)),
    wanted: specsOf({ services: [richDump.services.at(-1)!, richDump.services[0]!] }),
  });
  const byTandem = ipvsadmSave();
  // -S leaves thresholds out; the listing with --thresholds shows them.
  const thresholdsByTandem = sh("ipvsadm -Ln --thresholds");

  // The same table as ipvsadm writes it: what ipvsadm prints must match, and tandem must read it the same.
  result("flush", await kernel.flush());
  result("after-flush", { services: (await kernel.dump()).services.length, ipvsadm: ipvsadmSave() });
  const commandOutput = ipvsadmCommands()
    .map((args) => sh(`ipvsadm ${args}`).trim())
    .filter(Boolean);
  const byIpvsadm = ipvsadmSave();
  const thresholdsByIpvsadm = sh("ipvsadm -Ln --thresholds");
  result("ipvsadm-save", { byTandem, byIpvsadm, commandOutput, thresholdsByTandem, thresholdsByIpvsadm });
  result("dump-of-ipvsadm-table", { observed: specsOf(await kernel.dump()) });

  // Changes in place and deletions.
  result("update-apply", { results: await kernel.apply(updateOps()) });
  result("update-dump", {
    observed: specsOf(await kernel.dump()),
    wanted: specsOf(updatedRichTable()),
    ipvsadm: ipvsadmSave(),
  });

  // The settings beside the table.
  const timeoutsSet = await kernel.setConnectionTimeouts({ tcpS: 900, tcpFinS: 120, udpS: 300 });
  result("timeouts", { set: timeoutsSet, read: await kernel.connectionTimeouts(), ipvsadm: sh("ipvsadm -L --timeout").trim() });
  const started = await kernel.startSyncDaemon({ state: "master", interfaceName: "eth0", syncId: 5 });
  const startedBackup = await kernel.startSyncDaemon({ state: "backup", interfaceName: "eth0", syncId: 6, port: 8850, ttl: 2, maxLength: 1400 });
  const running = await kernel.syncDaemons();
  const ipvsadmDaemons = sh("ipvsadm -L --daemon").trim();
  const stopped = await kernel.stopSyncDaemon("master");
  const stoppedAgain = await kernel.stopSyncDaemon("master");
  const stoppedBackup = await kernel.stopSyncDaemon("backup");
  result("sync-daemons", { started, startedBackup, running, ipvsadm: ipvsadmDaemons, stopped, stoppedAgain, stoppedBackup, after: await kernel.syncDaemons() });

  // 1,000 services x 10 destinations from empty, in one apply; then read back; then removed.
  // Under TCG the runtime itself stalls its loop now and then (JIT, GC): first a warm-up
  // apply, then the lateness of the same encoding as pure JS in 5 ms slices, for scale.
  await kernel.flush();
  const warmUp = loadOps(50, 10);
  const warmed = await kernel.apply(warmUp);
  await kernel.apply(
    warmUp.filter((op) => op.kind === "add-service").map((op): IpvsOp => ({ kind: "delete-service", key: op.service.key, breaksConnections: true })),
  );
  const load = loadOps(1_000, 10);
  const idle = await measured(() => Bun.sleep(1_000));
  const sliced = await measured(async () => {
    const slices = timeSlices(systemClock(), 5);
    for (const op of load) {
      encodeIpvsRequest(0x20, requestOfOp(op), 1, 0); // any family id: only the time counts
      await slices.pause();
    }
  });
  result("baseline", {
    warmUpFailed: warmed.filter((r) => !r.ok).length,
    idleMaxLateMs: idle.maxLateMs,
    slicedEncodeMaxLateMs: sliced.maxLateMs,
    slicedEncodeMs: sliced.ms,
  });
  const loaded = await measured(() => kernel.apply(load));
  const failed = loaded.value.filter((r) => !r.ok);
  result("load", {
    ops: load.length,
    failed: failed.length,
    firstFailure: failed[0],
    ms: loaded.ms,
    maxLateMs: loaded.maxLateMs,
    p95LateMs: loaded.p95LateMs,
    ticks: loaded.ticks,
    lateTicks: loaded.lateTicks,
  });
  const dumped = await measured(() => kernel.dump());
  const destinations = dumped.value.services.reduce((sum, s) => sum + s.destinations.length, 0);
  const rules = sh("ipvsadm -Sn | wc -l").trim();
  result("load-dump", {
    services: dumped.value.services.length,
    destinations,
    ipvsadmRules: Number(rules),
    ms: dumped.ms,
    maxLateMs: dumped.maxLateMs,
    p95LateMs: dumped.p95LateMs,
    ticks: dumped.ticks,
  });
  // Two exchanges at once on the port's one socket, as when the drift scan reads beside a
  // reload's writes: each gets its own answers (the socket takes them in turn).
  const reweigh = dumped.value.services.slice(0, 100).map((s): IpvsOp => ({
    kind: "set-destination",
    service: s.key,
    destination: { ...destinationSpecOf(s.destinations[0]!), weight: 100 },
    changed: ["weight"],
  }));
  const [scanned, reweighed] = await Promise.all([kernel.dump(), kernel.apply(reweigh)]);
  const after = await kernel.dump();
  result("concurrent", {
    scannedDestinations: scanned.services.reduce((sum, s) => sum + s.destinations.length, 0),
    writes: reweighed.length,
    failed: reweighed.filter((r) => !r.ok).length,
    weight100: after.services.reduce((sum, s) => sum + s.destinations.filter((d) => d.weight === 100).length, 0),
  });
  const removal = dumped.value.services.map((s): IpvsOp => ({ kind: "delete-service", key: s.key, breaksConnections: true }));
  const removed = await measured(() => kernel.apply(removal));
  result("unload", {
    ops: removal.length,
    failed: removed.value.filter((r) => !r.ok).length,
    ms: removed.ms,
    maxLateMs: removed.maxLateMs,
    p95LateMs: removed.p95LateMs,
    ticks: removed.ticks,
    left: (await kernel.dump()).services.length,
  });
  kernel.close();
}

try {
  await main();
} catch (error) {
  result("crash", { message: (error as Error).stack ?? String(error) });
}
console.log("=== DONE");
