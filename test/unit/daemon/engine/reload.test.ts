// Reloads on a running pair ("apply" from the supervisor): an unchanged instance keeps
// its state and its VIP with no transition; a changed one restarts; a removed one stops
// and releases its VIP; a new one starts; trackers and notify scripts change under a kept
// instance; a sync group whose members stay the same keeps its state.
import { describe, expect, test } from "bun:test";
import { formatIpv4 } from "../../../../src/common/ipv4.ts";
import { skewTimeMs } from "../../../../src/vrrp/timers.ts";
import { BoxLan } from "../../support/fake-box/box-lan.ts";
import { vrrpInstance, vrrpScript } from "../../support/fake-box/keepalived-text.ts";
import { classicPair, LATENCY_MS, pairTexts, VIP } from "./support/pair.ts";

const VIP2 = "10.99.0.102";
const secondInstance = (priority: number) => vrrpInstance({ name: "VI_2", vrid: 52, priority, vips: [`${VIP2}/24`] });

/** No advert gap longer than one interval (plus rounding) from A after `fromMs`. */
function longestGapMs(adverts: { atMs: number }[]): number {
  let longest = 0;
  for (let i = 1; i < adverts.length; i++) longest = Math.max(longest, adverts[i]!.atMs - adverts[i - 1]!.atMs);
  return longest;
}

describe("reload", () => {
  test("unchanged: the instance keeps its state and VIP, with no transition, no address change and no advert gap", async () => {
    const { lan, a, b } = classicPair();
    await lan.runFor(10_500);
    const transitionsBefore = a.transitions().length;
    const changesBefore = a.host.addressChanges.length;
    a.reload(pairTexts().a);
    await lan.runFor(0);
    expect(a.sent().filter((m) => m.type === "applied")).toHaveLength(1);
    await lan.runFor(10_000);
    expect(a.transitions()).toHaveLength(transitionsBefore);
    expect(b.transitions()).toHaveLength(1);
    expect(a.host.addressChanges).toHaveLength(changesBefore);
    const adverts = lan.wire.adverts("A");
    expect(adverts.every((f) => f.advert.priority === 100)).toBe(true);
    expect(longestGapMs(adverts)).toBeLessThanOrEqual(1000 + 1e-6);
  });

  test("a notify script added by a reload applies to the kept instance from its next transition", async () => {
    const { lan, a } = classicPair();
    a.programs.set("/etc/keepalived/master.sh");
    await lan.runFor(10_500);
    a.reload(pairTexts({ a: { extra: ['notify_master "/etc/keepalived/master.sh"'] } }).a);
    await lan.runFor(1_000);
    expect(a.programs.runsOf("/etc/keepalived/master.sh")).toHaveLength(0);
    expect(a.transitions()).toHaveLength(2);
    a.setMaintenance(["VI_1"]);
    await lan.runFor(1_000);
    a.setMaintenance([]);
    await lan.runFor(1_500);
    expect(a.state("VI_1")).toBe("MASTER");
    expect(a.programs.runsOf("/etc/keepalived/master.sh").map((r) => [r.argv, r.uid])).toEqual([[["/etc/keepalived/master.sh"], 990]]);
    expect(a.events("notify.run").map((e) => e.data.state)).toEqual(["MASTER"]);
  });

  test("a tracker added by a reload applies under the kept instance: no restart, its priority drops and B takes over", async () => {
    const { lan, a, b } = classicPair();
    a.programs.set("/etc/keepalived/check.sh", { exitCode: 1 });
    await lan.runFor(10_500);
    a.reload(pairTexts({ aPrefix: vrrpScript("chk", "/etc/keepalived/check.sh", { weight: -15 }), a: { extra: ["track_script {", "  chk", "}"] } }).a);
    await lan.runFor(2_000);
    expect(a.transitions().map((t) => t.to)).toEqual(["BACKUP", "MASTER", "BACKUP"]);
    expect(a.view("VI_1").effectivePriority).toBe(85);
    expect(b.state("VI_1")).toBe("MASTER");
    expect(lan.wire.adverts("A").some((f) => f.advert.priority === 0)).toBe(false);
  });

  test("a kept track script carries its result over (keepalived: considered successful on reload): a weight-0 tracker's master stays master", async () => {
    const chk = vrrpScript("chk", "/etc/keepalived/check.sh");
    const text = pairTexts({ aPrefix: chk, a: { extra: ["track_script {", "  chk", "}"] } }).a;
    const { lan, a } = classicPair({ aPrefix: chk, a: { extra: ["track_script {", "  chk", "}"] }, setup: (a) => a.programs.set("/etc/keepalived/check.sh") });
    await lan.runFor(10_500);
    expect(a.state("VI_1")).toBe("MASTER");
    a.reload(text);
    await lan.runFor(5_000);
    expect(a.transitions().map((t) => t.to)).toEqual(["BACKUP", "MASTER"]);
    expect(a.logger.lines.some((l) => l.includes("VRRP_Script(chk) considered successful on reload"))).toBe(true);
    // A failing one stays failed: its instance is still in FAULT after the reload, with no new transition.
    a.programs.exitWith("/etc/keepalived/check.sh", 1);
    await lan.runFor(3_000);
    expect(a.state("VI_1")).toBe("FAULT");
    const transitions = a.transitions().length;
    a.reload(text);
    await lan.runFor(3_000);
    expect(a.transitions()).toHaveLength(transitions);
    expect(a.logger.lines.some((l) => l.includes("VRRP_Script(chk) considered unsuccessful on reload"))).toBe(true);
  });

  test("changed (priority 100 -> 110): the instance restarts, saying goodbye first, and comes back with the new priority", async () => {
    const { lan, a, b } = classicPair();
    await lan.runFor(10_500);
    a.reload(pairTexts({ a: { priority: 110 } }).a);
    await lan.runFor(0);
    const goodbye = lan.wire.adverts("A").at(-1)!;
    expect([goodbye.atMs, goodbye.advert.priority]).toEqual([10_500, 0]);
    expect(a.host.addressChanges.at(-1)).toMatchObject({ op: "delete", atMs: 10_500 });
    await lan.runFor(5_000);
    expect(
      a
        .transitions()
        .slice(2)
        .map((t) => `${t.from}->${t.to}`),
    ).toEqual(["MASTER->STOP", "INIT->BACKUP", "BACKUP->MASTER"]);
    // B heard the goodbye and took over after Skew_Time; A (110) preempted it on its first advert.
    expect(b.enteredAt("VI_1", "MASTER")! - 10_500).toBeCloseTo(LATENCY_MS + skewTimeMs(2, 90, 100), 6);
    expect(a.transitions().at(-1)!.cause).toBe("preempt-lower-priority-advert");
    expect(lan.holders(VIP)).toEqual(["A"]);
    expect(lan.wire.adverts("A").at(-1)!.advert.priority).toBe(110);
    expect(a.view("VI_1").basePriority).toBe(110);
  });

  test("removed: that instance stops and releases its VIP; the other one is untouched", async () => {
    const lan = new BoxLan();
    const a = lan.box("A", "10.99.0.11/24", pairTexts().a + secondInstance(100));
    const b = lan.box("B", "10.99.0.12/24", pairTexts().b + secondInstance(90));
    a.start();
    b.start();
    await lan.runFor(10_500);
    expect([lan.holders(VIP), lan.holders(VIP2)]).toEqual([["A"], ["A"]]);
    const vi1Transitions = a.transitions("VI_1").length;
    a.reload(pairTexts().a);
    await lan.runFor(0);
    expect(lan.wire.adverts("A").at(-1)!.advert).toMatchObject({ vrid: 52, priority: 0 });
    expect(a.holds(VIP2)).toBe(false);
    expect(a.transitions("VI_2").at(-1)!.to).toBe("STOP");
    await lan.runFor(5_000);
    expect([lan.holders(VIP), lan.holders(VIP2)]).toEqual([["A"], ["B"]]);
    expect(a.transitions("VI_1")).toHaveLength(vi1Transitions);
    expect(a.host.addressChanges.filter((c) => c.atMs >= 10_500).map((c) => `${c.op} ${formatIpv4(c.address)}`)).toEqual([`delete ${VIP2}`]);
    expect(a.view("VI_1").state).toBe("MASTER");
    expect(a.latestStatus().status.instances.map((i) => i.name)).toEqual(["VI_1"]);
  });

  test("removed: keepalived's notifies for a deleted instance (DELETED with notify_deleted, else FAULT to the generic notify only), from the scripts it had", async () => {
    const notified = (name: string, extra: string[]) =>
      vrrpInstance({ name, vrid: name === "VI_2" ? 52 : 53, priority: 100, vips: [`10.99.0.${name === "VI_2" ? 102 : 103}/24`], extra });
    const lan = new BoxLan();
    const a = lan.box(
      "A",
      "10.99.0.11/24",
      pairTexts().a +
        notified("VI_2", ['notify "/etc/keepalived/any.sh"', 'notify_deleted "/etc/keepalived/deleted.sh"', 'notify_stop "/etc/keepalived/stop.sh"']) +
        notified("VI_3", ['notify "/etc/keepalived/any.sh"', 'notify_fault "/etc/keepalived/fault.sh"']),
    );
    for (const program of ["/etc/keepalived/any.sh", "/etc/keepalived/deleted.sh", "/etc/keepalived/stop.sh", "/etc/keepalived/fault.sh"])
      a.programs.set(program);
    a.start();
    await lan.runFor(10_500);
    expect([a.state("VI_2"), a.state("VI_3")]).toEqual(["MASTER", "MASTER"]);
    const before = a.events("notify.run").length;
    a.reload(pairTexts().a);
    await lan.runFor(1_000);
    const runs = a
      .events("notify.run")
      .slice(before)
      .map((e) => `${e.data.role} ${e.instance} ${e.data.state}`);
    expect(runs.sort()).toEqual(["notify VI_2 DELETED", "notify VI_3 FAULT", "notify_deleted VI_2 DELETED"]);
    // No notify_stop and no notify_fault: keepalived runs neither for a removed instance.
    expect(a.programs.runsOf("/etc/keepalived/stop.sh")).toEqual([]);
    expect(a.programs.runsOf("/etc/keepalived/fault.sh")).toEqual([]);
    expect(a.programs.runsOf("/etc/keepalived/any.sh").map((r) => r.argv.slice(1))).toContainEqual(["INSTANCE", "VI_3", "FAULT", "100"]);
  });

  test("added: a new instance starts and takes part in the election", async () => {
    const lan = new BoxLan();
    const a = lan.box("A", "10.99.0.11/24", pairTexts().a);
    const b = lan.box("B", "10.99.0.12/24", pairTexts().b + secondInstance(90));
    a.start();
    b.start();
    await lan.runFor(10_500);
    expect(lan.holders(VIP2)).toEqual(["B"]);
    a.reload(pairTexts().a + secondInstance(100));
    await lan.runFor(2_000);
    expect(a.transitions("VI_2").map((t) => `${t.to} ${t.cause}`)).toEqual(["BACKUP startup", "MASTER preempt-lower-priority-advert"]);
    expect([lan.holders(VIP), lan.holders(VIP2)]).toEqual([["A"], ["A"]]);
  });
});

describe("reload of a sync group", () => {
  const grouped = (priority: number, groupExtra: string[] = []) =>
    ["vrrp_sync_group G {", "  group {", "    VI_1", "    VI_2", "  }", ...groupExtra.map((l) => `  ${l}`), "}", ""].join("\n") +
    vrrpInstance({ name: "VI_1", vrid: 51, priority }) +
    secondInstance(priority);

  test("the same members: the group keeps its state, so no group transition and no group notify runs again", async () => {
    const lan = new BoxLan();
    const a = lan.box("A", "10.99.0.11/24", grouped(100));
    const b = lan.box("B", "10.99.0.12/24", grouped(90));
    a.programs.set("/etc/keepalived/group-master.sh");
    a.start();
    b.start();
    await lan.runFor(10_500);
    expect(a.events("group.transition").map((e) => e.data.to)).toEqual(["BACKUP", "MASTER"]);
    a.reload(grouped(100, ['notify_master "/etc/keepalived/group-master.sh"']));
    await lan.runFor(5_000);
    expect(a.events("group.transition").map((e) => e.data.to)).toEqual(["BACKUP", "MASTER"]);
    expect(a.latestStatus().status.groups).toEqual([{ name: "G", state: "MASTER", members: ["VI_1", "VI_2"] }]);
    expect(a.programs.runsOf("/etc/keepalived/group-master.sh")).toEqual([]);
    expect(a.transitions()).toHaveLength(4);
    expect([lan.holders(VIP), lan.holders(VIP2)]).toEqual([["A"], ["A"]]);
  });
});
