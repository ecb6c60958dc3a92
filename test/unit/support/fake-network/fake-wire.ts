// One Ethernet segment of the fake network: stations (host links, clients) attached to it,
// frames delivered to every other station whose NIC accepts them after a small latency,
// a recording of every frame with its adverts and ARPs decoded, and the faults a test
// inflicts: cuts between two stations (split brain), dropped and delayed frames.
import { formatIpv4 } from "../../../../src/common/ipv4.ts";
import type { Advert } from "../../../../src/vrrp/advert.ts";
import { decodeAdvert } from "../../../../src/vrrp/packet.ts";
import {
  BROADCAST_MAC,
  decodeArp,
  decodeEthernet,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  IPPROTO_VRRP,
  isDropped,
  isMulticastMac,
  kernelReceiveIpv4,
  type ArpPacket,
  type EthernetFrame,
  type ReceivedIpv4,
} from "./frames.ts";
import type { SimClock } from "./sim-clock.ts";

export const WIRE_LATENCY_MS = 0.2;

/** A NIC on the wire. */
export interface Station {
  /** The host or client it belongs to: cuts and recordings name stations by it. */
  readonly owner: string;
  readonly mac: string;
  /** Carrier and administratively up: a down NIC neither sends nor receives. */
  readonly up: boolean;
  receiveFrame(frame: WireFrame): void;
}

export interface WireFrame {
  seq: number;
  atMs: number;
  from: string;
  bytes: Uint8Array;
  ethernet: EthernetFrame;
  /** IPv4 datagrams: the header as a receiving kernel reads it, or why it would drop it. */
  ip?: ReceivedIpv4 | { dropped: string };
  /** VRRP datagrams, decoded with src/vrrp/packet.ts: the advert, or why it does not decode. */
  advert?: Advert;
  advertProblem?: string;
  arp?: ArpPacket;
  /** Stations whose NIC took the frame in. */
  deliveredTo: string[];
  /** Stations it did not reach, and why. */
  lost: { to: string; why: string }[];
}

export interface FrameRule {
  /** Which frames, towards which station. */
  match(frame: WireFrame, to: string): boolean;
  /** undefined: drop; a number: extra delay in ms. */
  delayMs?: number;
  /** How many deliveries it applies to before it lapses (default: no limit). */
  count?: number;
}

export class FakeWire {
  readonly frames: WireFrame[] = [];
  private readonly stations = new Set<Station>();
  private readonly cuts = new Set<string>();
  private readonly rules: FrameRule[] = [];
  private seq = 0;

  constructor(
    readonly name: string,
    private readonly clock: SimClock,
    readonly latencyMs = WIRE_LATENCY_MS,
  ) {}

  attach(station: Station): void {
    this.stations.add(station);
  }

  detach(station: Station): void {
    this.stations.delete(station);
  }

  /** The station with this MAC, if any is attached. */
  stationWithMac(mac: string): Station | undefined {
    return [...this.stations].find((s) => s.mac === mac);
  }

  allStations(): Station[] {
    return [...this.stations];
  }

  /** From now on a and b do not hear each other (a broken path through the switch). */
  cut(a: string, b: string): void {
    this.cuts.add(pairKey(a, b));
  }

  /** Restore one path, or every path. */
  heal(a?: string, b?: string): void {
    if (a === undefined || b === undefined) this.cuts.clear();
    else this.cuts.delete(pairKey(a, b));
  }

  /** Drop (or, with delayMs, delay) matching deliveries; returns a function that removes the rule. */
  addRule(rule: FrameRule): () => void {
    const entry = { ...rule };
    this.rules.push(entry);
    return () => {
      const i = this.rules.indexOf(entry);
      if (i >= 0) this.rules.splice(i, 1);
    };
  }

  /** Put a frame on the wire from `from`; every other attached station gets it after the latency. */
  transmit(from: Station, bytes: Uint8Array): WireFrame {
    const frame = describeFrame(this.seq++, this.clock.nowMs(), from.owner, bytes);
    this.frames.push(frame);
    for (const to of this.stations) {
      if (to === from) continue;
      if (this.cuts.has(pairKey(from.owner, to.owner))) {
        frame.lost.push({ to: to.owner, why: "cut" });
        continue;
      }
      let delayMs = this.latencyMs;
      const rule = this.rules.find((r) => (r.count ?? 1) > 0 && r.match(frame, to.owner));
      if (rule) {
        if (rule.count !== undefined) rule.count--;
        if (rule.delayMs === undefined) {
          frame.lost.push({ to: to.owner, why: "dropped by a test rule" });
          continue;
        }
        delayMs += rule.delayMs;
      }
      this.clock.at(this.clock.nowMs() + delayMs, () => this.deliver(frame, to));
    }
    return frame;
  }

  private deliver(frame: WireFrame, to: Station): void {
    if (!this.stations.has(to) || !to.up) {
      frame.lost.push({ to: to.owner, why: "link down or detached" });
      return;
    }
    const destination = frame.ethernet.destinationMac;
    // Not promiscuous: a NIC takes broadcast, multicast and its own unicast frames.
    if (destination !== BROADCAST_MAC && !isMulticastMac(destination) && destination !== to.mac) return;
    frame.deliveredTo.push(to.owner);
    to.receiveFrame(frame);
  }

  /** Every frame carrying a decodable advert, optionally only those from one station. */
  adverts(from?: string): (WireFrame & { advert: Advert; ip: ReceivedIpv4 })[] {
    return this.frames.filter((f): f is WireFrame & { advert: Advert; ip: ReceivedIpv4 } => f.advert !== undefined && (from === undefined || f.from === from));
  }

  arps(from?: string): (WireFrame & { arp: ArpPacket })[] {
    return this.frames.filter((f): f is WireFrame & { arp: ArpPacket } => f.arp !== undefined && (from === undefined || f.from === from));
  }

  /** One line per frame, for a test's failure message. */
  describe(): string[] {
    return this.frames.map((f) => {
      const what = f.advert
        ? `VRRPv${f.advert.version} vrid ${f.advert.vrid} prio ${f.advert.priority} ${formatIpv4((f.ip as ReceivedIpv4).sourceIp)} -> ${formatIpv4((f.ip as ReceivedIpv4).destinationIp)}`
        : f.arp
          ? `ARP op ${f.arp.op} ${formatIpv4(f.arp.senderIp)} is-at ${f.arp.senderMac}`
          : `ethertype 0x${f.ethernet.etherType.toString(16)}`;
      return `${f.atMs.toFixed(3)} ${f.from}: ${what} -> [${f.deliveredTo.join(",")}]`;
    });
  }
}

function pairKey(a: string, b: string): string {
  return [a, b].sort().join("|");
}

function describeFrame(seq: number, atMs: number, from: string, bytes: Uint8Array): WireFrame {
  const ethernet = decodeEthernet(bytes) ?? { destinationMac: "", sourceMac: "", etherType: -1, payload: new Uint8Array(0) };
  const frame: WireFrame = { seq, atMs, from, bytes, ethernet, deliveredTo: [], lost: [] };
  if (ethernet.etherType === ETHERTYPE_ARP) frame.arp = decodeArp(ethernet.payload);
  if (ethernet.etherType === ETHERTYPE_IPV4) {
    const ip = kernelReceiveIpv4(ethernet.payload);
    frame.ip = ip;
    if (!isDropped(ip) && ip.protocol === IPPROTO_VRRP) {
      const decoded = decodeAdvert(ip.payload, { sourceIp: ip.sourceIp, destinationIp: ip.destinationIp });
      if (decoded.ok) frame.advert = decoded.advert;
      else frame.advertProblem = decoded.rejection.reason;
    }
  }
  return frame;
}
