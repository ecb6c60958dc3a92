// What travels on a fake wire, byte for byte: Ethernet II frames carrying IPv4 datagrams
// built as the kernel builds them for tandem's raw VRRP socket, and ARP packets; plus the
// checks the receiving kernel makes (ip_rcv) before a raw socket sees a datagram. Written
// apart from src/ on purpose: the engine's codecs are checked against these, not themselves.
import { formatMac, ipv4FromBytes, ipv4ToBytes, parseMac } from "../../../../src/common/ipv4.ts";

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERNET_HEADER_BYTES = 14;
/** A driver pads shorter frames to 60 bytes (64 with the FCS, which the fake leaves out). */
export const ETHERNET_MIN_FRAME_BYTES = 60;
export const BROADCAST_MAC = "ff:ff:ff:ff:ff:ff";
export const IPPROTO_VRRP = 112;

/** RFC 1112 6.4: 01:00:5e + the low 23 bits of the group (224.0.0.18 -> 01:00:5e:00:00:12). */
export function multicastMac(group: number): string {
  return formatMac(new Uint8Array([0x01, 0x00, 0x5e, (group >>> 16) & 0x7f, (group >>> 8) & 0xff, group & 0xff]));
}

export function isMulticastMac(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}

export function encodeEthernet(destinationMac: string, sourceMac: string, etherType: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(Math.max(ETHERNET_MIN_FRAME_BYTES, ETHERNET_HEADER_BYTES + payload.length));
  frame.set(parseMac(destinationMac)!, 0);
  frame.set(parseMac(sourceMac)!, 6);
  frame[12] = etherType >>> 8;
  frame[13] = etherType & 0xff;
  frame.set(payload, ETHERNET_HEADER_BYTES);
  return frame;
}

export interface EthernetFrame {
  destinationMac: string;
  sourceMac: string;
  etherType: number;
  /** Everything after the header, link padding included. */
  payload: Uint8Array;
}

export function decodeEthernet(frame: Uint8Array): EthernetFrame | undefined {
  if (frame.length < ETHERNET_HEADER_BYTES) return undefined;
  return {
    destinationMac: formatMac(frame.subarray(0, 6)),
    sourceMac: formatMac(frame.subarray(6, 12)),
    etherType: (frame[12]! << 8) | frame[13]!,
    payload: frame.subarray(ETHERNET_HEADER_BYTES),
  };
}

/** RFC 1071, computed here rather than borrowed from src/common, so the two can disagree. */
export function headerChecksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += (header[i]! << 8) | (header[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface KernelIpv4Fields {
  sourceIp: number;
  destinationIp: number;
  /** IP_TTL, or IP_MULTICAST_TTL for a multicast destination. */
  ttl: number;
  /** IP_TOS. */
  tos: number;
  protocol: number;
  /** ip_select_ident: DF is clear (IP_PMTUDISC_DONT), so every datagram gets an id. */
  identification: number;
}

/** What __ip_make_skb puts in front of a raw socket's payload: 20 bytes, no options, DF clear. */
export function encodeKernelIpv4(fields: KernelIpv4Fields, payload: Uint8Array): Uint8Array {
  const datagram = new Uint8Array(20 + payload.length);
  const view = new DataView(datagram.buffer);
  datagram[0] = 0x45;
  datagram[1] = fields.tos;
  view.setUint16(2, datagram.length);
  view.setUint16(4, fields.identification & 0xffff);
  view.setUint16(6, 0); // flags and fragment offset: DF clear, not a fragment
  datagram[8] = fields.ttl;
  datagram[9] = fields.protocol;
  datagram.set(ipv4ToBytes(fields.sourceIp), 12);
  datagram.set(ipv4ToBytes(fields.destinationIp), 16);
  view.setUint16(10, headerChecksum(datagram.subarray(0, 20)));
  datagram.set(payload, 20);
  return datagram;
}

export interface ReceivedIpv4 {
  sourceIp: number;
  destinationIp: number;
  ttl: number;
  tos: number;
  protocol: number;
  identification: number;
  /** The datagram trimmed to its Total Length (link padding removed), header included. */
  datagram: Uint8Array;
  payload: Uint8Array;
}

/**
 * ip_rcv_core's checks: a datagram failing them is dropped by the receiving kernel and no
 * socket sees it. Returns why, or the datagram as a raw socket would read it.
 */
export function kernelReceiveIpv4(bytes: Uint8Array): ReceivedIpv4 | { dropped: string } {
  if (bytes.length < 20) return { dropped: "shorter than an IPv4 header" };
  const headerLength = (bytes[0]! & 0x0f) * 4;
  if (bytes[0]! >>> 4 !== 4 || headerLength < 20) return { dropped: "not IPv4, or IHL below 5" };
  if (bytes.length < headerLength) return { dropped: "truncated header" };
  if (headerChecksum(bytes.subarray(0, headerLength)) !== 0) return { dropped: "bad header checksum" };
  const totalLength = (bytes[2]! << 8) | bytes[3]!;
  if (totalLength > bytes.length || totalLength < headerLength) return { dropped: "bad total length" };
  const datagram = bytes.slice(0, totalLength);
  return {
    sourceIp: ipv4FromBytes(datagram, 12),
    destinationIp: ipv4FromBytes(datagram, 16),
    ttl: datagram[8]!,
    tos: datagram[1]!,
    protocol: datagram[9]!,
    identification: (datagram[4]! << 8) | datagram[5]!,
    datagram,
    payload: datagram.subarray(headerLength),
  };
}

export function isDropped<T extends object>(value: T | { dropped: string }): value is { dropped: string } {
  return "dropped" in value;
}

export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;

export interface ArpPacket {
  op: number;
  senderMac: string;
  senderIp: number;
  targetMac: string;
  targetIp: number;
}

/** An Ethernet/IPv4 ARP packet (RFC 826), the 28 bytes after the Ethernet header. */
export function encodeArp(packet: ArpPacket): Uint8Array {
  const bytes = new Uint8Array(28);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, 1); // hardware type Ethernet
  view.setUint16(2, ETHERTYPE_IPV4);
  bytes[4] = 6;
  bytes[5] = 4;
  view.setUint16(6, packet.op);
  bytes.set(parseMac(packet.senderMac)!, 8);
  bytes.set(ipv4ToBytes(packet.senderIp), 14);
  bytes.set(parseMac(packet.targetMac)!, 18);
  bytes.set(ipv4ToBytes(packet.targetIp), 24);
  return bytes;
}

export function decodeArp(payload: Uint8Array): ArpPacket | undefined {
  if (payload.length < 28) return undefined;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (view.getUint16(0) !== 1 || view.getUint16(2) !== ETHERTYPE_IPV4 || payload[4] !== 6 || payload[5] !== 4) return undefined;
  return {
    op: view.getUint16(6),
    senderMac: formatMac(payload.subarray(8, 14)),
    senderIp: ipv4FromBytes(payload, 14),
    targetMac: formatMac(payload.subarray(18, 24)),
    targetIp: ipv4FromBytes(payload, 24),
  };
}
