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

// Fixed-width integers are read and written byte by byte: a DataView per value (and reading
// `.buffer`, which makes the engine give a small typed array its own ArrayBuffer) cost more
// than the rest of an IPVS request's encoding together, and the director encodes and
// decodes tens of thousands of messages in a pass.

/** Little-endian u16 at `offset`. */
export function putU16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
}

/** Little-endian u32 at `offset`. */
export function putU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}

/** Big-endian (network order) u16 at `offset`. */
export function putBe16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >>> 8) & 0xff;
  bytes[offset + 1] = value & 0xff;
}

/** Big-endian (network order) u32 at `offset`. */
export function putBe32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >>> 24) & 0xff;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}

export const getU16 = (bytes: Uint8Array, offset: number): number => bytes[offset]! | (bytes[offset + 1]! << 8);
export const getU32 = (bytes: Uint8Array, offset: number): number =>
  (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
export const getBe16 = (bytes: Uint8Array, offset: number): number => (bytes[offset]! << 8) | bytes[offset + 1]!;
export const getBe32 = (bytes: Uint8Array, offset: number): number =>
  ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
export const getI32 = (bytes: Uint8Array, offset: number): number => getU32(bytes, offset) | 0;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

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
  putU32(bytes, 0, length);
  putU16(bytes, 4, header.type);
  putU16(bytes, 6, header.flags);
  putU32(bytes, 8, header.seq >>> 0);
  putU32(bytes, 12, (header.pid ?? 0) >>> 0);
  bytes.set(payload, NLMSG_HDRLEN);
  return bytes;
}

export function decodeHeader(bytes: Uint8Array, offset = 0): NetlinkHeader {
  if (offset < 0 || offset + NLMSG_HDRLEN > bytes.length) throw new RangeError(`a netlink header at offset ${offset} needs 16 bytes of ${bytes.length}`);
  return {
    length: getU32(bytes, offset),
    type: getU16(bytes, offset + 4),
    flags: getU16(bytes, offset + 6),
    seq: getU32(bytes, offset + 8),
    pid: getU32(bytes, offset + 12),
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
  const problem = walkMessages(buffer, (offset) => messages.push(messageAt(buffer, offset)));
  return problem === undefined ? { messages } : { messages, problem };
}

/**
 * The framing of decodeMessages without its objects: `visit` gets each message's offset (its
 * nlmsg_len checked), and the result is why the walk stopped early, if it did. For a reader
 * that needs few of the messages as objects, such as the thousands of plain acks of a batch.
 */
export function walkMessages(buffer: Uint8Array, visit: (offset: number) => void): string | undefined {
  let offset = 0;
  while (offset < buffer.length) {
    const remaining = buffer.length - offset;
    if (remaining < NLMSG_HDRLEN) return `${remaining} trailing bytes at offset ${offset}: shorter than a netlink header`;
    const length = getU32(buffer, offset);
    if (length < NLMSG_HDRLEN || length > remaining) return `message at offset ${offset} has nlmsg_len ${length} with ${remaining} bytes left`;
    visit(offset);
    offset += Math.min(nlmsgAlign(length), remaining);
  }
  return undefined;
}

/** The message at `offset` of a walked buffer, its payload a view of the buffer. */
export function messageAt(buffer: Uint8Array, offset: number): NetlinkMessage {
  const header = decodeHeader(buffer, offset);
  return { header, payload: buffer.subarray(offset + NLMSG_HDRLEN, offset + header.length) };
}

export function encodeAttribute(type: number, data: Uint8Array): Uint8Array {
  const bytes = attributeOfLength(type, data.length);
  bytes.set(data, NLA_HDRLEN);
  return bytes;
}

/** An attribute's bytes with its header written and `dataLength` zero bytes of data after it. */
function attributeOfLength(type: number, dataLength: number): Uint8Array {
  const length = NLA_HDRLEN + dataLength;
  const bytes = new Uint8Array(nlaAlign(length));
  putU16(bytes, 0, length);
  putU16(bytes, 2, type);
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
  const bytes = attributeOfLength(type, 1);
  bytes[NLA_HDRLEN] = value & 0xff;
  return bytes;
}

export function attributeU16(type: number, value: number): Uint8Array {
  const bytes = attributeOfLength(type, 2);
  putU16(bytes, NLA_HDRLEN, value);
  return bytes;
}

/** A 16-bit value in network byte order (ports: the kernel's nla_get_be16). */
export function attributeBe16(type: number, value: number): Uint8Array {
  const bytes = attributeOfLength(type, 2);
  putBe16(bytes, NLA_HDRLEN, value);
  return bytes;
}

/** A 32-bit value in network byte order (IPv4 netmasks the kernel keeps as __be32). */
export function attributeBe32(type: number, value: number): Uint8Array {
  const bytes = attributeOfLength(type, 4);
  putBe32(bytes, NLA_HDRLEN, value >>> 0);
  return bytes;
}

export function attributeU32(type: number, value: number): Uint8Array {
  const bytes = attributeOfLength(type, 4);
  putU32(bytes, NLA_HDRLEN, value >>> 0);
  return bytes;
}

/** NLA_U64; exact up to 2^53, which counters reach only after petabytes. */
export function attributeU64(type: number, value: number): Uint8Array {
  const bytes = attributeOfLength(type, 8);
  const whole = Math.max(0, Math.trunc(value));
  putU32(bytes, NLA_HDRLEN, whole % 2 ** 32);
  putU32(bytes, NLA_HDRLEN + 4, Math.floor(whole / 2 ** 32));
  return bytes;
}

/** An IPv4 address (network byte order, as IFA_LOCAL and friends carry it). */
export function attributeIpv4(type: number, address: number): Uint8Array {
  const bytes = attributeOfLength(type, 4);
  putBe32(bytes, NLA_HDRLEN, address >>> 0);
  return bytes;
}

/** A NUL-terminated string attribute (NLA_NUL_STRING / NLA_STRING both accept this). */
export function attributeString(type: number, value: string): Uint8Array {
  const text = textEncoder.encode(value);
  const bytes = attributeOfLength(type, text.length + 1);
  bytes.set(text, NLA_HDRLEN);
  return bytes;
}

/** Attributes in a run of TLVs; stops quietly at the first malformed one. Never throws. */
export function decodeAttributes(bytes: Uint8Array): NetlinkAttribute[] {
  const attributes: NetlinkAttribute[] = [];
  let offset = 0;
  while (offset + NLA_HDRLEN <= bytes.length) {
    const length = getU16(bytes, offset);
    const rawType = getU16(bytes, offset + 2);
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

/**
 * The attributes inside a nest, by type (see attributeMap), read in one walk: a dump of tens of
 * thousands of destinations reads a few hundred thousand attributes, and an object for each on
 * the way to the map cost as much as the rest of the decoding.
 */
export function nestedAttributeMap(data: Uint8Array): Map<number, Uint8Array> {
  const map = new Map<number, Uint8Array>();
  let offset = 0;
  while (offset + NLA_HDRLEN <= data.length) {
    const length = getU16(data, offset);
    if (length < NLA_HDRLEN || offset + length > data.length) break;
    const type = getU16(data, offset + 2) & NLA_TYPE_MASK;
    if (!map.has(type)) map.set(type, data.subarray(offset + NLA_HDRLEN, offset + length));
    offset += nlaAlign(length);
  }
  return map;
}

export function readU8(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 1 ? (data[0] as number) : undefined;
}

export function readU16(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 2 ? getU16(data, 0) : undefined;
}

export function readBe16(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 2 ? getBe16(data, 0) : undefined;
}

export function readBe32(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 4 ? getBe32(data, 0) : undefined;
}

/** NLA_U64 as a number: exact below 2^53 (see attributeU64). */
export function readU64(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 8 ? getU32(data, 4) * 2 ** 32 + getU32(data, 0) : undefined;
}

/** A u32 or a u64, by the attribute's length: counters the kernel sends in either width. */
export function readUnsigned(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 8 ? readU64(data) : readU32(data);
}

export function readU32(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 4 ? getU32(data, 0) : undefined;
}

export function readIpv4(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 4 ? getBe32(data, 0) : undefined;
}

/** A string attribute without its NUL terminator (and anything after it). */
export function readString(data: Uint8Array | undefined): string | undefined {
  if (!data) return undefined;
  const nul = data.indexOf(0);
  return textDecoder.decode(nul >= 0 ? data.subarray(0, nul) : data);
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
  const error = getI32(payload, 0);
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
  const error = message.payload.length >= 4 ? getI32(message.payload, 0) : 0;
  return error === 0 ? 0 : -error;
}
