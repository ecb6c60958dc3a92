// The fake kernel answers as ip_vs_ctl.c does: one test per errno rule, in the kernel's order of checks.
import { describe, expect, test } from "bun:test";
import type { IpvsOp } from "../../../src/ipvs/ops.ts";
import type { DestinationSpec, ServiceKey, ServiceSpec } from "../../../src/ipvs/types.ts";
import { FakeIpvsKernel } from "../support/fake-ipvs-kernel.ts";
import { destination, fwmark, observed, service, tcp } from "../support/ipvs-tables.ts";

const WEB = tcp("10.0.0.1", 80);
const WEB6 = tcp("2001:db8::1", 80);
const spec = (key: ServiceKey, attributes: Partial<ServiceSpec> = {}): ServiceSpec => {
  const { destinations: _, ...rest } = service(key, [], attributes);
  return rest;
};
const addService = (key: ServiceKey, attributes: Partial<ServiceSpec> = {}): IpvsOp => ({ kind: "add-service", service: spec(key, attributes) });
const setService = (key: ServiceKey, attributes: Partial<ServiceSpec> = {}): IpvsOp => ({
  kind: "set-service",
  service: spec(key, attributes),
  changed: ["scheduler"],
});
const addDest = (key: ServiceKey, d: DestinationSpec): IpvsOp => ({ kind: "add-destination", service: key, destination: d });
const setDest = (key: ServiceKey, d: DestinationSpec): IpvsOp => ({ kind: "set-destination", service: key, destination: d, changed: ["weight"] });
const errnos = (kernel: FakeIpvsKernel, ops: IpvsOp[]) => kernel.apply(ops).map((r) => (r.ok ? "ok" : r.errno));

function kernelWithWeb(): FakeIpvsKernel {
  return new FakeIpvsKernel(observed({ services: [service(WEB, [destination("192.168.1.2", 80)]), service(WEB6, [destination("2001:db8:1::2", 80)])] }));
}

describe("services", () => {
  test("adding one that exists is EEXIST, before its attributes are looked at", () => {
    expect(errnos(kernelWithWeb(), [addService(WEB), addService(WEB, { scheduler: "nope" })])).toEqual(["EEXIST", "EEXIST"]);
  });
  test("any other command on a missing service is ESRCH (ip_vs_genl_set_cmd), whatever else is wrong", () => {
    const missing = tcp("10.0.0.9", 80);
    expect(
      errnos(new FakeIpvsKernel(), [
        setService(missing),
        { kind: "delete-service", key: missing, breaksConnections: true },
        addDest(missing, destination("192.168.1.2", 80, { weight: -1 })),
        setDest(missing, destination("192.168.1.2", 80)),
        { kind: "delete-destination", service: missing, destination: destination("192.168.1.2", 80), breaksConnections: true },
      ]),
    ).toEqual(["ESRCH", "ESRCH", "ESRCH", "ESRCH", "ESRCH"]);
  });
  test("an unknown scheduler or persistence engine module is ENOENT; 'none' binds no scheduler", () => {
    const kernel = kernelWithWeb();
    expect(errnos(kernel, [addService(tcp("10.0.0.2", 80), { scheduler: "xyz" }), setService(WEB, { scheduler: "xyz" })])).toEqual(["ENOENT", "ENOENT"]);
    expect(errnos(kernel, [addService(tcp("10.0.0.2", 80), { persistenceEngine: "rtsp" }), setService(WEB, { persistenceEngine: "rtsp" })])).toEqual([
      "ENOENT",
      "ENOENT",
    ]);
    expect(errnos(kernel, [addService(tcp("10.0.0.3", 80), { scheduler: "none" }), setService(WEB, { scheduler: "mh", persistenceEngine: "sip" })])).toEqual([
      "ok",
      "ok",
    ]);
    expect(new FakeIpvsKernel(undefined, { schedulers: ["rr"] }).apply([addService(WEB, { scheduler: "wrr" })])[0]).toMatchObject({
      ok: false,
      errno: "ENOENT",
    });
  });
  test("an IPv6 service's netmask is a prefix length 1..128, else EINVAL; an IPv4 one is not checked", () => {
    const kernel = kernelWithWeb();
    expect(
      errnos(kernel, [addService(tcp("2001:db8::2", 80), { netmask: 0 }), addService(fwmark(1, 6), { netmask: 129 }), setService(WEB6, { netmask: 0 })]),
    ).toEqual(["EINVAL", "EINVAL", "EINVAL"]);
    expect(errnos(kernel, [addService(tcp("2001:db8::2", 80), { netmask: 64 }), setService(WEB, { netmask: 0 })])).toEqual(["ok", "ok"]);
  });
  test("a kernel without IPv6 IPVS refuses v6 services with EAFNOSUPPORT", () => {
    expect(errnos(new FakeIpvsKernel(undefined, { ipv6: false }), [addService(WEB6), addService(WEB)])).toEqual(["EAFNOSUPPORT", "ok"]);
  });
  test("set-service replaces the attributes and keeps the destinations; delete-service takes its destinations with it", () => {
    const kernel = kernelWithWeb();
    expect(errnos(kernel, [setService(WEB, { scheduler: "rr", timeoutS: 60 })])).toEqual(["ok"]);
    expect(kernel.dump().services[0]).toMatchObject({ scheduler: "rr", timeoutS: 60, destinations: [{ port: 80 }] });
    expect(errnos(kernel, [{ kind: "delete-service", key: WEB, breaksConnections: true }, addService(WEB)])).toEqual(["ok", "ok"]);
    expect(kernel.dump().services.find((s) => s.key.kind === "address" && s.key.address.text === "10.0.0.1")!.destinations).toEqual([]);
  });
});

describe("destinations", () => {
  test("adding one that exists is EEXIST; editing or deleting a missing one is ENOENT", () => {
    const kernel = kernelWithWeb();
    expect(
      errnos(kernel, [
        addDest(WEB, destination("192.168.1.2", 80)),
        setDest(WEB, destination("192.168.1.3", 80)),
        { kind: "delete-destination", service: WEB, destination: destination("192.168.1.2", 8080), breaksConnections: true },
      ]),
    ).toEqual(["EEXIST", "ENOENT", "ENOENT"]);
  });
  test("a weight below 0, or 2^31 and above (a negative int to the kernel), is ERANGE, checked before existence", () => {
    const kernel = kernelWithWeb();
    expect(
      errnos(kernel, [addDest(WEB, destination("192.168.1.2", 80, { weight: -1 })), setDest(WEB, destination("192.168.1.9", 80, { weight: 2 ** 31 }))]),
    ).toEqual(["ERANGE", "ERANGE"]);
    expect(errnos(kernel, [addDest(WEB, destination("192.168.1.3", 80, { weight: 2 ** 31 - 1 }))])).toEqual(["ok"]);
  });
  test("a lower threshold above the upper one is ERANGE, an upper of 0 (no limit) included", () => {
    const kernel = kernelWithWeb();
    expect(
      errnos(kernel, [
        addDest(WEB, destination("192.168.1.3", 80, { upperThreshold: 10, lowerThreshold: 11 })),
        setDest(WEB, destination("192.168.1.2", 80, { upperThreshold: 0, lowerThreshold: 5 })),
        addDest(WEB, destination("192.168.1.3", 80, { upperThreshold: 10, lowerThreshold: 10 })),
      ]),
    ).toEqual(["ERANGE", "ERANGE", "ok"]);
  });
  test("a GUE tunnel on port 0 is EINVAL", () => {
    const gue = (port: number) => destination("192.168.1.3", 80, { forward: "tunnel", tunnel: { type: "gue", port, checksum: "csum" } });
    expect(errnos(kernelWithWeb(), [addDest(WEB, gue(0)), addDest(WEB, gue(6080))])).toEqual(["EINVAL", "ok"]);
  });
  test("a server of the other family is EINVAL unless it is tunnelled", () => {
    expect(
      errnos(kernelWithWeb(), [
        addDest(WEB, destination("2001:db8:1::3", 80)),
        addDest(WEB, destination("2001:db8:1::3", 80, { forward: "tunnel" })),
        setDest(WEB6, destination("192.168.1.4", 80, { forward: "direct-route" })),
      ]),
    ).toEqual(["EINVAL", "ok", "EINVAL"]);
  });
  test("a new server must be a unicast address (ip_vs_new_dest): EINVAL for 0/8, broadcast, multicast, ::, ff00::/8, fe80::/10", () => {
    const kernel = kernelWithWeb();
    const v4 = ["0.1.2.3", "255.255.255.255", "224.0.0.1", "239.1.1.1"].map((a) => addDest(WEB, destination(a, 80)));
    const v6 = ["::", "ff02::1", "fe80::1"].map((a) => addDest(WEB6, destination(a, 80)));
    expect(errnos(kernel, [...v4, ...v6])).toEqual(Array(7).fill("EINVAL"));
    expect(errnos(kernel, [addDest(WEB, destination("240.0.0.1", 80)), addDest(WEB6, destination("::1", 80))])).toEqual(["ok", "ok"]);
  });
  test("set-destination replaces the attributes and keeps the kernel's counters", () => {
    const kernel = kernelWithWeb();
    kernel.setConnections(WEB, destination("192.168.1.2", 80), 7, 3);
    kernel.apply([setDest(WEB, destination("192.168.1.2", 80, { weight: 0, forward: "direct-route" }))]);
    expect(kernel.dump().services[0]!.destinations[0]).toMatchObject({
      weight: 0,
      forward: "direct-route",
      stats: { activeConnections: 7, inactiveConnections: 3 },
    });
  });
});

describe("the fake itself", () => {
  test("every op is one write, failed ones too, and a failure does not stop the batch", () => {
    const kernel = new FakeIpvsKernel();
    expect(errnos(kernel, [addService(WEB), addService(WEB), addDest(WEB, destination("192.168.1.2", 80))])).toEqual(["ok", "EEXIST", "ok"]);
    expect(kernel.writes).toBe(3);
    expect(kernel.applied.map((a) => a.result.ok)).toEqual([true, false, true]);
  });
  test("a dump lists a service's destinations newest first, gives new ones zero counters, and is a copy", () => {
    const kernel = new FakeIpvsKernel();
    kernel.apply([addService(WEB), addDest(WEB, destination("192.168.1.2", 80)), addDest(WEB, destination("192.168.1.3", 80))]);
    const dump = kernel.dump();
    expect(dump.services[0]!.destinations.map((d) => d.address.text)).toEqual(["192.168.1.3", "192.168.1.2"]);
    expect(dump.services[0]!.destinations[0]!.stats.activeConnections).toBe(0);
    dump.services[0]!.destinations.pop();
    expect(kernel.dump().services[0]!.destinations).toHaveLength(2);
  });
  test("it starts from a table as given and dumps it in the same order", () => {
    const table = observed({ services: [service(WEB, [destination("192.168.1.2", 80), destination("192.168.1.3", 80)]), service(WEB6)] });
    expect(new FakeIpvsKernel(table).dump()).toEqual(table);
  });
});
