// Operator maintenance as the supervisor sends it ("intent" messages, and the list in
// "start" and "apply"): the instance drops to priority 1 and hands over; it comes back
// when the intent is lifted; an address owner, which cannot be lowered, goes to FAULT.
import { describe, expect, test } from "bun:test";
import { skewTimeMs } from "../../../../src/vrrp/timers.ts";
import { BoxLan } from "../../support/fake-box/box-lan.ts";
import { classicPair, LATENCY_MS, pairTexts, VIP } from "./support/pair.ts";

describe("maintenance through intent", () => {
  test("on: priority 1, advertised at once, the backup preempts; off: back to 100, and the master preempts in turn", async () => {
    const { lan, a, b, client } = classicPair();
    await lan.runFor(10_500);
    a.setMaintenance(["VI_1"]);
    await lan.runFor(0);
    const lowered = lan.wire.adverts("A").at(-1)!;
    expect([lowered.atMs, lowered.advert.priority]).toEqual([10_500, 1]);
    await lan.runFor(10);
    expect(b.enteredAt("VI_1", "MASTER")! - 10_500).toBeLessThan(1);
    expect(lan.holders(VIP)).toEqual(["B"]);
    expect(a.view("VI_1")).toMatchObject({ maintenance: true, effectivePriority: 1, state: "BACKUP" });
    expect(a.view("VI_1").trackers).toContainEqual(expect.objectContaining({ kind: "maintenance" }));
    await lan.runFor(10_000);
    expect(lan.holders(VIP)).toEqual(["B"]);
    expect(client.reaches(VIP)).toBe("B");

    a.setMaintenance([]);
    await lan.runFor(1_100);
    expect(lan.holders(VIP)).toEqual(["A"]);
    expect(a.view("VI_1")).toMatchObject({ maintenance: false, effectivePriority: 100, state: "MASTER" });
    expect(client.reaches(VIP)).toBe("A");
  });

  test("an address owner (255) cannot be lowered: maintenance puts it in FAULT, it says goodbye and the backup takes over after skew", async () => {
    const { lan, a, b } = classicPair({ a: { priority: 255 } });
    await lan.runFor(5_000);
    a.setMaintenance(["VI_1"]);
    await lan.runFor(2_000);
    expect(a.state("VI_1")).toBe("FAULT");
    expect(lan.wire.adverts("A").at(-1)!.advert.priority).toBe(0);
    expect(b.enteredAt("VI_1", "MASTER")! - 5_000).toBeCloseTo(LATENCY_MS + skewTimeMs(2, 90, 100), 6);
    a.setMaintenance([]);
    await lan.runFor(10);
    expect(lan.holders(VIP)).toEqual(["A"]);
  });

  test("maintenance in the start message: booting into a running pair, the box never takes the VIP; a reload keeps it in maintenance", async () => {
    const lan = new BoxLan();
    const a = lan.box("A", "10.99.0.11/24", pairTexts().a);
    const b = lan.box("B", "10.99.0.12/24", pairTexts().b);
    b.start();
    await lan.runFor(5_000);
    a.setMaintenance(["VI_1"]);
    a.start();
    await lan.runFor(10_000);
    expect(lan.wire.adverts("A")).toEqual([]);
    expect(lan.holders(VIP)).toEqual(["B"]);
    expect(a.transitions().map((t) => t.to)).toEqual(["BACKUP"]);
    a.reload(pairTexts({ a: { extra: ["garp_master_repeat 3"] } }).a);
    await lan.runFor(10_000);
    expect(lan.holders(VIP)).toEqual(["B"]);
    expect(a.view("VI_1").maintenance).toBe(true);
  });

  test("an intent naming an instance the box does not run changes nothing", async () => {
    const { lan, a } = classicPair();
    await lan.runFor(5_000);
    a.setMaintenance(["VI_9"]);
    await lan.runFor(5_000);
    expect(lan.holders(VIP)).toEqual(["A"]);
    expect(a.view("VI_1").maintenance).toBe(false);
    expect(a.logger.lines.filter((l) => l.startsWith("error"))).toEqual([]);
  });
});
