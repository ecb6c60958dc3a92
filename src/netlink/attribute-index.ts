// The attributes of one TLV run (a message's, or a nest's) by type, read in one walk that keeps
// only where each one's data starts and ends. The readers take the value straight from the
// message's bytes: a dump of tens of thousands of destinations reads a few hundred thousand
// attributes, and a map with a subarray for each cost more than the rest of the decoding.
// Same rules as nestedAttributeMap and the read* helpers of netlink-codec. Pure.
import { ipAddressFromBytes, type IpAddress, type IpFamily } from "../common/ip-address.ts";
import { getBe16, getBe32, getU16, getU32, NLA_HDRLEN, NLA_TYPE_MASK, nlaAlign } from "./netlink-codec.ts";

const textDecoder = new TextDecoder();

export class AttributeIndex {
  /** Indexed by type: [2 * type] where the first attribute of that type's data starts, [2 * type + 1] where it ends. */
  private readonly bounds: number[] = [];

  /** The TLVs in bytes[start, end); the walk stops quietly at the first malformed one (never throws). */
  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    end = bytes.length,
  ) {
    let offset = start;
    while (offset + NLA_HDRLEN <= end) {
      const length = getU16(bytes, offset);
      if (length < NLA_HDRLEN || offset + length > end) break;
      const type = getU16(bytes, offset + 2) & NLA_TYPE_MASK;
      // The first occurrence wins (the kernel never repeats the ones we read).
      if (this.bounds[2 * type] === undefined) {
        this.bounds[2 * type] = offset + NLA_HDRLEN;
        this.bounds[2 * type + 1] = offset + length;
      }
      offset += nlaAlign(length);
    }
  }

  has(type: number): boolean {
    return this.bounds[2 * type] !== undefined;
  }

  /** The data's length; undefined when the attribute is absent. */
  size(type: number): number | undefined {
    const start = this.bounds[2 * type];
    return start === undefined ? undefined : this.bounds[2 * type + 1]! - start;
  }

  /** The data as a view of the message's bytes (no copy), as attributeMap's get gives it. */
  get(type: number): Uint8Array | undefined {
    const start = this.bounds[2 * type];
    return start === undefined ? undefined : this.bytes.subarray(start, this.bounds[2 * type + 1]);
  }

  /** The attributes inside a nest. */
  nest(type: number): AttributeIndex | undefined {
    const start = this.bounds[2 * type];
    return start === undefined ? undefined : new AttributeIndex(this.bytes, start, this.bounds[2 * type + 1]);
  }

  u8(type: number): number | undefined {
    const start = this.startOf(type, 1);
    return start === undefined ? undefined : this.bytes[start]!;
  }

  u16(type: number): number | undefined {
    const start = this.startOf(type, 2);
    return start === undefined ? undefined : getU16(this.bytes, start);
  }

  be16(type: number): number | undefined {
    const start = this.startOf(type, 2);
    return start === undefined ? undefined : getBe16(this.bytes, start);
  }

  u32(type: number): number | undefined {
    const start = this.startOf(type, 4);
    return start === undefined ? undefined : getU32(this.bytes, start);
  }

  be32(type: number): number | undefined {
    const start = this.startOf(type, 4);
    return start === undefined ? undefined : getBe32(this.bytes, start);
  }

  /** NLA_U64 as a number: exact below 2^53 (see readU64). */
  u64(type: number): number | undefined {
    const start = this.startOf(type, 8);
    return start === undefined ? undefined : getU32(this.bytes, start + 4) * 2 ** 32 + getU32(this.bytes, start);
  }

  /** A u32 or a u64, by the attribute's length: counters the kernel sends in either width (see readUnsigned). */
  unsigned(type: number): number | undefined {
    return (this.size(type) ?? 0) >= 8 ? this.u64(type) : this.u32(type);
  }

  /** A string without its NUL terminator (and anything after it). */
  string(type: number): string | undefined {
    const data = this.get(type);
    if (!data) return undefined;
    const nul = data.indexOf(0);
    return textDecoder.decode(nul >= 0 ? data.subarray(0, nul) : data);
  }

  /** An address of `family` at the data's start; undefined when absent or too short for it. */
  address(type: number, family: IpFamily): IpAddress | undefined {
    const start = this.startOf(type, family === 4 ? 4 : 16);
    return start === undefined ? undefined : ipAddressFromBytes(family, this.bytes, start);
  }

  /** Where the data starts if it holds at least `minLength` bytes. */
  private startOf(type: number, minLength: number): number | undefined {
    const start = this.bounds[2 * type];
    return start !== undefined && this.bounds[2 * type + 1]! - start >= minLength ? start : undefined;
  }
}
