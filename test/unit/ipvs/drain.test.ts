// Graceful removal, driven as the director drives it: stepDrain on the fake kernel's dump,
// reconcile its desired table against the same dump, apply the ops; time is injected.
import { describe, expect, test } from "bun:test";
import { DEFAULT_DRAIN_TIMEOUT_S, NO_DRAINS, drainKey, stepDrain, type DrainState, type DrainStep } from "../../../src/ipvs/drain.ts";
import { drainStateFromJson, drainStateToJson } from "../../../src/ipvs/drain-state-json.ts";
import type { IpvsOp } from "../../../src/ipvs/ops.ts";
import { reconcile } from "../../../src/ipvs/reconcile.ts";
import {
  NO_FLAGS,
  destinationText,
  serviceKeyText,
  type DesiredService,
  type IpvsTable,
  type ObservedService,
  type ServiceKey,
} from "../../../src/ipvs/types.ts";
import { FakeIpvsKernel } from "../support/fake-ipvs-kernel.ts";
import {
  canonicalService,
  canonicalTable,
  destination,
  fwmark,
  ip,
  observed,
  randomDestinations,
  randomObserved,
  randomServiceAttributes,
  randomServiceKey,
  service,
  tcp,
  udp,
} from "../support/ipvs-tables.ts";
import { seededRandom } from "../support/seeded-random.ts";

const WEB = tcp("10.0.0.1", 80);
const A = destination("192.168.1.2", 80, { weight: 5 });
const B = destination("192.168.1.3", 80, { weight: 5 });
const TIMEOUT_MS = DEFAULT_DRAIN_TIMEOUT_S * 1000;
const T0 = 1_800_000_000_000;

/** The config's view: the desired table, and every real server it names (alive or not). */
interface Config {
  desired: IpvsTable;
  configured?: Set<string>;
}
const configOf = (...services: DesiredService[]): Config => ({ desired: { services } });
const namedIn = (table: IpvsTable) => new Set(table.services.flatMap((s) => s.destinations.map((d) => drainKey(s.key, d))));

/** One round of the director: step the drains on a dump, reconcile, apply (no errno allowed). */
class Director {
  state: DrainState = NO_DRAINS;
  operatorDrains = new Set<string>();
  last!: DrainStep;

  constructor(
    readonly kernel: FakeIpvsKernel,
    readonly owned: Set<string>,
  ) {}

  round(config: Config, nowMs: number, apply = true): { effects: DrainStep["effects"]; ops: IpvsOp[] } {
    const dump = this.kernel.dump();
    this.last = stepDrain(this.state, {
      desired: config.desired,
      configured: config.configured ?? namedIn(config.desired),
      observed: dump,
      owned: this.owned,
      operatorDrains: this.operatorDrains,
      nowMs,
      drainTimeoutMs: TIMEOUT_MS,
    });
    this.state = this.last.state;
    const ops = reconcile(this.last.desired, dump, { owned: this.owned });
    if (apply) expect(this.kernel.apply(ops).filter((r) => !r.ok)).toEqual([]);
    return { effects: this.last.effects, ops };
  }
}

function director(services: DesiredService[], owned: ServiceKey[] = services.map((s) => s.key)): Director {
  return new Director(new FakeIpvsKernel(observed({ services })), new Set(owned.map(serviceKeyText)));
}

const weightOf = (d: Director, key: ServiceKey, address: string) =>
  d.kernel
    .dump()
    .services.find((s) => serviceKeyText(s.key) === serviceKeyText(key))
    ?.destinations.find((x) => x.address.text === address)?.weight;
const setWeight0 = (key: ServiceKey, d = B): IpvsOp => ({ kind: "set-destination", service: key, destination: { ...d, weight: 0 }, changed: ["weight"] });
const deleteDest = (key: ServiceKey, d = B): IpvsOp => ({
  kind: "delete-destination",
  service: key,
  destination: { address: d.address, port: d.port },
  breaksConnections: true,
});
const B_KEY = drainKey(WEB, B);

describe("a real server removed from the config", () => {
  test("goes to weight 0, stays while it has connections, inactive ones included, and is deleted when they reach 0", () => {
    const d = director([service(WEB, [A, B])]);
    d.kernel.setConnections(WEB, B, 3, 2);
    const config = configOf(service(WEB, [A]));
    expect(d.round(config, T0)).toEqual({
      effects: [{ kind: "drain-started", service: "TCP 10.0.0.1:80", destination: "192.168.1.3:80", cause: "removed", deadlineMs: T0 + TIMEOUT_MS }],
      ops: [setWeight0(WEB)],
    });
    expect(d.last.wakeAtMs).toBe(T0 + TIMEOUT_MS);
    expect(d.round(config, T0 + 10_000)).toEqual({ effects: [], ops: [] });
    d.kernel.setConnections(WEB, B, 0, 1);
    expect(d.round(config, T0 + 20_000)).toEqual({ effects: [], ops: [] });
    d.kernel.setConnections(WEB, B, 0, 0);
    expect(d.round(config, T0 + 30_000)).toEqual({
      effects: [{ kind: "drain-finished", service: "TCP 10.0.0.1:80", destination: "192.168.1.3:80", cause: "removed", how: "connections-zero" }],
      ops: [deleteDest(WEB)],
    });
    expect(d.round(config, T0 + 40_000)).toEqual({ effects: [], ops: [] });
    expect(d.state).toEqual({ entries: [] });
    expect(d.last.wakeAtMs).toBeUndefined();
  });

  test("is deleted at the drain timeout if its connections never end", () => {
    const d = director([service(WEB, [A, B])]);
    d.kernel.setConnections(WEB, B, 1, 0);
    const config = configOf(service(WEB, [A]));
    d.round(config, T0);
    expect(d.round(config, T0 + TIMEOUT_MS - 1)).toEqual({ effects: [], ops: [] });
    expect(d.round(config, T0 + TIMEOUT_MS)).toEqual({
      effects: [{ kind: "drain-finished", service: "TCP 10.0.0.1:80", destination: "192.168.1.3:80", cause: "removed", how: "timeout" }],
      ops: [deleteDest(WEB)],
    });
  });

  test("with no connection at all is deleted at once", () => {
    const d = director([service(WEB, [A, B])]);
    expect(d.round(configOf(service(WEB, [A])), T0).ops).toEqual([deleteDest(WEB)]);
  });

  test("whose delete did not happen stays out of the desired table and is not drained again", () => {
    const d = director([service(WEB, [A, B])]);
    d.kernel.setConnections(WEB, B, 1, 0);
    const config = configOf(service(WEB, [A]));
    d.round(config, T0);
    d.round(config, T0 + TIMEOUT_MS, false);
    expect(d.round(config, T0 + TIMEOUT_MS + 1000)).toEqual({ effects: [], ops: [deleteDest(WEB)] });
  });

  test("in a UDP service, or an `ops` one, is removed at once: no connection to wait for", () => {
    const dns = udp("10.0.0.1", 53);
    const b53 = { ...B, port: 53 };
    const d = director([service(dns, [A, b53])]);
    d.kernel.setConnections(dns, b53, 0, 40);
    expect(d.round(configOf(service(dns, [A])), T0)).toEqual({
      effects: [{ kind: "drain-finished", service: "UDP 10.0.0.1:53", destination: "192.168.1.3:53", cause: "removed", how: "immediate" }],
      ops: [deleteDest(dns, b53)],
    });
    const opsFlag = { ...NO_FLAGS, onePacket: true };
    const marked = director([service(fwmark(3), [A, B], { flags: opsFlag })]);
    marked.kernel.setConnections(fwmark(3), B, 5, 5);
    expect(marked.round(configOf(service(fwmark(3), [A], { flags: opsFlag })), T0).ops).toEqual([deleteDest(fwmark(3))]);
    // A firewall mark without `ops` may carry TCP: it drains.
    const plain = director([service(fwmark(4), [A, B])]);
    plain.kernel.setConnections(fwmark(4), B, 5, 5);
    expect(plain.round(configOf(service(fwmark(4), [A])), T0).ops).toEqual([setWeight0(fwmark(4))]);
  });

  test("that comes back into the config while draining returns to its weight", () => {
    const d = director([service(WEB, [A, B])]);
    d.kernel.setConnections(WEB, B, 1, 0);
    d.round(configOf(service(WEB, [A])), T0);
    expect(d.round(configOf(service(WEB, [A, { ...B, weight: 7 }])), T0 + 1000)).toEqual({
      effects: [{ kind: "drain-cancelled", service: "TCP 10.0.0.1:80", destination: "192.168.1.3:80", cause: "removed", why: "back-in-config" }],
      ops: [{ kind: "set-destination", service: WEB, destination: { ...B, weight: 7 }, changed: ["weight"] }],
    });
    expect(d.state.entries).toEqual([]);
  });

  test("but still named by the config (its check failed, quorum lost) is the desired table's business: removed at once, not drained", () => {
    const d = director([service(WEB, [A, B])]);
    d.kernel.setConnections(WEB, B, 9, 9);
    const full = configOf(service(WEB, [A, B]));
    expect(d.round({ desired: configOf(service(WEB, [A])).desired, configured: namedIn(full.desired) }, T0)).toEqual({ effects: [], ops: [deleteDest(WEB)] });
  });
});

describe("a virtual server removed from the config", () => {
  test("keeps its servers at weight 0 while they have connections, then goes with one delete", () => {
    const d = director([service(WEB, [A, B])]);
    d.kernel.setConnections(WEB, A, 1, 0);
    d.kernel.setConnections(WEB, B, 1, 0);
    expect(d.round(configOf(), T0).ops).toEqual([setWeight0(WEB, A), setWeight0(WEB, B)]);
    d.kernel.setConnections(WEB, A, 0, 0);
    expect(d.round(configOf(), T0 + 1000).ops).toEqual([deleteDest(WEB, A)]);
    d.kernel.setConnections(WEB, B, 0, 0);
    expect(d.round(configOf(), T0 + 2000).ops).toEqual([{ kind: "delete-service", key: WEB, breaksConnections: true }]);
    expect(d.kernel.dump()).toEqual({ services: [] });
  });

  test("a UDP one goes at once", () => {
    const dns = udp("10.0.0.1", 53);
    const d = director([service(dns, [A])]);
    d.kernel.setConnections(dns, A, 0, 10);
    expect(d.round(configOf(), T0).ops).toEqual([{ kind: "delete-service", key: dns, breaksConnections: true }]);
  });

  test("a foreign service's servers are never drained nor touched", () => {
    const d = director([service(WEB, [A, B])], []);
    d.kernel.setConnections(WEB, B, 3, 0);
    expect(d.round(configOf(), T0)).toEqual({ effects: [], ops: [] });
    expect(d.last.desired).toEqual({ services: [] });
  });
});

describe("drained by the operator", () => {
  test("goes to weight 0, is deleted when idle, stays out while drained, and comes back at its weight when un-drained", () => {
    const d = director([service(WEB, [A, B])]);
    const config = configOf(service(WEB, [A, B]));
    d.kernel.setConnections(WEB, B, 2, 0);
    d.operatorDrains.add(B_KEY);
    expect(d.round(config, T0)).toEqual({
      effects: [{ kind: "drain-started", service: "TCP 10.0.0.1:80", destination: "192.168.1.3:80", cause: "operator", deadlineMs: T0 + TIMEOUT_MS }],
      ops: [setWeight0(WEB)],
    });
    d.kernel.setConnections(WEB, B, 0, 0);
    expect(d.round(config, T0 + 1000).ops).toEqual([deleteDest(WEB)]);
    expect(d.round(config, T0 + 2000)).toEqual({ effects: [], ops: [] });
    d.operatorDrains.delete(B_KEY);
    expect(d.round(config, T0 + 3000)).toEqual({ effects: [], ops: [{ kind: "add-destination", service: WEB, destination: B }] });
    expect(weightOf(d, WEB, "192.168.1.3")).toBe(5);
  });

  test("un-drained while draining returns to its weight at once", () => {
    const d = director([service(WEB, [A, B])]);
    const config = configOf(service(WEB, [A, B]));
    d.kernel.setConnections(WEB, B, 2, 0);
    d.operatorDrains.add(B_KEY);
    d.round(config, T0);
    expect(weightOf(d, WEB, "192.168.1.3")).toBe(0);
    d.operatorDrains.delete(B_KEY);
    expect(d.round(config, T0 + 1000)).toEqual({
      effects: [{ kind: "drain-cancelled", service: "TCP 10.0.0.1:80", destination: "192.168.1.3:80", cause: "operator", why: "undrained" }],
      ops: [{ kind: "set-destination", service: WEB, destination: B, changed: ["weight"] }],
    });
  });

  test("and failing its check while draining: the desired table drops it, the drain ends", () => {
    const d = director([service(WEB, [A, B])]);
    const config = configOf(service(WEB, [A, B]));
    d.kernel.setConnections(WEB, B, 2, 0);
    d.operatorDrains.add(B_KEY);
    d.round(config, T0);
    expect(d.round({ desired: configOf(service(WEB, [A])).desired, configured: namedIn(config.desired) }, T0 + 1000)).toEqual({
      effects: [{ kind: "drain-cancelled", service: "TCP 10.0.0.1:80", destination: "192.168.1.3:80", cause: "operator", why: "not-desired" }],
      ops: [deleteDest(WEB)],
    });
  });

  test("a draining server deleted behind tandem's back ends its drain", () => {
    const d = director([service(WEB, [A, B])]);
    d.kernel.setConnections(WEB, B, 2, 0);
    d.operatorDrains.add(B_KEY);
    const config = configOf(service(WEB, [A, B]));
    d.round(config, T0);
    d.kernel.apply([deleteDest(WEB)]);
    expect(d.round(config, T0 + 1000)).toEqual({
      effects: [{ kind: "drain-finished", service: "TCP 10.0.0.1:80", destination: "192.168.1.3:80", cause: "operator", how: "gone" }],
      ops: [],
    });
  });
});

describe("across reloads and restarts", () => {
  test("the state survives a JSON round trip, and the drain goes on to the deadline of its first start", () => {
    const d = director([service(WEB, [A, B])]);
    d.kernel.setConnections(WEB, B, 1, 0);
    const config = configOf(service(WEB, [A]));
    d.round(config, T0);
    const saved = JSON.stringify(drainStateToJson(d.state));

    // A new process: the kernel kept its table; the state comes back from the intent store.
    const restored = drainStateFromJson(JSON.parse(saved));
    if (!restored.ok) throw new Error(restored.reason);
    expect(restored.state).toEqual(d.state);
    const after = new Director(d.kernel, d.owned);
    after.state = restored.state;
    expect(after.round(config, T0 + 60_000)).toEqual({ effects: [], ops: [] });
    expect(after.last.wakeAtMs).toBe(T0 + TIMEOUT_MS);
    expect(after.round(config, T0 + TIMEOUT_MS).ops).toEqual([deleteDest(WEB)]);
  });

  test("a server dropped from the config while tandem was down is drained at the next start", () => {
    const d = director([service(WEB, [A, B])]);
    d.kernel.setConnections(WEB, B, 4, 0);
    expect(d.round(configOf(service(WEB, [A])), T0).effects.map((e) => e.kind)).toEqual(["drain-started"]);
  });

  test("a damaged state is refused with the reason", () => {
    const good = drainStateToJson({
      entries: [
        { service: WEB, destination: { address: ip("192.168.1.3"), port: 80 }, cause: "removed", startedAtMs: T0, deadlineMs: T0 + 1, phase: "draining" },
      ],
    });
    const damaged = (change: (entry: Record<string, unknown>) => void) => {
      const copy = structuredClone(good) as unknown as { entries: Record<string, unknown>[] };
      change(copy.entries[0]!);
      return drainStateFromJson(copy);
    };
    expect(drainStateFromJson(good)).toEqual({ ok: true, state: { entries: good.entries } });
    expect(drainStateFromJson({ version: 2, entries: [] })).toEqual({ ok: false, reason: "not a version 1 drain state" });
    expect(damaged((e) => (e.cause = "bored"))).toEqual({ ok: false, reason: 'entry 0: cause "bored" is not "removed" or "operator"' });
    expect(damaged((e) => ((e.destination as { address: unknown }).address = { family: 4, text: "2001:db8::1" }))).toEqual({
      ok: false,
      reason: 'entry 0: destination: address "2001:db8::1" is not an IPv4 address',
    });
    expect(damaged((e) => ((e.service as { protocol: string }).protocol = "ICMP"))).toEqual({
      ok: false,
      reason: 'entry 0: service: protocol "ICMP" is not TCP, UDP or SCTP',
    });
    expect(damaged((e) => (e.deadlineMs = "soon"))).toEqual({ ok: false, reason: "entry 0: startedAtMs and deadlineMs must be numbers" });
  });
});

describe("from any start table", () => {
  test("drains and reconciles never hit an errno, never touch a foreign service, and end at the config minus the operator's drains", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = seededRandom(seed);
      const kernelServices: ObservedService[] = [];
      const configServices: DesiredService[] = [];
      const owned = new Set<string>();
      const drains = new Set<string>();
      const seen = new Set<string>();
      for (let i = 0, n = Math.floor(random() * 10); i < n; i++) {
        const key = randomServiceKey(random);
        const text = serviceKeyText(key);
        if (seen.has(text)) continue;
        seen.add(text);
        const spec = randomServiceAttributes(random, key);
        const held = randomDestinations(random, key, Math.floor(random() * 6));
        if (random() < 0.8) kernelServices.push({ ...spec, destinations: randomObserved(random, held) });
        if (random() < 0.7) {
          const kept = held.filter(() => random() < 0.6);
          const added = randomDestinations(random, key, 2).filter((d) => !held.some((h) => destinationText(h) === destinationText(d)));
          configServices.push({ ...spec, destinations: [...kept, ...added] });
          for (const d of kept) if (random() < 0.2) drains.add(drainKey(key, d));
        } else if (random() < 0.7) owned.add(text);
      }
      const kernel = new FakeIpvsKernel({ services: kernelServices });
      const d = new Director(kernel, owned);
      d.operatorDrains = drains;
      const config = configOf(...configServices);
      const foreign = () =>
        kernel
          .dump()
          .services.filter((s) => !owned.has(serviceKeyText(s.key)) && !configServices.some((c) => serviceKeyText(c.key) === serviceKeyText(s.key)))
          .map(canonicalService)
          .sort();
      const foreignBefore = foreign();
      d.round(config, T0);
      // Some connections end, the others outlast the timeout.
      for (const s of kernel.dump().services) for (const x of s.destinations) if (random() < 0.5) kernel.setConnections(s.key, x, 0, 0);
      d.round(config, T0 + 1000);
      d.round(config, T0 + TIMEOUT_MS);
      d.round(config, T0 + TIMEOUT_MS + 1000);
      expect({ seed, foreign: foreign() }).toEqual({ seed, foreign: foreignBefore });
      const expected = configServices.map((s) => ({ ...s, destinations: s.destinations.filter((x) => !drains.has(drainKey(s.key, x))) }));
      const inScope = kernel.dump().services.filter((s) => !foreignBefore.includes(canonicalService(s)));
      expect({ seed, table: canonicalTable({ services: inScope }) }).toEqual({ seed, table: canonicalTable({ services: expected }) });
      expect({ seed, entries: d.state.entries }).toEqual({ seed, entries: [] });
    }
  });
});
