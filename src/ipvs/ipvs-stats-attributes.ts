// The statistics nests (IPVS_*_ATTR_STATS and _STATS64) of services and destinations: the
// kernel sends both, the 64-bit one since Linux 4.1; the older one truncates all but the byte
// counts to 32 bits. Read the 64-bit one when present, as libipvs does. Pure.
import type { AttributeIndex } from "../netlink/attribute-index.ts";
import type { Rejection } from "../netlink/netlink-codec.ts";
import type { NetlinkWriter } from "../netlink/netlink-writer.ts";
import {
  IPVS_STATS_ATTR_CONNS,
  IPVS_STATS_ATTR_CPS,
  IPVS_STATS_ATTR_INBPS,
  IPVS_STATS_ATTR_INBYTES,
  IPVS_STATS_ATTR_INPKTS,
  IPVS_STATS_ATTR_INPPS,
  IPVS_STATS_ATTR_OUTBPS,
  IPVS_STATS_ATTR_OUTBYTES,
  IPVS_STATS_ATTR_OUTPKTS,
  IPVS_STATS_ATTR_OUTPPS,
} from "./ip-vs-constants.ts";
import { NO_STATS, type DestinationStats } from "./types.ts";

/** The counters and rates a service and a destination both have. */
export type IpvsCounters = Omit<DestinationStats, "activeConnections" | "inactiveConnections" | "persistentConnections">;

/** NO_STATS without the connection counts (which come as their own attributes). */
export const ZERO_COUNTERS: IpvsCounters = (({ activeConnections: _a, inactiveConnections: _i, persistentConnections: _p, ...counters }) =>
  Object.freeze(counters))(NO_STATS);

/** Attribute, field, and whether the 32-bit nest carries it as a u64 (ip_vs_genl_fill_stats). */
const fields: [number, keyof IpvsCounters, boolean][] = [
  [IPVS_STATS_ATTR_CONNS, "connections", false],
  [IPVS_STATS_ATTR_INPKTS, "packetsIn", false],
  [IPVS_STATS_ATTR_OUTPKTS, "packetsOut", false],
  [IPVS_STATS_ATTR_INBYTES, "bytesIn", true],
  [IPVS_STATS_ATTR_OUTBYTES, "bytesOut", true],
  [IPVS_STATS_ATTR_CPS, "connectionsPerSecond", false],
  [IPVS_STATS_ATTR_INPPS, "packetsInPerSecond", false],
  [IPVS_STATS_ATTR_OUTPPS, "packetsOutPerSecond", false],
  [IPVS_STATS_ATTR_INBPS, "bytesInPerSecond", false],
  [IPVS_STATS_ATTR_OUTBPS, "bytesOutPerSecond", false],
];

/**
 * The counters of a stats nest, each read at the width it came in; every one must be there.
 * Read field by field into `into` (a destination's connection counts, or nothing), in
 * IpvsCounters' order: an object spread and keyed stores per entry of a dump cost more than
 * the reading.
 */
export function decodeCounters<T extends object>(attributes: AttributeIndex, nestName: string, into: T): (T & IpvsCounters) | Rejection {
  const counters = into as T & IpvsCounters;
  const connections = attributes.unsigned(IPVS_STATS_ATTR_CONNS);
  const packetsIn = attributes.unsigned(IPVS_STATS_ATTR_INPKTS);
  const packetsOut = attributes.unsigned(IPVS_STATS_ATTR_OUTPKTS);
  const bytesIn = attributes.unsigned(IPVS_STATS_ATTR_INBYTES);
  const bytesOut = attributes.unsigned(IPVS_STATS_ATTR_OUTBYTES);
  const connectionsPerSecond = attributes.unsigned(IPVS_STATS_ATTR_CPS);
  const packetsInPerSecond = attributes.unsigned(IPVS_STATS_ATTR_INPPS);
  const packetsOutPerSecond = attributes.unsigned(IPVS_STATS_ATTR_OUTPPS);
  const bytesInPerSecond = attributes.unsigned(IPVS_STATS_ATTR_INBPS);
  const bytesOutPerSecond = attributes.unsigned(IPVS_STATS_ATTR_OUTBPS);
  if (
    connections === undefined ||
    packetsIn === undefined ||
    packetsOut === undefined ||
    bytesIn === undefined ||
    bytesOut === undefined ||
    connectionsPerSecond === undefined ||
    packetsInPerSecond === undefined ||
    packetsOutPerSecond === undefined ||
    bytesInPerSecond === undefined ||
    bytesOutPerSecond === undefined
  ) {
    const [type, field] = fields.find(([type]) => attributes.unsigned(type) === undefined)!;
    return { rejected: `${nestName} lacks counter ${type} (${field})` };
  }
  counters.connections = connections;
  counters.packetsIn = packetsIn;
  counters.packetsOut = packetsOut;
  counters.bytesIn = bytesIn;
  counters.bytesOut = bytesOut;
  counters.connectionsPerSecond = connectionsPerSecond;
  counters.packetsInPerSecond = packetsInPerSecond;
  counters.packetsOutPerSecond = packetsOutPerSecond;
  counters.bytesInPerSecond = bytesInPerSecond;
  counters.bytesOutPerSecond = bytesOutPerSecond;
  return counters;
}

/** The kernel's two nests for the same counters: `type32` truncated as the kernel does, `type64` whole. */
export function writeCounters(writer: NetlinkWriter, counters: IpvsCounters, type32: number, type64: number): void {
  const narrow = writer.beginNest(type32, false);
  for (const [type, field, wide] of fields) {
    if (wide) writer.u64(type, counters[field]);
    else writer.u32(type, counters[field] % 2 ** 32);
  }
  writer.endNest(narrow);
  const whole = writer.beginNest(type64, false);
  for (const [type, field] of fields) writer.u64(type, counters[field]);
  writer.endNest(whole);
}
