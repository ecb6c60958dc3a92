// The statistics nests (IPVS_*_ATTR_STATS and _STATS64) of services and destinations: the
// kernel sends both, the 64-bit one since Linux 4.1; the older one truncates all but the byte
// counts to 32 bits. Read the 64-bit one when present, as libipvs does. Pure.
import { attributeU32, attributeU64, encodeNestedAttribute, readUnsigned, type Rejection } from "../netlink/netlink-codec.ts";
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

/** The counters of a stats nest, each read at the width it came in; every one must be there. */
export function decodeCounters(attributes: Map<number, Uint8Array>, nestName: string): IpvsCounters | Rejection {
  const counters = { ...ZERO_COUNTERS };
  for (const [type, field] of fields) {
    const value = readUnsigned(attributes.get(type));
    if (value === undefined) return { rejected: `${nestName} lacks counter ${type} (${field})` };
    counters[field] = value;
  }
  return counters;
}

/** The kernel's two nests for the same counters: `type32` truncated as the kernel does, `type64` whole. */
export function encodeCounters(counters: IpvsCounters, type32: number, type64: number): Uint8Array[] {
  return [
    encodeNestedAttribute(
      type32,
      fields.map(([type, field, wide]) => (wide ? attributeU64(type, counters[field]) : attributeU32(type, counters[field] % 2 ** 32))),
      false,
    ),
    encodeNestedAttribute(
      type64,
      fields.map(([type, field]) => attributeU64(type, counters[field])),
      false,
    ),
  ];
}
