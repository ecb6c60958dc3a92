// A minimal DER encoder (ITU-T X.690 §8, §10): just the types an X.509 certificate needs.
// Every function returns the complete encoding (tag, length, contents) of one value.

/** Tag numbers of the universal class that certificates use (X.680 §8.4). */
export const DER_TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OBJECT_IDENTIFIER: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** X.690 §8.1.3 / §10.1: short form below 128, else 0x80|n followed by n big-endian bytes, minimal. */
export function encodeLength(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`DER length must be a non-negative integer, got ${length}`);
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One tag-length-value; `tag` is the whole identifier octet (class, constructed bit, number < 31). */
export function tlv(tag: number, contents: Uint8Array): Uint8Array {
  return concatBytes([Uint8Array.of(tag), encodeLength(contents.length), contents]);
}

export function sequence(...items: Uint8Array[]): Uint8Array {
  return tlv(DER_TAG.SEQUENCE, concatBytes(items));
}

/** SET OF: DER (§11.6) wants the encodings in ascending order; sorting here keeps callers honest. */
export function setOf(...items: Uint8Array[]): Uint8Array {
  return tlv(DER_TAG.SET, concatBytes([...items].sort(compareBytes)));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function boolean(value: boolean): Uint8Array {
  return tlv(DER_TAG.BOOLEAN, Uint8Array.of(value ? 0xff : 0x00));
}

/**
 * A non-negative INTEGER from a bigint or unsigned big-endian bytes: two's complement, so a
 * leading 0x00 is added when the top bit is set, and redundant leading zeros are dropped (§8.3.2).
 */
export function integer(value: bigint | number | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  if (value instanceof Uint8Array) bytes = value;
  else {
    let rest = BigInt(value);
    if (rest < 0n) throw new RangeError("this DER encoder only writes non-negative INTEGERs");
    const list: number[] = [];
    for (; rest > 0n; rest >>= 8n) list.unshift(Number(rest & 0xffn));
    bytes = Uint8Array.from(list);
  }
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && (bytes[start + 1]! & 0x80) === 0) start++;
  let contents = bytes.length === 0 ? Uint8Array.of(0) : bytes.subarray(start);
  if (contents[0]! & 0x80) contents = concatBytes([Uint8Array.of(0), contents]);
  return tlv(DER_TAG.INTEGER, contents);
}

/** BIT STRING of whole bytes, or with `unusedBits` trailing zero bits in the last byte (§8.6). */
export function bitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
  if (unusedBits < 0 || unusedBits > 7 || (unusedBits > 0 && bytes.length === 0)) throw new RangeError(`bad unused-bit count ${unusedBits}`);
  return tlv(DER_TAG.BIT_STRING, concatBytes([Uint8Array.of(unusedBits), bytes]));
}

export function octetString(bytes: Uint8Array): Uint8Array {
  return tlv(DER_TAG.OCTET_STRING, bytes);
}

/** OBJECT IDENTIFIER from dotted text (§8.19): first two arcs as 40*X+Y, then base-128 arcs. */
export function objectIdentifier(dotted: string): Uint8Array {
  if (!/^[0-2](\.(0|[1-9][0-9]*))+$/.test(dotted)) throw new RangeError(`not a dotted object identifier: "${dotted}"`);
  const arcs = dotted.split(".").map((arc) => BigInt(arc));
  if (arcs[0]! < 2n && arcs[1]! > 39n) throw new RangeError(`second arc of ${dotted} must be below 40`);
  const out: number[] = [];
  for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const groups: number[] = [Number(arc & 0x7fn)];
    for (let rest = arc >> 7n; rest > 0n; rest >>= 7n) groups.unshift(Number(rest & 0x7fn) | 0x80);
    out.push(...groups);
  }
  return tlv(DER_TAG.OBJECT_IDENTIFIER, Uint8Array.from(out));
}

export function utf8String(text: string): Uint8Array {
  return tlv(DER_TAG.UTF8_STRING, new TextEncoder().encode(text));
}

/** IA5String's contents are 7-bit ASCII; anything else would be silently mangled, so it is refused. */
export function ia5Contents(text: string): Uint8Array {
  if (!/^[\x00-\x7f]*$/.test(text)) throw new RangeError(`"${text}" is not ASCII (IA5String)`);
  return new TextEncoder().encode(text);
}

/** Context-specific tag [n]: EXPLICIT wraps a whole encoding (constructed), IMPLICIT replaces the tag. */
export function contextExplicit(tagNumber: number, inner: Uint8Array): Uint8Array {
  return tlv(0xa0 | tagNumber, inner);
}

export function contextImplicitPrimitive(tagNumber: number, contents: Uint8Array): Uint8Array {
  return tlv(0x80 | tagNumber, contents);
}

const pad = (value: number, width: number) => String(value).padStart(width, "0");

/** UTCTime YYMMDDHHMMSSZ (§11.8); only years 1950-2049 are representable (RFC 5280 §4.1.2.5.1). */
export function utcTime(epochMs: number): Uint8Array {
  const d = new Date(epochMs);
  const year = d.getUTCFullYear();
  if (year < 1950 || year > 2049) throw new RangeError(`UTCTime cannot hold the year ${year}`);
  const text = `${pad(year % 100, 2)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}Z`;
  return tlv(DER_TAG.UTC_TIME, new TextEncoder().encode(text));
}

/** GeneralizedTime YYYYMMDDHHMMSSZ, no fractional seconds (RFC 5280 §4.1.2.5.2). */
export function generalizedTime(epochMs: number): Uint8Array {
  const d = new Date(epochMs);
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`GeneralizedTime cannot hold the year ${year}`);
  const text = `${pad(year, 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}Z`;
  return tlv(DER_TAG.GENERALIZED_TIME, new TextEncoder().encode(text));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 (and before 1950). */
export function certificateTime(epochMs: number): Uint8Array {
  const year = new Date(epochMs).getUTCFullYear();
  return year >= 1950 && year <= 2049 ? utcTime(epochMs) : generalizedTime(epochMs);
}
