// The VRRP pair scenarios, written once and run for any pair of implementations:
// tandem + tandem, keepalived A + tandem B, tandem A + keepalived B. Each scenario
// checks wire behaviour (captures) and timing against the RFC formulas.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  Capture,
  VrrpPair,
  cleanupStale,
  configFor,
  createTopology,
  delay,
  detectDualMaster,
  exec,
  holdsVip,
  wallMs,
  type Advert,
  type Implementation,
  type Side,
  type Topology,
} from "../lib/index.ts";

export const isRoot = process.getuid?.() === 0;
const VIP = "10.99.0.41";
const PRIO = { a: 100, b: 90 } as const;

/** RFC Master_Down_Interval of the backup (priority 90), in seconds. */
export function masterDownS(version: 2 | 3, advertS: number): number {
  return 3 * advertS + skewS(version, advertS);
}

function skewS(version: 2 | 3, advertS: number): number {
  return version === 2 ? (256 - PRIO.b) / 256 : ((256 - PRIO.b) * advertS) / 256;
}

function lastAdvertBefore(adverts: Advert[], srcIp: string, tMs: number): Advert | undefined {
  return adverts.filter((a) => a.srcIp === srcIp && a.tMs < tMs).at(-1);
}

export interface PairSuiteOptions {
  impls: Record<Side, Implementation>;
  version: 2 | 3;
  advertS: number;
  /** Length of the steady run checked for a dual master. */
  steadyMs: number;
}

export function pairScenarios(o: PairSuiteOptions): void {
  const { version, advertS } = o;
  const label = o.impls.a.name === o.impls.b.name ? `${o.impls.a.name} pair` : `${o.impls.a.name} A + ${o.impls.b.name} B`;
  const unavailable = o.impls.a.unavailableReason() ?? o.impls.b.unavailableReason();
  /** A tandem backup preempts as soon as it hears a lower priority (fast_preempt). */
  const bPreemptsFast = o.impls.b.name === "tandem";
  // After a merge the winner re-sends ARPs when it hears the loser's last advert: a tandem
  // loser always sends one (the yield notice). A keepalived loser steps down silently, so
  // whether the winner hears it depends on whose advert crosses first, as in a keepalived pair.
  const winnerAnnouncesAfterMerge = o.impls.a.name === "tandem" && o.impls.b.name === "tandem";

  describe.skipIf(!isRoot || unavailable !== null)(`${label}, VRRPv${version} advert ${advertS} s (root, netns)`, () => {
    let topo: Topology;
    let pair: VrrpPair | undefined;
    const failFile = (side: Side) => join(topo.box(side).runDir, "fail");

    const recover = async (): Promise<VrrpPair> => {
      const p = pair!;
      rmSync(failFile("a"), { force: true });
      await topo.restoreLink("a", "b");
      await exec(topo.box("a").ns, ["ip", "link", "set", "eth0", "up"]);
      for (const side of ["a", "b"] as const) {
        if (!p.daemons[side]?.alive()) {
          p.daemons[side]?.kill9();
          await p.startSide(side);
        }
      }
      await p.waitSoleHolder("a", 1000 * (masterDownS(version, advertS) + 3));
      return p;
    };

    beforeAll(async () => {
      await cleanupStale();
      topo = await createTopology();
      pair = await VrrpPair.start({
        topo,
        vip: VIP,
        impls: o.impls,
        config: (side: Side) =>
          configFor({
            box: side,
            state: side === "a" ? "MASTER" : "BACKUP",
            priority: PRIO[side],
            version,
            advertInt: advertS,
            vip: `${VIP}/24`,
            trackFile: failFile(side),
          }),
      });
      await pair.waitSoleHolder("a", 1000 * (masterDownS(version, advertS) + 3));
    }, 30_000);

    afterAll(async () => {
      await pair?.stop();
      await topo?.destroy();
    }, 30_000);

    test("A (priority 100) is master and alone holds the VIP; B stays backup", async () => {
      expect(await holdsVip(topo.box("a").ns, VIP)).toBe(true);
      expect(await holdsVip(topo.box("b").ns, VIP)).toBe(false);
      const cap = await Capture.start(topo, { file: join(topo.runDir, "election.pcap") });
      await delay(advertS * 1000 * 2.5);
      const { adverts } = await cap.stop();
      const fromA = adverts.filter((a) => a.srcIp === topo.box("a").ip);
      expect(fromA.length).toBeGreaterThanOrEqual(2);
      expect(fromA.every((a) => a.version === version && a.vrid === 51 && a.priority === 100 && a.ttl === 255 && a.addresses[0] === VIP)).toBe(true);
      expect(adverts.filter((a) => a.srcIp === topo.box("b").ip)).toEqual([]);
    }, 20_000);

    test(
      `no instant with both boxes holding the VIP over a ${o.steadyMs / 1000} s steady run`,
      async () => {
        const p = await recover();
        const report = await detectDualMaster([topo.box("a").ns, topo.box("b").ns], VIP, { windowMs: o.steadyMs });
        expect(report.overlaps).toEqual([]);
        expect(p.watchers.b.holds()).toBe(false);
      },
      o.steadyMs + 30_000,
    );

    test("kill -9 of A: B takes over Master_Down_Interval after A's last advert, with gratuitous ARPs", async () => {
      const p = await recover();
      const cap = await Capture.start(topo, { file: join(topo.runDir, "kill9.pcap") });
      await delay(advertS * 1000 * 1.1 + Math.random() * advertS * 1000);
      const t0 = wallMs();
      p.daemon("a").kill9();
      const onB = await p.watchers.b.waitFor(true, { afterMs: t0, timeoutMs: 1000 * masterDownS(version, advertS) + 1000 });
      await delay(150);
      const { adverts, arps } = await cap.stop();
      const last = lastAdvertBefore(adverts, topo.box("a").ip, t0);
      expect(last).toBeDefined();
      const fromLastS = (onB.tMs - last!.tMs) / 1000;
      expect(fromLastS).toBeGreaterThan(masterDownS(version, advertS) - 0.02);
      expect(fromLastS).toBeLessThan(masterDownS(version, advertS) + 0.1);
      const garp = arps.find((f) => f.gratuitous && f.senderIp === VIP && f.tMs >= t0);
      expect(garp?.srcMac).toBe(topo.box("b").mac);
      await p.reap("a");
      // Restarted, A removes what the crash left behind, then takes the VIP back (preempt).
      await p.startSide("a");
      await p.waitSoleHolder("a", 1000 * (masterDownS(version, advertS) + 3));
    }, 30_000);

    test("SIGTERM of A: priority-0 advert, B takes over after its skew time", async () => {
      const p = await recover();
      const cap = await Capture.start(topo, { file: join(topo.runDir, "sigterm.pcap") });
      await delay(advertS * 1000 * 1.1 + Math.random() * advertS * 1000);
      const t0 = wallMs();
      const stopping = p.daemon("a").stop("SIGTERM", 5000);
      const onB = await p.watchers.b.waitFor(true, { afterMs: t0, timeoutMs: 3000 });
      expect(await stopping).toBe(0);
      const { adverts } = await cap.stop();
      const prio0 = adverts.find((a) => a.srcIp === topo.box("a").ip && a.priority === 0 && a.tMs >= t0);
      expect(prio0).toBeDefined();
      const afterPrio0S = (onB.tMs - prio0!.tMs) / 1000;
      expect(afterPrio0S).toBeGreaterThan(skewS(version, advertS) - 0.02);
      expect(afterPrio0S).toBeLessThan(skewS(version, advertS) + 0.1);
      expect(await holdsVip(topo.box("a").ns, VIP)).toBe(false);
      await p.startSide("a");
      await p.waitSoleHolder("a", 1000 * (masterDownS(version, advertS) + 3));
    }, 30_000);

    test(`track script on A: 100 - 15 < 90 hands the VIP to B${bPreemptsFast ? " at once (fast_preempt)" : ""}; removing the file takes it back`, async () => {
      const p = await recover();
      const cap = await Capture.start(topo, { file: join(topo.runDir, "track.pcap") });
      await delay(Math.random() * 1000);
      const t0 = wallMs();
      writeFileSync(failFile("a"), "");
      const onB = await p.watchers.b.waitFor(true, { afterMs: t0, timeoutMs: 1000 * (masterDownS(version, advertS) + advertS) + 2000 });
      const { adverts } = await cap.stop();
      const lowered = adverts.find((a) => a.srcIp === topo.box("a").ip && a.priority === 85);
      expect(lowered).toBeDefined();
      if (bPreemptsFast) {
        // B preempts on the first advert carrying 85: within a few ms of it.
        expect(onB.tMs - lowered!.tMs).toBeLessThan(50);
      } else {
        expect((onB.tMs - t0) / 1000).toBeLessThan(1 + advertS + masterDownS(version, advertS) + 0.3);
      }
      rmSync(failFile("a"));
      await p.waitSoleHolder("a", 1000 * (masterDownS(version, advertS) + advertS) + 3000);
    }, 30_000);

    test("link down on A: A goes FAULT and B takes over; link up: A takes the VIP back", async () => {
      const p = await recover();
      const t0 = wallMs();
      await exec(topo.box("a").ns, ["ip", "link", "set", "eth0", "down"]);
      await p.watchers.b.waitFor(true, { afterMs: t0, timeoutMs: 1000 * masterDownS(version, advertS) + 2000 });
      await exec(topo.box("a").ns, ["ip", "link", "set", "eth0", "up"]);
      await p.waitSoleHolder("a", 1000 * (masterDownS(version, advertS) + advertS) + 4000);
    }, 30_000);

    test("split brain: cut the link, both hold the VIP; restore it: one master within one advert interval", async () => {
      const p = await recover();
      const [a, b] = [topo.box("a"), topo.box("b")];
      const t0 = wallMs();
      await topo.cutLink("a", "b");
      let restoredAt = 0;
      try {
        await p.watchers.b.waitFor(true, { afterMs: t0, timeoutMs: 1000 * masterDownS(version, advertS) + 1000 });
        const report = await detectDualMaster([a.ns, b.ns], VIP, { windowMs: 300 });
        expect(report.overlaps.length).toBe(1);
      } finally {
        await delay(Math.random() * advertS * 1000);
        const cap = await Capture.start(topo, { file: join(topo.runDir, "merge.pcap") });
        restoredAt = wallMs();
        await topo.restoreLink("a", "b");
        const offB = await p.watchers.b.waitFor(false, { afterMs: restoredAt, timeoutMs: 1000 * advertS + 1500 });
        expect(offB.tMs - restoredAt).toBeLessThan(1000 * advertS + 150);
        await delay(200);
        const { arps } = await cap.stop();
        if (winnerAnnouncesAfterMerge) {
          const garp = arps.find((f) => f.gratuitous && f.senderIp === VIP && f.srcMac === a.mac && f.tMs >= restoredAt);
          expect(garp).toBeDefined();
        }
      }
      expect(await holdsVip(a.ns, VIP)).toBe(true);
      expect(await holdsVip(b.ns, VIP)).toBe(false);
    }, 40_000);
  });
}
