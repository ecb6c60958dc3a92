// The director-ready gate, on the real engine: the supervisor starts it with a gate (the
// configuration has virtual servers and the director runs), and the instances are held as
// during vrrp_startup_delay until the director's first pass is reported, IPVS is reported
// unavailable, or the bound expires; with vrrp_startup_delay too, the later end wins. The
// supervisor's half (what it sends, and when) is in test/unit/daemon/supervisor.
import { describe, expect, test } from "bun:test";
import { parseIpv4 } from "../../../../src/common/ipv4.ts";
import { initialMasterWaitMs, masterDownIntervalMs } from "../../../../src/vrrp/timers.ts";
import { BoxLan } from "../../support/fake-box/box-lan.ts";
import { vrrpInstance } from "../../support/fake-box/keepalived-text.ts";
import { LATENCY_MS, startInTurn, unstartedPair, VIP } from "./support/pair.ts";

const GATE = { directorGate: { timeoutMs: 15_000 } };
const FIRST_WAIT_MS = initialMasterWaitMs(2, 100);

/** A lone box A (100, state MASTER), started with the gate. */
function loneGated(prefix = "", timeoutMs = 15_000) {
  const lan = new BoxLan();
  const a = lan.box("A", "10.99.0.11/24", prefix + vrrpInstance({ priority: 100, state: "MASTER" }));
  a.start(undefined, { directorGate: { timeoutMs } });
  return { lan, a };
}

const vipAddedAt = (box: ReturnType<typeof loneGated>["a"]) => box.host.addressChanges.find((c) => c.address === parseIpv4(VIP) && c.op === "add")?.atMs;

describe("the director-ready gate", () => {
  test("held until the director has programmed IPVS: BACKUP, no advert, no VIP; then master after the usual first wait", async () => {
    const { lan, a } = loneGated();
    await lan.runFor(3_000);
    expect(a.view("VI_1")).toMatchObject({ state: "BACKUP", held: { by: ["director"] } });
    expect(lan.wire.adverts("A")).toEqual([]);
    a.director("ready");
    await lan.runFor(0);
    expect(a.view("VI_1").held).toBeUndefined();
    await lan.runFor(5_000);
    expect(a.transitions().map((t) => `${t.atMs} ${t.to}`)).toEqual(["0 BACKUP", `${3_000 + FIRST_WAIT_MS} MASTER`]);
    expect(vipAddedAt(a)).toBe(3_000 + FIRST_WAIT_MS);
    expect(a.events("vrrp.hold").map((e) => [e.sentAtMs, e.summary, e.data])).toEqual([
      [
        0,
        "VRRP instances held in BACKUP until the director has programmed IPVS (at most 15 s, director_ready_timeout): no advert, no virtual address before then",
        { held: true, by: ["director"], directorTimeoutMs: 15_000 },
      ],
      [
        3_000,
        "VRRP instances released after 3000 ms: the director programmed IPVS after 3000 ms",
        { held: false, by: ["director"], cause: "director-ready", heldMs: 3_000, directorTimeoutMs: 15_000, directorMs: 3_000 },
      ],
    ]);
    expect(a.logger.lines).toContain("info A#1: VRRP instances released after 3000 ms: the director programmed IPVS after 3000 ms");
  });

  test("released when the director finds no IPVS: VRRP is never held hostage to the kernel", async () => {
    const { lan, a } = loneGated();
    await lan.runFor(800);
    a.director("unavailable", "the kernel has no IP_VS generic netlink family");
    await lan.runFor(5_000);
    expect(a.enteredAt("VI_1", "MASTER")).toBe(800 + FIRST_WAIT_MS);
    expect(a.events("vrrp.hold").at(-1)).toMatchObject({
      summary:
        "VRRP instances released after 800 ms: IPVS is unavailable (the kernel has no IP_VS generic netlink family), found after 800 ms; VRRP runs without it",
      data: { held: false, cause: "ipvs-unavailable", heldMs: 800 },
    });
  });

  test("released at the bound when the director never reports; a report after it changes nothing", async () => {
    const { lan, a } = loneGated("", 15_000);
    await lan.runFor(14_999);
    expect(a.state("VI_1")).toBe("BACKUP");
    expect(a.view("VI_1").held).toMatchObject({ by: ["director"] });
    await lan.runFor(10_000);
    expect(a.enteredAt("VI_1", "MASTER")).toBe(15_000 + FIRST_WAIT_MS);
    a.director("ready");
    await lan.runFor(1_000);
    expect(a.events("vrrp.hold").map((e) => [e.sentAtMs, e.data.cause])).toEqual([
      [0, undefined],
      [15_000, "director-timeout"],
    ]);
    expect(a.transitions()).toHaveLength(2);
  });

  test("with vrrp_startup_delay: the later of the two releases, and the history says which", async () => {
    const early = loneGated("global_defs {\n  vrrp_startup_delay 5\n}\n");
    await early.lan.runFor(2_000);
    early.a.director("ready");
    await early.lan.runFor(0);
    expect(early.a.view("VI_1").held).toMatchObject({ by: ["vrrp_startup_delay"] });
    await early.lan.runFor(10_000);
    expect(early.a.enteredAt("VI_1", "MASTER")).toBe(5_000 + FIRST_WAIT_MS);
    expect(early.a.events("vrrp.hold").at(-1)!.data).toEqual({
      held: false,
      by: ["vrrp_startup_delay", "director"],
      cause: "startup-delay-over",
      heldMs: 5_000,
      startupDelayMs: 5_000,
      directorTimeoutMs: 15_000,
      directorMs: 2_000,
    });

    const late = loneGated("global_defs {\n  vrrp_startup_delay 5\n}\n");
    await late.lan.runFor(7_000);
    expect(late.a.view("VI_1").held).toMatchObject({ by: ["director"] });
    late.a.director("ready");
    await late.lan.runFor(10_000);
    expect(late.a.enteredAt("VI_1", "MASTER")).toBe(7_000 + FIRST_WAIT_MS);
    expect(late.a.events("vrrp.hold").at(-1)!.data.cause).toBe("director-ready");
  });

  test("a reload never arms it again: after the release, a changed instance restarts unheld", async () => {
    const { lan, a } = loneGated();
    await lan.runFor(1_000);
    a.director("ready");
    await lan.runFor(5_000);
    const reloadAt = lan.nowMs();
    a.reload(vrrpInstance({ priority: 110, state: "MASTER" }));
    await lan.runFor(5_000);
    expect(a.enteredAt("VI_1", "MASTER", reloadAt)! - reloadAt).toBe(FIRST_WAIT_MS);
    expect(a.events("vrrp.hold")).toHaveLength(2);
  });

  test("a reload during the hold does not end it: the restarted instance is held until the director reports", async () => {
    const { lan, a } = loneGated();
    await lan.runFor(1_000);
    a.reload(vrrpInstance({ priority: 110, state: "MASTER" }));
    await lan.runFor(5_000);
    expect(a.state("VI_1")).toBe("BACKUP");
    expect(lan.wire.adverts("A").filter((f) => f.advert.priority !== 0)).toEqual([]);
    a.director("ready");
    await lan.runFor(5_000);
    expect(a.enteredAt("VI_1", "MASTER")).toBe(6_000 + FIRST_WAIT_MS);
  });

  test("the director stops being wanted during the hold (a reload removed every virtual_server): released", async () => {
    const { lan, a } = loneGated();
    await lan.runFor(2_000);
    a.director("stopped", "no virtual_server in the configuration");
    await lan.runFor(5_000);
    expect(a.enteredAt("VI_1", "MASTER")).toBe(2_000 + FIRST_WAIT_MS);
    expect(a.events("vrrp.hold").at(-1)!.data.cause).toBe("director-stopped");
  });

  describe("in the pair", () => {
    /** B (90) is master, A (100, state MASTER) boots with the gate: the box coming back after a power cut. */
    async function rebootIntoMasterB() {
      const { lan, a, b } = unstartedPair();
      return { lan, a, b, bootAt: await startInTurn(lan, b, () => a.start(undefined, GATE)) };
    }

    test("the higher-priority box returning does not preempt before its director is ready, then preempts at the master's next advert", async () => {
      const { lan, a, b, bootAt } = await rebootIntoMasterB();
      await lan.runFor(6_000);
      expect(a.state("VI_1")).toBe("BACKUP");
      expect(lan.wire.adverts("A")).toEqual([]);
      expect(lan.holders(VIP)).toEqual(["B"]);
      expect(a.view("VI_1").master).toMatchObject({ address: "10.99.0.12", priority: 90 });
      a.director("ready");
      const readyAt = lan.nowMs();
      await lan.runFor(3_000);
      const next = lan.wire.adverts("B").find((f) => f.atMs >= readyAt)!;
      expect(a.enteredAt("VI_1", "MASTER")).toBe(next.atMs + LATENCY_MS);
      expect(a.enteredAt("VI_1", "MASTER")! - bootAt).toBeLessThan(6_000 + 1_000 + LATENCY_MS);
      expect(lan.holders(VIP)).toEqual(["A"]);
      expect(b.state("VI_1")).toBe("BACKUP");
    });

    test("a higher-priority master heard during the hold keeps the box BACKUP, through the release and after", async () => {
      const { lan, a, b } = unstartedPair();
      const bootAt = await startInTurn(lan, a, () => b.start(undefined, GATE));
      await lan.runFor(2_000);
      b.director("ready");
      await lan.runFor(20_000);
      expect(b.transitions().map((t) => `${t.atMs - bootAt} ${t.to}`)).toEqual(["0 BACKUP"]);
      expect(lan.wire.adverts("B")).toEqual([]);
      expect(lan.holders(VIP)).toEqual(["A"]);
    });

    test("the master dies during the hold: the backup takes over a master-down interval after the release, not before", async () => {
      const { lan, a, b } = unstartedPair();
      const bootAt = await startInTurn(lan, a, () => b.start(undefined, GATE));
      await lan.runFor(1_000);
      a.crash();
      await lan.runFor(6_000);
      expect(b.state("VI_1")).toBe("BACKUP");
      b.director("ready");
      const readyAt = lan.nowMs();
      await lan.runFor(10_000);
      expect(b.enteredAt("VI_1", "MASTER")! - readyAt).toBeCloseTo(masterDownIntervalMs(2, 90, 100), 6);
      expect(readyAt - bootAt).toBe(7_000);
    });
  });
});
