// IPv4 and MAC address helpers: parsing, formatting, comparison. Pure.

const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * Parse dotted-quad IPv4 text to an unsigned 32-bit number, or undefined if malformed: four
 * octets of one to three ASCII digits (leading zeros allowed), each at most 255. One pass over
 * the characters: a split and a regex per octet made this the top cost of encoding a table.
 */
export function parseIpv4(text: string): number | undefined {
  let value = 0;
  let octets = 0;
  let octet = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    // The end of the text closes the last octet as a dot closes the others.
    const code = i < text.length ? text.charCodeAt(i) : DOT;
    if (code === DOT) {
      if (digits === 0 || octet > 255 || ++octets > 4) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else if (code >= ZERO && code <= NINE && digits < 3) {
      octet = octet * 10 + (code - ZERO);
      digits++;
    } else return undefined;
  }
  return octets === 4 ? value >>> 0 : undefined;
}

/** A join gives a flat string; a template would give a rope, which every key later built from the address walks again. */
export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

export function ipv4ToBytes(value: number): Uint8Array {
  return new Uint8Array([value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255]);
}

export function ipv4FromBytes(bytes: Uint8Array, offset = 0): number {
  return (((bytes[offset] ?? 0) << 24) | ((bytes[offset + 1] ?? 0) << 16) | ((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0)) >>> 0;
}

/** Network mask for a prefix length 0..32. */
export function prefixToMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** Directed broadcast address of addr/prefix. */
export function broadcastOf(addr: number, prefixLength: number): number {
  return (addr | ~prefixToMask(prefixLength)) >>> 0;
}

export function isMulticastIpv4(value: number): boolean {
  return value >>> 28 === 0xe;
}

export function parseMac(text: string): Uint8Array | undefined {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return undefined;
  return new Uint8Array(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(":");
}
