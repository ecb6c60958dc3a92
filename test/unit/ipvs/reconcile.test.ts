// reconcile(desired, actual, scope): whole op lists for hand-written cases, then properties
// over random start tables applied to the fake kernel (reaches the desired table, leaves
// foreign services alone, never an errno, a second pass is empty), and a 1 % reload.
import { describe, expect, test } from "bun:test";
import type { IpvsOp } from "../../../src/ipvs/ops.ts";
import { ownedAfter, reconcile } from "../../../src/ipvs/reconcile.ts";
import { serviceKeyText, type DesiredService, type IpvsTable, type ObservedService } from "../../../src/ipvs/types.ts";
import { FakeIpvsKernel } from "../support/fake-ipvs-kernel.ts";
import { destination, fwmark, observed, service, tcp, udp } from "../support/ipvs-tables.ts";

const WEB = tcp("10.0.0.1", 80);
const DNS = udp("10.0.0.1", 53);
const none = { owned: new Set<string>() };
const owning = (...keys: Parameters<typeof serviceKeyText>[0][]) => ({ owned: new Set(keys.map(serviceKeyText)) });
const table = (...services: DesiredService[]): IpvsTable => ({ services });
const strip = ({ destinations: _, ...spec }: DesiredService) => spec;

describe("no change, no write", () => {
  test("an equal table yields no ops", () => {
    const desired = table(
      service(WEB, [destination("192.168.1.2", 80), destination("192.168.1.3", 80)]),
      service(fwmark(7, 6), [destination("2001:db8:1::2", 0)]),
    );
    expect(reconcile(desired, observed(desired, { activeConnections: 9 }), owning(WEB))).toEqual([]);
  });
  test("forms the kernel holds as one are equal: dump order, an empty engine name, a tunnel left on a non-tunnel server, IPIP by default", () => {
    const desired = table(service(WEB, [destination("192.168.1.2", 80), destination("192.168.1.3", 80, { forward: "tunnel" })]));
    const dump = observed(desired);
    const [s] = dump.services as [ObservedService];
    s.persistenceEngine = "";
    s.destinations.reverse();
    s.destinations[0]!.tunnel = { type: "ipip", port: 0, checksum: "nocsum" };
    s.destinations[1]!.tunnel = { type: "gre", port: 0, checksum: "csum" };
    expect(reconcile(desired, dump, none)).toEqual([]);
  });
});

describe("the kernel is the truth", () => {
  test("a matching entry already there (a foreign one too) is adopted and corrected in place, never re-added", () => {
    const desired = table(service(WEB, [destination("192.168.1.2", 80, { weight: 5 })], { scheduler: "rr" }));
    const dump = observed(table(service(WEB, [destination("192.168.1.2", 80, { weight: 1 })], { scheduler: "wlc" })));
    expect(reconcile(desired, dump, none)).toEqual([
      { kind: "set-service", service: strip(desired.services[0]!), changed: ["scheduler"] },
      { kind: "set-destination", service: WEB, destination: destination("192.168.1.2", 80, { weight: 5 }), changed: ["weight"] },
    ]);
  });
  test("foreign services are never touched, whatever they hold", () => {
    const dump = observed(table(service(tcp("10.9.9.9", 80), [destination("192.168.1.2", 80)]), service(fwmark(3))));
    expect(reconcile(table(), dump, owning(WEB))).toEqual([]);
  });
  test("an owned service no longer desired is deleted with one op, which says it breaks connections", () => {
    const dump = observed(table(service(WEB, [destination("192.168.1.2", 80), destination("192.168.1.3", 80)])));
    expect(reconcile(table(), dump, owning(WEB))).toEqual([{ kind: "delete-service", key: WEB, breaksConnections: true }]);
  });
  test("a desired server the kernel lacks is added, one it has beside them is deleted (draining was decided before)", () => {
    const desired = table(service(WEB, [destination("192.168.1.2", 80)]));
    const dump = observed(table(service(WEB, [destination("192.168.1.4", 80)])));
    expect(reconcile(desired, dump, none)).toEqual([
      { kind: "add-destination", service: WEB, destination: destination("192.168.1.2", 80) },
      { kind: "delete-destination", service: WEB, destination: { address: destination("192.168.1.4", 80).address, port: 80 }, breaksConnections: true },
    ]);
  });
  test("every service attribute is a SET_SERVICE, with the list of what changed", () => {
    const before = service(WEB, [], { scheduler: "wrr", timeoutS: 0, netmask: 0xffffffff });
    const after = service(WEB, [], {
      scheduler: "sh",
      flags: { persistent: true, onePacket: false, sched1: true, sched2: false, sched3: false },
      timeoutS: 360,
      netmask: 0xffffff00,
      persistenceEngine: "sip",
    });
    expect(reconcile(table(after), observed(table(before)), none)).toEqual([
      { kind: "set-service", service: strip(after), changed: ["scheduler", "flags", "timeoutS", "netmask", "persistenceEngine"] },
    ]);
  });
  test("every destination attribute is a SET_DEST, with the list of what changed", () => {
    const before = destination("192.168.1.2", 80);
    const after = destination("192.168.1.2", 80, {
      forward: "tunnel",
      tunnel: { type: "gue", port: 6080, checksum: "remcsum" },
      weight: 3,
      upperThreshold: 100,
      lowerThreshold: 10,
    });
    expect(reconcile(table(service(WEB, [after])), observed(table(service(WEB, [before]))), none)).toEqual([
      { kind: "set-destination", service: WEB, destination: after, changed: ["forward", "weight", "upperThreshold", "lowerThreshold", "tunnel"] },
    ]);
  });
  test("a desired table naming a service or a server twice is the builder's bug, said at once", () => {
    expect(() => reconcile(table(service(WEB), service(WEB)), observed(table()), none)).toThrow("the desired IPVS table holds TCP 10.0.0.1:80 twice");
    expect(() => reconcile(table(service(WEB, [destination("192.168.1.2", 80), destination("192.168.1.2", 80)])), observed(table(service(WEB))), none)).toThrow(
      "192.168.1.2:80 twice in TCP 10.0.0.1:80",
    );
  });
});

describe("identity changes: delete + add, flagged", () => {
  test("a virtual server moved to another port", () => {
    const moved = tcp("10.0.0.1", 8080);
    const dests = [destination("192.168.1.2", 80)];
    const change = { from: "TCP 10.0.0.1:80", to: "TCP 10.0.0.1:8080" };
    expect(reconcile(table(service(moved, dests)), observed(table(service(WEB, dests))), owning(WEB))).toEqual([
      { kind: "add-service", service: strip(service(moved)), identityChange: change },
      { kind: "add-destination", service: moved, destination: dests[0]! },
      { kind: "delete-service", key: WEB, breaksConnections: true, identityChange: change },
    ]);
  });
  test("another protocol, or a mark in the other family, pairs too; port and protocol at once does not", () => {
    const paired = (from: DesiredService, to: DesiredService) =>
      reconcile(table(to), observed(table(from)), owning(from.key))
        .filter((op) => op.kind === "delete-service")
        .map((op) => op.identityChange);
    expect(paired(service(WEB), service(tcp("10.0.0.1", 80)))).toEqual([]);
    expect(paired(service(WEB), service(udp("10.0.0.1", 80)))).toEqual([{ from: "TCP 10.0.0.1:80", to: "UDP 10.0.0.1:80" }]);
    expect(paired(service(fwmark(5, 4)), service(fwmark(5, 6)))).toEqual([{ from: "FWM 5 IPv4", to: "FWM 5 IPv6" }]);
    expect(paired(service(WEB), service(udp("10.0.0.1", 53)))).toEqual([undefined]);
    expect(paired(service(WEB), service(tcp("10.0.0.2", 80)))).toEqual([undefined]);
  });
  test("a real server moved to another port within a service", () => {
    const desired = table(service(WEB, [destination("192.168.1.2", 8080)]));
    const change = { from: "192.168.1.2:80", to: "192.168.1.2:8080" };
    expect(reconcile(desired, observed(table(service(WEB, [destination("192.168.1.2", 80)]))), none)).toEqual([
      { kind: "add-destination", service: WEB, destination: destination("192.168.1.2", 8080), identityChange: change },
      {
        kind: "delete-destination",
        service: WEB,
        destination: { address: destination("192.168.1.2", 80).address, port: 80 },
        breaksConnections: true,
        identityChange: change,
      },
    ]);
  });
});

describe("order", () => {
  test("adds, then sets, then deletes; services before their destinations when adding, after them when deleting; by key text within each", () => {
    const desired = table(
      service(tcp("10.0.0.3", 80), [destination("192.168.1.9", 80), destination("192.168.1.1", 80)]),
      service(WEB, [destination("192.168.1.2", 80, { weight: 2 }), destination("192.168.1.5", 80)], { scheduler: "rr" }),
      service(DNS, [destination("192.168.1.2", 53, { weight: 4 })]),
    );
    const dump = observed(
      table(
        service(tcp("10.0.0.9", 80), [destination("192.168.1.2", 80)]),
        service(DNS, [destination("192.168.1.2", 53), destination("192.168.1.8", 53)]),
        service(WEB, [destination("192.168.1.2", 80)]),
      ),
    );
    const ops = reconcile(desired, dump, owning(tcp("10.0.0.9", 80)));
    expect(ops.map(describeOp)).toEqual([
      "add-service TCP 10.0.0.3:80",
      "set-service TCP 10.0.0.1:80",
      "add-destination TCP 10.0.0.1:80 192.168.1.5:80",
      "add-destination TCP 10.0.0.3:80 192.168.1.1:80",
      "add-destination TCP 10.0.0.3:80 192.168.1.9:80",
      "set-destination TCP 10.0.0.1:80 192.168.1.2:80",
      "set-destination UDP 10.0.0.1:53 192.168.1.2:53",
      "delete-destination UDP 10.0.0.1:53 192.168.1.8:53",
      "delete-service TCP 10.0.0.9:80",
    ]);
    const kernel = new FakeIpvsKernel(dump);
    expect(kernel.apply(ops).every((r) => r.ok)).toBe(true);
  });
});

test("ownedAfter: what tandem owned, plus what the desired table names, minus what was deleted", () => {
  const desired = table(service(WEB), service(DNS));
  const dump = observed(table(service(tcp("10.0.0.9", 80)), service(DNS)));
  const scope = owning(tcp("10.0.0.9", 80), tcp("10.0.0.8", 80));
  expect([...ownedAfter(scope, desired, reconcile(desired, dump, scope))].sort()).toEqual(["TCP 10.0.0.1:80", "TCP 10.0.0.8:80", "UDP 10.0.0.1:53"]);
});

function describeOp(op: IpvsOp): string {
  switch (op.kind) {
    case "add-service":
    case "set-service":
      return `${op.kind} ${serviceKeyText(op.service.key)}`;
    case "delete-service":
      return `${op.kind} ${serviceKeyText(op.key)}`;
    default:
      return `${op.kind} ${serviceKeyText(op.service)} ${op.destination.address.text}:${op.destination.port}`;
  }
}
