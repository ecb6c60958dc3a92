// The director's kernel port (src/daemon/ipvs/kernel-ipvs.ts) on the appliance's real kernel:
// one qemu guest (TCG) runs kernel-port-program.ts and every test reads its results. Writes
// of every kind, refusals as results, the dump against what was asked for and against what
// ipvsadm writes and prints, changes in place, the settings calls, and 1,000 x 10 in one go
// with the event loop still turning. On the host (no IPVS), opening reports the absence.
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { NO_IPVS_REASON, openIpvsKernel } from "../../src/daemon/ipvs/kernel-ipvs.ts";
import type { IpvsOpResult } from "../../src/ipvs/ops.ts";
import { destinationText, serviceKeyText, type DesiredService, type IpvsTable } from "../../src/ipvs/types.ts";
import { hasQemu, imageDir, runInGuest, type GuestRun } from "./ipvs-guest.ts";
import { richTable, richTableOps, updatedRichTable, updateOps } from "./kernel-port-tables.ts";

const image = imageDir();
const hostHasIpvs = existsSync("/proc/net/ip_vs");

describe.skipIf(process.platform !== "linux" || hostHasIpvs)("kernel port on a kernel without IPVS (this host)", () => {
  test("opening says the kernel has no IPVS, as a typed result", async () => {
    expect(await openIpvsKernel()).toEqual({ ok: false, kind: "no-ipvs", reason: NO_IPVS_REASON });
    expect(NO_IPVS_REASON).toBe("the kernel has no IPVS (generic netlink family IPVS not found); is the ip_vs module loaded?");
  });
});

/** The table as the program compares it: no counters, services and destinations sorted. */
function specs(table: IpvsTable<DesiredService>) {
  return table.services
    .map((s) => ({ ...s, destinations: [...s.destinations].sort((a, b) => destinationText(a).localeCompare(destinationText(b))) }))
    .sort((a, b) => serviceKeyText(a.key).localeCompare(serviceKeyText(b.key)));
}

describe.skipIf(!hasQemu() || !image)(
  `kernel port on the appliance kernel under qemu (${image ? join(image, "vmlinux") : "no out/vmlinux: make image, or set TANDEM_IMAGE_DIR"})`,
  () => {
    let run: GuestRun;
    const get = <T>(name: string): T => {
      if (!run.results.has(name)) throw new Error(`the guest printed no result "${name}"; its output:\n${run.output.slice(-3000)}`);
      return run.results.get(name) as T;
    };

    beforeAll(async () => {
      run = await runInGuest("test/ipvs/kernel-port-program.ts", image!);
      console.log(`guest ran ${Math.round(run.elapsedMs / 1000)} s`);
      if (run.results.has("crash")) throw new Error(`the guest program crashed: ${(run.results.get("crash") as { message: string }).message}`);
    }, 420_000);

    test("opening needs no modprobe: the family request loads ip_vs, and GET_INFO answers", () => {
      expect(get("before")).toEqual({ ipVsLoaded: false });
      expect(get("open")).toEqual({ ok: true, ipVsLoaded: true });
      expect(get("info")).toEqual({ versionCode: 0x010201, version: "1.2.1", connectionTableSize: 4096 });
    });

    test("one batch of every kind of service and destination; EEXIST, ESRCH and ENOENT come back as results, in op order", () => {
      const { results, kinds } = get<{ results: IpvsOpResult[]; kinds: string[] }>("rich-apply");
      const built = richTableOps().length;
      expect(results).toHaveLength(built + 6);
      expect(results.slice(0, built)).toEqual(Array.from({ length: built }, () => ({ ok: true })));
      expect(results.slice(built).map((r) => (r.ok ? "ok" : r.errno))).toEqual(["EEXIST", "ESRCH", "ENOENT", "ENOENT", "EEXIST", "ESRCH"]);
      expect(kinds.slice(built)).toEqual(["add-service", "add-destination", "delete-destination", "add-service", "add-destination", "delete-service"]);
      expect(results[built]).toEqual({ ok: false, errno: "EEXIST", reason: "the service already exists: EEXIST (errno 17)" });
      expect(results[built + 3]).toMatchObject({ reason: expect.stringContaining("no such scheduler or persistence engine module") });
    });

    test("the dump reads back exactly what was written: v4, v6, fwmark, SCTP, flags, persistence, NAT/DR/tunnels with thresholds", () => {
      const { observed, wanted } = get<{ observed: unknown; wanted: unknown }>("rich-dump");
      expect(wanted).toEqual(JSON.parse(JSON.stringify(specs(richTable()))));
      expect(observed).toEqual(wanted);
    });

    test("just some services: each as the whole dump has it, one the kernel lacks left out", () => {
      const { observed, wanted } = get<{ observed: unknown[]; wanted: unknown[] }>("some-services");
      expect(observed).toHaveLength(2);
      expect(observed).toEqual(wanted);
    });

    test("ipvsadm prints the same table for tandem's writes as for its own commands, and tandem reads ipvsadm's table the same", () => {
      const save = get<{ byTandem: string[]; byIpvsadm: string[]; commandOutput: string[]; thresholdsByTandem: string; thresholdsByIpvsadm: string }>(
        "ipvsadm-save",
      );
      expect(get("flush")).toEqual({ ok: true });
      expect(get("after-flush")).toEqual({ services: 0, ipvsadm: [] });
      expect(save.commandOutput).toEqual([]);
      expect(save.byTandem).toHaveLength(18);
      expect(save.byTandem).toEqual(save.byIpvsadm);
      expect(save.byTandem).toContain("-A -t 10.0.0.7:443 -s sh -p 600 -M 255.255.255.0 -b sh-fallback,sh-port");
      expect(save.byTandem).toContain("-a -t 10.0.0.1:80 -r 10.0.0.5:80 -i -w 2 --tun-type gue --tun-port 6080 --tun-nocsum");
      expect(save.thresholdsByTandem).toMatch(/-> 10\.0\.0\.3:80\s+100\s+10\s/);
      expect(save.thresholdsByTandem).toBe(save.thresholdsByIpvsadm);
      expect(get<{ observed: unknown }>("dump-of-ipvsadm-table").observed).toEqual(get<{ observed: unknown }>("rich-dump").observed);
    });

    test("changes in place and deletions: SET_SERVICE, SET_DEST, DEL_DEST, DEL_SERVICE, and a v6 tunnel destination added", () => {
      expect(get<{ results: IpvsOpResult[] }>("update-apply").results).toEqual(updateOps().map(() => ({ ok: true })));
      const { observed, wanted, ipvsadm } = get<{ observed: unknown; wanted: unknown; ipvsadm: string[] }>("update-dump");
      expect(wanted).toEqual(JSON.parse(JSON.stringify(specs(updatedRichTable()))));
      expect(observed).toEqual(wanted);
      expect(ipvsadm).toContain("-A -t 10.0.0.1:80 -s rr");
      expect(ipvsadm).toContain("-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 5");
      expect(ipvsadm).toContain("-A -f 7 -s wrr");
      expect(ipvsadm.some((line) => line.includes("10.0.0.3:80") || line.includes("-u 10.0.0.1:53"))).toBe(false);
    });

    test("timeouts and sync daemons: set, read back as ipvsadm reads them, stopped; stopping one not running is ESRCH", () => {
      expect(get("timeouts")).toEqual({ set: { ok: true }, read: { tcpS: 900, tcpFinS: 120, udpS: 300 }, ipvsadm: "Timeout (tcp tcpfin udp): 900 120 300" });
      const daemons = get<Record<string, unknown>>("sync-daemons");
      expect(daemons.started).toEqual({ ok: true });
      expect(daemons.startedBackup).toEqual({ ok: true });
      expect(daemons.running).toEqual([
        { state: "master", interfaceName: "eth0", syncId: 5, maxLength: 1472, port: 8848, ttl: 1, group: { family: 4, text: "224.0.0.81" } },
        { state: "backup", interfaceName: "eth0", syncId: 6, maxLength: 1400, port: 8850, ttl: 2, group: { family: 4, text: "224.0.0.81" } },
      ]);
      expect(daemons.ipvsadm).toBe(
        "master sync daemon (mcast=eth0, syncid=5, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n" +
          "backup sync daemon (mcast=eth0, syncid=6, maxlen=1400, group=224.0.0.81, port=8850, ttl=2)",
      );
      expect(daemons.stopped).toEqual({ ok: true });
      expect(daemons.stoppedAgain).toEqual({ ok: false, errno: "ESRCH", reason: "IPVS_CMD_DEL_DAEMON master: ESRCH (errno 3)" });
      expect(daemons.stoppedBackup).toEqual({ ok: true });
      expect(daemons.after).toEqual([]);
    });

    test("1,000 services x 10 destinations in one apply, read back (once with a batch written during the dump) and removed, the guest's event loop turning throughout", () => {
      type Timed = { ms: number; maxLateMs: number; p95LateMs: number; ticks: number };
      const baseline = get<{ warmUpFailed: number; idleMaxLateMs: number; slicedEncodeMaxLateMs: number; slicedEncodeMs: number }>("baseline");
      const load = get<Timed & { ops: number; failed: number; firstFailure?: unknown; lateTicks: number[][] }>("load");
      const dump = get<Timed & { services: number; destinations: number; ipvsadmRules: number }>("load-dump");
      const unload = get<Timed & { ops: number; failed: number; left: number }>("unload");
      const ms = (value: number) => `${Math.round(value)} ms`;
      console.log(
        `1,000 x 10 under TCG: load ${ms(load.ms)} (lateness of a 10 ms timer: max ${ms(load.maxLateMs)}, 95th percentile ${ms(load.p95LateMs)}, ${load.ticks} ticks), ` +
          `dump ${ms(dump.ms)} (max ${ms(dump.maxLateMs)}, 95th percentile ${ms(dump.p95LateMs)}, ${dump.ticks} ticks), removal of 1,000 services ${ms(unload.ms)} (max ${ms(unload.maxLateMs)}); ` +
          `the same guest idle: max lateness ${ms(baseline.idleMaxLateMs)}; encoding the load as pure JS in 5 ms slices: max lateness ${ms(baseline.slicedEncodeMaxLateMs)}; ` +
          `ticks over 40 ms late during the load [ms in, ms late]: ${JSON.stringify(load.lateTicks)}`,
      );
      expect(baseline.warmUpFailed).toBe(0);
      expect(load).toMatchObject({ ops: 11_000, failed: 0 });
      expect(dump).toMatchObject({ services: 1_000, destinations: 10_000, ipvsadmRules: 11_000 });
      expect(unload).toMatchObject({ ops: 1_000, failed: 0, left: 0 });
      // A dump and a batch at once on one socket: the whole table read, every write acknowledged (the load's weights are 1 to 10).
      expect(get("concurrent")).toEqual({ scannedDestinations: 10_000, writes: 100, failed: 0, weight100: 100 });
      // The brief's 50 ms holds for 95 ticks in 100. The worst tick is noisier: under TCG the
      // runtime itself stalls now and then (a collection, a compile: 40-100 ms seen at random
      // points, idle too), and qemu does on a busy host (300 ms seen), so its bound is 150 ms or
      // twice the worst the same guest showed idle or running pure JS in slices. Holding the
      // loop for a whole datagram or dump (no slices) was measured at 430-4,200 ms.
      const worstBoundMs = Math.max(150, 2 * Math.max(baseline.idleMaxLateMs, baseline.slicedEncodeMaxLateMs));
      for (const phase of [load, dump, unload]) {
        expect(phase.maxLateMs).toBeLessThan(worstBoundMs);
        // The timer kept firing: at least a quarter of its ticks (work that held the loop for a whole chunk or dump would get a few).
        if (phase.ms > 1_000) {
          expect(phase.p95LateMs).toBeLessThan(50);
          expect(phase.ticks).toBeGreaterThan(phase.ms / 10 / 4);
        }
      }
    });
  },
);
