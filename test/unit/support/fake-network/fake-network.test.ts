// The fake network behaves as the kernel and the wire do for tandem's sockets: the bytes a
// VRRP socket puts out, who receives them, address errnos and ordering, link events, ARP,
// and the faults tests inflict. The scenario suites trust it, so it is checked here.
import { describe, expect, test } from "bun:test";
import { formatIpv4, parseIpv4 } from "../../../../src/common/ipv4.ts";
import { isAlreadyAbsent, isAlreadyPresent, isNoSuchDevice } from "../../../../src/net/netlink-socket.ts";
import type { NetworkEvent } from "../../../../src/net/rtnetlink-monitor.ts";
import { VRRP_MULTICAST_GROUP } from "../../../../src/common/vrrp-wire.ts";
import { decodeIpv4 } from "../../../../src/vrrp/ipv4-header.ts";
import { encodeAdvert } from "../../../../src/vrrp/packet.ts";
import type { Advert } from "../../../../src/vrrp/advert.ts";
import { encodeKernelIpv4, FakeNetwork, headerChecksum, type FakeHost } from "./index.ts";

const ip = (text: string) => parseIpv4(text)!;
const advert = (priority: number): Advert => ({
  version: 3,
  vrid: 51,
  priority,
  advertIntervalCs: 100,
  addresses: [ip("10.99.0.100")],
  authType: 0,
  authData: new Uint8Array(0),
});

async function socketOn(host: FakeHost, multicast = true) {
  const received: { bytes: Uint8Array; atMs: number }[] = [];
  const errors: Error[] = [];
  const ports = host.openPorts();
  const socket = await ports.openVrrpSocket({
    interfaceName: "eth0",
    multicast,
    onPacket: (bytes, atMs) => received.push({ bytes, atMs }),
    onError: (e) => errors.push(e),
  });
  return { ports, socket, received, errors };
}

function trio() {
  const net = new FakeNetwork();
  const a = net.host("A", "10.99.0.11/24");
  const b = net.host("B", "10.99.0.12/24");
  const c = net.host("C", "10.99.0.13/24");
  return { net, a, b, c };
}

describe("VRRP sockets on the fake wire", () => {
  test("an advert arrives as the whole IPv4 datagram the kernel builds: TTL 255, TOS 0xc0, protocol 112, DF clear, valid checksum", async () => {
    const { net, a, b } = trio();
    const sender = await socketOn(a);
    const receiver = await socketOn(b);
    const payload = encodeAdvert(advert(100), { sourceIp: ip("10.99.0.11"), destinationIp: VRRP_MULTICAST_GROUP });
    sender.socket.send(payload, VRRP_MULTICAST_GROUP);
    expect(receiver.received).toEqual([]);
    await net.runFor(1);
    expect(receiver.received).toHaveLength(1);
    const { bytes, atMs } = receiver.received[0]!;
    expect(atMs).toBeCloseTo(0.2, 9);
    expect(bytes.length).toBe(20 + payload.length); // the wire's padding to 60 bytes is gone
    expect([bytes[0], bytes[1], bytes[6]! & 0x40, bytes[8], bytes[9]]).toEqual([0x45, 0xc0, 0, 255, 112]);
    expect(headerChecksum(bytes.subarray(0, 20))).toBe(0);
    const decoded = decodeIpv4(bytes);
    if (!decoded.ok) throw new Error(decoded.rejection.reason);
    expect(formatIpv4(decoded.header.sourceIp)).toBe("10.99.0.11");
    expect(formatIpv4(decoded.header.destinationIp)).toBe("224.0.0.18");
    expect([...decoded.payload]).toEqual([...payload]);
    const frame = net.wire().frames[0]!;
    expect(frame.bytes.length).toBe(60);
    expect(frame.ethernet.destinationMac).toBe("01:00:5e:00:00:12");
    expect(frame.advert?.priority).toBe(100);
  });

  test("multicast reaches every other host that joined 224.0.0.18, never the sender; a unicast-only host does not take it", async () => {
    const { net, a, b, c } = trio();
    const sender = await socketOn(a);
    const ownSecond = await socketOn(a);
    const joined = await socketOn(b);
    const unicastOnly = await socketOn(c, false);
    sender.socket.send(encodeAdvert(advert(100), { sourceIp: ip("10.99.0.11"), destinationIp: VRRP_MULTICAST_GROUP }), VRRP_MULTICAST_GROUP);
    await net.runFor(1);
    expect(joined.received).toHaveLength(1);
    expect(ownSecond.received).toHaveLength(0);
    expect(unicastOnly.received).toHaveLength(0);
    expect(net.wire().frames[0]!.lost).toContainEqual({ to: "C", why: "group 224.0.0.18 not joined on eth0" });
  });

  test("unicast goes to the host holding the destination address only, and to none when nobody holds it", async () => {
    const { net, a, b, c } = trio();
    const sender = await socketOn(a, false);
    const peer = await socketOn(b, false);
    const bystander = await socketOn(c);
    const to = ip("10.99.0.12");
    sender.socket.send(encodeAdvert(advert(100), { sourceIp: ip("10.99.0.11"), destinationIp: to }), to);
    sender.socket.send(encodeAdvert(advert(100), { sourceIp: ip("10.99.0.11"), destinationIp: ip("10.99.0.99") }), ip("10.99.0.99"));
    await net.runFor(1);
    expect(peer.received).toHaveLength(1);
    expect(bystander.received).toHaveLength(0);
    expect(net.wire().frames).toHaveLength(1);
    expect(net.wire().frames[0]!.deliveredTo).toEqual(["B"]);
  });

  test("a link without carrier sends nothing and hears nothing; an administratively down link refuses to send (ENETDOWN)", async () => {
    const { net, a, b } = trio();
    const sender = await socketOn(a);
    const receiver = await socketOn(b);
    const payload = encodeAdvert(advert(100), { sourceIp: ip("10.99.0.11"), destinationIp: VRRP_MULTICAST_GROUP });
    b.linkDown("eth0");
    sender.socket.send(payload, VRRP_MULTICAST_GROUP);
    await net.runFor(1);
    expect(receiver.received).toHaveLength(0);
    a.linkDown("eth0");
    sender.socket.send(payload, VRRP_MULTICAST_GROUP);
    expect(net.wire().frames).toHaveLength(1);
    a.setLink("eth0", { adminUp: false });
    expect(() => sender.socket.send(payload, VRRP_MULTICAST_GROUP)).toThrow(/ENETDOWN|Network is down/);
  });

  test("the receiving kernel drops a datagram with a bad header checksum before any socket sees it", async () => {
    const { net, a, b } = trio();
    const receiver = await socketOn(b);
    const datagram = encodeKernelIpv4(
      { sourceIp: ip("10.99.0.11"), destinationIp: VRRP_MULTICAST_GROUP, ttl: 255, tos: 0xc0, protocol: 112, identification: 1 },
      encodeAdvert(advert(100), { sourceIp: ip("10.99.0.11"), destinationIp: VRRP_MULTICAST_GROUP }),
    );
    a.injectIpv4("eth0", datagram);
    const broken = datagram.slice();
    broken[10] = broken[10]! ^ 0xff;
    a.injectIpv4("eth0", broken);
    await net.runFor(1);
    expect(receiver.received).toHaveLength(1);
    expect(net.wire().frames[1]!.lost).toContainEqual({ to: "B", why: "kernel dropped it: bad header checksum" });
  });

  test("a cut pair does not hear each other until healed; rules drop or delay frames", async () => {
    const { net, a, b, c } = trio();
    const sender = await socketOn(a);
    const atB = await socketOn(b);
    const atC = await socketOn(c);
    const send = () => sender.socket.send(encodeAdvert(advert(100), { sourceIp: ip("10.99.0.11"), destinationIp: VRRP_MULTICAST_GROUP }), VRRP_MULTICAST_GROUP);
    net.wire().cut("A", "B");
    send();
    await net.runFor(1);
    expect([atB.received.length, atC.received.length]).toEqual([0, 1]);
    net.wire().heal();
    const removeDelay = net.wire().addRule({ match: (_f, to) => to === "C", delayMs: 50 });
    net.wire().addRule({ match: (_f, to) => to === "B", count: 1 });
    send();
    send();
    await net.runFor(1);
    expect([atB.received.length, atC.received.length]).toEqual([1, 1]);
    await net.runFor(50);
    expect(atC.received.map((r) => r.atMs)).toEqual([0.2, 51.2, 51.2]);
    removeDelay();
  });

  test("receive-loop death: onError once, then nothing is delivered; the group stays joined while the socket is open", async () => {
    const { net, a, b } = trio();
    const sender = await socketOn(a);
    const receiver = await socketOn(b);
    receiver.socket.failReceive();
    receiver.socket.failReceive();
    expect(receiver.errors.map((e) => e.message)).toEqual(["VRRP receive on eth0: recvmsg: Bad file descriptor (errno 9)"]);
    sender.socket.send(encodeAdvert(advert(100), { sourceIp: ip("10.99.0.11"), destinationIp: VRRP_MULTICAST_GROUP }), VRRP_MULTICAST_GROUP);
    await net.runFor(1);
    expect(receiver.received).toHaveLength(0);
    expect(net.wire().frames[0]!.deliveredTo).toContain("B");
    expect(net.wire().frames[0]!.lost.map((l) => l.to)).toEqual(["C"]);
  });

  test("the next N openVrrpSocket calls fail, then opening works again", async () => {
    const { b } = trio();
    b.failNextVrrpOpens(2);
    const ports = b.openPorts();
    const open = () => ports.openVrrpSocket({ interfaceName: "eth0", multicast: true, onPacket: () => {}, onError: () => {} });
    await expect(open()).rejects.toThrow("Operation not permitted");
    await expect(open()).rejects.toThrow("Operation not permitted");
    expect((await open()).interfaceName).toBe("eth0");
  });

  test("opening fails as the real socket does: unknown interface, no address to send from, a source that is not ours", async () => {
    const { net } = trio();
    const bare = net.host("D");
    const ports = bare.openPorts();
    const options = { multicast: true, onPacket: () => {}, onError: () => {} };
    await expect(ports.openVrrpSocket({ ...options, interfaceName: "eth0" })).rejects.toThrow("has no IPv4 address to send from");
    await expect(ports.openVrrpSocket({ ...options, interfaceName: "eth9", sourceIp: ip("10.99.0.14") })).rejects.toThrow("No such device");
    bare.addAddress("10.99.0.14/24");
    await expect(ports.openVrrpSocket({ ...options, interfaceName: "eth0", sourceIp: ip("10.99.0.99") })).rejects.toThrow("Cannot assign requested address");
  });

  test("kill (the process died): its sockets close without an error, and what it waits for never completes", async () => {
    const { net, a, b } = trio();
    const sender = await socketOn(a);
    const receiver = await socketOn(b);
    receiver.ports.kill();
    sender.socket.send(encodeAdvert(advert(100), { sourceIp: ip("10.99.0.11"), destinationIp: VRRP_MULTICAST_GROUP }), VRRP_MULTICAST_GROUP);
    await net.runFor(1);
    expect(receiver.received).toHaveLength(0);
    expect(receiver.errors).toHaveLength(0);
    expect(net.wire().frames[0]!.lost).toContainEqual({ to: "B", why: "group 224.0.0.18 not joined on eth0" });
    let settled = false;
    void receiver.ports.rtnetlink.listLinks().then(() => (settled = true));
    await net.runFor(10);
    expect(settled).toBe(false);
  });
});

describe("addresses and links", () => {
  test("adding a present address is EEXIST, deleting an absent one EADDRNOTAVAIL, an unknown link ENODEV", async () => {
    const { a } = trio();
    const rt = a.openPorts().rtnetlink;
    const vip = { interfaceName: "eth0", address: ip("10.99.0.100"), prefixLength: 24 };
    await rt.addAddress(vip);
    expect(await rt.addAddress(vip).catch((e) => isAlreadyPresent(e))).toBe(true);
    await rt.deleteAddress(vip);
    expect(await rt.deleteAddress(vip).catch((e) => isAlreadyAbsent(e))).toBe(true);
    expect(await rt.addAddress({ ...vip, interfaceName: "eth7" }).catch((e) => isNoSuchDevice(e))).toBe(true);
    // The same address with another prefix is another address to the kernel.
    await rt.addAddress({ ...vip, prefixLength: 32 });
    expect(await rt.deleteAddress(vip).catch((e) => isAlreadyAbsent(e))).toBe(true);
    expect(a.addressChanges.slice(2).map((c) => `${c.op} ${formatIpv4(c.address)}`)).toEqual(["add 10.99.0.100", "delete 10.99.0.100", "add 10.99.0.100"]);
  });

  test("kernel order and secondaries: a same-subnet VIP is secondary, a link-scope one never displaces the primary", async () => {
    const { a } = trio();
    const rt = a.openPorts().rtnetlink;
    await rt.addAddress({ interfaceName: "eth0", address: ip("10.99.0.100"), prefixLength: 24 });
    await rt.addAddress({ interfaceName: "eth0", address: ip("169.254.1.1"), prefixLength: 16, scope: 253 });
    expect(a.addressesOf("eth0")).toEqual(["169.254.1.1/16", "10.99.0.11/24", "10.99.0.100/24"]);
    expect((await rt.listAddresses("eth0")).map((x) => x.secondary)).toEqual([false, false, true]);
    expect(formatIpv4((await rt.primaryIpv4("eth0"))!)).toBe("10.99.0.11");
    // promote_secondaries: removing the primary leaves the VIP as the subnet's primary.
    await rt.deleteAddress({ interfaceName: "eth0", address: ip("10.99.0.11"), prefixLength: 24 });
    expect(formatIpv4((await rt.primaryIpv4("eth0"))!)).toBe("10.99.0.100");
  });

  test("a network monitor reports link down, up and removal against its starting snapshot", async () => {
    const { net, a } = trio();
    a.addLink("eth1");
    const events: NetworkEvent[] = [];
    const monitor = await a.openPorts().watchNetwork(
      (e) => events.push(e),
      () => {},
    );
    expect(monitor.initialLinks.map((l) => `${l.name}:${l.up}`)).toEqual(["lo:true", "eth0:true", "eth1:true"]);
    a.linkDown("eth1");
    a.linkDown("eth1");
    a.linkUp("eth1");
    a.addAddress("10.1.0.1/24", "eth1");
    a.removeLink("eth1");
    expect(events).toEqual([]); // read from the socket later, not inside the change
    await net.runFor(0);
    expect(events.map((e) => `${e.kind} ${"link" in e ? e.link.name : formatIpv4(e.address.address)}`)).toEqual([
      "link-down eth1",
      "link-up eth1",
      "address-added 10.1.0.1",
      "address-removed 10.1.0.1",
      "link-removed eth1",
    ]);
  });
});

describe("ARP", () => {
  test("a gratuitous ARP is the real frame, padded to 60 bytes; a client caches it and reaches that host while it holds the VIP", async () => {
    const { net, a, b } = trio();
    const client = net.client("router", "10.99.0.1");
    const vip = "10.99.0.100";
    const sender = await a.openPorts().openArpSender("eth0");
    a.addAddress(`${vip}/24`);
    sender.sendGratuitousArp(ip(vip));
    await net.runFor(1);
    const frame = net.wire().arps("A")[0]!;
    expect(frame.bytes.length).toBe(60);
    expect(frame.arp).toEqual({ op: 1, senderMac: a.link("eth0").mac, senderIp: ip(vip), targetMac: "ff:ff:ff:ff:ff:ff", targetIp: ip(vip) });
    expect(client.reaches(vip)).toBe("A");
    // B takes the address over silently: the client still goes to A, which no longer answers.
    a.openPorts().rtnetlink.deleteAddress({ interfaceName: "eth0", address: ip(vip), prefixLength: 24 });
    b.addAddress(`${vip}/24`);
    await net.runFor(1);
    expect(client.cachedHost(vip)).toBe("A");
    expect(client.reaches(vip)).toBeUndefined();
    // Asking: the holder answers.
    client.resolve(vip);
    await net.runFor(1);
    expect(client.reaches(vip)).toBe("B");
  });
});
