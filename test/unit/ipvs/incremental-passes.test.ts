// The director works out again only what changed: a reload reuses the resolution of every plan
// it did not change (resolve-plan.ts), keeps the health and the quorum memory of the virtual
// servers it left alone (real-server-health.ts, quorum-machine.ts), the desired table reuses
// their share (desired-table.ts), and a pass between full reads plans writes only for the
// services that may have changed (director.ts). Here random sequences of reloads (every plan a
// fresh copy, as the IPC delivers them), checkers' verdicts and drains run on the Director over
// the fake kernel and, beside it, on the pure functions with none of that reuse (TestDirector):
// after every step the two agree on the resolution, the notifies and records, and the kernel
// holds the table the reference wants. Seeds print on failure.
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../src/common/clock.ts";
import { memoryLogger } from "../../../src/common/logger.ts";
import { Director, type DirectorReport } from "../../../src/ipvs/director.ts";
import type { DirectorEffect } from "../../../src/ipvs/director-types.ts";
import { desiredTable } from "../../../src/ipvs/desired-table.ts";
import { resolvePlans } from "../../../src/ipvs/resolve-plan.ts";
import type { RealServerPlan, VirtualServerPlan } from "../../../src/ipvs/virtual-server-plan.ts";
import { FakeIpvsKernel } from "../support/fake-ipvs-kernel.ts";
import { canonicalTable } from "../support/ipvs-tables.ts";
import { destinationText, serviceKeyText, type IpvsTable } from "../../../src/ipvs/types.ts";
import { pick, seededRandom, type Random } from "../support/seeded-random.ts";
import { TestDirector } from "./support/director.ts";
import { realServer, virtualServer } from "./support/plans.ts";
import { MemoryOwnership } from "./support/memory-ownership.ts";

const SCHEDULERS = ["rr", "wrr", "wlc", "sh"];

function randomRealServer(random: Random, vs: number, n: number): RealServerPlan {
  const checkers = random() < 0.5 ? [{ id: "TCP_CHECK", ...(random() < 0.3 ? { alpha: true } : {}) }] : [];
  if (checkers.length > 0 && random() < 0.3) checkers.push({ id: "HTTP_GET" });
  return realServer(`10.1.${vs}.${n}`, 80, {
    weight: Math.floor(random() * 5),
    checkers,
    ...(random() < 0.2 ? { inhibitOnFailure: true } : {}),
  });
}

function randomVirtualServer(random: Random, vs: number): VirtualServerPlan {
  const servers = Array.from({ length: 1 + Math.floor(random() * 4) }, (_, n) => randomRealServer(random, vs, n + 2));
  return virtualServer(`10.0.0.${vs}`, 80, servers, {
    scheduler: pick(random, SCHEDULERS),
    ...(random() < 0.3 ? { quorum: 1 + Math.floor(random() * 4), hysteresis: Math.floor(random() * 2) } : {}),
    ...(random() < 0.2 ? { sorryServer: { address: servers[0]!.address, port: 8080, inhibit: random() < 0.5 } } : {}),
  });
}

/** A reload's plans: most as they were, some changed, one added or dropped now and then. */
function reloaded(random: Random, plans: VirtualServerPlan[], next: () => number): VirtualServerPlan[] {
  const out: VirtualServerPlan[] = [];
  for (const plan of plans) {
    const roll = random();
    if (roll < 0.08) continue; // dropped
    if (roll < 0.35) {
      const servers = plan.realServers.map((rs) => (random() < 0.3 ? { ...rs, weight: Math.floor(random() * 5) } : rs));
      if (random() < 0.2 && servers.length > 1) servers.splice(Math.floor(random() * servers.length), 1);
      if (random() < 0.2) servers.push(randomRealServer(random, next(), 9));
      out.push({ ...plan, realServers: servers, ...(random() < 0.2 ? { scheduler: pick(random, SCHEDULERS) } : {}) });
    } else out.push(plan);
  }
  if (random() < 0.3) out.push(randomVirtualServer(random, next()));
  return out;
}

/**
 * The desired table as the kernel holds it once drains are over: an operator's drained server
 * is deleted once it has no connections, at once here (the fake kernel counts none).
 */
function withoutDrained(table: IpvsTable, reference: TestDirector): IpvsTable {
  const gone = new Set(
    reference.intent.drained.flatMap(({ virtualServer, realServer }) => {
      const vs = reference.virtualServers.find((v) => v.id === virtualServer);
      const rs = vs?.realServers.find((r) => r.id === realServer);
      return vs && rs ? vs.services.map((service) => `${serviceKeyText(service.key)} -> ${destinationText(rs)}`) : [];
    }),
  );
  return {
    services: table.services.map((s) => ({ ...s, destinations: s.destinations.filter((d) => !gone.has(`${serviceKeyText(s.key)} -> ${destinationText(d)}`)) })),
  };
}

/** A record or notify as it can be compared: what it is, for whom, and its words. */
const described = (effects: readonly DirectorEffect[]) =>
  effects.map((e) =>
    e.kind === "record" ? `record ${e.event} ${e.cause} ${e.virtualServer} ${e.realServer ?? ""} ${e.message}` : `notify ${e.role} ${e.fifoLine}`,
  );

describe("a director that works out only what changed does what one working out everything does", () => {
  for (let seed = 1; seed <= 60; seed++) {
    test(`seed ${seed}: 25 random steps`, async () => {
      const random = seededRandom(seed);
      let counter = 20;
      const next = () => ++counter;
      let plans = Array.from({ length: 2 + Math.floor(random() * 6) }, (_, i) => randomVirtualServer(random, i + 1));
      const kernel = new FakeIpvsKernel();
      const clock = new FakeClock();
      const effects: DirectorEffect[] = [];
      const director = new Director({
        kernel: kernel.port(),
        ownership: new MemoryOwnership(),
        clock,
        logger: memoryLogger("error"),
        report: (report: DirectorReport) => void (report.kind === "quorum" && effects.push(report.effect)),
        drainTimeoutMs: 0,
        driftScanMs: 0,
      });
      const reference = new TestDirector(structuredClone(plans));
      await director.start(structuredClone(plans), { drained: [] });
      reference.start();
      let drained: { virtualServer: string; realServer: string }[] = [];

      for (let stepNo = 0; stepNo <= 25; stepNo++) {
        const where = `seed ${seed}, step ${stepNo}`;
        expect({ where, resolved: director.virtualServers() }).toEqual({ where, resolved: resolvePlans(plans).virtualServers });
        expect({ where, effects: described(effects) }).toEqual({ where, effects: described(reference.effects) });
        const wanted = withoutDrained(desiredTable(reference.virtualServers, reference.health, reference.intent, reference.state).table, reference);
        expect({ where, kernel: canonicalTable(kernel.dump()) }).toEqual({ where, kernel: canonicalTable(wanted) });
        effects.length = 0;

        const roll = random();
        const vs = pick(random, reference.virtualServers);
        const rs = vs && pick(random, vs.realServers);
        if (roll < 0.4 || !rs) {
          plans = reloaded(random, plans, next);
          await director.reload(structuredClone(plans));
          reference.reload(structuredClone(plans));
        } else if (roll < 0.8 && rs.checkers.length > 0) {
          const checker = pick(random, rs.checkers).id;
          const verdict = { up: random() < 0.5 };
          await director.reportChecker({ virtualServer: vs.id, realServer: rs.id, checker }, verdict);
          reference.report(rs.id, checker, verdict, vs.id);
        } else {
          const on = random() < 0.6;
          drained = drained.filter((d) => d.virtualServer !== vs.id || d.realServer !== rs.id);
          if (on) drained.push({ virtualServer: vs.id, realServer: rs.id });
          await director.setIntent({ drained: [...drained] });
          reference.drain(rs.id, on, vs.id);
        }
      }
    });
  }
});

describe("what a pass works out again", () => {
  const fifty = () =>
    Array.from({ length: 50 }, (_, i) => virtualServer(`10.0.0.${i + 1}`, 80, [realServer(`10.1.${i}.2`, 80, { weight: 2, checkers: [{ id: "TCP_CHECK" }] })]));

  async function started() {
    const kernel = new FakeIpvsKernel();
    const director = new Director({
      kernel: kernel.port(),
      ownership: new MemoryOwnership(),
      clock: new FakeClock(),
      logger: memoryLogger("error"),
      report: () => {},
      drainTimeoutMs: 0,
      driftScanMs: 0,
    });
    await director.start(fifty(), { drained: [] });
    return { kernel, director };
  }

  test("a reload that changes one virtual server of 50 (every plan a fresh copy) keeps the others' resolution and works out only its service", async () => {
    const { kernel, director } = await started();
    const before = director.virtualServers();
    const plans = structuredClone(fifty());
    plans[7] = { ...plans[7]!, realServers: [{ ...plans[7]!.realServers[0]!, weight: 5 }] };
    const writes = kernel.writes;
    await director.reload(plans);
    const after = director.virtualServers();
    expect(after.filter((vs, i) => vs !== before[i]).map((vs) => vs.id)).toEqual(["TCP 10.0.0.8:80"]);
    expect([...director.snapshot()!.desired.changedServices]).toEqual(["TCP 10.0.0.8:80"]);
    expect(kernel.writes - writes).toBe(1);
  });

  test("a checker's verdict works out only its virtual server", async () => {
    const { director } = await started();
    await director.reportChecker({ virtualServer: "TCP 10.0.0.3:80", realServer: "10.1.2.2:80", checker: "TCP_CHECK" }, { up: false });
    expect([...director.snapshot()!.desired.changedServices]).toEqual(["TCP 10.0.0.3:80"]);
  });

  test("a drain works out only its virtual server", async () => {
    const { director } = await started();
    await director.setIntent({ drained: [{ virtualServer: "TCP 10.0.0.4:80", realServer: "10.1.3.2:80" }] });
    expect([...director.snapshot()!.desired.changedServices]).toEqual(["TCP 10.0.0.4:80"]);
  });
});
