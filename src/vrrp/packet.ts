// VRRP advertisement codec for IPv4: RFC 3768 section 5 (v2) and RFC 5798 section 5 (v3).

import { internetChecksum, onesComplementSum } from "../common/checksum.ts";
import { formatIpv4, ipv4FromBytes, ipv4ToBytes } from "../common/ipv4.ts";
import { AUTH_NONE, type Advert } from "./advert.ts";
import { IPPROTO_VRRP } from "../common/vrrp-wire.ts";
import { formatHex16, reject, type Rejected } from "./rejection.ts";

/** RFC 3768 5.3.1 / RFC 5798 5.2.1. */
export const VRRP_VERSION_2 = 2;
export const VRRP_VERSION_3 = 3;
/** RFC 3768 5.3.2 / RFC 5798 5.2.2: the only packet type defined. */
export const VRRP_TYPE_ADVERTISEMENT = 1;
/** Version/Type, VRID, Priority, Count, (Auth Type, Adver Int | rsvd, Max Adver Int), Checksum. */
export const VRRP_FIXED_HEADER_LENGTH = 8;
/** RFC 3768 5.3.10: v2 carries 8 bytes of Authentication Data after the addresses. */
export const VRRP_AUTH_DATA_LENGTH = 8;
/** RFC 5798 5.2.7: Max Adver Int is a 12-bit count of centiseconds. */
export const VRRP_V3_MAX_ADVER_INT_CS = 0x0fff;

/** The addresses of the IP packet carrying the advert; v3 sums them in its checksum. */
export interface IpEndpoints {
  sourceIp: number;
  destinationIp: number;
}

/** The fixed 8-byte VRRP header as it is on the wire, before any judgement. */
export interface VrrpHeader {
  /** High nibble of byte 0 (RFC 5798 5.2.1). */
  version: number;
  /** Low nibble of byte 0 (RFC 5798 5.2.2). */
  type: number;
  vrid: number;
  priority: number;
  /** Count IP Addrs (RFC 3768 5.3.5) / Count IPvX Addr (RFC 5798 5.2.5). */
  countIpAddrs: number;
  /** v2 byte 4 (RFC 3768 5.3.6); 0 for v3, where byte 4 belongs to rsvd/Max Adver Int. */
  authType: number;
  /** v2: Adver Int in seconds (RFC 3768 5.3.7). v3: Max Adver Int in centiseconds (RFC 5798 5.2.7). */
  adverInt: number;
  checksum: number;
}

/**
 * Length of the whole VRRP message a header announces: 8 + 4 x count, plus 8 bytes of
 * auth data for v2 (keepalived's expected_vrrp_pkt_len). Any other version gets no auth
 * data so that the version check, not the length check, reports it.
 */
export function expectedVrrpLength(version: number, countIpAddrs: number): number {
  const authLength = version === VRRP_VERSION_2 ? VRRP_AUTH_DATA_LENGTH : 0;
  return VRRP_FIXED_HEADER_LENGTH + 4 * countIpAddrs + authLength;
}

/** Read the fixed header. Never throws; rejects only a payload shorter than 8 bytes. */
export function readVrrpHeader(payload: Uint8Array): { ok: true; header: VrrpHeader } | Rejected {
  if (payload.length < VRRP_FIXED_HEADER_LENGTH) {
    return reject("length", `VRRP packet is ${payload.length} bytes; the fixed header alone is ${VRRP_FIXED_HEADER_LENGTH}`);
  }
  const byte = (i: number) => payload[i] as number;
  const version = byte(0) >>> 4;
  const isV3 = version === VRRP_VERSION_3;
  return {
    ok: true,
    header: {
      version,
      type: byte(0) & 0x0f,
      vrid: byte(1),
      priority: byte(2),
      countIpAddrs: byte(3),
      authType: isV3 ? AUTH_NONE : byte(4),
      // v3: 4 reserved bits are ignored on receipt (RFC 5798 5.2.6).
      adverInt: isV3 ? ((byte(4) & 0x0f) << 8) | byte(5) : byte(5),
      checksum: (byte(6) << 8) | byte(7),
    },
  };
}

/** The message length must be exactly what Count announces (RFC 5798 7.1 "complete VRRP packet"). */
export function checkVrrpLength(payload: Uint8Array, header: VrrpHeader): Rejected | undefined {
  const expected = expectedVrrpLength(header.version, header.countIpAddrs);
  if (payload.length === expected) return undefined;
  const plural = header.countIpAddrs === 1 ? "address" : "addresses";
  const what = header.version === VRRP_VERSION_2 || header.version === VRRP_VERSION_3 ? `a v${header.version} advert` : "an advert";
  return reject(
    "length",
    `VRRP packet is too ${payload.length > expected ? "long" : "short"}: ${payload.length} bytes, but ${what} with ${header.countIpAddrs} ${plural} is ${expected}`,
  );
}

/**
 * The checksum the Checksum field should hold for this message (computed with the field
 * zeroed). v2 (RFC 3768 5.3.8) sums the VRRP message only. v3 (RFC 5798 5.2.8) prepends
 * the IPv4 pseudo-header {source, destination, 0, 112, VRRP length}, as keepalived does;
 * the v3 capture reads 0x7538 with it and would be 0x6035 without.
 */
export function computeVrrpChecksum(message: Uint8Array, version: number, ip: IpEndpoints): number {
  const zeroed = message.slice();
  if (zeroed.length >= VRRP_FIXED_HEADER_LENGTH) zeroed.fill(0, 6, 8);
  if (version !== VRRP_VERSION_3) return internetChecksum(zeroed);
  return internetChecksum(zeroed, onesComplementSum(ipv4PseudoHeader(ip, message.length)));
}

function ipv4PseudoHeader(ip: IpEndpoints, vrrpLength: number): Uint8Array {
  const pseudo = new Uint8Array(12);
  pseudo.set(ipv4ToBytes(ip.sourceIp), 0);
  pseudo.set(ipv4ToBytes(ip.destinationIp), 4);
  pseudo[9] = IPPROTO_VRRP;
  pseudo[10] = (vrrpLength >>> 8) & 0xff;
  pseudo[11] = vrrpLength & 0xff;
  return pseudo;
}

export function checkVrrpChecksum(payload: Uint8Array, header: VrrpHeader, ip: IpEndpoints): Rejected | undefined {
  const expected = computeVrrpChecksum(payload, header.version, ip);
  if (expected === header.checksum) return undefined;
  const over = header.version === VRRP_VERSION_3 ? "the IPv4 pseudo-header and the VRRP message" : "the VRRP message";
  return reject("checksum", `VRRPv${header.version} checksum is ${formatHex16(header.checksum)}; computed ${formatHex16(expected)} over ${over}`);
}

/** Build the Advert from a message whose length has been checked. */
export function advertFromMessage(payload: Uint8Array, header: VrrpHeader): Advert {
  const addresses: number[] = [];
  for (let i = 0; i < header.countIpAddrs; i++) addresses.push(ipv4FromBytes(payload, VRRP_FIXED_HEADER_LENGTH + 4 * i));
  const isV2 = header.version === VRRP_VERSION_2;
  const authStart = VRRP_FIXED_HEADER_LENGTH + 4 * header.countIpAddrs;
  return {
    version: isV2 ? VRRP_VERSION_2 : VRRP_VERSION_3,
    vrid: header.vrid,
    priority: header.priority,
    // v2 Adver Int is whole seconds; the engine works in centiseconds throughout.
    advertIntervalCs: isV2 ? header.adverInt * 100 : header.adverInt,
    addresses,
    authType: header.authType,
    authData: isV2 ? payload.slice(authStart, authStart + VRRP_AUTH_DATA_LENGTH) : new Uint8Array(0),
  };
}

export type AdvertDecoded = { ok: true; advert: Advert } | Rejected;

/**
 * Decode a VRRP payload on its own terms (no instance configuration): known version,
 * advertisement type, exact length, correct checksum. Never throws. receive-checks.ts runs
 * the same steps in keepalived's order, against an instance.
 */
export function decodeAdvert(payload: Uint8Array, ip: IpEndpoints): AdvertDecoded {
  const read = readVrrpHeader(payload);
  if (!read.ok) return read;
  const { header } = read;
  if (header.version !== VRRP_VERSION_2 && header.version !== VRRP_VERSION_3) {
    return reject("version", `VRRP version is ${header.version}; only 2 and 3 exist`);
  }
  const badLength = checkVrrpLength(payload, header);
  if (badLength) return badLength;
  if (header.type !== VRRP_TYPE_ADVERTISEMENT) {
    return reject("type", `VRRP packet type is ${header.type}; only 1 (advertisement) is defined`);
  }
  const badChecksum = checkVrrpChecksum(payload, header, ip);
  if (badChecksum) return badChecksum;
  return { ok: true, advert: advertFromMessage(payload, header) };
}

/** Everything that would make `encodeAdvert` write a packet no peer accepts; empty if none. */
export function validateAdvert(advert: Advert): string[] {
  const problems: string[] = [];
  const isByte = (n: number) => Number.isInteger(n) && n >= 0 && n <= 255;
  if (advert.version !== VRRP_VERSION_2 && advert.version !== VRRP_VERSION_3) problems.push(`version ${advert.version} is not 2 or 3`);
  if (!isByte(advert.vrid) || advert.vrid === 0) problems.push(`VRID ${advert.vrid} is not 1..255`);
  if (!isByte(advert.priority)) problems.push(`priority ${advert.priority} is not 0..255`);
  if (advert.addresses.length > 255) problems.push(`${advert.addresses.length} addresses exceed the 8-bit Count field`);
  for (const address of advert.addresses) {
    if (!Number.isInteger(address) || address < 0 || address > 0xffffffff) problems.push(`address ${address} is not an unsigned 32-bit IPv4 number`);
  }
  const cs = advert.advertIntervalCs;
  if (advert.version === VRRP_VERSION_2) {
    // RFC 3768 5.3.7: Adver Int is an 8-bit count of whole seconds.
    if (!Number.isInteger(cs / 100) || cs < 100 || cs > 25500) problems.push(`v2 advert interval ${cs} cs is not a whole number of seconds 1..255`);
    if (!isByte(advert.authType)) problems.push(`auth type ${advert.authType} is not 0..255`);
    if (advert.authData.length > VRRP_AUTH_DATA_LENGTH) problems.push(`auth data is ${advert.authData.length} bytes; v2 carries ${VRRP_AUTH_DATA_LENGTH}`);
  } else if (!Number.isInteger(cs) || cs < 1 || cs > VRRP_V3_MAX_ADVER_INT_CS) {
    problems.push(`v3 advert interval ${cs} cs is not 1..${VRRP_V3_MAX_ADVER_INT_CS}`);
  }
  return problems;
}

/**
 * The VRRP message (the IP payload; the kernel adds the IP header). Throws RangeError on
 * an Advert `validateAdvert` faults: that is a bug or an unvalidated config, not wire input.
 */
export function encodeAdvert(advert: Advert, ip: IpEndpoints): Uint8Array {
  const problems = validateAdvert(advert);
  if (problems.length > 0) throw new RangeError(`cannot encode VRRP advert: ${problems.join("; ")}`);
  const isV2 = advert.version === VRRP_VERSION_2;
  const message = new Uint8Array(expectedVrrpLength(advert.version, advert.addresses.length));
  message[0] = (advert.version << 4) | VRRP_TYPE_ADVERTISEMENT;
  message[1] = advert.vrid;
  message[2] = advert.priority;
  message[3] = advert.addresses.length;
  if (isV2) {
    message[4] = advert.authType;
    message[5] = advert.advertIntervalCs / 100;
  } else {
    // RFC 5798 5.2.6: the 4 rsvd bits stay zero.
    message[4] = (advert.advertIntervalCs >>> 8) & 0x0f;
    message[5] = advert.advertIntervalCs & 0xff;
  }
  advert.addresses.forEach((address, i) => message.set(ipv4ToBytes(address), VRRP_FIXED_HEADER_LENGTH + 4 * i));
  // Shorter auth data is NUL padded, as keepalived pads the password.
  if (isV2) message.set(advert.authData, VRRP_FIXED_HEADER_LENGTH + 4 * advert.addresses.length);
  const checksum = computeVrrpChecksum(message, advert.version, ip);
  message[6] = checksum >>> 8;
  message[7] = checksum & 0xff;
  return message;
}

/**
 * RFC 3768 5.3.10 simple text password: at most 8 bytes, NUL padded. Longer passwords are
 * cut to 8 bytes, as keepalived's auth_pass does, so both ends compare the same bytes.
 */
export function passwordAuthData(password: string): Uint8Array {
  const data = new Uint8Array(VRRP_AUTH_DATA_LENGTH);
  data.set(new TextEncoder().encode(password).subarray(0, VRRP_AUTH_DATA_LENGTH));
  return data;
}

/** "10.99.0.41, 10.99.0.42" for reasons and logs. */
export function formatAddresses(addresses: readonly number[]): string {
  return addresses.map(formatIpv4).join(", ");
}
