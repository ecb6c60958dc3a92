// The start gate: trackers report before an instance starts (as keepalived waits for its
// scripts), so an instance whose check fails from the start never becomes master, not
// even for the moment before the first result.
import { describe, expect, test } from "bun:test";
import { parseIpv4 } from "../../../../src/common/ipv4.ts";
import { BoxLan } from "../../support/fake-box/box-lan.ts";
import { vrrpScript } from "../../support/fake-box/keepalived-text.ts";
import { pairTexts, VIP } from "./support/pair.ts";

const CHECK = "/etc/keepalived/check.sh";
const TRACK_CHK = ["track_script {", "  chk", "}"];

/**
 * B (90) is master when A (100, state MASTER) boots and tracks chk, whose first run takes
 * 1.5 s: were A started before chk reported, it would preempt B at 100 on B's first advert.
 */
async function bootIntoMasterB(script: { weight: number; initFail?: boolean }, exitCode: number) {
  const lan = new BoxLan();
  const text = vrrpScript("chk", CHECK, { weight: script.weight, interval: 2 }).replace("  fall 1", script.initFail ? "  init_fail\n  fall 1" : "  fall 1");
  const texts = pairTexts({ aPrefix: text, a: { extra: TRACK_CHK } });
  const a = lan.box("A", "10.99.0.11/24", texts.a);
  const b = lan.box("B", "10.99.0.12/24", texts.b);
  a.programs.set(CHECK, { exitCode, durationMs: 1_500 });
  b.start();
  await lan.runFor(5_000);
  expect(b.state("VI_1")).toBe("MASTER");
  a.start();
  return { lan, a, b, bootAt: lan.nowMs() };
}

describe("start gate", () => {
  test("a script failing from the start (weight -20): the instance starts only once it has reported, at 80, and is never master", async () => {
    const { lan, a, b, bootAt } = await bootIntoMasterB({ weight: -20 }, 1);
    await lan.runFor(10_000);
    expect(a.programs.runsOf(CHECK)[0]).toMatchObject({ startedAtMs: bootAt, finishedAtMs: bootAt + 1_500, exitCode: 1 });
    expect(a.transitions().map((t) => `${t.atMs - bootAt} ${t.to}`)).toEqual(["1500 BACKUP"]);
    expect(a.host.addressChanges.filter((c) => c.address === parseIpv4(VIP))).toEqual([]);
    expect(lan.wire.adverts("A")).toEqual([]);
    expect(b.transitions().map((t) => t.to)).toEqual(["BACKUP", "MASTER"]);
    expect(a.view("VI_1").effectivePriority).toBe(80);
  });

  test("the same script succeeding: the instance starts once it has reported, and preempts", async () => {
    const { lan, a, bootAt } = await bootIntoMasterB({ weight: -20 }, 0);
    await lan.runFor(10_000);
    expect(a.transitions().map((t) => t.to)).toEqual(["BACKUP", "MASTER"]);
    expect(a.transitions()[0]!.atMs - bootAt).toBe(1_500);
    expect(lan.holders(VIP)).toEqual(["A"]);
  });

  test("a weight-0 script failing from the start: FAULT from the first moment, never the VIP", async () => {
    const { lan, a, b } = await bootIntoMasterB({ weight: 0 }, 1);
    await lan.runFor(10_000);
    expect(a.transitions().map((t) => t.to)).toEqual(["FAULT"]);
    expect(lan.wire.adverts("A").filter((f) => f.advert.priority !== 0)).toEqual([]);
    expect(b.transitions().map((t) => t.to)).toEqual(["BACKUP", "MASTER"]);
  });

  test("init_fail: the script does not hold the start; it counts as failed until its first success", async () => {
    const { lan, a, bootAt } = await bootIntoMasterB({ weight: -20, initFail: true }, 0);
    await lan.runFor(1_400);
    expect(a.transitions()[0]!.atMs).toBe(bootAt);
    expect(a.view("VI_1").effectivePriority).toBe(80);
    expect(a.state("VI_1")).toBe("BACKUP");
    await lan.runFor(1_000);
    expect(a.view("VI_1").effectivePriority).toBe(100);
    expect(a.state("VI_1")).toBe("MASTER");
  });
});
