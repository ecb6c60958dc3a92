// What `ipvsadm -S -n` and `ipvsadm -L -n` share, as ipvsadm 1.31 writes it (ipvsadm.c
// addrport_to_anyname, fwd_name / fwd_switch, print_sched_flags; libipvs.c ipvs_cmp_services /
// ipvs_cmp_dests sorted by glibc's qsort): addresses as glibc's inet_ntop writes them, the
// order ipvsadm prints services and destinations in, and the words for flags. Pure.
import { ipAddressBytes, type IpAddress } from "../common/ip-address.ts";
import type { IpvsCounters } from "./ipvs-stats-attributes.ts";
import type { DestinationSpec, DestinationStats, ForwardMethod, ServiceSpec } from "./types.ts";

/** A destination as either table holds it: the desired one has no stats, the kernel's has. */
export interface PrintableDestination extends DestinationSpec {
  stats?: DestinationStats;
}

/** A service of the desired or the observed table; `stats` only for the --stats and --rate listings. */
export interface PrintableService extends ServiceSpec {
  destinations: readonly PrintableDestination[];
  stats?: IpvsCounters;
}

/** inet_ntop: dotted quad; IPv6 as glibc writes it (RFC 5952, but ::ffff:a.b.c.d and ::a.b.c.d kept dotted). */
export function inetNtop(address: IpAddress): string {
  if (address.family === 4) return address.text;
  const bytes = ipAddressBytes(address);
  const words = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  // inet_ntop6: the first longest run of two or more zero words becomes "::".
  let base = -1;
  let length = 0;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > length) [base, length] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (length < 2) base = -1;
  let text = "";
  for (let i = 0; i < 8; i++) {
    if (base >= 0 && i >= base && i < base + length) {
      if (i === base) text += ":";
      continue;
    }
    if (i !== 0) text += ":";
    // An IPv4-compatible (::a.b.c.d) or -mapped (::ffff:a.b.c.d) address ends in a dotted quad.
    if (i === 6 && base === 0 && (length === 6 || (length === 5 && words[5] === 0xffff))) {
      text += `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
      return text;
    }
    text += words[i]!.toString(16);
  }
  if (base >= 0 && base + length === 8) text += ":";
  return text;
}

/** addrport_to_anyname with -n: "10.0.0.1:80", "[2001:db8::1]:80". */
export function addressPortText(address: IpAddress, port: number): string {
  return address.family === 4 ? `${address.text}:${port}` : `[${inetNtop(address)}]:${port}`;
}

/** C's printf("%d") of a u32 such as a firewall mark: above 2^31 it prints negative. */
export const asInt32 = (value: number): number => value | 0;

/** inet_ntoa of the IPv4 persistence netmask (the kernel's u32, 0xffffff00 = 255.255.255.0). */
export function netmaskText(netmask: number): string {
  return [netmask >>> 24, (netmask >>> 16) & 255, (netmask >>> 8) & 255, netmask & 255].join(".");
}

/** The netmask ipvsadm leaves out: one client per family. */
export const isFullNetmask = (service: ServiceSpec): boolean => service.netmask === (serviceAf(service) === AF_INET6 ? 128 : 0xffffffff);

/** fwd_name, for -L; ipvsadm has none for bypass and printf writes "(null)". */
export function forwardName(forward: ForwardMethod): string {
  return { masquerade: "Masq", local: "Local", tunnel: "Tunnel", "direct-route": "Route", bypass: "(null)" }[forward];
}

/** fwd_switch, for -S: local is -g too. */
export function forwardSwitch(forward: ForwardMethod): string {
  return { masquerade: "-m", local: "-g", tunnel: "-i", "direct-route": "-g", bypass: "(null)" }[forward];
}

/** print_sched_flags: sh and mh name their two flags, other schedulers name flag-1..3; "" if none is named. */
export function schedulerFlagsText(service: ServiceSpec): string {
  const { sched1, sched2, sched3 } = service.flags;
  let names: [boolean, string][];
  if (service.scheduler === "sh")
    names = [
      [sched1, "sh-fallback"],
      [sched2, "sh-port"],
    ];
  else if (service.scheduler === "mh")
    names = [
      [sched1, "mh-fallback"],
      [sched2, "mh-port"],
    ];
  else
    names = [
      [sched1, "flag-1"],
      [sched2, "flag-2"],
      [sched3, "flag-3"],
    ];
  return names
    .filter(([set]) => set)
    .map(([, name]) => name)
    .join(",");
}

export const hasSchedulerFlags = (service: ServiceSpec): boolean => service.flags.sched1 || service.flags.sched2 || service.flags.sched3;

const AF_INET = 2;
const AF_INET6 = 10;
const PROTOCOL_NUMBERS = { TCP: 6, UDP: 17, SCTP: 132 } as const;

function serviceAf(service: ServiceSpec): number {
  const family = service.key.kind === "fwmark" ? service.key.family : service.key.address.family;
  return family === 4 ? AF_INET : AF_INET6;
}

/** union nf_inet_addr as four big-endian words; an IPv4 address is the first, the rest zero. */
function addressWords(address: IpAddress | undefined): number[] {
  const words = [0, 0, 0, 0];
  if (!address) return words;
  const bytes = ipAddressBytes(address);
  for (let i = 0; i < bytes.length / 4; i++)
    words[i] = ((bytes[4 * i]! << 24) | (bytes[4 * i + 1]! << 16) | (bytes[4 * i + 2]! << 8) | bytes[4 * i + 3]!) >>> 0;
  return words;
}

/**
 * ipvs_cmp_services: fwmark, family, protocol, address, port, each compared by subtracting
 * unsigned values into an int, so values 2^31 or more apart compare backwards, as in ipvsadm.
 */
export function compareServicesAsIpvsadm(a: ServiceSpec, b: ServiceSpec): number {
  const fields = (s: ServiceSpec) =>
    s.key.kind === "fwmark"
      ? { fwmark: s.key.fwmark, protocol: 0, address: undefined, port: 0 }
      : { fwmark: 0, protocol: PROTOCOL_NUMBERS[s.key.protocol], address: s.key.address, port: s.key.port };
  const x = fields(a);
  const y = fields(b);
  let r = asInt32(x.fwmark - y.fwmark);
  if (r !== 0) return r;
  r = serviceAf(a) - serviceAf(b);
  if (r !== 0) return r;
  r = x.protocol - y.protocol;
  if (r !== 0) return r;
  r = compareWords(addressWords(x.address), addressWords(y.address), serviceAf(a) === AF_INET6 ? 4 : 1);
  if (r !== 0) return r;
  return x.port - y.port;
}

/** ipvs_cmp_dests: the first destination's family says how many address words count. */
export function compareDestinationsAsIpvsadm(a: DestinationSpec, b: DestinationSpec): number {
  const r = compareWords(addressWords(a.address), addressWords(b.address), a.address.family === 6 ? 4 : 1);
  return r !== 0 ? r : a.port - b.port;
}

function compareWords(x: number[], y: number[], count: number): number {
  let r = 0;
  for (let i = 0; r === 0 && i < count; i++) r = asInt32(x[i]! - y[i]!);
  return r;
}

/**
 * glibc's qsort as ipvsadm's Debian build runs it (msort_with_tmp: halves of n/2 and the
 * rest, merged taking the left on <= 0), so even ipvsadm's inconsistent comparisons above
 * come out in ipvsadm's order.
 */
export function sortAsGlibcQsort<T>(items: readonly T[], compare: (a: T, b: T) => number): T[] {
  const out = items.slice();
  const sort = (start: number, count: number): void => {
    if (count <= 1) return;
    const leftCount = Math.floor(count / 2);
    sort(start, leftCount);
    sort(start + leftCount, count - leftCount);
    const left = out.slice(start, start + leftCount);
    const right = out.slice(start + leftCount, start + count);
    let i = 0;
    let j = 0;
    let k = start;
    while (i < left.length && j < right.length) out[k++] = compare(left[i]!, right[j]!) <= 0 ? left[i++]! : right[j++]!;
    while (i < left.length) out[k++] = left[i++]!;
    while (j < right.length) out[k++] = right[j++]!;
  };
  sort(0, out.length);
  return out;
}

/** The services in ipvsadm's order, each with its destinations in ipvsadm's order (unless `sort` is false: --nosort). */
export function inIpvsadmOrder<S extends PrintableService>(services: readonly S[], sort = true): S[] {
  if (!sort) return services.slice();
  return sortAsGlibcQsort(services, compareServicesAsIpvsadm).map((s) => ({
    ...s,
    destinations: sortAsGlibcQsort(s.destinations, compareDestinationsAsIpvsadm),
  }));
}
