// Pair scenarios over real bytes: two (or three) boxes running the real engine from
// keepalived.conf on a fake wire, adverts and ARPs encoded and decoded on the way, a fake
// clock; election, failover, preemption and split brain against the RFC's timer arithmetic.
import { describe, expect, test } from "bun:test";
import { masterDownIntervalMs, skewTimeMs } from "../../../../src/vrrp/timers.ts";
import { BoxLan } from "../../support/fake-box/box-lan.ts";
import { vrrpInstance } from "../../support/fake-box/keepalived-text.ts";
import { classicPair, LATENCY_MS, lastAdvertAt, VIP } from "./support/pair.ts";

describe("election", () => {
  test("the state MASTER box with the higher priority takes the VIP after one interval plus minimal skew, and announces it", async () => {
    const { lan, a, b, client } = classicPair();
    await lan.runFor(20_000);
    expect([a.state("VI_1"), b.state("VI_1")]).toEqual(["MASTER", "BACKUP"]);
    expect(lan.holders(VIP)).toEqual(["A"]);
    expect(a.enteredAt("VI_1", "MASTER")).toBeCloseTo(1000 + skewTimeMs(2, 255, 100), 6);
    expect(b.transitions().map((t) => `${t.to} (${t.cause})`)).toEqual(["BACKUP (startup)"]);
    // Gratuitous ARPs: a burst of 5 at once and another 5 s later (garp_master_delay 5, repeat 5).
    const arps = lan.wire.arps("A");
    expect(arps.map((f) => Math.round(f.atMs - arps[0]!.atMs))).toEqual([0, 0, 0, 0, 0, 5000, 5000, 5000, 5000, 5000]);
    expect(client.reaches(VIP)).toBe("A");
    // One advert a second from A, none from B; each heard by B.
    const adverts = lan.wire.adverts();
    expect(new Set(adverts.map((f) => f.from))).toEqual(new Set(["A"]));
    expect(adverts.map((f) => f.advert.priority)).toEqual(adverts.map(() => 100));
    expect(b.counters("VI_1").advertsReceived).toBe(adverts.length);
  });

  test("an address owner (priority 255) is master at once", async () => {
    const { lan, a } = classicPair({ a: { priority: 255, state: "BACKUP" } });
    await lan.runFor(10);
    expect(a.state("VI_1")).toBe("MASTER");
    expect(a.enteredAt("VI_1", "MASTER")).toBe(0);
  });

  test("equal priorities: the higher primary address wins and exactly one master remains", async () => {
    const { lan, a, b } = classicPair({ a: { priority: 100, state: "BACKUP" }, b: { priority: 100 } });
    await lan.runFor(10_000);
    expect(lan.holders(VIP)).toEqual(["B"]);
    expect(a.transitions().filter((t) => t.to === "MASTER").length).toBeLessThanOrEqual(1);
    expect([a.state("VI_1"), b.state("VI_1")]).toEqual(["BACKUP", "MASTER"]);
  });

  test("three boxes elect the highest priority and the others stay backup", async () => {
    const lan = new BoxLan();
    const boxes = [
      lan.box("A", "10.99.0.1/24", vrrpInstance({ name: "VI", vrid: 7, priority: 50 })),
      lan.box("B", "10.99.0.2/24", vrrpInstance({ name: "VI", vrid: 7, priority: 150 })),
      lan.box("C", "10.99.0.3/24", vrrpInstance({ name: "VI", vrid: 7, priority: 100 })),
    ];
    for (const box of boxes) box.start();
    await lan.runFor(30_000);
    expect(lan.holders(VIP)).toEqual(["B"]);
    expect(boxes.map((box) => box.transitions().filter((t) => t.to === "MASTER").length)).toEqual([0, 1, 0]);
  });
});

describe("failover", () => {
  test("kill -9 of the master: the backup takes over exactly Master_Down_Interval after the last advert; the client follows its ARPs", async () => {
    const { lan, a, b, client } = classicPair();
    await lan.runFor(20_000);
    a.crash();
    const last = lastAdvertAt(lan, "A");
    await lan.runFor(2_000);
    // Nothing released: the dead box still has the address, and the client still goes there.
    expect(lan.holders(VIP)).toEqual(["A"]);
    expect(client.reaches(VIP)).toBe("A");
    await lan.runFor(3_000);
    expect(b.enteredAt("VI_1", "MASTER")).toBeCloseTo(last + LATENCY_MS + masterDownIntervalMs(2, 90, 100), 6);
    expect(lan.holders(VIP)).toEqual(["A", "B"]);
    expect(client.reaches(VIP)).toBe("B");
    expect(lan.wire.adverts("A").at(-1)!.advert.priority).toBe(100); // no goodbye
    // The reason carries the missed adverts as a number, recorded without parsing the words.
    const takeover = b.transitions("VI_1").find((t) => t.to === "MASTER")!;
    expect(takeover).toMatchObject({ cause: "master-down-timer", advertsMissed: 3, detail: "no advert from master 10.99.0.11 for 3648 ms (3 adverts missed)" });
  });

  test("no master ever heard: the takeover reason counts no missed adverts", async () => {
    const { lan, a } = classicPair();
    await lan.runFor(5_000);
    const takeover = a.transitions("VI_1").find((t) => t.to === "MASTER")!;
    expect(takeover.cause).toBe("master-down-timer");
    expect(takeover.advertsMissed).toBeUndefined();
    expect(takeover.detail).toMatch(/^no master heard for \d+ ms$/);
  });

  test.each([
    [2, false],
    [3, true],
  ])("%i adverts lost in a row: takeover is %p (Master_Down_Interval is 3 intervals + skew)", async (lost, takesOver) => {
    const { lan, b } = classicPair();
    await lan.runFor(10_500);
    lan.wire.addRule({ match: (frame, to) => frame.from === "A" && frame.advert !== undefined && to === "B", count: lost });
    await lan.runFor(10_000);
    expect(lan.wire.frames.filter((f) => f.lost.some((l) => l.why === "dropped by a test rule"))).toHaveLength(lost);
    expect(b.transitions().some((t) => t.to === "MASTER")).toBe(takesOver);
  });

  test("graceful stop: a priority-0 advert, the VIP released, and the backup takes over after Skew_Time", async () => {
    const { lan, a, b, client } = classicPair();
    await lan.runFor(20_000);
    a.stop();
    await lan.runFor(0);
    const goodbye = lan.wire.adverts("A").at(-1)!;
    expect(goodbye.advert.priority).toBe(0);
    expect(goodbye.atMs).toBe(20_000);
    expect(a.holds(VIP)).toBe(false);
    expect(a.transitions().at(-1)).toMatchObject({ from: "MASTER", to: "STOP", cause: "shutdown" });
    expect(a.sent().at(-1)).toEqual({ type: "stopped" });
    await lan.runFor(2_000);
    expect(lan.holders(VIP)).toEqual(["B"]);
    expect(b.enteredAt("VI_1", "MASTER")).toBeCloseTo(20_000 + LATENCY_MS + skewTimeMs(2, 90, 100), 6);
    expect(b.counters("VI_1").priorityZeroReceived).toBe(1);
    expect(client.reaches(VIP)).toBe("B");
  });

  test("v3: a backup learns the master's 0.1 s interval and uses it for Master_Down_Interval", async () => {
    const { lan, a, b } = classicPair({ a: { version: 3, advertInt: 0.1 }, b: { version: 3, advertInt: 1 } });
    await lan.runFor(5_000);
    expect(lan.holders(VIP)).toEqual(["A"]);
    expect(lan.wire.adverts("A").at(-1)!.advert).toMatchObject({ version: 3, advertIntervalCs: 10 });
    a.crash();
    const last = lastAdvertAt(lan, "A");
    await lan.runFor(2_000);
    expect(b.enteredAt("VI_1", "MASTER")).toBeCloseTo(last + LATENCY_MS + masterDownIntervalMs(3, 90, 10), 6);
  });

  test("v3 at 10 ms adverts: takeover within 3 x 10 ms + skew, no spurious transitions while idle", async () => {
    const { lan, a, b } = classicPair({ a: { version: 3, advertInt: 0.01 }, b: { version: 3, advertInt: 0.01 } });
    await lan.runFor(30_000);
    expect([...a.transitions(), ...b.transitions()].map((t) => `${t.to} ${t.cause}`).sort()).toEqual([
      "BACKUP startup",
      "BACKUP startup",
      "MASTER master-down-timer",
    ]);
    a.crash();
    const last = lastAdvertAt(lan, "A");
    await lan.runFor(1_000);
    expect(b.enteredAt("VI_1", "MASTER")! - last).toBeLessThan(37);
  });
});

describe("preemption", () => {
  /** A dies, B takes over, A comes back 10 s later with `aText` (and its stale VIP). */
  async function afterBTookOver(aText: string) {
    const { lan, a, b } = classicPair();
    await lan.runFor(10_000);
    a.crash();
    await lan.runFor(10_000);
    expect(b.state("VI_1")).toBe("MASTER");
    expect(a.holds(VIP)).toBe(true);
    const restartAt = lan.nowMs();
    a.start(aText);
    await lan.runFor(0);
    // The restarted engine removes what the dead one left before it takes part.
    expect(a.holds(VIP)).toBe(false);
    expect(a.host.addressChanges.at(-1)).toMatchObject({ op: "delete", atMs: restartAt });
    return { lan, a, b, restartAt };
  }

  test("fast_preempt: a returning higher-priority box takes over on the first lower-priority advert it hears", async () => {
    const { lan, a, restartAt } = await afterBTookOver(vrrpInstance({ priority: 100 }));
    await lan.runFor(1_100);
    expect(lan.holders(VIP)).toEqual(["A"]);
    const took = a.transitions().find((t) => t.to === "MASTER")!;
    expect(took.cause).toBe("preempt-lower-priority-advert");
    expect(took.atMs - restartAt).toBeLessThanOrEqual(1000 + LATENCY_MS);
  });

  test("RFC preemption (no_fast_preempt): the higher-priority box waits out Master_Down_Interval", async () => {
    const { lan, a, restartAt } = await afterBTookOver(vrrpInstance({ priority: 100, extra: ["no_fast_preempt"] }));
    await lan.runFor(3_000);
    expect(lan.holders(VIP)).toEqual(["B"]);
    await lan.runFor(1_000);
    expect(lan.holders(VIP)).toEqual(["A"]);
    expect(a.enteredAt("VI_1", "MASTER")! - restartAt).toBeCloseTo(masterDownIntervalMs(2, 100, 100), 6);
  });

  test("nopreempt: the returning box stays backup while the current master lives", async () => {
    const { lan, a } = await afterBTookOver(vrrpInstance({ priority: 100, extra: ["nopreempt"] }));
    await lan.runFor(30_000);
    expect(lan.holders(VIP)).toEqual(["B"]);
    expect(a.state("VI_1")).toBe("BACKUP");
  });

  test("preempt_delay: the returning box waits the delay, then preempts", async () => {
    const { lan, a, restartAt } = await afterBTookOver(vrrpInstance({ priority: 100, extra: ["preempt_delay 5"] }));
    await lan.runFor(5_000);
    expect(lan.holders(VIP)).toEqual(["B"]);
    await lan.runFor(1_100);
    expect(lan.holders(VIP)).toEqual(["A"]);
    const took = a.enteredAt("VI_1", "MASTER")! - restartAt;
    expect(took).toBeGreaterThanOrEqual(5_000);
    expect(took).toBeLessThanOrEqual(6_000 + LATENCY_MS);
  });
});

describe("split brain", () => {
  // The heal moment is swept across a whole advert cycle, so that either box's advert can
  // be the first to cross the healed link.
  test.each([0, 150, 300, 450, 600, 750, 900])(
    "cut the link: both become master; restore it (+%i ms): exactly one master within one advert interval, ARPs re-sent",
    async (phaseMs) => {
      const { lan, a, b, client } = classicPair();
      await lan.runFor(10_000);
      lan.wire.cut("A", "B");
      await lan.runFor(10_000 + phaseMs);
      expect(lan.holders(VIP)).toEqual(["A", "B"]);
      const healAt = lan.nowMs();
      const arpsBefore = lan.wire.arps("A").length;
      lan.wire.heal();
      await lan.runFor(1_000 + 2 * LATENCY_MS);
      expect(lan.holders(VIP)).toEqual(["A"]);
      expect(b.state("VI_1")).toBe("BACKUP");
      expect(lan.wire.arps("A").length).toBeGreaterThan(arpsBefore);
      expect(lan.wire.arps("A").at(-1)!.atMs).toBeGreaterThanOrEqual(healAt);
      expect(a.events("vrrp.split-brain").length + b.events("vrrp.split-brain").length).toBeGreaterThan(0);
      await lan.runFor(30_000);
      expect(lan.holders(VIP)).toEqual(["A"]);
      expect(client.reaches(VIP)).toBe("A");
    },
  );
});
