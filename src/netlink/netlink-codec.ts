// Netlink message and attribute codec (<linux/netlink.h>, RFC 3549): headers, TLV
// attributes with 4-byte alignment, nesting, multi-part dumps and error/ack payloads.
// Pure and protocol-neutral: rtnetlink and generic netlink (IPVS) both build on it.

// <linux/netlink.h> message types
export const NLMSG_NOOP = 0x1;
export const NLMSG_ERROR = 0x2;
export const NLMSG_DONE = 0x3;
export const NLMSG_OVERRUN = 0x4;
/** Types below this are control messages; protocol families start here. */
export const NLMSG_MIN_TYPE = 0x10;

// <linux/netlink.h> flags
export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_ECHO = 0x08;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP_FILTERED = 0x20;
// Modifiers to GET requests
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_ATOMIC = 0x400;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
// Modifiers to NEW requests
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;
// Flags of NLMSG_ERROR acks
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;

// <linux/netlink.h> enum nlmsgerr_attrs (extended ack, NETLINK_EXT_ACK)
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;

// <linux/netlink.h> attribute header
export const NLA_F_NESTED = 1 << 15;
export const NLA_F_NET_BYTEORDER = 1 << 14;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

export const NLMSG_ALIGNTO = 4;
export const NLMSG_HDRLEN = 16;
export const NLA_HDRLEN = 4;

export const nlmsgAlign = (length: number): number => (length + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1);
export const nlaAlign = nlmsgAlign;

/** struct nlmsghdr, host (little) endian. */
export interface NetlinkHeader {
  length: number;
  type: number;
  flags: number;
  seq: number;
  /** Port id of the sender: 0 for the kernel. */
  pid: number;
}

export interface NetlinkMessage {
  header: NetlinkHeader;
  /** The bytes after the 16-byte header, up to nlmsg_len (not the padding). */
  payload: Uint8Array;
}

/** Why a decoder refused its input (it never throws on bytes from the kernel). */
export interface Rejection {
  rejected: string;
}

export interface NetlinkAttribute {
  type: number;
  nested: boolean;
  netByteOrder: boolean;
  data: Uint8Array;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A whole message: header with nlmsg_len filled in, payload, and padding to 4 bytes. */
export function encodeMessage(header: { type: number; flags: number; seq: number; pid?: number }, payload: Uint8Array): Uint8Array {
  const length = NLMSG_HDRLEN + payload.length;
  const bytes = new Uint8Array(nlmsgAlign(length));
  const view = viewOf(bytes);
  view.setUint32(0, length, true);
  view.setUint16(4, header.type, true);
  view.setUint16(6, header.flags, true);
  view.setUint32(8, header.seq >>> 0, true);
  view.setUint32(12, (header.pid ?? 0) >>> 0, true);
  bytes.set(payload, NLMSG_HDRLEN);
  return bytes;
}

export function decodeHeader(bytes: Uint8Array, offset = 0): NetlinkHeader {
  const view = viewOf(bytes);
  return {
    length: view.getUint32(offset, true),
    type: view.getUint16(offset + 4, true),
    flags: view.getUint16(offset + 6, true),
    seq: view.getUint32(offset + 8, true),
    pid: view.getUint32(offset + 12, true),
  };
}

export interface DecodedMessages {
  messages: NetlinkMessage[];
  /** Why decoding stopped early (truncated or malformed bytes), if it did. */
  problem?: string;
}

/**
 * All messages in a buffer: one datagram, or several concatenated (each is a run of
 * 4-aligned messages, so concatenation keeps the framing). Never throws.
 */
export function decodeMessages(buffer: Uint8Array): DecodedMessages {
  const messages: NetlinkMessage[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const remaining = buffer.length - offset;
    if (remaining < NLMSG_HDRLEN) {
      return { messages, problem: `${remaining} trailing bytes at offset ${offset}: shorter than a netlink header` };
    }
    const header = decodeHeader(buffer, offset);
    if (header.length < NLMSG_HDRLEN || header.length > remaining) {
      return { messages, problem: `message at offset ${offset} has nlmsg_len ${header.length} with ${remaining} bytes left` };
    }
    messages.push({ header, payload: buffer.subarray(offset + NLMSG_HDRLEN, offset + header.length) });
    offset += Math.min(nlmsgAlign(header.length), remaining);
  }
  return { messages };
}

export function encodeAttribute(type: number, data: Uint8Array): Uint8Array {
  const length = NLA_HDRLEN + data.length;
  const bytes = new Uint8Array(nlaAlign(length));
  const view = viewOf(bytes);
  view.setUint16(0, length, true);
  view.setUint16(2, type, true);
  bytes.set(data, NLA_HDRLEN);
  return bytes;
}

/**
 * A nest of attributes. Requests set NLA_F_NESTED (libnl does, strict kernel parsers want it);
 * the kernel's own replies often leave it off (nla_nest_start_noflag): pass false to match.
 */
export function encodeNestedAttribute(type: number, children: readonly Uint8Array[], nestedFlag = true): Uint8Array {
  return encodeAttribute(nestedFlag ? type | NLA_F_NESTED : type, concatBytes(children));
}

export function attributeU8(type: number, value: number): Uint8Array {
  return encodeAttribute(type, new Uint8Array([value & 0xff]));
}

export function attributeU16(type: number, value: number): Uint8Array {
  const data = new Uint8Array(2);
  viewOf(data).setUint16(0, value, true);
  return encodeAttribute(type, data);
}

/** A 16-bit value in network byte order (ports: the kernel's nla_get_be16). */
export function attributeBe16(type: number, value: number): Uint8Array {
  const data = new Uint8Array(2);
  viewOf(data).setUint16(0, value, false);
  return encodeAttribute(type, data);
}

/** A 32-bit value in network byte order (IPv4 netmasks the kernel keeps as __be32). */
export function attributeBe32(type: number, value: number): Uint8Array {
  const data = new Uint8Array(4);
  viewOf(data).setUint32(0, value >>> 0, false);
  return encodeAttribute(type, data);
}

export function attributeU32(type: number, value: number): Uint8Array {
  const data = new Uint8Array(4);
  viewOf(data).setUint32(0, value >>> 0, true);
  return encodeAttribute(type, data);
}

/** NLA_U64; exact up to 2^53, which counters reach only after petabytes. */
export function attributeU64(type: number, value: number): Uint8Array {
  const data = new Uint8Array(8);
  viewOf(data).setBigUint64(0, BigInt(Math.max(0, Math.trunc(value))), true);
  return encodeAttribute(type, data);
}

/** An IPv4 address (network byte order, as IFA_LOCAL and friends carry it). */
export function attributeIpv4(type: number, address: number): Uint8Array {
  const data = new Uint8Array(4);
  viewOf(data).setUint32(0, address >>> 0, false);
  return encodeAttribute(type, data);
}

/** A NUL-terminated string attribute (NLA_NUL_STRING / NLA_STRING both accept this). */
export function attributeString(type: number, value: string): Uint8Array {
  const text = new TextEncoder().encode(value);
  const data = new Uint8Array(text.length + 1);
  data.set(text);
  return encodeAttribute(type, data);
}

/** Attributes in a run of TLVs; stops quietly at the first malformed one. Never throws. */
export function decodeAttributes(bytes: Uint8Array): NetlinkAttribute[] {
  const attributes: NetlinkAttribute[] = [];
  const view = viewOf(bytes);
  let offset = 0;
  while (offset + NLA_HDRLEN <= bytes.length) {
    const length = view.getUint16(offset, true);
    const rawType = view.getUint16(offset + 2, true);
    if (length < NLA_HDRLEN || offset + length > bytes.length) break;
    attributes.push({
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      netByteOrder: (rawType & NLA_F_NET_BYTEORDER) !== 0,
      data: bytes.subarray(offset + NLA_HDRLEN, offset + length),
    });
    offset += nlaAlign(length);
  }
  return attributes;
}

/** type -> data; the first occurrence wins (the kernel never repeats the ones we read). */
export function attributeMap(attributes: readonly NetlinkAttribute[]): Map<number, Uint8Array> {
  const map = new Map<number, Uint8Array>();
  for (const attribute of attributes) if (!map.has(attribute.type)) map.set(attribute.type, attribute.data);
  return map;
}

/** The attributes inside a nest, by type (see attributeMap). */
export function nestedAttributeMap(data: Uint8Array): Map<number, Uint8Array> {
  return attributeMap(decodeAttributes(data));
}

export function readU8(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 1 ? (data[0] as number) : undefined;
}

export function readU16(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 2 ? viewOf(data).getUint16(0, true) : undefined;
}

export function readBe16(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 2 ? viewOf(data).getUint16(0, false) : undefined;
}

export function readBe32(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 4 ? viewOf(data).getUint32(0, false) : undefined;
}

/** NLA_U64 as a number: exact below 2^53 (see attributeU64). */
export function readU64(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 8 ? Number(viewOf(data).getBigUint64(0, true)) : undefined;
}

/** A u32 or a u64, by the attribute's length: counters the kernel sends in either width. */
export function readUnsigned(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 8 ? readU64(data) : readU32(data);
}

export function readU32(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 4 ? viewOf(data).getUint32(0, true) : undefined;
}

export function readIpv4(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 4 ? viewOf(data).getUint32(0, false) : undefined;
}

/** A string attribute without its NUL terminator (and anything after it). */
export function readString(data: Uint8Array | undefined): string | undefined {
  if (!data) return undefined;
  const nul = data.indexOf(0);
  return new TextDecoder().decode(nul >= 0 ? data.subarray(0, nul) : data);
}

/** struct nlmsgerr plus extended-ack attributes: what the kernel said about a request. */
export interface NetlinkAck {
  /** 0 for success, else a positive errno. */
  errno: number;
  /** The header of the request this answers (always present, even when capped). */
  request?: NetlinkHeader;
  /** NLMSGERR_ATTR_MSG: the kernel's human explanation ("Invalid prefix length" ...). */
  message?: string;
  /** NLMSGERR_ATTR_OFFS: byte offset of the offending attribute in the request. */
  offendingOffset?: number;
}

/**
 * Decodes an NLMSG_ERROR payload: int error (negative errno, 0 = ack), the original request
 * header (plus its payload unless NLM_F_CAPPED), then TLVs if NLM_F_ACK_TLVS.
 */
export function decodeAck(message: NetlinkMessage): NetlinkAck | undefined {
  const { payload, header } = message;
  if (payload.length < 4) return undefined;
  const error = viewOf(payload).getInt32(0, true);
  const ack: NetlinkAck = { errno: error === 0 ? 0 : -error }; // not -0
  if (payload.length < 4 + NLMSG_HDRLEN) return ack;
  ack.request = decodeHeader(payload, 4);
  if (header.flags & NLM_F_ACK_TLVS) {
    const echoed = header.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : nlmsgAlign(ack.request.length);
    const tlvStart = 4 + echoed;
    if (tlvStart <= payload.length) {
      const tlvs = attributeMap(decodeAttributes(payload.subarray(tlvStart)));
      ack.message = readString(tlvs.get(NLMSGERR_ATTR_MSG));
      ack.offendingOffset = readU32(tlvs.get(NLMSGERR_ATTR_OFFS));
    }
  }
  return ack;
}

/** The int in an NLMSG_DONE payload: a negative errno if the dump failed part-way. */
export function decodeDoneErrno(message: NetlinkMessage): number {
  const error = message.payload.length >= 4 ? viewOf(message.payload).getInt32(0, true) : 0;
  return error === 0 ? 0 : -error;
}
