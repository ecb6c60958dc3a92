// Properties of reconcile over random start tables (v4, v6, fwmark; TCP, UDP, SCTP; every
// attribute; foreign and owned services), each applied to the fake kernel with its errno
// rules; and a 1 % reload of 2,000 x 20 that writes exactly the diff. Seeds print on failure.
import { describe, expect, test } from "bun:test";
import { tableAfterOps } from "../../../src/ipvs/known-table.ts";
import type { IpvsOp, IpvsOpResult } from "../../../src/ipvs/ops.ts";
import { reconcile } from "../../../src/ipvs/reconcile.ts";
import { destinationText, serviceFamily, serviceKeyText, type DesiredService, type IpvsTable, type ObservedService } from "../../../src/ipvs/types.ts";
import { FakeIpvsKernel } from "../support/fake-ipvs-kernel.ts";
import {
  canonicalDestination,
  canonicalService,
  canonicalTable,
  destination,
  mutateDestination,
  mutateService,
  observed,
  randomDestinations,
  randomObserved,
  randomServiceAttributes,
  randomServiceKey,
  service,
  tcp,
} from "../support/ipvs-tables.ts";
import { seededRandom, type Random } from "../support/seeded-random.ts";

interface Start {
  desired: IpvsTable;
  actual: IpvsTable<ObservedService>;
  owned: Set<string>;
}

/** A desired table, and a kernel that holds some of it (changed), services tandem owns but no longer wants, and foreign ones. */
function randomStart(random: Random): Start {
  const keys = new Map<string, ReturnType<typeof randomServiceKey>>();
  for (let i = 0, n = Math.floor(random() * 24); i < n; i++) {
    const key = randomServiceKey(random);
    keys.set(serviceKeyText(key), key);
  }
  const desired: DesiredService[] = [];
  const actual: ObservedService[] = [];
  const owned = new Set<string>();
  for (const [text, key] of keys) {
    const spec = randomServiceAttributes(random, key);
    const family = serviceFamily(key);
    const role = random();
    if (role < 0.55) {
      const destinations = randomDestinations(random, key, Math.floor(random() * 7));
      desired.push({ ...spec, destinations });
      if (random() < 0.3) owned.add(text);
      if (random() < 0.65) {
        const kept = destinations.filter(() => random() < 0.7).map((d) => mutateDestination(random, d, family));
        const extra = randomDestinations(random, key, Math.floor(random() * 3)).filter(
          (d) => !destinations.some((w) => destinationText(w) === destinationText(d)),
        );
        actual.push({ ...mutateService(random, spec), destinations: randomObserved(random, [...kept, ...extra]) });
      }
    } else {
      actual.push({ ...spec, destinations: randomObserved(random, randomDestinations(random, key, Math.floor(random() * 5))) });
      if (role < 0.8) owned.add(text);
    }
  }
  // Records of services that are gone from the kernel already.
  if (random() < 0.5) owned.add("TCP 10.0.0.250:80");
  shuffle(random, actual);
  return { desired: { services: desired }, actual: { services: actual }, owned };
}

function shuffle<T>(random: Random, items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

const opServiceText = (op: IpvsOp) =>
  serviceKeyText(op.kind === "add-service" || op.kind === "set-service" ? op.service.key : op.kind === "delete-service" ? op.key : op.service);
const GROUP = ["add-service", "set-service", "add-destination", "set-destination", "delete-destination", "delete-service"];

describe("from any start table", () => {
  const SEEDS = Array.from({ length: 400 }, (_, i) => 1000 + i);

  test("applying the ops reaches the desired table exactly, leaves foreign services as they were, never hits an errno; a second pass is empty", () => {
    for (const seed of SEEDS) {
      const { desired, actual, owned } = randomStart(seededRandom(seed));
      const ops = reconcile(desired, actual, { owned });
      const kernel = new FakeIpvsKernel(actual);
      const failures = kernel.apply(ops).filter((r) => !r.ok);
      expect({ seed, failures }).toEqual({ seed, failures: [] });

      const wanted = new Set(desired.services.map((s) => serviceKeyText(s.key)));
      const foreign = actual.services.filter((s) => !wanted.has(serviceKeyText(s.key)) && !owned.has(serviceKeyText(s.key)));
      const dump = kernel.dump();
      const inScope = dump.services.filter((s) => !foreign.some((f) => serviceKeyText(f.key) === serviceKeyText(s.key)));
      expect({ seed, table: canonicalTable({ services: inScope }) }).toEqual({ seed, table: canonicalTable(desired) });
      // Foreign services byte for byte, counters included.
      const foreignAfter = dump.services.filter((s) => foreign.some((f) => serviceKeyText(f.key) === serviceKeyText(s.key)));
      expect({ seed, foreign: sortTable(foreignAfter) }).toEqual({ seed, foreign: sortTable(foreign) });
      expect({ seed, again: reconcile(desired, dump, { owned }) }).toEqual({ seed, again: [] });
    }
  });

  test("the known table (known-table.ts) after the ops is the kernel's dump, order and counters included, when some writes fail too", () => {
    for (const seed of SEEDS) {
      const random = seededRandom(seed);
      const { desired, actual, owned } = randomStart(random);
      const ops = reconcile(desired, actual, { owned });
      const kernel = new FakeIpvsKernel(actual);
      // A tenth of the writes never reach the kernel (a failed batch): their results fail, and what follows them may too.
      const results = ops.map((op): IpvsOpResult => (random() < 0.1 ? { ok: false, errno: "EOTHER", reason: "not sent" } : kernel.apply([op])[0]!));
      expect({ seed, known: tableAfterOps(actual, ops, results) }).toEqual({ seed, known: kernel.dump() });
    }
  });

  test("every op is needed: its count per kind is the diff between the canonical tables; none touches a foreign service", () => {
    for (const seed of SEEDS) {
      const { desired, actual, owned } = randomStart(seededRandom(seed));
      const ops = reconcile(desired, actual, { owned });
      expect({ seed, counts: countByKind(ops) }).toEqual({ seed, counts: expectedDiff(desired, actual, owned) });
      const scope = new Set([...desired.services.map((s) => serviceKeyText(s.key)), ...owned]);
      expect(ops.filter((op) => !scope.has(opServiceText(op)))).toEqual([]);
      expect(ops.filter((op) => (op.kind === "set-service" || op.kind === "set-destination") && op.changed.length === 0)).toEqual([]);
    }
  });

  test("the order is deterministic: by group, then by key text; the same whatever order the dump came in", () => {
    for (const seed of SEEDS.slice(0, 100)) {
      const random = seededRandom(seed);
      const { desired, actual, owned } = randomStart(random);
      const ops = reconcile(desired, actual, { owned });
      const sortKeys = ops.map((op) => [GROUP.indexOf(op.kind), opServiceText(op), "destination" in op ? destinationText(op.destination) : ""] as const);
      const sorted = [...sortKeys].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0));
      expect({ seed, sortKeys }).toEqual({ seed, sortKeys: sorted });
      const reordered = structuredClone(actual);
      shuffle(random, reordered.services);
      for (const s of reordered.services) shuffle(random, s.destinations);
      expect({ seed, ops: reconcile(desired, reordered, { owned }) }).toEqual({ seed, ops });
    }
  });
});

/** What the ops must be, counted from the canonical forms alone (independent of reconcile's own comparisons). */
function expectedDiff(desired: IpvsTable, actual: IpvsTable<ObservedService>, owned: ReadonlySet<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  const add = (kind: string, n = 1) => n > 0 && (counts[kind] = (counts[kind] ?? 0) + n);
  const held = new Map(actual.services.map((s) => [serviceKeyText(s.key), s]));
  for (const want of desired.services) {
    const have = held.get(serviceKeyText(want.key));
    if (!have) {
      add("add-service");
      add("add-destination", want.destinations.length);
      continue;
    }
    if (canonicalService({ ...want, destinations: [] }) !== canonicalService({ ...have, destinations: [] })) add("set-service");
    const haveDests = new Map(have.destinations.map((d) => [destinationText(d), d]));
    for (const d of want.destinations) {
      const h = haveDests.get(destinationText(d));
      if (!h) add("add-destination");
      else if (canonicalDestination(d) !== canonicalDestination(h)) add("set-destination");
    }
    add("delete-destination", have.destinations.filter((h) => !want.destinations.some((d) => destinationText(d) === destinationText(h))).length);
  }
  const wanted = new Set(desired.services.map((s) => serviceKeyText(s.key)));
  add("delete-service", actual.services.filter((s) => !wanted.has(serviceKeyText(s.key)) && owned.has(serviceKeyText(s.key))).length);
  return counts;
}

function countByKind(ops: IpvsOp[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const op of ops) counts[op.kind] = (counts[op.kind] ?? 0) + 1;
  return counts;
}

function sortTable(services: ObservedService[]): ObservedService[] {
  return [...services]
    .map((s) => ({ ...s, destinations: [...s.destinations].sort((a, b) => (destinationText(a) < destinationText(b) ? -1 : 1)) }))
    .sort((a, b) => (serviceKeyText(a.key) < serviceKeyText(b.key) ? -1 : 1));
}

describe("a reload of 2,000 services x 20 real servers with 1 % changed", () => {
  const big = (): IpvsTable => ({
    services: Array.from({ length: 2000 }, (_, i) =>
      service(
        tcp(`10.${(i >> 8) & 255}.${i & 255}.1`, 80),
        Array.from({ length: 20 }, (_, j) => destination(`192.168.${j}.${(i % 250) + 1}`, 8000 + j, { weight: 10 })),
      ),
    ),
  });

  test("writes exactly the diff, then nothing", () => {
    const before = big();
    const after = structuredClone(before);
    const random = seededRandom(42);
    // 400 of 40,000 real servers: 200 re-weighted, 100 removed, 100 added; and 5 schedulers, 3 services gone, 2 new.
    const picked = new Set<string>();
    const pickServer = (): [number, number] => {
      for (;;) {
        const at: [number, number] = [Math.floor(random() * 2000), Math.floor(random() * 19)];
        if (!picked.has(`${at}`) && at[0] >= 10) return (picked.add(`${at}`), at);
      }
    };
    for (let n = 0; n < 200; n++) {
      const [i, j] = pickServer();
      after.services[i]!.destinations[j]!.weight = 20;
    }
    for (let n = 0; n < 100; n++) {
      const [i, j] = pickServer();
      after.services[i]!.destinations[j]!.weight = -1; // marked, dropped below
    }
    for (const s of after.services) s.destinations = s.destinations.filter((d) => d.weight >= 0);
    for (let n = 0; n < 100; n++) after.services[10 + n]!.destinations.push(destination("172.16.0.1", 9000 + n));
    for (let i = 0; i < 5; i++) after.services[i]!.scheduler = "rr";
    const gone = after.services.splice(5, 3);
    after.services.push(
      service(
        tcp("10.200.0.1", 443),
        Array.from({ length: 20 }, (_, j) => destination(`192.168.${j}.1`, 443)),
      ),
      service(tcp("10.200.0.2", 443)),
    );

    const kernel = new FakeIpvsKernel(observed(before));
    const owned = new Set([...before.services, ...after.services].map((s) => serviceKeyText(s.key)));
    const ops = reconcile(after, kernel.dump(), { owned });
    expect(countByKind(ops)).toEqual({
      "set-destination": 200,
      "delete-destination": 100,
      "add-destination": 120,
      "set-service": 5,
      "delete-service": 3,
      "add-service": 2,
    });
    expect(ops.filter((op) => op.kind === "delete-service").map(opServiceText)).toEqual(gone.map((s) => serviceKeyText(s.key)).sort());
    expect(kernel.apply(ops).every((r) => r.ok)).toBe(true);
    expect(kernel.writes).toBe(430);
    expect(reconcile(after, kernel.dump(), { owned })).toEqual([]);
    expect(canonicalTable(kernel.dump())).toEqual(canonicalTable(after));
  });
});
