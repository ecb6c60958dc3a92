// The seed's worked example on real boxes: two instances, each box master of one VIP
// (VI_1 .41 on A, VI_2 .51 on B), both tracking chk_mt_down with weight -15. `touch down`
// on B moves .51 to A; `rm down` brings it back. Run with tandem on one box and keepalived
// 2.2.7 on the other, both ways round, and with tandem on both.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  VipWatcher,
  cleanupStale,
  createTopology,
  dualMasterConfig,
  keepalivedImpl,
  tandemImpl,
  waitFor,
  type DaemonHandle,
  type Implementation,
  type Side,
  type Topology,
} from "./lib/index.ts";
import { isRoot } from "./support/pair-scenarios.ts";

const VIP1 = "10.99.0.41";
const VIP2 = "10.99.0.51";

const combos: Record<Side, Implementation>[] = [
  { a: tandemImpl, b: keepalivedImpl },
  { a: keepalivedImpl, b: tandemImpl },
  { a: tandemImpl, b: tandemImpl },
];

for (const impls of combos) {
  const unavailable = impls.a.unavailableReason() ?? impls.b.unavailableReason();
  describe.skipIf(!isRoot || unavailable !== null)(`seed dual master: ${impls.a.name} on A (.180), ${impls.b.name} on B (.179)`, () => {
    let topo: Topology;
    const daemons: Partial<Record<Side, DaemonHandle>> = {};
    const watchers: Record<string, VipWatcher> = {};
    const downFile = (side: Side) => join(topo.box(side).runDir, "down");
    const holders = (vip: string) => (["a", "b"] as const).filter((s) => watchers[`${s}${vip}`]!.holds());
    const waitHolders = (vip: string, want: Side[], timeoutMs: number) =>
      waitFor(() => JSON.stringify(holders(vip)) === JSON.stringify(want), { timeoutMs, intervalMs: 20, what: `${vip} held by ${want.join(",")}` });

    beforeAll(async () => {
      await cleanupStale();
      topo = await createTopology();
      for (const side of ["a", "b"] as const) {
        for (const vip of [VIP1, VIP2]) watchers[`${side}${vip}`] = await VipWatcher.start(topo.box(side).ns, vip);
      }
      for (const side of ["a", "b"] as const) {
        const box = topo.box(side);
        daemons[side] = await impls[side].start({
          ns: box.ns,
          runDir: box.runDir,
          config: dualMasterConfig({ side, downFile: downFile(side), vip1: `${VIP1}/24`, vip2: `${VIP2}/24` }),
        });
      }
    }, 30_000);

    afterAll(async () => {
      for (const d of Object.values(daemons)) if (d?.alive()) await d.stop("SIGTERM", 5000);
      for (const w of Object.values(watchers)) await w.stop();
      await topo?.destroy();
    }, 30_000);

    test("A holds .41 and B holds .51", async () => {
      await waitHolders(VIP1, ["a"], 8_000);
      await waitHolders(VIP2, ["b"], 8_000);
    }, 20_000);

    test("touch down on B: its priorities drop by 15 and A takes .51 as well", async () => {
      writeFileSync(downFile("b"), "");
      await waitHolders(VIP2, ["a"], 8_000);
      expect(holders(VIP1)).toEqual(["a"]);
    }, 20_000);

    test("rm down on B: B is back at 100 > 90 and takes .51 back (preempt)", async () => {
      rmSync(downFile("b"));
      await waitHolders(VIP2, ["b"], 8_000);
      expect(holders(VIP1)).toEqual(["a"]);
    }, 20_000);
  });
}
