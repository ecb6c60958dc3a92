// The whole director on the appliance's kernel, in one qemu guest (director-program.ts):
// keepalived.conf text to the kernel's table, beside ipvsadm. Start programs it and leaves a
// foreign service alone; -I keeps the table serving; a new start adopts it with zero writes;
// a reload of one weight is one write; a real server deleted behind tandem's back is back
// within a drift scan; a drain takes a weight to 0 (or out, with no connections); a stop
// removes tandem's services and only those. The preflight reads the kernel's own sysctls
// (the defaults reported wrong, then set with ipvs_set_sysctls), and the status carries the
// kernel's totals. The notify scripts run as keepalived runs them.
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { IpvsPreflightView, IpvsView } from "../../src/api/ports.ts";
import { hasQemu, imageDir, runInGuest, type GuestRun } from "./ipvs-guest.ts";

const image = imageDir();
const FOREIGN = ["-A -u 10.9.9.9:53 -s rr", "-a -u 10.9.9.9:53 -r 10.9.9.10:53 -m -w 1"];
/** The table director-configs.ts asks for, as ipvsadm -Sn prints it (sorted); keepalived's own tables for the shared samples and richer files are compared in test/unit/ipvs. */
const TABLE = [
  "-A -f 7 -s sh -p 600 -b sh-port",
  "-A -t 10.0.0.1:80 -s wrr",
  "-A -t 10.0.0.10:8080 -s rr",
  "-A -t 10.0.0.11:8080 -s rr",
  "-A -t 10.0.0.12:8080 -s rr",
  "-A -t [2001:db8::1]:443 -s lc",
  "-A -u 10.0.0.2:53 -s rr -o",
  "-a -f 7 -r 10.0.1.5:0 -g -w 2",
  "-a -t 10.0.0.1:80 -r 10.0.1.2:80 -m -w 3",
  "-a -t 10.0.0.1:80 -r 10.0.1.3:80 -m -w 1",
  "-a -t 10.0.0.10:8080 -r 10.0.1.6:8080 -m -w 1",
  "-a -t 10.0.0.11:8080 -r 10.0.1.6:8080 -m -w 1",
  "-a -t 10.0.0.12:8080 -r 10.0.1.6:8080 -m -w 1",
  "-a -t [2001:db8::1]:443 -r [2001:db8::2]:443 -i -w 1 --tun-type ipip",
  "-a -u 10.0.0.2:53 -r 10.0.1.4:53 -g -w 1",
];
const sorted = (lines: string[]) => [...lines].sort();

describe.skipIf(!hasQemu() || !image)(`the director on the appliance kernel under qemu (${image ? join(image, "vmlinux") : "no out/vmlinux"})`, () => {
  let run: GuestRun;
  const get = <T>(name: string): T => {
    if (!run.results.has(name)) throw new Error(`the guest printed no result "${name}"; its output:\n${run.output.slice(-4000)}`);
    return run.results.get(name) as T;
  };

  beforeAll(async () => {
    run = await runInGuest("test/ipvs/director-program.ts", image!);
    console.log(`director guest ran ${Math.round(run.elapsedMs / 1000)} s`);
    if (run.results.has("crash"))
      throw new Error(`the guest program crashed: ${(run.results.get("crash") as { message: string }).message}\n${run.output.slice(-4000)}`);
  }, 420_000);

  test("start programs the table for the file and leaves the foreign service as it was", () => {
    expect(get<string[]>("foreign")).toEqual(sorted(FOREIGN));
    const start = get<{ save: string[]; writes: number; available: boolean; timeouts: string; daemonBefore: string; daemonMaster: string }>("start");
    expect(start.available).toBe(true);
    expect(start.timeouts).toBe("Timeout (tcp tcpfin udp): 900 60 120"); // lvs_timeouts
    expect(start.save).toEqual(sorted([...TABLE, ...FOREIGN]));
    expect(start.writes).toBe(TABLE.length);
  });

  test("lvs_sync_daemon follows its VRRP instance: the backup daemon until it is MASTER, then the master daemon; none after stop", () => {
    const start = get<{ daemonBefore: string; daemonMaster: string }>("start");
    // The kernel's defaults for what the line leaves out: maxlen from eth0's MTU, 224.0.0.81:8848, ttl 1.
    expect(start.daemonBefore).toBe("backup sync daemon (mcast=eth0, syncid=5, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)");
    expect(start.daemonMaster).toBe("master sync daemon (mcast=eth0, syncid=5, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)");
    expect(get<string>("daemon-after-stop")).toBe("");
  });

  test("a stop with -I leaves the table serving; a new start adopts it with zero writes", () => {
    const kept = get<{ before: string[]; after: string[] }>("kept-with-I");
    expect(kept.after).toEqual(kept.before);
    expect(get<{ writes: number; save: string[] }>("adopt")).toEqual({ writes: 0, save: sorted([...TABLE, ...FOREIGN]) });
  });

  test("a reload that changes one weight is one write", () => {
    const reload = get<{ writes: number; save: string[] }>("reload-one-weight");
    expect(reload.writes).toBe(1);
    expect(reload.save).toContain("-a -t 10.0.0.1:80 -r 10.0.1.3:80 -m -w 7");
  });

  test("a real server deleted behind tandem's back is restored by the drift scan", () => {
    const drift = get<{ deleted: string[]; repaired: string[]; repairs: number }>("drift");
    expect(drift.deleted).not.toContain("-a -t 10.0.0.1:80 -r 10.0.1.2:80 -m -w 3");
    expect(drift.repaired).toContain("-a -t 10.0.0.1:80 -r 10.0.1.2:80 -m -w 3");
    expect(drift.repairs).toBe(1);
  });

  test("a drained real server with no connections leaves the table", () => {
    expect(get<{ save: string[] }>("drain").save.filter((l) => l.includes("10.0.1.3:80"))).toEqual([]);
  });

  test("a stop removes tandem's services and only those", () => {
    expect(get<string[]>("stop")).toEqual(sorted(FOREIGN));
  });

  test("preflight: IPVS's version and table size, and the kernel's defaults reported as not what NAT, drains and persistence need", () => {
    const { preflight, proc } = get<{ preflight: IpvsPreflightView; proc: string }>("preflight");
    expect(preflight).toMatchObject({ version: "1.2.1", connectionTableSize: 4096, setSysctls: false });
    // NAT services (ip_forward), the drain (expire_nodest_conn), the persistent fwmark service; no stateful filter, so no conntrack.
    expect(preflight.sysctls.map((s) => [s.name, s.value, s.wanted, s.ok])).toEqual([
      ["net.ipv4.ip_forward", 0, 1, false],
      ["net.ipv4.vs.expire_nodest_conn", 0, 1, false],
      ["net.ipv4.vs.expire_quiescent_template", 0, 1, false],
    ]);
    expect(proc).toBe("ip_forward=0\nvs/expire_nodest_conn=0\nvs/expire_quiescent_template=0\nvs/conntrack=0"); // reported only
  });

  test("ipvs_set_sysctls: the preflight sets them in /proc/sys and the history says what changed", () => {
    const set = get<{ preflight: IpvsPreflightView; proc: string; events: unknown[] }>("set-sysctls");
    expect(set.proc).toBe("ip_forward=1\nvs/expire_nodest_conn=1\nvs/expire_quiescent_template=1\nvs/conntrack=0");
    expect(set.preflight.sysctls.every((s) => s.ok)).toBe(true);
    expect(set.events).toEqual([
      {
        changes: [
          { name: "net.ipv4.ip_forward", from: 0, to: 1 },
          { name: "net.ipv4.vs.expire_nodest_conn", from: 0, to: 1 },
          { name: "net.ipv4.vs.expire_quiescent_template", from: 0, to: 1 },
        ],
        failures: [],
      },
    ]);
  });

  test("the status carries the kernel's totals from /proc/net/ip_vs_stats: the foreign service's one connection", () => {
    const { status, proc } = get<{ status: IpvsView["totals"]; proc: string }>("totals");
    expect(status?.connections).toBe(1);
    expect(status?.incomingPackets).toBeGreaterThanOrEqual(1);
    expect(proc.split("\n")[2]!.trim().split(/\s+/)[0]).toBe("1");
  });
  test("notify scripts run as keepalived runs them: their own arguments, in order, quorum_up at each start, omega's at each stop but the one with -I", () => {
    expect(get<string[]>("notifies")).toEqual([
      // first start and stop
      "quorum_up web",
      "notify_down 10.0.1.3",
      "quorum_down web",
      // the start whose stop has -I: nothing is shut down, so nothing is notified
      "quorum_up web",
      // the start that adopts; its reload, drift repair and drain change no state; its stop
      "quorum_up web",
      "notify_down 10.0.1.3",
      "quorum_down web",
    ]);
  });
});
