// The NetworkPorts of one process on a fake host: rtnetlink over the host's links and
// addresses, raw VRRP sockets and gratuitous-ARP senders on its wires, and network
// monitors, each failing as the real one does (src/net/). kill() is what the kernel does
// when the process dies (kill -9): its sockets close with no word to anyone, and whatever
// it still had in flight never completes.
import { formatIpv4, parseMac } from "../../../../src/common/ipv4.ts";
import { encodeGratuitousArp } from "../../../../src/net/arp.ts";
import type { ArpSender } from "../../../../src/net/arp-socket.ts";
import { EADDRNOTAVAIL, ENETDOWN, ENODEV, SystemError } from "../../../../src/net/errno.ts";
import type { NetworkPorts } from "../../../../src/net/interfaces.ts";
import { describeErrno } from "../../../../src/net/libc.ts";
import { interfaceNameProblem } from "../../../../src/net/libc-structs.ts";
import type { NetworkEvent, NetworkMonitor } from "../../../../src/net/rtnetlink-monitor.ts";
import type { Rtnetlink } from "../../../../src/net/rtnetlink.ts";
import { VRRP_TOS, VRRP_TTL } from "../../../../src/common/vrrp-wire.ts";
import type { VrrpSocket, VrrpSocketOptions } from "../../../../src/net/vrrp-socket.ts";
import { linkTransition, RT_SCOPE_UNIVERSE, type AddressInfo, type LinkInfo } from "../../../../src/netlink/rtnetlink-messages.ts";
import { encodeEthernet, encodeKernelIpv4, ETHERNET_MIN_FRAME_BYTES, ETHERTYPE_IPV4, IPPROTO_VRRP } from "./frames.ts";
import type { FakeHost, FakeLink } from "./fake-host.ts";

function systemError(operation: string, errno: number): SystemError {
  return new SystemError(operation, errno, describeErrno(errno));
}

/** Whatever a dead process was waiting for: it never comes. */
const never = <T>() => new Promise<T>(() => {});

interface Monitor {
  onEvent(event: NetworkEvent): void;
  onError(error: Error): void;
  linkUp: Map<number, boolean>;
  closed: boolean;
}

export class FakePorts implements NetworkPorts {
  readonly rtnetlink: Rtnetlink;
  private dead = false;
  private rtnetlinkClosed = false;
  private readonly sockets = new Set<FakeVrrpSocket>();
  private readonly arpSenders = new Set<FakeArpSender>();
  private readonly monitors = new Set<Monitor>();

  constructor(
    readonly host: FakeHost,
    private readonly forget: () => void,
  ) {
    const request = <T>(operation: string, fn: () => T): Promise<T> => {
      if (this.dead) return never();
      if (this.rtnetlinkClosed) return Promise.reject(new Error(`${operation}: the netlink socket is closed`));
      try {
        return Promise.resolve(fn());
      } catch (error) {
        return Promise.reject(error);
      }
    };
    const indexOf = (name: string) => {
      const link = host.findLink(name);
      if (!link) throw systemError(`if_nametoindex for "${name}"`, ENODEV);
      return link.index;
    };
    const primaryIpv4 = (name: string) => {
      const primaries = host.listAddressInfo(indexOf(name)).filter((a) => !a.secondary);
      return (primaries.find((a) => a.scope === RT_SCOPE_UNIVERSE) ?? primaries[0])?.address;
    };
    this.primaryIpv4 = primaryIpv4;
    this.rtnetlink = {
      listLinks: () => request("RTM_GETLINK dump", () => host.links.map((l) => l.info())),
      getLink: (name) => request("RTM_GETLINK dump", () => host.findLink(name)?.info()),
      listAddresses: (name) => request("RTM_GETADDR dump", () => host.listAddressInfo(name === undefined ? undefined : indexOf(name))),
      primaryIpv4: (name) => request("RTM_GETADDR dump", () => primaryIpv4(name)),
      addAddress: (spec) => request("RTM_NEWADDR", () => host.kernelAddAddress(spec)),
      deleteAddress: (spec) => request("RTM_DELADDR", () => host.kernelDeleteAddress(spec)),
      close: () => void (this.rtnetlinkClosed = true),
    };
  }

  private readonly primaryIpv4: (name: string) => number | undefined;

  get alive(): boolean {
    return !this.dead;
  }

  async openVrrpSocket(options: VrrpSocketOptions): Promise<FakeVrrpSocket> {
    if (this.dead) return never();
    let sourceIp = options.sourceIp;
    if (sourceIp === undefined) {
      sourceIp = this.primaryIpv4(options.interfaceName);
      if (sourceIp === undefined)
        throw new Error(`VRRP on ${options.interfaceName}: the interface has no IPv4 address to send from; add one or set mcast_src_ip/unicast_src_ip`);
    }
    const injected = this.host.takeFailingVrrpOpen();
    if (injected) throw injected;
    const problem = interfaceNameProblem(options.interfaceName);
    if (problem) throw new Error(`VRRP socket: ${problem}`);
    const where = `on ${options.interfaceName}`;
    const link = this.host.findLink(options.interfaceName);
    if (!link) throw systemError(`if_nametoindex for "${options.interfaceName}"`, ENODEV);
    // bind() of the send socket: only an address of this host.
    if (!this.host.hasAddress(sourceIp)) throw systemError(`bind(${formatIpv4(sourceIp)}) ${where}`, EADDRNOTAVAIL);
    const socket = new FakeVrrpSocket(this, link, { ...options, sourceIp });
    this.sockets.add(socket);
    this.host.vrrpSockets.add(socket);
    return socket;
  }

  async openArpSender(interfaceName: string): Promise<ArpSender> {
    if (this.dead) return never();
    const link = this.host.findLink(interfaceName);
    if (!link) throw new Error(`gratuitous ARP on ${interfaceName}: no such interface`);
    if (!link.mac || link.mac === "00:00:00:00:00:00") throw new Error(`gratuitous ARP on ${interfaceName}: the interface has no Ethernet address`);
    const sender = new FakeArpSender(this, link);
    this.arpSenders.add(sender);
    return sender;
  }

  async watchNetwork(onEvent: (event: NetworkEvent) => void, onError: (error: Error) => void): Promise<NetworkMonitor> {
    if (this.dead) return never();
    const initialLinks = this.host.links.map((l) => l.info());
    const monitor: Monitor = { onEvent, onError, linkUp: new Map(initialLinks.map((l) => [l.index, l.up])), closed: false };
    this.monitors.add(monitor);
    return {
      initialLinks,
      close: async () => {
        monitor.closed = true;
        this.monitors.delete(monitor);
      },
    };
  }

  close(): void {
    this.rtnetlink.close();
  }

  /** The process died: every socket closes at once and nothing it started finishes. */
  kill(): void {
    this.dead = true;
    for (const socket of this.sockets) socket.closeSilently();
    for (const sender of this.arpSenders) sender.close();
    for (const monitor of this.monitors) monitor.closed = true;
    this.monitors.clear();
    this.forget();
  }

  /** RTM_NEWLINK / RTM_DELLINK from the host; read by each monitor a moment later. */
  linkEvent(kind: "newlink" | "dellink", link: LinkInfo): void {
    this.toMonitors((monitor) => {
      if (kind === "dellink") {
        monitor.linkUp.delete(link.index);
        monitor.onEvent({ kind: "link-removed", link });
        return;
      }
      const transition = linkTransition(monitor.linkUp.get(link.index), link);
      monitor.linkUp.set(link.index, link.up);
      if (transition) monitor.onEvent({ kind: transition, link });
    });
  }

  addressEvent(kind: "address-added" | "address-removed", address: AddressInfo): void {
    this.toMonitors((monitor) => monitor.onEvent({ kind, address }));
  }

  /** Make every monitor's receive fail (e.g. ENOBUFS: events were lost). */
  failMonitors(error: Error): void {
    this.toMonitors((monitor) => {
      monitor.closed = true;
      this.monitors.delete(monitor);
      monitor.onError(error);
    });
  }

  private toMonitors(fn: (monitor: Monitor) => void): void {
    const clock = this.host.clock;
    for (const monitor of this.monitors) {
      clock.at(clock.nowMs(), () => {
        if (!monitor.closed && !this.dead) fn(monitor);
      });
    }
  }

  sendable(link: FakeLink, operation: string): boolean {
    if (!this.host.findLink(link.name)) throw systemError(operation, ENODEV);
    if (!link.adminUp) throw systemError(operation, ENETDOWN);
    // No carrier: the driver drops the frame and the caller never knows.
    return link.carrier && link.wire !== undefined;
  }
}

export class FakeVrrpSocket implements VrrpSocket {
  closed = false;
  /** false once the receive loop died (failReceive): the socket stays open, nothing is read. */
  receiving = true;
  readonly interfaceName: string;
  readonly interfaceIndex: number;
  readonly sourceIp: number;
  readonly multicast: boolean;

  constructor(
    private readonly ports: FakePorts,
    private readonly link: FakeLink,
    private readonly options: VrrpSocketOptions & { sourceIp: number },
  ) {
    this.interfaceName = link.name;
    this.interfaceIndex = link.index;
    this.sourceIp = options.sourceIp;
    this.multicast = options.multicast;
  }

  send(vrrpPayload: Uint8Array, destinationIp: number): void {
    if (!this.ports.alive) return;
    if (this.closed) throw new Error(`VRRP send on ${this.interfaceName}: the socket is closed`);
    const host = this.ports.host;
    if (!this.ports.sendable(this.link, `sendto ${formatIpv4(destinationIp)} on ${this.interfaceName}`)) return;
    // As set with IP_TTL / IP_MULTICAST_TTL and IP_TOS in src/net/vrrp-socket.ts; DF clear.
    const datagram = encodeKernelIpv4(
      { sourceIp: this.sourceIp, destinationIp, ttl: VRRP_TTL, tos: VRRP_TOS, protocol: IPPROTO_VRRP, identification: host.nextIpIdentification() },
      vrrpPayload,
    );
    const mac = host.macFor(this.link, destinationIp);
    // A unicast peer nobody answers ARP for: the kernel drops the datagram after asking.
    if (mac === undefined) return;
    this.link.wire!.transmit(this.link, encodeEthernet(mac, this.link.mac, ETHERTYPE_IPV4, datagram));
  }

  close(): Promise<void> {
    this.closeSilently();
    return Promise.resolve();
  }

  closeSilently(): void {
    this.closed = true;
    this.ports.host.vrrpSockets.delete(this);
  }

  /** The kernel hands the socket a datagram (header included), read at atMs. */
  deliver(datagram: Uint8Array, atMs: number): void {
    if (this.closed || !this.receiving) return;
    this.options.onPacket(datagram, atMs);
  }

  /** The receive loop dies (recvmsg failed): onError once, as the real socket reports it, and nothing more is read. */
  failReceive(reason = "recvmsg: Bad file descriptor (errno 9)"): void {
    if (this.closed || !this.receiving) return;
    this.receiving = false;
    this.options.onError(new Error(`VRRP receive on ${this.interfaceName}: ${reason}`));
  }
}

class FakeArpSender implements ArpSender {
  readonly interfaceName: string;
  readonly mac: string;
  private closed = false;

  constructor(
    private readonly ports: FakePorts,
    private readonly link: FakeLink,
  ) {
    this.interfaceName = link.name;
    this.mac = link.mac.toLowerCase();
  }

  sendGratuitousArp(vip: number): void {
    if (!this.ports.alive) return;
    if (this.closed) throw new Error(`gratuitous ARP on ${this.interfaceName}: the socket is closed`);
    if (!this.ports.sendable(this.link, `sendto(gratuitous ARP) for ${formatIpv4(vip)} on ${this.interfaceName}`)) return;
    // The MAC of the open: an AF_PACKET frame carries the address it was built with.
    const frame = new Uint8Array(ETHERNET_MIN_FRAME_BYTES);
    frame.set(encodeGratuitousArp(parseMac(this.mac)!, vip));
    this.link.wire!.transmit(this.link, frame);
  }

  close(): void {
    this.closed = true;
  }
}
