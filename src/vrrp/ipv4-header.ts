// IPv4 header decode/encode (RFC 791 section 3.1) for packets read from a raw protocol-112 socket.

import { internetChecksum } from "../common/checksum.ts";
import { ipv4FromBytes, ipv4ToBytes } from "../common/ipv4.ts";
import { reject, type Rejected } from "./rejection.ts";

import { IPPROTO_VRRP, VRRP_TOS, VRRP_TTL } from "../common/vrrp-wire.ts";

const IPV4_MIN_HEADER = 20;

export interface Ipv4Header {
  /** Header length in bytes: IHL x 4 (RFC 791 3.1). */
  headerLength: number;
  tos: number;
  /** Header plus payload, in bytes. */
  totalLength: number;
  identification: number;
  ttl: number;
  protocol: number;
  sourceIp: number;
  destinationIp: number;
}

export type Ipv4Decoded = { ok: true; header: Ipv4Header; payload: Uint8Array } | Rejected;

/**
 * Split a raw IPv4 packet into header and payload. Never throws. The kernel has already
 * validated what it delivers, so a rejection here means a bug or a hostile sender on the
 * box, not a LAN problem; the header checksum is still verified because the encoder
 * beside it must agree with the kernel's.
 */
export function decodeIpv4(bytes: Uint8Array): Ipv4Decoded {
  if (bytes.length < IPV4_MIN_HEADER) {
    return reject("ip_too_short", `IPv4 packet is ${bytes.length} bytes; the header alone is at least ${IPV4_MIN_HEADER}`);
  }
  const first = bytes[0] as number;
  const version = first >>> 4;
  if (version !== 4) return reject("ip_version", `IP version is ${version}; must be 4`);
  const headerLength = (first & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER || headerLength > bytes.length) {
    return reject("ip_header_length", `IPv4 header length is ${headerLength} bytes; must be 20..60 and within the ${bytes.length} bytes received`);
  }
  const totalLength = ((bytes[2] as number) << 8) | (bytes[3] as number);
  if (totalLength < headerLength || totalLength > bytes.length) {
    return reject("ip_total_length", `IPv4 total length is ${totalLength}; ${bytes.length} bytes were received with a ${headerLength}-byte header`);
  }
  // The checksum field is part of the sum, so a correct header sums to 0xffff (RFC 1071).
  const header = bytes.subarray(0, headerLength);
  if (internetChecksum(header) !== 0) {
    return reject("ip_header_checksum", "IPv4 header checksum is wrong");
  }
  const protocol = bytes[9] as number;
  if (protocol !== IPPROTO_VRRP) return reject("ip_protocol", `IP protocol is ${protocol}; VRRP is ${IPPROTO_VRRP}`);
  return {
    ok: true,
    header: {
      headerLength,
      tos: bytes[1] as number,
      totalLength,
      identification: ((bytes[4] as number) << 8) | (bytes[5] as number),
      ttl: bytes[8] as number,
      protocol,
      sourceIp: ipv4FromBytes(bytes, 12),
      destinationIp: ipv4FromBytes(bytes, 16),
    },
    // Trailing bytes past Total Length are link padding, not payload.
    payload: bytes.subarray(headerLength, totalLength),
  };
}

export interface Ipv4PacketFields {
  sourceIp: number;
  destinationIp: number;
  ttl?: number;
  tos?: number;
  identification?: number;
  protocol?: number;
}

/**
 * A whole IPv4 packet (20-byte header, no options, DF clear, like keepalived sends) around
 * a payload. The kernel builds the real header; this is for tests and fixtures.
 */
export function encodeIpv4Packet(fields: Ipv4PacketFields, payload: Uint8Array): Uint8Array {
  const totalLength = IPV4_MIN_HEADER + payload.length;
  if (totalLength > 0xffff) throw new RangeError(`IPv4 packet of ${totalLength} bytes exceeds 65535`);
  const packet = new Uint8Array(totalLength);
  packet[0] = 0x45; // version 4, IHL 5
  packet[1] = fields.tos ?? VRRP_TOS;
  packet[2] = totalLength >>> 8;
  packet[3] = totalLength & 0xff;
  const identification = fields.identification ?? 0;
  packet[4] = (identification >>> 8) & 0xff;
  packet[5] = identification & 0xff;
  packet[8] = fields.ttl ?? VRRP_TTL;
  packet[9] = fields.protocol ?? IPPROTO_VRRP;
  packet.set(ipv4ToBytes(fields.sourceIp), 12);
  packet.set(ipv4ToBytes(fields.destinationIp), 16);
  const checksum = internetChecksum(packet.subarray(0, IPV4_MIN_HEADER));
  packet[10] = checksum >>> 8;
  packet[11] = checksum & 0xff;
  packet.set(payload, IPV4_MIN_HEADER);
  return packet;
}
