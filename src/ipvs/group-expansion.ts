// virtual_server_group address ranges expanded into the addresses keepalived 2.2.7 programs
// one service each for (ipvswrapper.c ipvs_group_range_cmd): IPv4 counts the whole 32-bit
// address up to the last; IPv6 counts only the last 16-bit group, wrapping at 0xffff. Pure.
import { ipAddressBytes, ipAddressFromBytes, ipv4Address, ipv4Value, type IpAddress } from "../common/ip-address.ts";

/** A bound on one entry's services, so a mistyped /8 cannot ask for 16 million of them. */
export const MAX_SERVICES_PER_GROUP_ENTRY = 65536;

export type RangeExpansion = { ok: true; addresses: IpAddress[] } | { ok: false; reason: string };

export function expandAddressRange(first: IpAddress, last: IpAddress): RangeExpansion {
  if (first.family !== last.family) return { ok: false, reason: `range ${first.text}-${last.text} mixes IPv4 and IPv6` };
  return first.family === 4 ? expandIpv4(first, last) : expandIpv6(first, last);
}

function expandIpv4(first: IpAddress, last: IpAddress): RangeExpansion {
  const start = ipv4Value(first);
  const end = ipv4Value(last);
  if (end < start) return { ok: false, reason: `range end ${last.text} is below its start ${first.text}` };
  if (end - start + 1 > MAX_SERVICES_PER_GROUP_ENTRY) return tooMany(first, last, end - start + 1);
  const addresses: IpAddress[] = [];
  for (let value = start; value <= end; value++) addresses.push(ipv4Address(value));
  return { ok: true, addresses };
}

/**
 * keepalived steps s6_addr16[7] alone until it equals the end's, so the upper 112 bits stay
 * the first address's, and a start above the end's last group wraps through 0 (as it does).
 */
function expandIpv6(first: IpAddress, last: IpAddress): RangeExpansion {
  const bytes = ipAddressBytes(first);
  const lastBytes = ipAddressBytes(last);
  const start = (bytes[14]! << 8) | bytes[15]!;
  const end = (lastBytes[14]! << 8) | lastBytes[15]!;
  const count = ((end - start + 0x10000) % 0x10000) + 1;
  if (count > MAX_SERVICES_PER_GROUP_ENTRY) return tooMany(first, last, count);
  const addresses: IpAddress[] = [];
  for (let i = 0, value = start; i < count; i++, value = (value + 1) & 0xffff) {
    const next = bytes.slice();
    next[14] = value >> 8;
    next[15] = value & 0xff;
    addresses.push(ipAddressFromBytes(6, next));
  }
  return { ok: true, addresses };
}

function tooMany(first: IpAddress, last: IpAddress, count: number): RangeExpansion {
  return { ok: false, reason: `range ${first.text}-${last.text} would be ${count} services; at most ${MAX_SERVICES_PER_GROUP_ENTRY} per entry` };
}
