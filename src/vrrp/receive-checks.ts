// Receive checks of RFC 3768 section 7.1 (v2) and RFC 5798 section 7.1 (v3), in keepalived 2.2.7's order.

import { formatIpv4, isMulticastIpv4 } from "../common/ipv4.ts";
import { AUTH_IP_AH, AUTH_NONE, AUTH_SIMPLE_TEXT, type Advert, type ReceivedAdvert, type VrrpVersion } from "./advert.ts";
import { VRRP_TTL } from "../common/vrrp-wire.ts";
import {
  advertFromMessage,
  checkVrrpChecksum,
  checkVrrpLength,
  formatAddresses,
  passwordAuthData,
  readVrrpHeader,
  VRRP_AUTH_DATA_LENGTH,
  VRRP_FIXED_HEADER_LENGTH,
  VRRP_TYPE_ADVERTISEMENT,
  VRRP_VERSION_2,
  VRRP_VERSION_3,
} from "./packet.ts";
import { formatCs, reject, type Rejected } from "./rejection.ts";

/** What the IP layer handed us: the VRRP payload and the header fields the checks need. */
export interface ReceivedPacket {
  ttl: number;
  sourceIp: number;
  destinationIp: number;
  payload: Uint8Array;
}

/** The instance's own configuration, which a received advert is judged against. */
export interface ReceiveExpectation {
  version: VrrpVersion;
  vrid: number;
  advertIntervalCs: number;
  addresses: readonly number[];
  /** v2 only (keepalived ignores authentication for v3). Absent: auth type 0. */
  auth?: { type: "PASS"; password: string };
  /** keepalived: unicast_peer set. Skips the TTL check and expects a unicast destination. */
  unicast?: boolean;
  /**
   * "keepalived" (default): drop any advert whose address list differs, whatever its
   * priority, as vrrp_check_packet does. "rfc": RFC 3768/5798 7.1, drop unless the sender
   * is the address owner (priority 255), which is accepted with a warning. "skip": no
   * check, keepalived's skip_check_adv_addr for repeat adverts from the current master
   * (the caller knows who that is).
   */
  addressCheck?: "keepalived" | "rfc" | "skip";
}

export interface ReceiveWarning {
  code: "interval_learned" | "address_list_owner";
  reason: string;
}

export type ReceiveCheckResult = { ok: true; advert: Advert; received: ReceivedAdvert; warnings: ReceiveWarning[] } | Rejected;

const AUTH_TYPE_NAMES: Readonly<Record<number, string>> = {
  [AUTH_NONE]: "0 (none)",
  [AUTH_SIMPLE_TEXT]: "1 (simple text password)",
  [AUTH_IP_AH]: "2 (IP authentication header)",
};

/**
 * Judge one received VRRP message. Never throws. The order follows keepalived 2.2.7's
 * vrrp_check_packet (VRID first, since keepalived demuxes on it before checking), so the
 * same bad packet moves the same counter on a Tandem box and on its keepalived peer.
 * Deviation: the address list is compared after the checksum in one place, so a
 * corrupted packet counts as a checksum error rather than an address-list error.
 */
export function checkAdvert(packet: ReceivedPacket, expect: ReceiveExpectation): ReceiveCheckResult {
  const { payload } = packet;
  const read = readVrrpHeader(payload);
  if (!read.ok) return read;
  const { header } = read;

  if (header.vrid !== expect.vrid) return reject("vrid", `VRID is ${header.vrid}; this instance is VRID ${expect.vrid}`);

  const badLength = checkVrrpLength(payload, header);
  if (badLength) return badLength;

  // RFC 5798 7.1: a TTL below 255 means the packet crossed a router. keepalived skips it
  // for unicast peers, which may legitimately be routed.
  if (!expect.unicast && packet.ttl !== VRRP_TTL) return reject("ttl", `TTL is ${packet.ttl}; must be ${VRRP_TTL}`);

  if (header.version !== expect.version) {
    return reject("version", `VRRP version is ${header.version}; this instance uses version ${expect.version}`);
  }

  if (header.version === VRRP_VERSION_2) {
    const authRejection = checkV2Auth(payload, header.authType, header.countIpAddrs, expect);
    if (authRejection) return authRejection;
    // RFC 3768 7.1: MUST discard on mismatch; two intervals on one VRID would otherwise
    // each see the other as dead and both become master.
    if (header.adverInt * 100 !== expect.advertIntervalCs) {
      return reject("interval_mismatch", `advert interval is ${header.adverInt} s; this instance uses ${formatCs(expect.advertIntervalCs)}`);
    }
  }

  if (header.type !== VRRP_TYPE_ADVERTISEMENT) {
    return reject("type", `VRRP packet type is ${header.type}; only 1 (advertisement) is defined`);
  }

  const badChecksum = checkVrrpChecksum(payload, header, packet);
  if (badChecksum) return badChecksum;

  const multicast = isMulticastIpv4(packet.destinationIp);
  if (multicast === Boolean(expect.unicast)) {
    const kind = multicast ? "multicast" : "unicast";
    const wanted = expect.unicast ? "unicast (unicast_peer is set)" : "multicast to 224.0.0.18";
    return reject("destination", `destination ${formatIpv4(packet.destinationIp)} is ${kind}; this instance expects ${wanted}`);
  }

  // RFC 5798 5.2.7 allows 0 in the field, but a zero interval makes Master_Down_Interval
  // nothing but skew: a peer sending it is broken, so it must not steer our timers.
  if (header.version === VRRP_VERSION_3 && header.adverInt === 0) {
    return reject("interval_invalid", "advert interval is 0 s; must be 0.01..40.95 s");
  }

  const advert = advertFromMessage(payload, header);
  const warnings: ReceiveWarning[] = [];

  const addressDifference = describeAddressDifference(advert.addresses, expect.addresses);
  const addressCheck = expect.addressCheck ?? "keepalived";
  if (addressDifference !== undefined && addressCheck !== "skip") {
    if (addressCheck === "rfc" && advert.priority === 255) {
      warnings.push({ code: "address_list_owner", reason: `${addressDifference}; accepted because priority 255 is the address owner (RFC 3768 7.1)` });
    } else {
      return reject("address_list", addressDifference);
    }
  }

  // RFC 5798 6.4.2: a v3 backup adopts the master's interval, so a difference is news, not an error.
  if (header.version === VRRP_VERSION_3 && advert.advertIntervalCs !== expect.advertIntervalCs) {
    warnings.push({
      code: "interval_learned",
      reason: `advert interval is ${formatCs(advert.advertIntervalCs)}; this instance uses ${formatCs(expect.advertIntervalCs)}; following the master's`,
    });
  }

  return {
    ok: true,
    advert,
    received: { advert, sourceIp: packet.sourceIp, destinationIp: packet.destinationIp, ttl: packet.ttl },
    warnings,
  };
}

/** RFC 3768 7.1: "MUST perform authentication specified by Auth Type". */
function checkV2Auth(payload: Uint8Array, authType: number, countIpAddrs: number, expect: ReceiveExpectation): Rejected | undefined {
  const known = AUTH_TYPE_NAMES[authType];
  if (known === undefined) {
    return reject("auth_type_invalid", `auth type is ${authType}; VRRPv2 defines 0 (none), 1 (simple text password) and 2 (IP authentication header)`);
  }
  const ours = expect.auth ? AUTH_SIMPLE_TEXT : AUTH_NONE;
  if (authType !== ours) return reject("auth_type", `auth type is ${known}; this instance uses ${AUTH_TYPE_NAMES[ours]}`);
  if (!expect.auth) return undefined;
  const start = VRRP_FIXED_HEADER_LENGTH + 4 * countIpAddrs;
  const received = payload.subarray(start, start + VRRP_AUTH_DATA_LENGTH);
  // The reason never echoes either password: logs leave the box.
  if (!equalConstantTime(received, passwordAuthData(expect.auth.password))) {
    return reject("auth_failure", "simple text password does not match this instance's auth_pass");
  }
  return undefined;
}

/** Like keepalived's memcmp_constant_time: no early exit that would time the first wrong byte. */
function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) difference |= (a[i] as number) ^ (b[i] as number);
  return difference === 0;
}

/**
 * keepalived accepts when the counts match and every configured VIP is present (order
 * free). Returns a reason naming the difference, or undefined when the lists agree.
 */
function describeAddressDifference(received: readonly number[], ours: readonly number[]): string | undefined {
  const receivedSet = new Set(received);
  const ourSet = new Set(ours);
  const missing = ours.filter((address) => !receivedSet.has(address));
  const unexpected = received.filter((address) => !ourSet.has(address));
  if (received.length === ours.length && missing.length === 0 && unexpected.length === 0) return undefined;
  const parts: string[] = [];
  if (received.length !== ours.length) parts.push(`advert has ${received.length}, this instance ${ours.length}`);
  if (missing.length > 0) parts.push(`missing ${formatAddresses(missing)}`);
  if (unexpected.length > 0) parts.push(`unexpected ${formatAddresses(unexpected)}`);
  return `address list differs: ${parts.join("; ")}`;
}
