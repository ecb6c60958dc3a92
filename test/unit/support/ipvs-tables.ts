// IPVS tables for tests: terse builders for hand-written cases, random services and
// destinations (v4, v6, fwmark; TCP, UDP, SCTP; every attribute) from a seeded PRNG for
// property tests, and a canonical text of a table that says what the kernel would treat as equal.
import { parseIpAddress, type IpAddress } from "../../../src/common/ip-address.ts";
import {
  NO_FLAGS,
  destinationText,
  NO_STATS,
  serviceKeyText,
  type DesiredService,
  type DestinationSpec,
  type DestinationStats,
  type ForwardMethod,
  type IpvsProtocol,
  type IpvsTable,
  type ObservedDestination,
  type ObservedService,
  type ServiceKey,
  type ServiceSpec,
  type TunnelSpec,
} from "../../../src/ipvs/types.ts";
import { pick, type Random } from "./seeded-random.ts";

export const ip = (text: string): IpAddress => {
  const address = parseIpAddress(text);
  if (!address) throw new Error(`bad address ${text}`);
  return address;
};

export const tcp = (address: string, port: number): ServiceKey => ({ kind: "address", protocol: "TCP", address: ip(address), port });
export const udp = (address: string, port: number): ServiceKey => ({ kind: "address", protocol: "UDP", address: ip(address), port });
export const fwmark = (mark: number, family: 4 | 6 = 4): ServiceKey => ({ kind: "fwmark", family, fwmark: mark });

export function service(key: ServiceKey, destinations: DestinationSpec[] = [], attributes: Partial<ServiceSpec> = {}): DesiredService {
  const family = key.kind === "fwmark" ? key.family : key.address.family;
  return { key, scheduler: "wrr", flags: NO_FLAGS, timeoutS: 0, netmask: family === 4 ? 0xffffffff : 128, ...attributes, destinations };
}

export function destination(address: string, port: number, attributes: Partial<DestinationSpec> = {}): DestinationSpec {
  return { address: ip(address), port, forward: "masquerade", weight: 1, upperThreshold: 0, lowerThreshold: 0, ...attributes };
}

/** A desired table as a dump would show it: every destination with (given or zero) stats. */
export function observed(table: IpvsTable, stats: Partial<DestinationStats> = {}): IpvsTable<ObservedService> {
  return {
    services: table.services.map((s) => ({
      ...structuredClone(s),
      destinations: s.destinations.map((d) => ({ ...structuredClone(d), stats: { ...NO_STATS, ...stats } })),
    })),
  };
}

// ---- random tables ---------------------------------------------------------------------

const PROTOCOLS: readonly IpvsProtocol[] = ["TCP", "UDP", "SCTP"];
const SCHEDULERS = ["rr", "wrr", "lc", "wlc", "sh", "mh", "fo", "none"];
const FORWARDS: readonly ForwardMethod[] = ["masquerade", "direct-route", "tunnel", "local"];
const int = (random: Random, from: number, to: number) => from + Math.floor(random() * (to - from + 1));
const chance = (random: Random, p: number) => random() < p;

/** Small pools of addresses, ports and marks, so that random tables collide and overlap. */
export function randomServiceKey(random: Random): ServiceKey {
  const family = pick(random, [4, 6] as const);
  if (chance(random, 0.2)) return { kind: "fwmark", family, fwmark: int(random, 1, 6) };
  const address = ip(family === 4 ? `10.0.0.${int(random, 1, 6)}` : `2001:db8::${int(random, 1, 6)}`);
  return { kind: "address", protocol: pick(random, PROTOCOLS), address, port: pick(random, [80, 443, 53, 8080]) };
}

export function randomServiceAttributes(random: Random, key: ServiceKey): ServiceSpec {
  const family = key.kind === "fwmark" ? key.family : key.address.family;
  const timeoutS = chance(random, 0.5) ? 0 : pick(random, [60, 360, 3600]);
  const spec: ServiceSpec = {
    key,
    scheduler: pick(random, SCHEDULERS),
    flags: { persistent: timeoutS > 0, onePacket: chance(random, 0.2), sched1: chance(random, 0.3), sched2: chance(random, 0.3), sched3: chance(random, 0.1) },
    timeoutS,
    netmask: family === 4 ? pick(random, [0xffffffff, 0xffffff00]) : pick(random, [128, 64]),
  };
  if (chance(random, 0.2)) spec.persistenceEngine = "sip";
  return spec;
}

export function randomTunnel(random: Random): TunnelSpec {
  const type = pick(random, ["ipip", "gue", "gre"] as const);
  return { type, port: type === "gue" ? int(random, 1, 65535) : 0, checksum: pick(random, ["nocsum", "csum", "remcsum"] as const) };
}

export function randomDestinationAttributes(random: Random, serviceFamily: 4 | 6): DestinationSpec {
  // Now and then a server of the other family: only a tunnel can reach it.
  const otherFamily = chance(random, 0.1);
  const family = otherFamily ? (serviceFamily === 4 ? 6 : 4) : serviceFamily;
  const forward = otherFamily ? "tunnel" : pick(random, FORWARDS);
  const upperThreshold = chance(random, 0.5) ? 0 : int(random, 1, 1000);
  const spec: DestinationSpec = {
    address: ip(family === 4 ? `192.168.1.${int(random, 1, 12)}` : `2001:db8:1::${int(random, 1, 12)}`),
    port: pick(random, [80, 8080, 0]),
    forward,
    weight: int(random, 0, 100),
    upperThreshold,
    lowerThreshold: upperThreshold === 0 ? 0 : int(random, 0, upperThreshold),
  };
  // None on a tunnel (the defaults), or one on a non-tunnel server (no attribute of it).
  if (forward === "tunnel" ? chance(random, 0.8) : chance(random, 0.2)) spec.tunnel = randomTunnel(random);
  return spec;
}

export function randomStats(random: Random): DestinationStats {
  return {
    ...NO_STATS,
    activeConnections: int(random, 0, 50),
    inactiveConnections: int(random, 0, 50),
    connections: int(random, 0, 10_000),
    packetsIn: int(random, 0, 1e6),
  };
}

/** Up to `count` destinations with distinct addresses and ports. */
export function randomDestinations(random: Random, key: ServiceKey, count: number): DestinationSpec[] {
  const family = key.kind === "fwmark" ? key.family : key.address.family;
  const byText = new Map<string, DestinationSpec>();
  for (let i = 0; i < count; i++) {
    const destination = randomDestinationAttributes(random, family);
    byText.set(destinationText(destination), destination);
  }
  return [...byText.values()];
}

export function randomObserved(random: Random, destinations: DestinationSpec[]): ObservedDestination[] {
  return destinations.map((d) => ({ ...d, stats: randomStats(random) }));
}

/** The same service, some attributes changed: what a reload or a hand edit leaves behind. */
export function mutateService(random: Random, spec: ServiceSpec): ServiceSpec {
  const other = randomServiceAttributes(random, spec.key);
  const next: ServiceSpec = { ...spec, flags: { ...spec.flags } };
  if (chance(random, 0.3)) next.scheduler = other.scheduler;
  if (chance(random, 0.3)) next.flags = other.flags;
  if (chance(random, 0.3)) next.timeoutS = other.timeoutS;
  if (chance(random, 0.3)) next.netmask = other.netmask;
  if (chance(random, 0.2)) {
    if (other.persistenceEngine) next.persistenceEngine = other.persistenceEngine;
    else delete next.persistenceEngine;
  }
  // The dump says "" where tandem says nothing: the same engine.
  if (!next.persistenceEngine && chance(random, 0.2)) next.persistenceEngine = "";
  return next;
}

export function mutateDestination(random: Random, spec: DestinationSpec, serviceFamily: 4 | 6): DestinationSpec {
  const other = randomDestinationAttributes(random, serviceFamily);
  const next: DestinationSpec = { ...spec };
  if (chance(random, 0.3)) next.weight = other.weight;
  if (chance(random, 0.2)) [next.upperThreshold, next.lowerThreshold] = [other.upperThreshold, other.lowerThreshold];
  // Forward and tunnel change together, so that a server of the other family keeps its tunnel.
  if (chance(random, 0.2) && (spec.address.family === serviceFamily || other.forward === "tunnel")) {
    next.forward = other.forward;
    if (other.tunnel) next.tunnel = other.tunnel;
    else delete next.tunnel;
  }
  return next;
}

// ---- what the kernel treats as equal ---------------------------------------------------

/**
 * One line per service, sorted, each with its destinations sorted: equal texts for tables
 * the kernel would hold the same. A non-tunnel server's tunnel is no attribute; a tunnel
 * server without one uses IPIP, port 0, no checksum (the zeroed tun_* of the request).
 */
export function canonicalTable(table: IpvsTable<ServiceSpec & { destinations: DestinationSpec[] }>): string[] {
  return table.services.map(canonicalService).sort();
}

export function canonicalService(s: ServiceSpec & { destinations: DestinationSpec[] }): string {
  const f = s.flags;
  const flags = [f.persistent && "persistent", f.onePacket && "ops", f.sched1 && "f1", f.sched2 && "f2", f.sched3 && "f3"].filter(Boolean).join(",");
  const head = `${serviceKeyText(s.key)} ${s.scheduler} [${flags}] t=${s.timeoutS} m=${s.netmask} pe=${s.persistenceEngine || "-"}`;
  return `${head} {${s.destinations.map(canonicalDestination).sort().join("; ")}}`;
}

export function canonicalDestination(d: DestinationSpec): string {
  const tunnel = d.forward === "tunnel" ? ` ${d.tunnel?.type ?? "ipip"}/${d.tunnel?.port ?? 0}/${d.tunnel?.checksum ?? "nocsum"}` : "";
  return `${destinationText(d)} ${d.forward}${tunnel} w=${d.weight} u=${d.upperThreshold} l=${d.lowerThreshold}`;
}
