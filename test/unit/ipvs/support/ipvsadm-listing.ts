// Test helper: a decoded IPVS table printed the way `ipvsadm -L -n` (with --stats or --rate)
// prints it, as whitespace-separated fields, and ipvsadm's own printout split the same way,
// so a test can hold the decoder's values against what ipvsadm read from the same bytes.
import type { IpvsCounters } from "../../../../src/ipvs/ipvs-stats-attributes.ts";
import { destinationText, serviceKeyText, type ObservedDestination, type ServiceSpec } from "../../../../src/ipvs/types.ts";

export type Columns = "connections" | "stats" | "rate";

export interface ListedService {
  service: string;
  destinations: string[];
}

const forwardNames: Record<ObservedDestination["forward"], string> = {
  masquerade: "Masq",
  local: "Local",
  tunnel: "Tunnel",
  "direct-route": "Route",
  bypass: "Bypass",
};

function serviceName(spec: ServiceSpec): string {
  const { key } = spec;
  if (key.kind === "fwmark") return `FWM ${key.fwmark}${key.family === 6 ? " IPv6" : ""}`;
  return serviceKeyText(key);
}

function counterFields(counters: IpvsCounters, columns: Columns): number[] {
  if (columns === "stats") return [counters.connections, counters.packetsIn, counters.packetsOut, counters.bytesIn, counters.bytesOut];
  return [counters.connectionsPerSecond, counters.packetsInPerSecond, counters.packetsOutPerSecond, counters.bytesInPerSecond, counters.bytesOutPerSecond];
}

/** Only the scheduler flags and options the captures use (sh's flags, ops, persistence). */
function serviceOptions(spec: ServiceSpec): string[] {
  const options: string[] = [spec.scheduler];
  if (spec.scheduler === "sh" && (spec.flags.sched1 || spec.flags.sched2)) {
    options.push(`(${[spec.flags.sched1 ? "sh-fallback" : "", spec.flags.sched2 ? "sh-port" : ""].filter(Boolean).join(",")})`);
  }
  if (spec.flags.onePacket) options.push("ops");
  if (spec.flags.persistent) {
    options.push("persistent", String(spec.timeoutS));
    const family = spec.key.kind === "fwmark" ? spec.key.family : spec.key.address.family;
    const oneClient = family === 4 ? 0xffffffff : 128;
    if (spec.netmask !== oneClient) {
      const mask = family === 4 ? [24, 16, 8, 0].map((shift) => (spec.netmask >>> shift) & 0xff).join(".") : String(spec.netmask);
      options.push("mask", mask);
    }
  }
  return options;
}

export function listing(entries: { spec: ServiceSpec; stats: IpvsCounters; destinations: ObservedDestination[] }[], columns: Columns): ListedService[] {
  return entries.map(({ spec, stats, destinations }) => ({
    service: [serviceName(spec), ...(columns === "connections" ? serviceOptions(spec) : counterFields(stats, columns).map(String))].join(" "),
    destinations: destinations.map((d) =>
      [
        "->",
        destinationText(d),
        ...(columns === "connections"
          ? [forwardNames[d.forward], d.weight, d.stats.activeConnections, d.stats.inactiveConnections]
          : counterFields(d.stats, columns)),
      ].join(" "),
    ),
  }));
}

/** ipvsadm's printout (after its two or three heading lines) in the same shape. */
export function printedListing(printed: string[]): ListedService[] {
  const services: ListedService[] = [];
  for (const line of printed) {
    const fields = line.trim().split(/\s+/).join(" ");
    if (/^(TCP|UDP|SCTP|FWM) /.test(fields)) services.push({ service: fields, destinations: [] });
    else if (fields.startsWith("-> ") && !fields.startsWith("-> RemoteAddress")) services.at(-1)!.destinations.push(fields);
  }
  return services;
}

/** ipvsadm sorts what it prints; the kernel dumps in hash order. Compare as sorted. */
export const sorted = (services: ListedService[]): ListedService[] =>
  services.map((s) => ({ service: s.service, destinations: [...s.destinations].sort() })).sort((a, b) => a.service.localeCompare(b.service));
