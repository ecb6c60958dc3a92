// Netlink messages built in place: the header, the attributes and their nests written
// straight into one buffer, each length filled in when its message or nest closes. The same
// bytes as netlink-codec's encoders (aligned TLVs, zero padding), but a request costs one
// buffer instead of one per attribute and per nest, and a copy of each into the next: the
// director encodes tens of thousands of requests in a pass. Pure.
import { writeIpAddress, type IpAddress } from "../common/ip-address.ts";
import { NLA_F_NESTED, NLA_HDRLEN, NLMSG_HDRLEN, nlaAlign, putBe16, putBe32, putU16, putU32 } from "./netlink-codec.ts";

const textEncoder = new TextEncoder();

export class NetlinkWriter {
  private buffer: Uint8Array;
  private end = 0;

  constructor(capacity = 256) {
    this.buffer = new Uint8Array(capacity);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.end;
  }

  /** Starts again from an empty buffer (keeping its memory). */
  reset(): void {
    this.end = 0;
  }

  /** A copy of the bytes from `start` (default: all of them), the writer's buffer being reused. */
  bytes(start = 0, end = this.end): Uint8Array {
    return this.buffer.slice(start, end);
  }

  /** A struct nlmsghdr with its length left for endMessage; returns where the message starts. */
  beginMessage(header: { type: number; flags: number; seq: number; pid?: number }): number {
    const start = this.claim(NLMSG_HDRLEN);
    const bytes = this.buffer;
    putU16(bytes, start + 4, header.type);
    putU16(bytes, start + 6, header.flags);
    putU32(bytes, start + 8, header.seq >>> 0);
    putU32(bytes, start + 12, (header.pid ?? 0) >>> 0);
    return start;
  }

  /** nlmsg_len is the message without its padding (as encodeMessage writes it); the padding follows. */
  endMessage(start: number): void {
    putU32(this.buffer, start, this.end - start);
    this.pad();
  }

  /** struct genlmsghdr: command, version, and the reserved u16. */
  genlHeader(cmd: number, version: number): void {
    const at = this.claim(4);
    this.buffer[at] = cmd;
    this.buffer[at + 1] = version;
    this.buffer[at + 2] = 0;
    this.buffer[at + 3] = 0;
  }

  /**
   * A nest's header, its length left for endNest; returns where it starts. Requests set
   * NLA_F_NESTED; the kernel's replies leave it off (see encodeNestedAttribute).
   */
  beginNest(type: number, nestedFlag = true): number {
    const start = this.claim(NLA_HDRLEN);
    putU16(this.buffer, start + 2, nestedFlag ? type | NLA_F_NESTED : type);
    return start;
  }

  /** Every attribute inside is padded to 4 bytes, so the nest ends aligned. */
  endNest(start: number): void {
    putU16(this.buffer, start, this.end - start);
  }

  // Each method claims its room before it reads this.buffer: a claim may replace the buffer with a bigger one.

  u8(type: number, value: number): void {
    const at = this.attribute(type, 1);
    this.buffer[at] = value & 0xff;
  }

  u16(type: number, value: number): void {
    const at = this.attribute(type, 2);
    putU16(this.buffer, at, value);
  }

  /** Network byte order (ports). */
  be16(type: number, value: number): void {
    const at = this.attribute(type, 2);
    putBe16(this.buffer, at, value);
  }

  u32(type: number, value: number): void {
    const at = this.attribute(type, 4);
    putU32(this.buffer, at, value >>> 0);
  }

  /** Network byte order (IPv4 netmasks the kernel keeps as __be32). */
  be32(type: number, value: number): void {
    const at = this.attribute(type, 4);
    putBe32(this.buffer, at, value >>> 0);
  }

  /** NLA_U64; exact up to 2^53 (see attributeU64). */
  u64(type: number, value: number): void {
    const at = this.attribute(type, 8);
    const whole = Math.max(0, Math.trunc(value));
    putU32(this.buffer, at, whole % 2 ** 32);
    putU32(this.buffer, at + 4, Math.floor(whole / 2 ** 32));
  }

  /** NUL-terminated, as attributeString. */
  string(type: number, value: string): void {
    const text = textEncoder.encode(value);
    const at = this.attribute(type, text.length + 1);
    this.buffer.set(text, at);
  }

  /** An attribute holding `data` as it is. */
  data(type: number, data: Uint8Array): void {
    const at = this.attribute(type, data.length);
    this.buffer.set(data, at);
  }

  /** An address in `size` bytes (nf_inet_addr is 16 for either family), the address first, zeros after. */
  address(type: number, address: IpAddress, size: number): void {
    const at = this.attribute(type, size);
    writeIpAddress(address, this.buffer, at);
  }

  /** Bytes encoded earlier (an attribute or a nest, aligned), copied in as they are. */
  append(bytes: Uint8Array): void {
    const at = this.claim(bytes.length);
    this.buffer.set(bytes, at);
  }

  /** An attribute header and `dataLength` zeroed bytes of data and padding; returns where the data starts. */
  private attribute(type: number, dataLength: number): number {
    const start = this.claim(nlaAlign(NLA_HDRLEN + dataLength));
    const bytes = this.buffer;
    putU16(bytes, start, NLA_HDRLEN + dataLength);
    putU16(bytes, start + 2, type);
    // A reset writer reuses its buffer, so the data and its padding are zeroed here, not at allocation.
    bytes.fill(0, start + NLA_HDRLEN, this.end);
    return start + NLA_HDRLEN;
  }

  /** Zeros up to the next 4-byte boundary. */
  private pad(): void {
    const padding = nlaAlign(this.end) - this.end;
    if (padding === 0) return;
    const at = this.claim(padding);
    this.buffer.fill(0, at, this.end);
  }

  /** Room for `count` more bytes (the buffer doubles when it must); returns where they start. */
  private claim(count: number): number {
    const start = this.end;
    const needed = start + count;
    if (needed > this.buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.buffer.length * 2));
      grown.set(this.buffer.subarray(0, start));
      this.buffer = grown;
    }
    this.end = needed;
    return start;
  }
}
