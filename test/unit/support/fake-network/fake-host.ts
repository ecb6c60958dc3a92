// One machine of the fake network, as its kernel sees it: links (index, MAC, admin and
// carrier state) on wires, IPv4 addresses with the kernel's ordering and errno rules,
// the IP receive path that hands VRRP datagrams to raw sockets, and ARP replies for its
// own addresses. Processes reach it through FakePorts (fake-ports.ts), the NetworkPorts
// the engine is given; tests change it directly (links, addresses, injected packets).
import { formatIpv4, ipv4FromBytes, parseIpv4, prefixToMask } from "../../../../src/common/ipv4.ts";
import { EADDRNOTAVAIL, EEXIST, EINVAL, ENODEV } from "../../../../src/net/errno.ts";
import { NetlinkError } from "../../../../src/net/netlink-socket.ts";
import {
  IFF_BROADCAST,
  IFF_LOOPBACK,
  IFF_LOWER_UP,
  IFF_MULTICAST,
  IFF_RUNNING,
  IFF_UP,
  RT_SCOPE_HOST,
  RT_SCOPE_UNIVERSE,
  type AddressInfo,
  type AddressSpec,
  type LinkInfo,
} from "../../../../src/netlink/rtnetlink-messages.ts";
import { describeAddressSpec } from "../../../../src/net/rtnetlink.ts";
import {
  ARPOP_REPLY,
  ARPOP_REQUEST,
  encodeArp,
  encodeEthernet,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  isDropped,
  IPPROTO_VRRP,
  kernelReceiveIpv4,
  multicastMac,
} from "./frames.ts";
import type { FakeWire, Station, WireFrame } from "./fake-wire.ts";
import type { SimClock } from "./sim-clock.ts";
import { FakePorts, type FakeVrrpSocket } from "./fake-ports.ts";

const IFA_F_SECONDARY = 0x01;
/** The all-hosts group every IPv4 interface is in (RFC 1112); anything else must be joined. */
const ALL_HOSTS_GROUP = 0xe0000001;

export class FakeLink implements Station {
  adminUp = true;
  carrier = true;

  constructor(
    readonly host: FakeHost,
    readonly index: number,
    readonly name: string,
    readonly mac: string,
    readonly wire: FakeWire | undefined,
  ) {}

  get owner(): string {
    return this.host.name;
  }

  get up(): boolean {
    return this.adminUp && this.carrier;
  }

  receiveFrame(frame: WireFrame): void {
    this.host.receive(this, frame);
  }

  info(): LinkInfo {
    const loopback = this.name === "lo";
    const running = this.adminUp && this.carrier;
    const flags = (this.adminUp ? IFF_UP : 0) | (running ? IFF_RUNNING | IFF_LOWER_UP : 0) | (loopback ? IFF_LOOPBACK : IFF_BROADCAST | IFF_MULTICAST);
    return {
      index: this.index,
      name: this.name,
      mac: this.mac,
      up: running,
      adminUp: this.adminUp,
      running,
      operState: loopback ? "unknown" : running ? "up" : "down",
      flags,
      mtu: loopback ? 65536 : 1500,
    };
  }
}

interface KernelAddress {
  index: number;
  address: number;
  prefixLength: number;
  label: string;
  scope: number;
  broadcast: number | undefined;
  secondary: boolean;
}

export interface AddressChange {
  atMs: number;
  op: "add" | "delete";
  address: number;
  interfaceName: string;
}

export class FakeHost {
  readonly links: FakeLink[] = [];
  /** In the kernel's order (__inet_insert_ifa), over all links. */
  private addresses: KernelAddress[] = [];
  /** Every address added or removed, by a process or by the test, for assertions. */
  readonly addressChanges: AddressChange[] = [];
  readonly vrrpSockets = new Set<FakeVrrpSocket>();
  private readonly portsOpened = new Set<FakePorts>();
  private failingVrrpOpens: { remaining: number; error: () => Error } = { remaining: 0, error: () => new Error("") };
  /** ip_select_ident: ids of datagrams this host sends. */
  private nextIdentification = 0x4d2;

  constructor(
    readonly name: string,
    readonly clock: SimClock,
    private readonly macPrefix: string,
  ) {
    this.addLink("lo", { mac: "00:00:00:00:00:00" });
    this.addAddress("127.0.0.1/8", "lo", { scope: RT_SCOPE_HOST });
  }

  // ---- test controls ----

  addLink(name: string, options: { wire?: FakeWire; mac?: string; adminUp?: boolean; carrier?: boolean } = {}): FakeLink {
    const index = this.links.reduce((max, l) => Math.max(max, l.index), 0) + 1;
    const mac = options.mac ?? `${this.macPrefix}:${index.toString(16).padStart(2, "0")}`;
    const link = new FakeLink(this, index, name, mac, options.wire);
    link.adminUp = options.adminUp ?? true;
    link.carrier = options.carrier ?? true;
    this.links.push(link);
    options.wire?.attach(link);
    this.emitLink(link);
    return link;
  }

  link(name: string): FakeLink {
    const link = this.findLink(name);
    if (!link) throw new Error(`${this.name} has no link ${name}`);
    return link;
  }

  /** Carrier or admin state changes, reported to every network monitor as the kernel would. */
  setLink(name: string, change: { adminUp?: boolean; carrier?: boolean }): void {
    const link = this.link(name);
    link.adminUp = change.adminUp ?? link.adminUp;
    link.carrier = change.carrier ?? link.carrier;
    this.emitLink(link);
  }

  /** The cable is pulled (carrier lost). */
  linkDown(name: string): void {
    this.setLink(name, { carrier: false });
  }

  linkUp(name: string): void {
    this.setLink(name, { carrier: true, adminUp: true });
  }

  removeLink(name: string): void {
    const link = this.link(name);
    for (const a of this.addresses.filter((x) => x.index === link.index)) this.removeKernelAddress(a);
    this.links.splice(this.links.indexOf(link), 1);
    link.wire?.detach(link);
    for (const ports of this.portsOpened) ports.linkEvent("dellink", link.info());
  }

  /** `ip addr add TEXT dev LINK` by hand: "10.99.0.11/24". */
  addAddress(text: string, linkName = "eth0", extra: { scope?: number; label?: string } = {}): void {
    const [ip, prefix] = text.split("/");
    this.kernelAddAddress({ interfaceName: linkName, address: parseIpv4(ip!)!, prefixLength: Number(prefix ?? 32), ...extra });
  }

  /** Is this address configured on any of the host's links? */
  hasAddress(ip: string | number): boolean {
    const address = typeof ip === "number" ? ip : parseIpv4(ip)!;
    return this.addresses.some((a) => a.address === address);
  }

  /** "10.99.0.11/24" for each address of a link, in kernel order. */
  addressesOf(linkName: string): string[] {
    const index = this.link(linkName).index;
    return this.addresses.filter((a) => a.index === index).map((a) => `${formatIpv4(a.address)}/${a.prefixLength}`);
  }

  /** The next `count` openVrrpSocket calls throw (e.g. EPERM, ENOBUFS), as a failing socket() or setsockopt() would. */
  failNextVrrpOpens(count: number, error: () => Error = () => new Error("socket(AF_INET, SOCK_RAW, 112): Operation not permitted (errno 1)")): void {
    this.failingVrrpOpens = { remaining: count, error };
  }

  /** Open VRRP sockets on a link (the engine shares one per interface and source address). */
  vrrpSocketsOn(linkName: string): FakeVrrpSocket[] {
    return [...this.vrrpSockets].filter((s) => s.interfaceName === linkName && !s.closed);
  }

  /** Put any IPv4 datagram on a link's wire, to a MAC (default: the multicast or owner's MAC). */
  injectIpv4(linkName: string, datagram: Uint8Array, destinationMac?: string): WireFrame | undefined {
    const link = this.link(linkName);
    const destination = destinationMac ?? this.macFor(link, ipv4FromBytes(datagram, 16));
    if (!link.wire || destination === undefined) return undefined;
    return link.wire.transmit(link, encodeEthernet(destination, link.mac, ETHERTYPE_IPV4, datagram));
  }

  /** A process of this host: the NetworkPorts it opens sockets through. */
  openPorts(): FakePorts {
    const ports = new FakePorts(this, () => this.portsOpened.delete(ports));
    this.portsOpened.add(ports);
    return ports;
  }

  // ---- the kernel, as FakePorts reaches it ----

  findLink(name: string): FakeLink | undefined {
    return this.links.find((l) => l.name === name);
  }

  listAddressInfo(index?: number): AddressInfo[] {
    return this.addresses
      .filter((a) => index === undefined || a.index === index)
      .map((a) => ({
        index: a.index,
        address: a.address,
        prefixLength: a.prefixLength,
        label: a.label,
        scope: a.scope,
        broadcast: a.broadcast,
        secondary: a.secondary,
        flags: a.secondary ? IFA_F_SECONDARY : 0,
      }));
  }

  /** inet_rtm_newaddr / __inet_insert_ifa: EEXIST for the same address in the same subnet. */
  kernelAddAddress(spec: AddressSpec): void {
    const operation = `RTM_NEWADDR ${describeAddressSpec(spec)}`;
    const link = this.findLink(spec.interfaceName);
    if (!link) throw new NetlinkError(operation, ENODEV);
    if (!Number.isInteger(spec.prefixLength) || spec.prefixLength < 0 || spec.prefixLength > 32) throw new NetlinkError(operation, EINVAL);
    const mask = prefixToMask(spec.prefixLength);
    const added: KernelAddress = {
      index: link.index,
      address: spec.address >>> 0,
      prefixLength: spec.prefixLength,
      label: spec.label ?? link.name,
      scope: spec.scope ?? RT_SCOPE_UNIVERSE,
      broadcast: spec.broadcast,
      secondary: false,
    };
    let lastPrimary = -1;
    for (const [i, existing] of this.addresses.entries()) {
      if (existing.index !== link.index) continue;
      if (!existing.secondary && added.scope <= existing.scope) lastPrimary = i;
      if (existing.prefixLength === added.prefixLength && ((existing.address ^ added.address) & mask) === 0) {
        if (existing.address === added.address) throw new NetlinkError(operation, EEXIST);
        if (existing.scope !== added.scope) throw new NetlinkError(operation, EINVAL);
        added.secondary = true;
      }
    }
    // Secondaries go last; a primary after the last primary of narrower or equal scope.
    const at = added.secondary ? this.addresses.length : lastPrimary >= 0 ? lastPrimary + 1 : this.firstIndexOfLink(link.index);
    this.addresses.splice(at, 0, added);
    this.addressChanges.push({ atMs: this.clock.nowMs(), op: "add", address: added.address, interfaceName: link.name });
    this.emitAddress("address-added", added);
  }

  /** inet_rtm_deladdr: matches address, label (when given) and prefix; else EADDRNOTAVAIL. */
  kernelDeleteAddress(spec: AddressSpec): void {
    const operation = `RTM_DELADDR ${describeAddressSpec(spec)}`;
    const link = this.findLink(spec.interfaceName);
    if (!link) throw new NetlinkError(operation, ENODEV);
    const found = this.addresses.find(
      (a) =>
        a.index === link.index &&
        a.address === spec.address >>> 0 &&
        a.prefixLength === spec.prefixLength &&
        (spec.label === undefined || spec.label === a.label),
    );
    if (!found) throw new NetlinkError(operation, EADDRNOTAVAIL);
    this.removeKernelAddress(found);
  }

  takeFailingVrrpOpen(): Error | undefined {
    if (this.failingVrrpOpens.remaining <= 0) return undefined;
    this.failingVrrpOpens.remaining--;
    return this.failingVrrpOpens.error();
  }

  nextIpIdentification(): number {
    return this.nextIdentification++ & 0xffff;
  }

  /** Where a datagram to `destination` goes on the link's wire: multicast MAC, or the owner's (ARP). */
  macFor(link: FakeLink, destination: number): string | undefined {
    if (destination >>> 28 === 0xe) return multicastMac(destination);
    if (!link.wire) return undefined;
    // Neighbour resolution, done at once: whichever station on the wire holds the address answers.
    const owner = link.wire.allStations().find((s) => s !== link && s.up && s instanceof FakeLink && s.host.hasAddress(destination));
    return owner?.mac;
  }

  /** A frame a link took in: ARP requests for our addresses are answered, VRRP goes to raw sockets. */
  receive(link: FakeLink, frame: WireFrame): void {
    if (frame.ethernet.etherType === ETHERTYPE_ARP) {
      const arp = frame.arp;
      // A gratuitous ARP (sender = target) asks nothing; a request for our address gets a reply.
      if (arp?.op === ARPOP_REQUEST && arp.senderIp !== arp.targetIp && this.hasAddress(arp.targetIp) && link.wire) {
        const reply = encodeArp({ op: ARPOP_REPLY, senderMac: link.mac, senderIp: arp.targetIp, targetMac: arp.senderMac, targetIp: arp.senderIp });
        link.wire.transmit(link, encodeEthernet(arp.senderMac, link.mac, ETHERTYPE_ARP, reply));
      }
      return;
    }
    if (frame.ethernet.etherType !== ETHERTYPE_IPV4) return;
    const ip = kernelReceiveIpv4(frame.ethernet.payload);
    if (isDropped(ip)) {
      frame.lost.push({ to: this.name, why: `kernel dropped it: ${ip.dropped}` });
      return;
    }
    const multicast = ip.destinationIp >>> 28 === 0xe;
    const accepted = multicast
      ? ip.destinationIp === ALL_HOSTS_GROUP || this.vrrpSocketsOn(link.name).some((s) => s.multicast)
      : this.hasAddress(ip.destinationIp);
    if (!accepted) {
      frame.lost.push({
        to: this.name,
        why: multicast ? `group ${formatIpv4(ip.destinationIp)} not joined on ${link.name}` : `${formatIpv4(ip.destinationIp)} is not ours`,
      });
      return;
    }
    if (ip.protocol !== IPPROTO_VRRP) return;
    // Every raw protocol-112 socket bound to the link gets its own copy, header included.
    for (const socket of this.vrrpSocketsOn(link.name)) socket.deliver(ip.datagram.slice(), this.clock.nowMs());
  }

  private firstIndexOfLink(index: number): number {
    const i = this.addresses.findIndex((a) => a.index === index);
    return i >= 0 ? i : this.addresses.length;
  }

  private removeKernelAddress(found: KernelAddress): void {
    this.addresses.splice(this.addresses.indexOf(found), 1);
    // promote_secondaries (systemd's default): the next secondary of the subnet becomes primary.
    if (!found.secondary) {
      const mask = prefixToMask(found.prefixLength);
      const promoted = this.addresses.find(
        (a) => a.index === found.index && a.secondary && a.prefixLength === found.prefixLength && ((a.address ^ found.address) & mask) === 0,
      );
      if (promoted) promoted.secondary = false;
    }
    const link = this.links.find((l) => l.index === found.index);
    this.addressChanges.push({ atMs: this.clock.nowMs(), op: "delete", address: found.address, interfaceName: link?.name ?? `#${found.index}` });
    this.emitAddress("address-removed", found);
  }

  /** RTM_NEWLINK on every change; each monitor reports only up/down transitions, as the real one does. */
  private emitLink(link: FakeLink): void {
    for (const ports of this.portsOpened) ports.linkEvent("newlink", link.info());
  }

  private emitAddress(kind: "address-added" | "address-removed", address: KernelAddress): void {
    const info = this.listAddressInfo().find((a) => a.address === address.address && a.index === address.index) ?? {
      ...address,
      flags: address.secondary ? IFA_F_SECONDARY : 0,
    };
    for (const ports of this.portsOpened) ports.addressEvent(kind, info);
  }
}
