// PING_CHECK's messages: the ICMP (RFC 792) and ICMPv6 (RFC 4443 4.1, 4.2) echo request it
// sends and the echo reply it waits for. The request is keepalived 2.2.7's (check_ping.c
// ping_it / ping6_it): an 8-byte header and 128 bytes of "keepalived check - " repeated
// (layer4.c set_buf). decodeIcmpEchoReply reads one received message, never throws, and says
// why it is not the awaited reply. Pure.
import { ipAddressFromBytes, type IpAddress, type IpFamily } from "../common/ip-address.ts";

export const ICMP_ECHO_REPLY = 0;
export const ICMP_ECHO_REQUEST = 8;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
export const ICMP_HEADER_LENGTH = 8;
/** check_ping.c ICMP_BUFSIZE: the data after the header. */
export const KEEPALIVED_ECHO_DATA_LENGTH = 128;

/** set_buf's 128 bytes: "keepalived check - " over and over, cut where the buffer ends. */
export function keepalivedEchoData(): Uint8Array {
  const text = "keepalived check - ";
  const out = new Uint8Array(KEEPALIVED_ECHO_DATA_LENGTH);
  for (let i = 0; i < out.length; i++) out[i] = text.charCodeAt(i % text.length);
  return out;
}

export interface EchoRequest {
  family: IpFamily;
  /** The identifier; a ping socket's kernel puts its own there (the socket's "port"). */
  id: number;
  sequence: number;
  data: Uint8Array;
}

/** RFC 1071: the ones' complement of the ones' complement sum of the 16-bit words. */
export function internetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * The request's bytes. keepalived writes the sequence in host order (a little-endian host sends
 * 1 as 0x0100) and leaves the id and checksum to the ping socket's kernel; here both are in
 * network order, and an ICMPv4 checksum is computed, so a raw socket sends the same message.
 * An ICMPv6 checksum covers the IPv6 pseudo-header, whose source only the kernel knows: it is
 * left 0 and the kernel fills it in (ICMPv6 sockets always do, RFC 3542 3.1).
 */
export function encodeIcmpEchoRequest(request: EchoRequest): Uint8Array {
  const out = new Uint8Array(ICMP_HEADER_LENGTH + request.data.length);
  out[0] = request.family === 4 ? ICMP_ECHO_REQUEST : ICMPV6_ECHO_REQUEST;
  out[4] = (request.id >>> 8) & 0xff;
  out[5] = request.id & 0xff;
  out[6] = (request.sequence >>> 8) & 0xff;
  out[7] = request.sequence & 0xff;
  out.set(request.data, ICMP_HEADER_LENGTH);
  if (request.family === 4) {
    const checksum = internetChecksum(out);
    out[2] = checksum >>> 8;
    out[3] = checksum & 0xff;
  }
  return out;
}

export interface EchoReply {
  id: number;
  sequence: number;
  data: Uint8Array;
  /** The sender, when the message came with its IPv4 header (a raw IPv4 socket). */
  source?: IpAddress;
}

export type EchoReplyDecode = { ok: true; reply: EchoReply } | { ok: false; reason: string };

export interface EchoReplyFraming {
  family: IpFamily;
  /** A raw IPv4 socket hands over the IPv4 header too; ICMPv6 and ping sockets do not. */
  withIpv4Header: boolean;
}

/** One received message as an echo reply, or why it is not one (another ICMP type, too short, a bad checksum). */
export function decodeIcmpEchoReply(bytes: Uint8Array, framing: EchoReplyFraming): EchoReplyDecode {
  let message = bytes;
  let source: IpAddress | undefined;
  if (framing.withIpv4Header) {
    if (bytes.length < 20 || bytes[0]! >>> 4 !== 4) return { ok: false, reason: `not an IPv4 datagram (${bytes.length} bytes)` };
    const headerLength = (bytes[0]! & 0x0f) * 4;
    const totalLength = (bytes[2]! << 8) | bytes[3]!;
    if (headerLength < 20 || totalLength < headerLength || totalLength > bytes.length) {
      return { ok: false, reason: `IPv4 header length ${headerLength} / total length ${totalLength} do not fit ${bytes.length} bytes` };
    }
    if (bytes[9] !== 1) return { ok: false, reason: `IPv4 protocol ${bytes[9]} is not ICMP` };
    source = ipAddressFromBytes(4, bytes, 12);
    message = bytes.subarray(headerLength, totalLength);
  }
  if (message.length < ICMP_HEADER_LENGTH) return { ok: false, reason: `short ICMP message, ${message.length} bytes` };
  const expectedType = framing.family === 4 ? ICMP_ECHO_REPLY : ICMPV6_ECHO_REPLY;
  if (message[0] !== expectedType)
    return { ok: false, reason: `ICMP${framing.family === 6 ? "v6" : ""} type ${message[0]} code ${message[1]}, not an echo reply` };
  // The kernel checks ICMPv6 sums and a ping socket's, but a raw IPv4 socket sees a datagram before ICMP does.
  if (framing.family === 4 && internetChecksum(message) !== 0) return { ok: false, reason: "ICMP checksum is wrong" };
  const reply: EchoReply = {
    id: (message[4]! << 8) | message[5]!,
    sequence: (message[6]! << 8) | message[7]!,
    data: message.subarray(ICMP_HEADER_LENGTH),
  };
  if (source) reply.source = source;
  return { ok: true, reply };
}

/**
 * Whether an echo reply answers this request: its sequence, its id unless a ping socket's kernel
 * chose the id (it then delivers only its own), and the data echoed whole. keepalived takes
 * any echo reply its ping socket gets (recv_it looks at the type only); a raw socket gets
 * every host's, so here they are told apart.
 */
export function answersEchoRequest(reply: EchoReply, request: EchoRequest, options: { checkId: boolean }): boolean {
  if (options.checkId && reply.id !== request.id) return false;
  if (reply.sequence !== request.sequence || reply.data.length !== request.data.length) return false;
  for (let i = 0; i < reply.data.length; i++) if (reply.data[i] !== request.data[i]) return false;
  return true;
}
