// The kernel port's own logic over a fake kernel that speaks bytes: ops out as requests (keys
// only where the kernel reads only keys), answers back as op results, the table assembled from
// a service dump and one destination dump per service, a dead socket replaced, and every way
// of failing reported as a value or a readable error.
import { describe, expect, test } from "bun:test";
import { NO_IPVS_REASON, openIpvsKernel, type IpvsKernel } from "../../../../src/daemon/ipvs/kernel-ipvs.ts";
import type { IpvsOp } from "../../../../src/ipvs/ops.ts";
import { FakeIpvsKernel } from "../../support/fake-ipvs-kernel.ts";
import { fakeIpvsNetlink, type FakeIpvsNetlink } from "../../support/fake-ipvs-netlink.ts";
import { destination, fwmark, ip, service, tcp } from "../../ipvs/support/table-values.ts";

const WEB = tcp("10.0.0.1", 80);
const build: IpvsOp[] = [
  { kind: "add-service", service: service(WEB, "wrr") },
  { kind: "add-destination", service: WEB, destination: destination("10.0.0.2", 80, "masquerade", 3) },
  { kind: "add-destination", service: WEB, destination: destination("10.0.0.3", 80, "direct-route", 1, { upperThreshold: 100, lowerThreshold: 10 }) },
  { kind: "add-service", service: service(fwmark(7, 6), "rr") },
];

async function open(kernel = new FakeIpvsKernel()): Promise<{ port: IpvsKernel; fake: FakeIpvsNetlink; kernel: FakeIpvsKernel }> {
  const fake = fakeIpvsNetlink(kernel);
  const opened = await openIpvsKernel({ openSocket: fake.open });
  if (!opened.ok) throw new Error(opened.reason);
  return { port: opened.kernel, fake, kernel };
}

describe("openIpvsKernel", () => {
  test("a kernel without the IPVS family is the typed no-ipvs result, with what to check", async () => {
    const fake = fakeIpvsNetlink(new FakeIpvsKernel());
    fake.failOpen({ ok: false, kind: "no-family", message: "generic netlink family IPVS not found" });
    expect(await openIpvsKernel({ openSocket: fake.open })).toEqual({ ok: false, kind: "no-ipvs", reason: NO_IPVS_REASON });
    fake.failOpen({ ok: false, kind: "socket-error", message: "socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC): Permission denied (errno 13)" });
    expect(await openIpvsKernel({ openSocket: fake.open })).toEqual({
      ok: false,
      kind: "socket-error",
      reason: "IPVS over generic netlink: socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC): Permission denied (errno 13)",
    });
  });
});

describe("apply", () => {
  test("one result per op in op order; the kernel's refusals as IpvsErrno values with what they mean", async () => {
    const { port, fake } = await open();
    const results = await port.apply([
      ...build,
      { kind: "add-service", service: service(WEB, "rr") },
      { kind: "delete-destination", service: WEB, destination: { address: ip("10.0.0.9"), port: 80 }, breaksConnections: true },
      { kind: "add-destination", service: tcp("10.9.9.9", 80), destination: destination("10.0.0.2", 80, "masquerade", 1) },
    ]);
    expect(results).toEqual([
      { ok: true },
      { ok: true },
      { ok: true },
      { ok: true },
      { ok: false, errno: "EEXIST", reason: "the service already exists: EEXIST (errno 17)" },
      { ok: false, errno: "ENOENT", reason: "no such destination: ENOENT (errno 2)" },
      { ok: false, errno: "ESRCH", reason: "no such service: ESRCH (errno 3)" },
    ]);
    // All of them in one batch.
    expect(fake.counts.datagrams).toBe(1);
    expect(await port.apply([])).toEqual([]);
    expect(fake.counts.datagrams).toBe(1);
  });

  test("destination and delete commands carry the service's key only, and a delete the destination's address only", async () => {
    const { port, fake } = await open();
    await port.apply([
      ...build,
      { kind: "set-destination", service: WEB, destination: destination("10.0.0.2", 80, "masquerade", 5), changed: ["weight"] },
      { kind: "delete-destination", service: WEB, destination: destination("10.0.0.3", 80, "direct-route", 1), breaksConnections: true } as IpvsOp,
      { kind: "delete-service", key: fwmark(7, 6), breaksConnections: true },
    ]);
    const onWire = fake.requests.map((r) => ({
      kind: r.kind,
      service: "service" in r ? r.service : undefined,
      destination: "destination" in r ? r.destination : undefined,
    }));
    expect(onWire[0]!.service).toEqual(service(WEB, "wrr"));
    expect(onWire[1]!.service).toEqual(WEB);
    expect(onWire[4]).toEqual({ kind: "set-destination", service: WEB, destination: destination("10.0.0.2", 80, "masquerade", 5) });
    expect(onWire[5]).toEqual({ kind: "del-destination", service: WEB, destination: { address: ip("10.0.0.3"), port: 80 } });
    expect(onWire[6]).toEqual({ kind: "del-service", service: fwmark(7, 6), destination: undefined });
  });

  test("a socket that fails makes every op a failure with its reason; apply itself never throws", async () => {
    const { port, fake } = await open();
    fake.breakSocket("sendto(batch of 4): Bad file descriptor (errno 9)");
    expect(await port.apply(build)).toEqual(
      build.map(() => ({ ok: false, errno: "EOTHER", reason: "not sent: sendto(batch of 4): Bad file descriptor (errno 9)" })),
    );
  });
});

describe("dump", () => {
  test("services from the service dump, each with its destinations from its own dump", async () => {
    const { port, fake, kernel } = await open();
    await port.apply(build);
    expect(await port.dump()).toEqual(kernel.dump());
    expect(fake.requests.slice(build.length).map((r) => r.kind)).toEqual(["get-services", "get-destinations", "get-destinations"]);
  });

  test("just some services: a GET_SERVICE and a destination dump each; one the kernel does not have (ESRCH) is left out", async () => {
    const { port, fake, kernel } = await open();
    await port.apply(build);
    const before = fake.requests.length;
    expect(await port.dumpServices([tcp("10.9.9.9", 80), WEB])).toEqual(kernel.dumpServices([WEB]));
    expect(fake.requests.slice(before).map((r) => r.kind)).toEqual(["get-service", "get-service", "get-destinations"]);
  });

  test("a dump that timed out drops the socket; the next call opens a new one and works", async () => {
    const { port, fake, kernel } = await open();
    await port.apply(build);
    fake.timeOutDumps(1);
    await expect(port.dump()).rejects.toMatchObject({ code: "ETIMEDOUT" });
    expect(fake.counts).toMatchObject({ opened: 1, closed: 1 });
    expect(await port.dump()).toEqual(kernel.dump());
    expect(fake.counts).toMatchObject({ opened: 2, closed: 1 });
  });

  test("a dump the kernel refuses keeps the socket (the kernel answered; nothing is left running)", async () => {
    const { port, fake } = await open();
    fake.refuseDumps(1, 1);
    await expect(port.dump()).rejects.toMatchObject({ code: "EPERM" });
    expect(fake.counts).toMatchObject({ opened: 1, closed: 0 });
  });

  test("when the socket cannot be opened again, the dump says why", async () => {
    const { port, fake } = await open();
    fake.timeOutDumps(1);
    await expect(port.dump()).rejects.toThrow();
    fake.failOpen({ ok: false, kind: "no-family", message: "generic netlink family IPVS not found" });
    await expect(port.dump()).rejects.toThrow(NO_IPVS_REASON);
    expect((await port.apply(build))[0]).toEqual({ ok: false, errno: "EOTHER", reason: `not sent: ${NO_IPVS_REASON}` });
  });
});

describe("settings and close", () => {
  test("GET_INFO decoded from the kernel's reply", async () => {
    const { port } = await open();
    expect(await port.info()).toEqual({ versionCode: 0x010201, version: "1.2.1", connectionTableSize: 4096 });
  });

  test("after close every call fails plainly", async () => {
    const { port } = await open();
    port.close();
    await expect(port.dump()).rejects.toThrow("the IPVS kernel port is closed");
    expect((await port.apply(build))[0]).toMatchObject({ ok: false, reason: "not sent: the IPVS kernel port is closed" });
  });
});
