// keepalived 2.2.7 against itself in a private topology: proves the root-test library.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  Capture,
  VrrpPair,
  cleanupStale,
  configFor,
  createTopology,
  delay,
  detectDualMaster,
  holdsVip,
  keepalivedImpl,
  parseNotifyLog,
  waitFor,
  wallMs,
  type Advert,
  type Side,
  type Topology,
} from "./lib/index.ts";

const isRoot = process.getuid?.() === 0;
const VIP = "10.99.0.41";
const PRIO = { a: 100, b: 90 } as const;

/** RFC 5798 6.1 Master_Down_Interval for the backup (priority 90), seconds. */
function masterDownS(version: 2 | 3, advertS: number): number {
  const skew = version === 2 ? (256 - PRIO.b) / 256 : ((256 - PRIO.b) * advertS) / 256;
  return 3 * advertS + skew;
}

function lastAdvertBefore(adverts: Advert[], srcIp: string, tMs: number): Advert | undefined {
  return adverts.filter((a) => a.srcIp === srcIp && a.tMs < tMs).at(-1);
}

describe.skipIf(!isRoot)("keepalived baseline (root, network namespaces)", () => {
  let topo: Topology;
  let pair: VrrpPair | undefined;
  const startPair = async (version: 2 | 3, advertInt: number) => {
    await pair?.stop();
    pair = await VrrpPair.start({
      topo,
      vip: VIP,
      impls: { a: keepalivedImpl, b: keepalivedImpl },
      config: (side: Side) => {
        const box = topo.box(side);
        return configFor({
          box: side,
          state: side === "a" ? "MASTER" : "BACKUP",
          priority: PRIO[side],
          version,
          advertInt,
          vip: `${VIP}/24`,
          trackFile: join(box.runDir, "fail"),
          notifyLog: join(box.runDir, "notify.log"),
        });
      },
    });
    await pair.waitSoleHolder("a", 10_000);
    return pair;
  };

  /** Back to "a master, b backup" whatever an earlier failed test left behind, so one
   * failure does not cascade into the next test. */
  const recover = async (): Promise<VrrpPair> => {
    const p = pair!;
    rmSync(join(topo.box("a").runDir, "fail"), { force: true });
    await topo.restoreLink("a", "b");
    for (const side of ["a", "b"] as const) {
      if (!p.daemons[side]?.alive()) {
        p.daemons[side]?.kill9();
        await p.startSide(side);
      }
    }
    await p.waitSoleHolder("a", 5000);
    return p;
  };

  beforeAll(async () => {
    await cleanupStale();
    topo = await createTopology();
  });

  afterAll(async () => {
    await pair?.stop();
    await topo?.destroy();
    expect(existsSync(`/run/netns/${topo.swNs}`)).toBe(false);
  });

  describe("VRRPv3, advert 0.1 s", () => {
    const adv = 0.1;

    test("A becomes master and alone holds the VIP; B stays backup", async () => {
      const p = await startPair(3, adv);
      expect(await holdsVip(topo.box("a").ns, VIP)).toBe(true);
      expect(await holdsVip(topo.box("b").ns, VIP)).toBe(false);
      expect(p.daemon("a").rolePids().vrrp).toBeGreaterThan(0);
      // keepalived runs its notify script after the transition: the line may trail the VIP.
      const mastered = () =>
        parseNotifyLog(readFileSync(join(topo.box("a").runDir, "notify.log"), "utf8")).some((n) => n.name === "VI_1" && n.state === "MASTER");
      await waitFor(mastered, { timeoutMs: 3000, intervalMs: 20, what: "A's notify MASTER line" });
      expect(mastered()).toBe(true);
    });

    test("no instant with both boxes holding the VIP over a 10 s steady run", async () => {
      const report = await detectDualMaster([topo.box("a").ns, topo.box("b").ns], VIP, { windowMs: 10_000 });
      expect(report.samples).toBeGreaterThan(300);
      expect(report.overlaps).toEqual([]);
      expect(pair!.watchers.b.events).toEqual([]);
    }, 20_000);

    test("kill -9 of A: B takes over Master_Down_Interval after A's last advert", async () => {
      const p = await recover();
      const cap = await Capture.start(topo, { file: join(topo.runDir, "kill9.pcap") });
      await delay(150 + Math.random() * adv * 1000); // random phase of A's advert timer
      const t0 = wallMs();
      p.daemon("a").kill9();
      const onB = await p.watchers.b.waitFor(true, { afterMs: t0, timeoutMs: 3000 });
      await delay(100); // let the GARP burst reach the capture
      const { adverts, arps } = await cap.stop();
      const last = lastAdvertBefore(adverts, topo.box("a").ip, t0);
      expect(last).toBeDefined();
      const fromLastS = (onB.tMs - last!.tMs) / 1000;
      const expected = masterDownS(3, adv);
      expect(fromLastS).toBeGreaterThan(expected - 0.02);
      expect(fromLastS).toBeLessThan(expected + 0.1);
      expect(adverts.some((a) => a.tMs > t0 && a.srcIp === topo.box("a").ip)).toBe(false);
      const garp = arps.find((f) => f.gratuitous && f.senderIp === VIP && f.tMs >= t0);
      expect(garp?.srcMac).toBe(topo.box("b").mac);
      expect(await p.reap("a")).toBe(128 + 9);
      // keepalived on restart removes the VIP a crash left behind, then preempts B
      await p.startSide("a");
      await p.waitSoleHolder("a", 5000);
    });

    test("SIGTERM of A: priority-0 advert, B takes over after its skew time", async () => {
      const p = await recover();
      const cap = await Capture.start(topo, { file: join(topo.runDir, "sigterm.pcap") });
      await delay(150 + Math.random() * adv * 1000);
      const t0 = wallMs();
      const stopping = p.daemon("a").stop("SIGTERM", 5000);
      const onB = await p.watchers.b.waitFor(true, { afterMs: t0, timeoutMs: 2000 });
      expect(await stopping).toBe(0);
      const { adverts } = await cap.stop();
      const prio0 = adverts.find((a) => a.srcIp === topo.box("a").ip && a.priority === 0 && a.tMs >= t0);
      expect(prio0).toBeDefined();
      const skewS = ((256 - PRIO.b) * adv) / 256;
      const afterPrio0S = (onB.tMs - prio0!.tMs) / 1000;
      expect(afterPrio0S).toBeGreaterThan(skewS - 0.02);
      expect(afterPrio0S).toBeLessThan(skewS + 0.1);
      expect(await holdsVip(topo.box("a").ns, VIP)).toBe(false);
      await p.startSide("a");
      await p.waitSoleHolder("a", 5000);
    });

    test("track file on A: 100 - 15 < 90 hands the VIP to B; removing it takes it back", async () => {
      const p = await recover();
      const fail = join(topo.box("a").runDir, "fail");
      const cap = await Capture.start(topo, { file: join(topo.runDir, "track.pcap") });
      await delay(Math.random() * 1000); // random phase of the 1 s script timer
      const t0 = wallMs();
      writeFileSync(fail, "");
      // script interval 1 s + the master's next advert + B's Master_Down_Interval
      const onB = await p.watchers.b.waitFor(true, { afterMs: t0, timeoutMs: 3000 });
      const offA = await p.watchers.a.waitFor(false, { afterMs: t0, timeoutMs: 1000 });
      const { adverts } = await cap.stop();
      expect(adverts.some((a) => a.srcIp === topo.box("a").ip && a.priority === 85)).toBe(true);
      expect(onB.tMs - t0).toBeLessThan(1000 + 1000 * masterDownS(3, adv) + 200);
      expect(offA.tMs).toBeGreaterThanOrEqual(t0);
      rmSync(fail);
      await p.waitSoleHolder("a", 3000);
    });

    test("split brain (cutLink): both hold the VIP and the detector says so; restoreLink heals it", async () => {
      const p = await recover();
      const [a, b] = [topo.box("a"), topo.box("b")];
      const t0 = wallMs();
      await topo.cutLink("a", "b");
      try {
        await p.watchers.b.waitFor(true, { afterMs: t0, timeoutMs: 2000 });
        const report = await detectDualMaster([a.ns, b.ns], VIP, { windowMs: 300 });
        expect(report.overlaps.length).toBe(1);
        expect(report.overlaps[0]!.holders).toEqual([a.ns, b.ns]);
      } finally {
        await topo.restoreLink("a", "b");
      }
      // b hears a's priority 100 again and steps down
      await p.waitSoleHolder("a", 3000);
    });
  });

  describe("VRRPv2, advert 1 s, PASS auth", () => {
    test("kill -9 of A: B holds the VIP within 3 x advert + skew + margin", async () => {
      const p = await startPair(2, 1);
      const cap = await Capture.start(topo, { file: join(topo.runDir, "kill9-v2.pcap") });
      await delay(1100 + Math.random() * 1000);
      const t0 = wallMs();
      p.daemon("a").kill9();
      const onB = await p.watchers.b.waitFor(true, { afterMs: t0, timeoutMs: 1000 * masterDownS(2, 1) + 500 });
      const { adverts } = await cap.stop();
      const fromActionS = (onB.tMs - t0) / 1000;
      expect(fromActionS).toBeLessThan(masterDownS(2, 1) + 0.1);
      const last = lastAdvertBefore(adverts, topo.box("a").ip, t0);
      expect(last?.version).toBe(2);
      expect(last?.advertIntCs).toBe(100);
      const fromLastS = (onB.tMs - last!.tMs) / 1000;
      expect(Math.abs(fromLastS - masterDownS(2, 1))).toBeLessThan(0.1);
    }, 30_000);
  });
});
