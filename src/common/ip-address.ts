// IPv4 or IPv6 addresses as values: the family and the canonical text (dotted quad, or
// RFC 5952 for v6), so two equal addresses are equal strings, usable as map keys and in
// logs, and cloned across processes as they are. Bytes on demand for codecs. Pure.
import { formatIpv4, ipv4FromBytes, ipv4ToBytes, parseIpv4 } from "./ipv4.ts";

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  /** Canonical text: "10.0.0.1", "2001:db8::1". */
  readonly text: string;
}

export function ipv4Address(value: number): IpAddress {
  return { family: 4, text: formatIpv4(value) };
}

/** Dotted-quad IPv4 or any RFC 4291 text form of IPv6 (with an embedded dotted quad too); undefined if malformed. */
export function parseIpAddress(text: string): IpAddress | undefined {
  if (!text.includes(":")) {
    const v4 = parseIpv4(text);
    if (v4 === undefined) return undefined;
    // Already canonical unless an octet has a leading zero: no new string then.
    return hasLeadingZero(text) ? ipv4Address(v4) : { family: 4, text };
  }
  const bytes = parseIpv6Bytes(text);
  return bytes ? { family: 6, text: formatIpv6Bytes(bytes) } : undefined;
}

/** Dotted-quad text with an octet such as "010" or "00". */
function hasLeadingZero(text: string): boolean {
  for (let i = 0; i + 1 < text.length; i++) {
    if (text.charCodeAt(i) === 48 /* 0 */ && (i === 0 || text.charCodeAt(i - 1) === 46) /* . */ && text.charCodeAt(i + 1) !== 46) return true;
  }
  return false;
}

/** 4 or 16 bytes, network order. */
export function ipAddressBytes(address: IpAddress): Uint8Array {
  if (address.family === 4) return ipv4ToBytes(parseIpv4(address.text)!);
  return parseIpv6Bytes(address.text)!;
}

/** The address's 4 or 16 bytes into `bytes` at `offset`, without a buffer of its own (encoders write thousands). */
export function writeIpAddress(address: IpAddress, bytes: Uint8Array, offset: number): void {
  if (address.family === 4) {
    const value = parseIpv4(address.text)!;
    bytes[offset] = value >>> 24;
    bytes[offset + 1] = (value >>> 16) & 255;
    bytes[offset + 2] = (value >>> 8) & 255;
    bytes[offset + 3] = value & 255;
  } else bytes.set(parseIpv6Bytes(address.text)!, offset);
}

/** From 4 bytes (v4) or the first 16 (v6). */
export function ipAddressFromBytes(family: IpFamily, bytes: Uint8Array, offset = 0): IpAddress {
  if (family === 4) return ipv4Address(ipv4FromBytes(bytes, offset));
  return { family: 6, text: formatIpv6Bytes(bytes.subarray(offset, offset + 16)) };
}

/** The IPv4 value of a v4 address. */
export function ipv4Value(address: IpAddress): number {
  if (address.family !== 4) throw new RangeError(`${address.text} is not an IPv4 address`);
  return parseIpv4(address.text)!;
}

/** Orders by family, then numerically. */
export function compareIpAddresses(a: IpAddress, b: IpAddress): number {
  if (a.family !== b.family) return a.family - b.family;
  const x = ipAddressBytes(a);
  const y = ipAddressBytes(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/**
 * keepalived's address ranges ("10.0.0.2-9", "ae00::2-9"): the last octet (v4) or the last
 * 16-bit group (v6) runs from the address's own value to `last`. Undefined if last is below it
 * or out of range for that part.
 */
export function addressRange(first: IpAddress, last: number): IpAddress[] | undefined {
  const bytes = ipAddressBytes(first);
  const width = first.family === 4 ? 1 : 2;
  const start = width === 1 ? bytes[bytes.length - 1]! : (bytes[bytes.length - 2]! << 8) | bytes[bytes.length - 1]!;
  const max = width === 1 ? 0xff : 0xffff;
  if (!Number.isInteger(last) || last < start || last > max) return undefined;
  const out: IpAddress[] = [];
  for (let value = start; value <= last; value++) {
    const next = bytes.slice();
    if (width === 1) next[next.length - 1] = value;
    else {
      next[next.length - 2] = value >> 8;
      next[next.length - 1] = value & 0xff;
    }
    out.push(ipAddressFromBytes(first.family, next));
  }
  return out;
}

function parseIpv6Bytes(text: string): Uint8Array | undefined {
  if (text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === "") return [];
    const groups: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIpv4(piece);
        if (v4 === undefined) return undefined;
        groups.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
        groups.push(parseInt(piece, 16));
      }
    }
    return groups;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return undefined;
  // An embedded dotted quad may only end the address.
  if (halves.length === 2 && halves[0]!.includes(".")) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/** RFC 5952: lower case, no leading zeros, the longest run (first if tied) of two or more zero groups as "::". */
function formatIpv6Bytes(bytes: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}
