// vrrp_startup_delay, as keepalived 2.2.7 runs it (vrrp_daemon.c start_vrrp, vrrp_scheduler.c
// vrrp_init_instance_sands): at a start, not at a reload, the instances are BACKUP as at any
// start, hear adverts as usual and send none; every down timer they arm runs from the delay's
// end. So the earliest takeover is the end plus the usual wait, a higher-priority master heard
// meanwhile keeps them BACKUP, and a reload neither arms the delay again nor ends it.
import { describe, expect, test } from "bun:test";
import { parseIpv4 } from "../../../../src/common/ipv4.ts";
import { initialMasterWaitMs, masterDownIntervalMs, skewTimeMs } from "../../../../src/vrrp/timers.ts";
import { BoxLan } from "../../support/fake-box/box-lan.ts";
import { vrrpInstance } from "../../support/fake-box/keepalived-text.ts";
import { LATENCY_MS, startInTurn, unstartedPair, VIP } from "./support/pair.ts";

const delay = (seconds: number) => `global_defs {\n  vrrp_startup_delay ${seconds}\n}\n`;
const VIP2 = "10.99.0.102";
const second = (priority: number) => vrrpInstance({ name: "VI_2", vrid: 52, priority, state: "MASTER", vips: [`${VIP2}/24`] });

/** A lone box: A (100, state MASTER) with the given prefix. */
function lone(prefix: string, extra: Partial<Parameters<typeof vrrpInstance>[0]> = {}) {
  const lan = new BoxLan();
  const a = lan.box("A", "10.99.0.11/24", prefix + vrrpInstance({ priority: 100, state: "MASTER", ...extra }));
  return { lan, a };
}

describe("vrrp_startup_delay", () => {
  test("a lone box: BACKUP for the delay, no advert and no VIP, then master after its usual first wait from the delay's end", async () => {
    const { lan, a } = lone(delay(5));
    a.start();
    await lan.runFor(2_000);
    expect(a.view("VI_1")).toMatchObject({ state: "BACKUP", held: { by: ["vrrp_startup_delay"] } });
    expect(a.view("VI_1").held!.untilMs).toBe(a.latestStatus().status.atMs - 2_000 + 5_000);
    await lan.runFor(10_000);
    expect(a.transitions().map((t) => `${t.atMs} ${t.to} ${t.cause}`)).toEqual([
      "0 BACKUP startup",
      `${5_000 + initialMasterWaitMs(2, 100)} MASTER master-down-timer`,
    ]);
    expect(lan.wire.adverts("A")[0]!.atMs).toBe(5_000 + initialMasterWaitMs(2, 100));
    expect(a.host.addressChanges.filter((c) => c.address === parseIpv4(VIP))[0]!.atMs).toBe(5_000 + initialMasterWaitMs(2, 100));
    expect(a.view("VI_1").held).toBeUndefined();
    expect(a.logger.lines).toContain("info A#1: Delaying startup for 5 seconds");
    expect(a.events("vrrp.hold").map((e) => [e.sentAtMs, e.data])).toEqual([
      [0, { held: true, by: ["vrrp_startup_delay"], startupDelayMs: 5_000 }],
      [5_000, { held: false, by: ["vrrp_startup_delay"], cause: "startup-delay-over", heldMs: 5_000, startupDelayMs: 5_000 }],
    ]);
  });

  test("fractions are keepalived's: 0.5 s", async () => {
    const { lan, a } = lone(delay(0.5));
    a.start();
    await lan.runFor(5_000);
    expect(a.enteredAt("VI_1", "MASTER")).toBe(500 + initialMasterWaitMs(2, 100));
  });

  test("an address owner (255) is BACKUP during the delay and master the moment it ends", async () => {
    const { lan, a } = lone(delay(3), { priority: 255, state: "BACKUP" });
    a.start();
    await lan.runFor(10_000);
    expect(a.transitions().map((t) => `${t.atMs} ${t.to} ${t.cause}`)).toEqual(["0 BACKUP startup", "3000 MASTER address-owner"]);
  });

  test("an owner (255) returning while a lower-priority box is master: BACKUP for the delay, then master at its end, and the other yields", async () => {
    const { lan, a, b } = unstartedPair({ aPrefix: delay(3), a: { priority: 255, state: "BACKUP" } });
    const bootAt = await startInTurn(lan, b, () => a.start());
    await lan.runFor(10_000);
    expect(a.transitions().map((t) => `${t.atMs - bootAt} ${t.to} ${t.cause}`)).toEqual(["0 BACKUP startup", "3000 MASTER address-owner"]);
    expect(lan.holders(VIP)).toEqual(["A"]);
    expect(b.state("VI_1")).toBe("BACKUP");
  });

  // keepalived 2.2.8+ drops every advert during the delay (845181cb), so such a box becomes
  // master for a moment when it ends; 2.2.7, and tandem, hear the master all along.
  test("a higher-priority master heard during the delay keeps the box BACKUP; nothing happens when the delay ends", async () => {
    const { lan, a, b } = unstartedPair({ bPrefix: delay(3) });
    const bootAt = await startInTurn(lan, a, () => b.start());
    await lan.runFor(20_000);
    expect(b.transitions().map((t) => `${t.atMs - bootAt} ${t.to}`)).toEqual(["0 BACKUP"]);
    expect(b.view("VI_1").master).toMatchObject({ address: "10.99.0.11", priority: 100 });
    expect(lan.wire.adverts("B")).toEqual([]);
    expect(lan.holders(VIP)).toEqual(["A"]);
  });

  test("the master dies during the delay: the backup takes over a master-down interval after the delay's end, not after the last advert", async () => {
    const { lan, a, b } = unstartedPair({ bPrefix: delay(3) });
    const bootAt = await startInTurn(lan, a, () => b.start());
    await lan.runFor(1_000);
    a.crash();
    await lan.runFor(10_000);
    // keepalived: sands = vrrp_delayed_start_time + ms_down_timer, re-armed so by every advert heard in the delay.
    expect(b.enteredAt("VI_1", "MASTER")! - bootAt).toBeCloseTo(3_000 + masterDownIntervalMs(2, 90, 100), 6);
  });

  test("a priority-0 advert during the delay: the backup takes over Skew_Time after the delay's end", async () => {
    const { lan, a, b } = unstartedPair({ bPrefix: delay(3) });
    const bootAt = await startInTurn(lan, a, () => b.start());
    await lan.runFor(1_000);
    a.stop();
    await lan.runFor(10_000);
    expect(b.enteredAt("VI_1", "MASTER")! - bootAt).toBeCloseTo(3_000 + skewTimeMs(2, 90, 100), 6);
  });

  describe("a lower-priority master heard during the delay", () => {
    /** B (90) is master when A (100, state MASTER, with the delay) starts. */
    async function rebootIntoMasterB(aExtra: string[] = []) {
      const { lan, a, b } = unstartedPair({ aPrefix: delay(4), a: { extra: aExtra } });
      return { lan, a, b, bootAt: await startInTurn(lan, b, () => a.start()) };
    }

    test("fast_preempt (tandem's default): no preemption during the delay; A preempts at B's first advert after it", async () => {
      const { lan, a, b, bootAt } = await rebootIntoMasterB();
      await lan.runFor(3_900);
      expect(a.state("VI_1")).toBe("BACKUP");
      expect(lan.wire.adverts("A")).toEqual([]);
      expect(a.logger.lines.some((l) => l.includes("lower priority (90) advert from 10.99.0.12: discarding (held at start)"))).toBe(true);
      await lan.runFor(5_000);
      const firstAfter = lan.wire.adverts("B").find((f) => f.atMs >= bootAt + 4_000)!;
      expect(a.enteredAt("VI_1", "MASTER")).toBe(firstAfter.atMs + LATENCY_MS);
      expect(a.transitions().at(-1)!.cause).toBe("preempt-lower-priority-advert");
      expect(lan.holders(VIP)).toEqual(["A"]);
      expect(b.state("VI_1")).toBe("BACKUP");
    });

    test("no_fast_preempt: the discarded adverts do not move the timer; A takes over at the delay's end plus its first wait", async () => {
      // keepalived 2.2.7 re-based the timer on each discarded advert (sands = delayed start +
      // (sands - now)), pushing this takeover out by the delay left at each advert; 2.2.8 fixed it.
      const { lan, a, bootAt } = await rebootIntoMasterB(["no_fast_preempt"]);
      await lan.runFor(15_000);
      expect(a.enteredAt("VI_1", "MASTER")! - bootAt).toBeCloseTo(4_000 + initialMasterWaitMs(2, 100), 6);
      expect(lan.holders(VIP)).toEqual(["A"]);
    });
  });

  test("a reload during the delay neither ends it nor arms it again (an instance it adds is held to the same end); one after it holds nothing", async () => {
    const { lan, a } = lone(delay(5));
    a.start();
    await lan.runFor(2_000);
    a.reload(delay(10) + vrrpInstance({ priority: 100, state: "MASTER" }) + second(100));
    await lan.runFor(15_000);
    expect(a.enteredAt("VI_1", "MASTER")).toBe(5_000 + initialMasterWaitMs(2, 100));
    expect(a.enteredAt("VI_2", "MASTER")).toBe(5_000 + initialMasterWaitMs(2, 100));
    const reloadAt = lan.nowMs();
    a.reload(
      delay(10) +
        vrrpInstance({ priority: 100, state: "MASTER" }) +
        vrrpInstance({ name: "VI_3", vrid: 53, priority: 100, state: "MASTER", vips: ["10.99.0.103/24"] }),
    );
    await lan.runFor(5_000);
    expect(a.enteredAt("VI_3", "MASTER")! - reloadAt).toBe(initialMasterWaitMs(2, 100));
    expect(a.state("VI_1")).toBe("MASTER");
    expect(a.events("vrrp.hold")).toHaveLength(2);
  });

  test("a restarted engine (kill -9, started again) is delayed again, as keepalived's respawned VRRP child is", async () => {
    const { lan, a } = lone(delay(2));
    a.start();
    await lan.runFor(5_000);
    a.crash();
    await lan.runFor(1_000);
    a.start();
    const restartAt = lan.nowMs();
    await lan.runFor(5_000);
    expect(a.transitions().map((t) => `${t.atMs - restartAt} ${t.to}`)).toEqual(["0 BACKUP", `${2_000 + initialMasterWaitMs(2, 100)} MASTER`]);
  });

  test("an owner (255) whose tracked interface comes up during the delay is BACKUP until its end, then master", async () => {
    // keepalived 2.2.7 made it master at once (vrrp_state_leave_fault -> goto_master); 2.4.0 waits (0d91c74b).
    const { lan, a } = lone(delay(4), { priority: 255, state: "BACKUP", extra: ["track_interface {", "  eth1", "}"] });
    a.host.addLink("eth1", { carrier: false });
    a.start();
    await lan.runFor(1_000);
    expect(a.state("VI_1")).toBe("FAULT");
    a.host.linkUp("eth1");
    await lan.runFor(10_000);
    expect(a.transitions().map((t) => `${t.atMs} ${t.to}`)).toEqual(["0 FAULT", "1000 BACKUP", "4000 MASTER"]);
    expect(lan.wire.adverts("A")[0]!.atMs).toBe(4_000);
  });
});
