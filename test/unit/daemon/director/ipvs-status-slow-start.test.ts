// The API's view of a slow-starting real server (ipvs-status.ts): reason slow-start, the ramp's
// ends and full weight, the desired weight the ramp's; and the quorum's live weight the full
// weights, as the quorum machine counts them, not the ramped ones.
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../../src/common/clock.ts";
import { memoryLogger } from "../../../../src/common/logger.ts";
import { ipvsStatus } from "../../../../src/daemon/director/ipvs-status.ts";
import { Director } from "../../../../src/ipvs/director.ts";
import { NO_INTENT } from "../../../../src/ipvs/director-types.ts";
import { FakeIpvsKernel } from "../../support/fake-ipvs-kernel.ts";
import { MemoryOwnership } from "../../ipvs/support/memory-ownership.ts";
import { realServer, virtualServer } from "../../ipvs/support/plans.ts";

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe("ipvsStatus with slowstart", () => {
  test("a ramping server: slow-start, its ramp's ends and full weight; the live weight counts that full weight", async () => {
    const clock = new FakeClock();
    const director = new Director({
      kernel: new FakeIpvsKernel().port(),
      ownership: new MemoryOwnership(),
      clock,
      logger: memoryLogger(),
      report: () => {},
      drainTimeoutMs: 300_000,
      driftScanMs: 0,
    });
    const servers = [1, 20].map((weight, i) => realServer(`10.0.1.${i + 2}`, 80, { weight, checkers: [{ id: "TCP_CHECK" }] }));
    await director.start([virtualServer("10.0.0.1", 80, servers, { slowStartMs: 10_000 })], NO_INTENT);
    const target = { virtualServer: "TCP 10.0.0.1:80", realServer: "10.0.1.3:80", checker: "TCP_CHECK" };
    await director.reportChecker(target, { up: false });
    await director.reportChecker(target, { up: true });
    const since = clock.wallMs();
    for (let t = 0; t < 4_000; t += 500) {
      clock.advance(500);
      await settle();
    }
    const view = ipvsStatus({ available: true, resolved: director.virtualServers(), snapshot: director.snapshot(), driftRepairs: 0 });
    const vs = view.virtualServers[0]!;
    expect(vs.realServers[1]).toMatchObject({
      id: "10.0.1.3:80",
      configuredWeight: 20,
      desiredWeight: 8,
      kernelWeight: 8,
      reason: "slow-start",
      slowStart: { sinceMs: since, untilMs: since + 10_000, weight: 20 },
    });
    expect(vs.realServers[0]!.slowStart).toBeUndefined();
    expect(vs.quorum.liveWeight).toBe(21);
    expect(vs.quorum.liveWeight).toBe(director.liveWeight("TCP 10.0.0.1:80"));
  });
});
