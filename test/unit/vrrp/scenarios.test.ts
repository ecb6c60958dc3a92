// VRRP scenarios on an in-memory LAN with a fake clock: each test is a short story of a
// pair (or trio) of routers, checked against the exact RFC timer arithmetic.
import { describe, expect, test } from "bun:test";
import { masterDownIntervalMs, skewTimeMs } from "../../../src/vrrp/timers.ts";
import type { TrackerStatus } from "../../../src/vrrp/track.ts";
import { LATENCY_MS, Lan } from "./support/lan.ts";
import { setTracker } from "./support/trackers.ts";

const script = (contribution: number, fault = false): TrackerStatus => ({ kind: "script", name: "chk", healthy: !fault && contribution >= 0, contribution, fault, detail: fault ? "failed" : "ok" });

/** A (priority 100, state MASTER, .11) and B (priority 90, BACKUP, .12), VRID 51. */
function classicPair(overrides: { a?: object; b?: object } = {}) {
  const lan = new Lan();
  const a = lan.router("A", "10.99.0.11");
  const b = lan.router("B", "10.99.0.12");
  a.add({ name: "VI_1", vrid: 51, basePriority: 100, initialState: "MASTER", ...overrides.a });
  b.add({ name: "VI_1", vrid: 51, basePriority: 90, ...overrides.b });
  a.startAll();
  b.startAll();
  return { lan, a, b };
}

function transitionTime(lan: Lan, router: string, to: string, after = 0): number | undefined {
  return lan.events.find((e) => e.router === router && e.atMs >= after && e.what.startsWith(`-> ${to}`))?.atMs;
}

function lastAdvertFrom(lan: Lan, router: string, before: number): number {
  return lan.adverts.filter((a) => a.router === router && a.atMs <= before).at(-1)!.atMs;
}

describe("election", () => {
  test("the state MASTER router with the higher priority takes the VIP after one interval plus minimal skew", async () => {
    const { lan, a, b } = classicPair();
    await lan.runFor(20_000);
    expect(a.state("VI_1")).toBe("MASTER");
    expect(b.state("VI_1")).toBe("BACKUP");
    expect(lan.holders("VI_1")).toEqual(["A"]);
    expect(transitionTime(lan, "A", "MASTER")).toBeCloseTo(1000 + skewTimeMs(2, 255, 100), 6);
    expect(lan.transitions("B").map((e) => e.what)).toEqual(["-> BACKUP (startup)"]);
    // The new master sent gratuitous ARPs: a burst at once and a second after 5 s.
    expect(a.garps.map((g) => Math.round(g.atMs - a.garps[0]!.atMs))).toEqual([0, 5000]);
    expect(a.garps.every((g) => g.count === 5)).toBe(true);
  });

  test("an address owner (priority 255) is master at once", async () => {
    const { lan, a } = classicPair({ a: { basePriority: 255, initialState: "BACKUP" } });
    await lan.runFor(10);
    expect(a.state("VI_1")).toBe("MASTER");
    expect(transitionTime(lan, "A", "MASTER")).toBe(0);
  });

  test("equal priorities: the higher primary address wins and exactly one master remains", async () => {
    const { lan } = classicPair({ a: { basePriority: 100, initialState: "BACKUP" }, b: { basePriority: 100 } });
    await lan.runFor(10_000);
    expect(lan.holders("VI_1")).toEqual(["B"]);
  });

  test("three routers elect the highest priority and the others stay backup", async () => {
    const lan = new Lan();
    const routers = [
      lan.router("A", "10.0.0.1").add({ name: "VI", vrid: 7, basePriority: 50 }),
      lan.router("B", "10.0.0.2").add({ name: "VI", vrid: 7, basePriority: 150 }),
      lan.router("C", "10.0.0.3").add({ name: "VI", vrid: 7, basePriority: 100 }),
    ];
    for (const r of routers) r.start();
    await lan.runFor(30_000);
    expect(lan.holders("VI")).toEqual(["B"]);
    expect(lan.transitions().filter((e) => e.what.startsWith("-> MASTER")).map((e) => e.router)).toEqual(["B"]);
  });
});

describe("failover", () => {
  test("kill -9 of the master: the backup takes over exactly Master_Down_Interval after the last advert", async () => {
    const { lan, a, b } = classicPair();
    await lan.runFor(20_000);
    a.crash();
    const last = lastAdvertFrom(lan, "A", 20_000);
    await lan.runFor(5_000);
    expect(lan.holders("VI_1")).toEqual(["B"]);
    expect(transitionTime(lan, "B", "MASTER")).toBeCloseTo(last + LATENCY_MS + masterDownIntervalMs(2, 90, 100), 6);
    expect(b.garps.length).toBeGreaterThan(0);
    // The reason carries the silence as numbers; the detail says the same in words.
    const reason = lan.transitions("B").find((e) => e.what.startsWith("-> MASTER"))!.reason!;
    expect(reason.cause).toBe("master-down-timer");
    expect(reason.silentMs).toBeCloseTo(masterDownIntervalMs(2, 90, 100), 6);
    expect(reason.advertsMissed).toBe(3);
    expect(reason.detail).toBe("no advert from master 10.99.0.11 for 3648 ms (3 adverts missed)");
  });

  test("no master ever heard: the takeover reason counts no missed adverts", async () => {
    const { lan } = classicPair();
    await lan.runFor(5_000);
    const reason = lan.transitions("A").find((e) => e.what.startsWith("-> MASTER"))!.reason!;
    expect(reason).toEqual({ cause: "master-down-timer", detail: "no master heard for 1004 ms" });
  });

  test("graceful stop: priority 0 advert, then the backup takes over after Skew_Time", async () => {
    const { lan, a } = classicPair();
    await lan.runFor(20_000);
    await a.instance("VI_1").shutdown();
    const stoppedAt = lan.clock.nowMs();
    expect(lan.adverts.at(-1)!.advert.priority).toBe(0);
    expect(a.vipsHeld.size).toBe(0);
    await lan.runFor(2_000);
    expect(lan.holders("VI_1")).toEqual(["B"]);
    expect(transitionTime(lan, "B", "MASTER")).toBeCloseTo(stoppedAt + LATENCY_MS + skewTimeMs(2, 90, 100), 6);
    expect(lan.transitions("A").at(-1)!.what).toBe("-> STOP (shutdown)");
  });

  test("v3: a backup learns the master's 0.1 s interval and uses it for Master_Down_Interval", async () => {
    const { lan, a } = classicPair({ a: { version: 3, advertIntervalCs: 10 }, b: { version: 3, advertIntervalCs: 100 } });
    await lan.runFor(5_000);
    expect(lan.holders("VI_1")).toEqual(["A"]);
    a.crash();
    const last = lastAdvertFrom(lan, "A", lan.clock.nowMs());
    await lan.runFor(2_000);
    expect(transitionTime(lan, "B", "MASTER")).toBeCloseTo(last + LATENCY_MS + masterDownIntervalMs(3, 90, 10), 6);
  });

  test("v3 at 10 ms adverts: takeover within 3 x 10 ms + skew, no spurious transitions while idle", async () => {
    const { lan, a } = classicPair({ a: { version: 3, advertIntervalCs: 1 }, b: { version: 3, advertIntervalCs: 1 } });
    await lan.runFor(60_000);
    expect(lan.transitions().map((e) => `${e.router} ${e.what}`)).toEqual(["A -> BACKUP (startup)", "B -> BACKUP (startup)", "A -> MASTER (master-down-timer)"]);
    a.crash();
    const last = lastAdvertFrom(lan, "A", lan.clock.nowMs());
    await lan.runFor(1_000);
    expect(transitionTime(lan, "B", "MASTER")! - last).toBeLessThan(37);
  });
});

describe("preemption", () => {
  async function afterBTookOver(aOverrides: object) {
    const { lan, a, b } = classicPair();
    await lan.runFor(10_000);
    a.crash();
    await lan.runFor(10_000);
    expect(lan.holders("VI_1")).toEqual(["B"]);
    const restarted = lan.router("A", "10.99.0.11");
    restarted.add({ name: "VI_1", vrid: 51, basePriority: 100, ...aOverrides });
    const restartAt = lan.clock.nowMs();
    restarted.startAll();
    return { lan, a: restarted, b, restartAt };
  }

  test("fast_preempt: a returning higher-priority router takes over on the first lower-priority advert it hears", async () => {
    const { lan, restartAt } = await afterBTookOver({});
    await lan.runFor(1_100);
    expect(lan.holders("VI_1")).toEqual(["A"]);
    const took = transitionTime(lan, "A", "MASTER", restartAt)!;
    expect(took - restartAt).toBeLessThanOrEqual(1000 + LATENCY_MS);
    expect(lan.events.find((e) => e.router === "A" && e.atMs >= restartAt && e.what.startsWith("-> MASTER"))!.what).toBe("-> MASTER (preempt-lower-priority-advert)");
  });

  test("RFC preemption (fast_preempt off): the higher priority router waits out Master_Down_Interval", async () => {
    const { lan, restartAt } = await afterBTookOver({ fastPreempt: false });
    await lan.runFor(3_000);
    expect(lan.holders("VI_1")).toEqual(["B"]);
    await lan.runFor(1_000);
    expect(lan.holders("VI_1")).toEqual(["A"]);
    expect(transitionTime(lan, "A", "MASTER", restartAt)! - restartAt).toBeCloseTo(masterDownIntervalMs(2, 100, 100), 6);
  });

  test("nopreempt: the returning router stays backup while the current master lives", async () => {
    const { lan } = await afterBTookOver({ preempt: false });
    await lan.runFor(30_000);
    expect(lan.holders("VI_1")).toEqual(["B"]);
  });

  test("preempt_delay: the returning router waits the delay, then preempts", async () => {
    const { lan, restartAt } = await afterBTookOver({ preemptDelayMs: 5_000 });
    await lan.runFor(5_000);
    expect(lan.holders("VI_1")).toEqual(["B"]);
    await lan.runFor(1_100);
    expect(lan.holders("VI_1")).toEqual(["A"]);
    const took = transitionTime(lan, "A", "MASTER", restartAt)! - restartAt;
    expect(took).toBeGreaterThanOrEqual(5_000);
    expect(took).toBeLessThanOrEqual(6_000 + LATENCY_MS);
  });
});

describe("tracking", () => {
  test("a master whose priority drops below the backup's tells it at once; fast_preempt moves the VIP in well under a millisecond", async () => {
    const { lan, a } = classicPair();
    await lan.runFor(10_500);
    const at = lan.clock.nowMs();
    setTracker(a.instance("VI_1"), script(-15));
    expect(lan.adverts.at(-1)!.advert.priority).toBe(85);
    await lan.runFor(10);
    expect(lan.holders("VI_1")).toEqual(["B"]);
    expect(transitionTime(lan, "B", "MASTER", at)! - at).toBeLessThan(1);
    // The script recovers: A (100 again) preempts B (90) at once.
    setTracker(a.instance("VI_1"), script(0));
    await lan.runFor(1_100);
    expect(lan.holders("VI_1")).toEqual(["A"]);
  });

  test("without fast_preempt the backup discards the lower-priority adverts and waits out its timer (keepalived's 3-4 s)", async () => {
    const { lan, a } = classicPair({ b: { fastPreempt: false } });
    await lan.runFor(10_500);
    const at = lan.clock.nowMs();
    setTracker(a.instance("VI_1"), script(-15));
    await lan.runFor(3_000);
    expect(lan.holders("VI_1")).toEqual(["A"]);
    await lan.runFor(1_500);
    expect(lan.holders("VI_1")).toEqual(["B"]);
    const took = transitionTime(lan, "B", "MASTER", at)! - at;
    expect(took).toBeGreaterThan(3_000);
    expect(took).toBeLessThan(masterDownIntervalMs(2, 90, 100));
  });

  test("a weight-0 tracker failure puts the master in FAULT: priority 0 advert, VIP released, backup takes over after skew", async () => {
    const { lan, a } = classicPair();
    await lan.runFor(10_500);
    const at = lan.clock.nowMs();
    setTracker(a.instance("VI_1"), script(0, true));
    expect(a.state("VI_1")).toBe("FAULT");
    await lan.runFor(1_000);
    expect(lan.holders("VI_1")).toEqual(["B"]);
    expect(transitionTime(lan, "B", "MASTER", at)! - at).toBeCloseTo(LATENCY_MS + skewTimeMs(2, 90, 100), 6);
    // Fault clears: A goes BACKUP, hears B's lower priority and preempts.
    setTracker(a.instance("VI_1"), script(0, false));
    await lan.runFor(1_100);
    expect(lan.holders("VI_1")).toEqual(["A"]);
    expect(lan.transitions("A").map((e) => e.what).slice(-3)).toEqual(["-> FAULT (fault)", "-> BACKUP (fault-cleared)", "-> MASTER (preempt-lower-priority-advert)"]);
  });

  test("a tracker failing before start keeps the instance in FAULT from the start", async () => {
    const lan = new Lan();
    const instance = lan.router("A", "10.0.0.1").add({ name: "VI", vrid: 9, basePriority: 100 });
    setTracker(instance, { kind: "interface", name: "eth1", healthy: false, contribution: 0, fault: true, detail: "down" });
    instance.start();
    await lan.runFor(10_000);
    expect(instance.snapshot().state).toBe("FAULT");
    expect(lan.adverts).toHaveLength(0);
  });
});

describe("split brain", () => {
  // The heal moment is swept across a whole advert cycle, so that either router's advert
  // can be the first to cross the healed link.
  test.each([0, 150, 300, 450, 600, 750, 900])("cut the link: both become master; restore it (+%i ms): exactly one master within one advert interval, ARPs re-sent", async (phaseMs) => {
    const { lan, a, b } = classicPair();
    await lan.runFor(10_000);
    lan.cut("A", "B");
    await lan.runFor(10_000 + phaseMs);
    expect(lan.holders("VI_1").sort()).toEqual(["A", "B"]);
    const healAt = lan.clock.nowMs();
    const garpsBefore = a.garps.length;
    lan.heal();
    await lan.runFor(1_000 + 2 * LATENCY_MS);
    expect(lan.holders("VI_1")).toEqual(["A"]);
    expect(b.state("VI_1")).toBe("BACKUP");
    expect(a.garps.length).toBeGreaterThan(garpsBefore);
    expect(a.garps.at(-1)!.atMs).toBeGreaterThanOrEqual(healAt);
    await lan.runFor(30_000);
    expect(lan.holders("VI_1")).toEqual(["A"]);
  });
});

describe("sync group", () => {
  function groupedPair() {
    const lan = new Lan();
    const a = lan.router("A", "10.0.0.1");
    const b = lan.router("B", "10.0.0.2");
    for (const [router, prio] of [[a, 100], [b, 90]] as const) {
      router.add({ name: "VI_1", vrid: 1, basePriority: prio, group: "G" });
      router.add({ name: "VI_2", vrid: 2, basePriority: prio, group: "G" });
    }
    a.startAll();
    b.startAll();
    return { lan, a, b };
  }

  test("members become master together and fail over together when one member faults", async () => {
    const { lan, a, b } = groupedPair();
    await lan.runFor(10_000);
    expect(lan.holders("VI_1")).toEqual(["A"]);
    expect(lan.holders("VI_2")).toEqual(["A"]);
    expect(a.groups.get("G")!.state()).toBe("MASTER");

    setTracker(a.instance("VI_1"), { kind: "interface", name: "eth0", healthy: false, contribution: 0, fault: true, detail: "down" });
    expect(a.state("VI_2")).toBe("FAULT");
    await lan.runFor(1_000);
    expect(lan.holders("VI_1")).toEqual(["B"]);
    expect(lan.holders("VI_2")).toEqual(["B"]);
    expect(b.groups.get("G")!.state()).toBe("MASTER");

    setTracker(a.instance("VI_1"), { kind: "interface", name: "eth0", healthy: true, contribution: 0, fault: false, detail: "up" });
    await lan.runFor(5_000);
    expect(lan.holders("VI_1")).toEqual(["A"]);
    expect(lan.holders("VI_2")).toEqual(["A"]);
    expect(b.groups.get("G")!.state()).toBe("BACKUP");
    await lan.runFor(30_000);
    expect(lan.holders("VI_1")).toEqual(["A"]);
    expect(lan.holders("VI_2")).toEqual(["A"]);
  });
});

describe("the seed's worked example (dual master, chk_mt_down weight -15)", () => {
  test("touch down on .179 moves VIP .51 to .180; rm down brings it back", async () => {
    const lan = new Lan();
    const n180 = lan.router("180", "192.168.100.180");
    const n179 = lan.router("179", "192.168.100.179");
    n180.add({ name: "VI_1", vrid: 51, basePriority: 100, initialState: "MASTER", vips: ["192.168.100.41"] });
    n180.add({ name: "VI_2", vrid: 52, basePriority: 90, vips: ["192.168.100.51"] });
    n179.add({ name: "VI_1", vrid: 51, basePriority: 90, vips: ["192.168.100.41"] });
    n179.add({ name: "VI_2", vrid: 52, basePriority: 100, initialState: "MASTER", vips: ["192.168.100.51"] });
    n180.startAll();
    n179.startAll();
    await lan.runFor(10_000);
    expect(lan.holders("VI_1")).toEqual(["180"]);
    expect(lan.holders("VI_2")).toEqual(["179"]);

    // touch /etc/keepalived/down on 179: its script fails, both its instances lose 15.
    for (const name of ["VI_1", "VI_2"]) setTracker(n179.instance(name), script(-15));
    await lan.runFor(100);
    expect(lan.holders("VI_1")).toEqual(["180"]);
    expect(lan.holders("VI_2")).toEqual(["180"]);

    // rm down: 179's VI_2 is back at 100 > 90 and preempts.
    for (const name of ["VI_1", "VI_2"]) setTracker(n179.instance(name), script(0));
    await lan.runFor(1_100);
    expect(lan.holders("VI_1")).toEqual(["180"]);
    expect(lan.holders("VI_2")).toEqual(["179"]);
  });
});
