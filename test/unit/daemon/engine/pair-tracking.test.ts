// Pair scenarios of tracked objects over real bytes: vrrp_scripts (the fake box's programs
// exit as the test says), links going down under the engine, sync groups, and the seed
// article's worked example run from its own keepalived.conf files.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseIpv4 } from "../../../../src/common/ipv4.ts";
import { masterDownIntervalMs, skewTimeMs } from "../../../../src/vrrp/timers.ts";
import { BoxLan } from "../../support/fake-box/box-lan.ts";
import type { FakeBox } from "../../support/fake-box/fake-box.ts";
import { vrrpInstance, vrrpScript } from "../../support/fake-box/keepalived-text.ts";
import { classicPair, LATENCY_MS, lastAdvertAt, VIP } from "./support/pair.ts";

const CHECK = "/etc/keepalived/check.sh";
const TRACK_CHK = ["track_script {", "  chk", "}"];

/** A tracks chk (weight as given); the script succeeds until the test says otherwise. */
function pairWithScript(weight: number, bExtra: string[] = []) {
  return classicPair({ aPrefix: vrrpScript("chk", CHECK, { weight }), a: { extra: TRACK_CHK }, b: { extra: bExtra }, setup: (a) => a.programs.set(CHECK) });
}

const firstAdvert = (lan: BoxLan, from: string, priority: number, afterMs = 0) =>
  lan.wire.adverts(from).find((f) => f.advert.priority === priority && f.atMs >= afterMs);

describe("vrrp_script", () => {
  test("a failing script lowers the master below the backup: it says so at once, and fast_preempt moves the VIP in well under a millisecond", async () => {
    const { lan, a, b } = pairWithScript(-15);
    await lan.runFor(10_500);
    a.programs.exitWith(CHECK, 1);
    await lan.runFor(1_000);
    // The script runs every second: its failure at 11 s is advertised then, not at the next advert.
    const lowered = firstAdvert(lan, "A", 85)!;
    expect(lowered.atMs).toBe(11_000);
    expect(a.events("vrrp.priority").map((e) => e.data)).toContainEqual({ from: 100, to: 85, reason: "tracked objects changed" });
    expect(lan.holders(VIP)).toEqual(["B"]);
    expect(b.enteredAt("VI_1", "MASTER", 11_000)! - lowered.atMs).toBeLessThan(1);
    // The script recovers: A (100 again) preempts B (90) on B's next advert.
    a.programs.exitWith(CHECK, 0);
    await lan.runFor(2_100);
    expect(lan.holders(VIP)).toEqual(["A"]);
    expect(a.view("VI_1").effectivePriority).toBe(100);
  });

  test("without fast_preempt the backup discards the lower-priority adverts and waits out its timer (keepalived's 3-4 s)", async () => {
    const { lan, a, b } = pairWithScript(-15, ["no_fast_preempt"]);
    await lan.runFor(10_500);
    a.programs.exitWith(CHECK, 1);
    await lan.runFor(2_500);
    const loweredAt = firstAdvert(lan, "A", 85)!.atMs;
    expect(lan.holders(VIP)).toEqual(["A"]);
    await lan.runFor(1_500);
    expect(lan.holders(VIP)).toEqual(["B"]);
    // The adverts at 85 neither reset B's timer nor trigger a preemption: B takes over
    // exactly Master_Down_Interval after the last advert at 100.
    const lastAt100 = lastAdvertAt(lan, "A", loweredAt - 1);
    expect(b.enteredAt("VI_1", "MASTER")! - lastAt100).toBeCloseTo(LATENCY_MS + masterDownIntervalMs(2, 90, 100), 6);
    expect(b.enteredAt("VI_1", "MASTER")! - loweredAt).toBeGreaterThan(2_000);
  });

  test("a weight-0 script failing puts the master in FAULT: priority 0, VIP released, the backup takes over after skew; then it returns", async () => {
    const { lan, a, b } = pairWithScript(0);
    await lan.runFor(10_500);
    a.programs.exitWith(CHECK, 1);
    await lan.runFor(500);
    expect(a.state("VI_1")).toBe("FAULT");
    expect(firstAdvert(lan, "A", 0)!.atMs).toBe(11_000);
    expect(a.holds(VIP)).toBe(false);
    await lan.runFor(1_000);
    expect(b.enteredAt("VI_1", "MASTER")! - 11_000).toBeCloseTo(LATENCY_MS + skewTimeMs(2, 90, 100), 6);
    // The fault clears: A goes BACKUP, hears B's lower priority and preempts.
    a.programs.exitWith(CHECK, 0);
    await lan.runFor(2_100);
    expect(lan.holders(VIP)).toEqual(["A"]);
    expect(
      a
        .transitions()
        .slice(-3)
        .map((t) => `${t.to} (${t.cause})`),
    ).toEqual(["FAULT (fault)", "BACKUP (fault-cleared)", "MASTER (preempt-lower-priority-advert)"]);
    // Tracker changes reach the history with the script's exit status.
    expect(a.events("tracker.change").map((e) => [e.data.healthy, e.data.exitCode])).toEqual([
      [true, 0],
      [false, 1],
      [true, 0],
    ]);
  });
});

describe("links", () => {
  test("the master's link goes down: FAULT, VIP released, the backup takes over once the adverts stop; the link returns and the master preempts", async () => {
    const { lan, a, b, client } = classicPair();
    await lan.runFor(10_500);
    a.host.linkDown("eth0");
    await lan.runFor(0);
    expect(a.state("VI_1")).toBe("FAULT");
    expect(a.holds(VIP)).toBe(false);
    await lan.runFor(5_000);
    // No carrier: A's priority 0 never left the box, so B waited for the full interval.
    expect(b.enteredAt("VI_1", "MASTER")).toBeCloseTo(lastAdvertAt(lan, "A") + LATENCY_MS + masterDownIntervalMs(2, 90, 100), 6);
    expect(client.reaches(VIP)).toBe("B");
    a.host.linkUp("eth0");
    await lan.runFor(1_100);
    expect(lan.holders(VIP)).toEqual(["A"]);
    expect(client.reaches(VIP)).toBe("A");
    expect(
      a
        .transitions()
        .slice(-3)
        .map((t) => t.to),
    ).toEqual(["FAULT", "BACKUP", "MASTER"]);
  });

  test("a tracked interface down before the start keeps the instance in FAULT from the start: no advert, no VIP", async () => {
    const lan = new BoxLan();
    const a = lan.box("A", "10.99.0.11/24", vrrpInstance({ priority: 100, extra: ["track_interface {", "  eth1", "}"] }));
    a.host.addLink("eth1", { carrier: false });
    a.start();
    await lan.runFor(10_000);
    expect(a.transitions().map((t) => t.to)).toEqual(["FAULT"]);
    expect(lan.wire.adverts("A")).toHaveLength(0);
    expect(a.host.addressChanges.filter((c) => c.address === parseIpv4(VIP))).toEqual([]);
    expect(a.view("VI_1").trackers).toContainEqual(expect.objectContaining({ kind: "interface", name: "eth1", healthy: false, fault: true }));
  });
});

describe("sync group", () => {
  const groupedText = (priority: number) =>
    ["vrrp_sync_group G {", "  group {", "    VI_1", "    VI_2", "  }", "}", ""].join("\n") +
    vrrpInstance({ name: "VI_1", vrid: 1, priority, vips: ["10.99.0.101/24"], extra: ["track_interface {", "  eth1", "}"] }) +
    vrrpInstance({ name: "VI_2", vrid: 2, priority, vips: ["10.99.0.102/24"] });
  const groupState = (box: FakeBox) => box.events("group.transition").at(-1)?.data.to;

  test("members become master together and fail over together when one member faults", async () => {
    const lan = new BoxLan();
    const a = lan.box("A", "10.99.0.1/24", groupedText(100));
    const b = lan.box("B", "10.99.0.2/24", groupedText(90));
    for (const box of [a, b]) {
      box.host.addLink("eth1");
      box.start();
    }
    await lan.runFor(10_000);
    expect([lan.holders("10.99.0.101"), lan.holders("10.99.0.102")]).toEqual([["A"], ["A"]]);
    expect(groupState(a)).toBe("MASTER");

    a.host.linkDown("eth1");
    await lan.runFor(0);
    expect(a.state("VI_2")).toBe("FAULT");
    await lan.runFor(1_000);
    expect([lan.holders("10.99.0.101"), lan.holders("10.99.0.102")]).toEqual([["B"], ["B"]]);
    expect(groupState(b)).toBe("MASTER");

    a.host.linkUp("eth1");
    await lan.runFor(5_000);
    expect([lan.holders("10.99.0.101"), lan.holders("10.99.0.102")]).toEqual([["A"], ["A"]]);
    expect(groupState(b)).toBe("BACKUP");
    await lan.runFor(30_000);
    expect([lan.holders("10.99.0.101"), lan.holders("10.99.0.102")]).toEqual([["A"], ["A"]]);
  });
});

describe("the seed's worked example (dual master, chk_mt_down weight -15), from its own files", () => {
  test("touch down on .179 moves VIP .51 to .180; rm down brings it back", async () => {
    const lan = new BoxLan();
    const fixture = (name: string) => readFileSync(join(import.meta.dir, "../../../fixtures/config", name), "utf8");
    const n180 = lan.box("180", "192.168.100.180/24", fixture("seed-180.conf"));
    const n179 = lan.box("179", "192.168.100.179/24", fixture("seed-179.conf"));
    // The script is a shell command: /bin/sh -c "[ -f /etc/keepalived/down ] && exit 1 || exit 0".
    const down = new Set<string>();
    for (const box of [n180, n179]) {
      box.programs.set("/bin/sh", { exitCode: (argv) => (argv[2]?.startsWith("[ -f /etc/keepalived/down ]") && down.has(box.name) ? 1 : 0) });
      box.start();
    }
    await lan.runFor(10_000);
    expect([lan.holders("192.168.100.41"), lan.holders("192.168.100.51")]).toEqual([["180"], ["179"]]);

    down.add("179"); // touch /etc/keepalived/down on 179: both its instances lose 15
    await lan.runFor(1_100);
    expect([lan.holders("192.168.100.41"), lan.holders("192.168.100.51")]).toEqual([["180"], ["180"]]);
    expect(n179.view("VI_2").effectivePriority).toBe(85);

    down.delete("179"); // rm down: 179's VI_2 is back at 100 > 90 and preempts
    await lan.runFor(2_100);
    expect([lan.holders("192.168.100.41"), lan.holders("192.168.100.51")]).toEqual([["180"], ["179"]]);
    expect(n179.programs.runsOf("/bin/sh").length).toBeGreaterThan(10);
  });
});
