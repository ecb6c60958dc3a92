// A client on a fake wire (a router or a server in front of the pair): it keeps an ARP
// cache from the ARPs it sees, gratuitous ones included, so a test can ask which box the
// client's traffic for a VIP would reach now.
import { parseIpv4 } from "../../../../src/common/ipv4.ts";
import { ARPOP_REPLY, ARPOP_REQUEST, BROADCAST_MAC, encodeArp, encodeEthernet, ETHERTYPE_ARP } from "./frames.ts";
import { FakeLink } from "./fake-host.ts";
import type { FakeWire, Station, WireFrame } from "./fake-wire.ts";

export class FakeClient implements Station {
  readonly up = true;
  /** IPv4 address -> MAC, as learnt (a newer ARP replaces an older entry). */
  readonly arpCache = new Map<number, string>();

  constructor(
    readonly owner: string,
    readonly mac: string,
    readonly ip: number,
    private readonly wire: FakeWire,
  ) {
    wire.attach(this);
  }

  receiveFrame(frame: WireFrame): void {
    const arp = frame.arp;
    if (!arp) return;
    // A gratuitous ARP announces sender = target; a reply answers our own request.
    const gratuitous = arp.op === ARPOP_REQUEST && arp.senderIp === arp.targetIp;
    if (gratuitous || (arp.op === ARPOP_REPLY && arp.targetIp === this.ip)) this.arpCache.set(arp.senderIp, arp.senderMac);
  }

  /** Ask the wire who has `ip` (the answer arrives after the latency). */
  resolve(ip: string): void {
    const request = encodeArp({ op: ARPOP_REQUEST, senderMac: this.mac, senderIp: this.ip, targetMac: "00:00:00:00:00:00", targetIp: parseIpv4(ip)! });
    this.wire.transmit(this, encodeEthernet(BROADCAST_MAC, this.mac, ETHERTYPE_ARP, request));
  }

  /** The host whose NIC the cached MAC for `ip` belongs to, whether or not it still holds the address. */
  cachedHost(ip: string): string | undefined {
    const mac = this.arpCache.get(parseIpv4(ip)!);
    return mac === undefined ? undefined : this.wire.stationWithMac(mac)?.owner;
  }

  /** Where traffic for `ip` would be answered: the cached host, if its link is up and it holds the address. */
  reaches(ip: string): string | undefined {
    const mac = this.arpCache.get(parseIpv4(ip)!);
    const station = mac === undefined ? undefined : this.wire.stationWithMac(mac);
    if (!(station instanceof FakeLink) || !station.up || !station.host.hasAddress(ip)) return undefined;
    return station.owner;
  }
}
