// An IPVS table as `ipvsadm -L -n` prints it, byte for byte as ipvsadm 1.31 (ipvsadm.c
// list_all, print_title, print_service_entry, print_largenum, fwd_tun_info) in each of its
// listings (connections, --stats, --rate, --thresholds, --persistent-conn, --tun-info, with
// --exact), and extra columns after ipvsadm's own, for `tandem ipvs` (desired weight, health). Pure.
import {
  addressPortText,
  asInt32,
  forwardName,
  hasSchedulerFlags,
  inIpvsadmOrder,
  isFullNetmask,
  netmaskText,
  schedulerFlagsText,
  type PrintableDestination,
  type PrintableService,
} from "./ipvsadm-text.ts";
import { ZERO_COUNTERS, type IpvsCounters } from "./ipvs-stats-attributes.ts";
import type { DestinationStats } from "./types.ts";

export type IpvsadmListing = "connections" | "stats" | "rate" | "thresholds" | "persistent-conn" | "tun-info";

/** A column after ipvsadm's own on each destination line; the service lines have none. */
export interface ExtraColumn {
  title: string;
  /** printf's %-Ns: the cell is padded to this many characters (default: the title's length). */
  width?: number;
  cell(service: PrintableService, destination: PrintableDestination): string;
}

export interface IpvsadmListOptions {
  listing?: IpvsadmListing;
  /** --exact: whole numbers instead of K, M, G, T in --stats and --rate. */
  exact?: boolean;
  noSort?: boolean;
  /** GET_INFO: with it the listing starts as list_all's does ("IP Virtual Server version ..."); without it, as list_service's. */
  info?: { version: string; connectionTableSize: number };
  extraColumns?: readonly ExtraColumn[];
}

/** The lines ipvsadm prints, each ending in a newline. */
export function ipvsadmList(table: { services: readonly PrintableService[] }, options: IpvsadmListOptions = {}): string {
  const listing = options.listing ?? "connections";
  const extra = options.extraColumns ?? [];
  const lines: string[] = [];
  if (options.info) lines.push(`IP Virtual Server version ${options.info.version} (size=${options.info.connectionTableSize})`);
  lines.push(...title(listing, extra));
  for (const service of inIpvsadmOrder(table.services, !options.noSort)) {
    lines.push(serviceLine(service, listing, options.exact ?? false));
    for (const destination of service.destinations) {
      const cells = extra.map((column) => pad(column.cell(service, destination), columnWidth(column))).join(" ");
      const line = destinationLine(destination, listing, options.exact ?? false);
      lines.push(extra.length > 0 ? `${line} ${cells}` : line);
    }
  }
  return lines.map((line) => `${line}\n`).join("");
}

const columnWidth = (column: ExtraColumn): number => column.width ?? column.title.length;

/** How wide ipvsadm's destination lines are in each listing, when no number overflows its column. */
const DESTINATION_LINE_WIDTH: Record<IpvsadmListing, number> = {
  connections: 5 + 28 + 1 + 7 + 1 + 6 + 1 + 10 + 1 + 10,
  "tun-info": 5 + 28 + 1 + 7 + 1 + 13 + 1 + 6 + 1 + 10 + 1 + 10,
  stats: 5 + 28 + 5 * 9,
  rate: 5 + 28 + 5 * 9,
  thresholds: 5 + 28 + 4 * 11,
  "persistent-conn": 5 + 28 + 10 + 12 + 11 + 11,
};

/** printf("%-Ns"). */
const pad = (text: string, width: number): string => text.padEnd(width);
/** printf("%Ns"). */
const padStart = (text: string | number, width: number): string => String(text).padStart(width);

function title(listing: IpvsadmListing, extra: readonly ExtraColumn[]): string[] {
  const head = "Prot LocalAddress:Port";
  // Extra titles start where the extra cells do: after the widest a destination line gets.
  const remote = (columns: string) => {
    const line = `  -> RemoteAddress:Port${columns}`;
    return extra.length === 0 ? line : `${pad(line, DESTINATION_LINE_WIDTH[listing])} ${extra.map((c) => pad(c.title, columnWidth(c))).join(" ")}`;
  };
  const numbers = (names: string[]) => `${pad(head, 33)}${names.map((n) => ` ${padStart(n, 8)}`).join("")}`;
  switch (listing) {
    case "stats":
      return [numbers(["Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"]), remote("")];
    case "rate":
      return [numbers(["CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"]), remote("")];
    case "thresholds":
      return [`${pad(head, 33)} ${["Uthreshold", "Lthreshold", "ActiveConn", "InActConn"].map((n) => pad(n, 10)).join(" ")}`, remote("")];
    case "persistent-conn":
      return [`${pad(head, 33)} ${pad("Weight", 9)} ${pad("PersistConn", 11)} ${pad("ActiveConn", 10)} ${pad("InActConn", 10)}`, remote("")];
    case "tun-info":
      return [`${head} Scheduler Flags`, remote("           Forward TunnelInfo    Weight ActiveConn InActConn")];
    case "connections":
      return [`${head} Scheduler Flags`, remote("           Forward Weight ActiveConn InActConn")];
  }
}

/** "TCP  10.0.0.1:80", "FWM  7 IPv6": cut at 33 characters unless IPv6, as ipvsadm cuts it. */
function serviceName(service: PrintableService): string {
  const key = service.key;
  if (key.kind === "fwmark") return `FWM  ${asInt32(key.fwmark)}${key.family === 6 ? " IPv6" : ""}`;
  const name = `${pad(key.protocol, 4)} ${addressPortText(key.address, key.port)}`;
  return key.address.family === 6 ? name : name.slice(0, 33);
}

function serviceLine(service: PrintableService, listing: IpvsadmListing, exact: boolean): string {
  const name = serviceName(service);
  const counters = service.stats ?? ZERO_COUNTERS;
  if (listing === "stats") return pad(name, 33) + statsNumbers(counters, exact);
  if (listing === "rate") return pad(name, 33) + rateNumbers(counters, exact);
  let text = `${name} ${service.scheduler}`;
  if (hasSchedulerFlags(service)) text += ` (${schedulerFlagsText(service)})`;
  if (service.flags.persistent) {
    text += ` persistent ${service.timeoutS}`;
    const family = service.key.kind === "fwmark" ? service.key.family : service.key.address.family;
    if (!isFullNetmask(service)) text += ` mask ${family === 4 ? netmaskText(service.netmask) : service.netmask}`;
    if (service.persistenceEngine) text += ` pe ${service.persistenceEngine}`;
  }
  if (service.flags.onePacket) text += " ops";
  return text;
}

const NO_STATS: DestinationStats = { ...ZERO_COUNTERS, activeConnections: 0, inactiveConnections: 0, persistentConnections: 0 };

function destinationLine(destination: PrintableDestination, listing: IpvsadmListing, exact: boolean): string {
  const address = addressPortText(destination.address, destination.port);
  const name = pad(destination.address.family === 6 ? address : address.slice(0, 28), 28);
  const stats = destination.stats ?? NO_STATS;
  const connections = `${pad(String(stats.activeConnections), 10)} ${pad(String(stats.inactiveConnections), 10)}`;
  switch (listing) {
    case "stats":
      return `  -> ${name}${statsNumbers(stats, exact)}`;
    case "rate": {
      const perSecond = [stats.connectionsPerSecond, stats.packetsInPerSecond, stats.packetsOutPerSecond].map((n) => ` ${padStart(n, 8)}`).join("");
      return `  -> ${name}${perSecond}${largeNumber(stats.bytesInPerSecond, exact)}${largeNumber(stats.bytesOutPerSecond, exact)}`;
    }
    case "thresholds":
      return `  -> ${name} ${pad(String(destination.upperThreshold), 10)} ${pad(String(destination.lowerThreshold), 10)} ${connections}`;
    case "persistent-conn":
      return `  -> ${name} ${pad(String(destination.weight), 9)} ${pad(String(stats.persistentConnections), 11)} ${connections}`;
    case "tun-info":
      return `  -> ${name} ${pad(forwardName(destination.forward), 7)} ${pad(tunnelInfo(destination) ?? "n/a", 13)} ${pad(String(destination.weight), 6)} ${connections}`;
    case "connections":
      return `  -> ${name} ${pad(forwardName(destination.forward), 7)} ${pad(String(destination.weight), 6)} ${connections}`;
  }
}

/** fwd_tun_info: "ipip", "gue:6080:-c", "gre:+c"; none unless tunnelled. */
function tunnelInfo(destination: PrintableDestination): string | undefined {
  if (destination.forward !== "tunnel") return undefined;
  const tunnel = destination.tunnel ?? { type: "ipip", port: 0, checksum: "nocsum" };
  const flag = { nocsum: "-c", csum: "+c", remcsum: "r+c" }[tunnel.checksum];
  if (tunnel.type === "gue") return `gue:${tunnel.port}:${flag}`;
  if (tunnel.type === "gre") return `gre:${flag}`;
  return "ipip";
}

function statsNumbers(counters: IpvsCounters, exact: boolean): string {
  return [counters.connections, counters.packetsIn, counters.packetsOut, counters.bytesIn, counters.bytesOut].map((n) => largeNumber(n, exact)).join("");
}

function rateNumbers(counters: IpvsCounters, exact: boolean): string {
  return [counters.connectionsPerSecond, counters.packetsInPerSecond, counters.packetsOutPerSecond, counters.bytesInPerSecond, counters.bytesOutPerSecond]
    .map((n) => largeNumber(n, exact))
    .join("");
}

/** print_largenum: nine columns, and past 100 million a K, M, G or T unit (truncating); --exact widens instead. */
export function largeNumber(value: number, exact: boolean): string {
  const digits = String(value);
  if (exact) return digits.padStart(digits.length <= 8 ? 9 : digits.length + 1);
  if (value < 1e8) return digits.padStart(9);
  const units: [number, number, string][] = [
    [1e9, 1e3, "K"],
    [1e11, 1e6, "M"],
    [1e14, 1e9, "G"],
  ];
  for (const [below, divisor, unit] of units) if (value < below) return `${String(Math.floor(value / divisor)).padStart(8)}${unit}`;
  return `${String(Math.floor(value / 1e12)).padStart(8)}T`;
}
