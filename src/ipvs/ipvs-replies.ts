// The kernel's IPVS replies as values: dump parts of services and destinations with their
// counters, GET_INFO, GET_CONFIG and GET_DAEMON. Decoders never throw on kernel input; each
// returns a rejection with the reason instead. The encoders build the same bytes the kernel
// does (ip_vs_genl_fill_*), for fake kernels and for tests that compare with captures. Pure.
import type { IpFamily } from "../common/ip-address.ts";
import type { AttributeIndex } from "../netlink/attribute-index.ts";
import { decodeGenlMessage, type GenlMessage } from "../netlink/generic-netlink.ts";
import { NLM_F_MULTI, type NetlinkMessage, type Rejection } from "../netlink/netlink-codec.ts";
import { NetlinkWriter } from "../netlink/netlink-writer.ts";
import {
  IP_VS_SVC_F_HASHED,
  IPVS_CMD_ATTR_DAEMON,
  IPVS_CMD_ATTR_DEST,
  IPVS_CMD_ATTR_SERVICE,
  IPVS_CMD_ATTR_TIMEOUT_TCP,
  IPVS_CMD_ATTR_TIMEOUT_TCP_FIN,
  IPVS_CMD_ATTR_TIMEOUT_UDP,
  IPVS_CMD_NEW_DAEMON,
  IPVS_CMD_NEW_DEST,
  IPVS_CMD_NEW_SERVICE,
  IPVS_CMD_SET_CONFIG,
  IPVS_CMD_SET_INFO,
  IPVS_DEST_ATTR_ACTIVE_CONNS,
  IPVS_DEST_ATTR_ADDR,
  IPVS_DEST_ATTR_ADDR_FAMILY,
  IPVS_DEST_ATTR_INACT_CONNS,
  IPVS_DEST_ATTR_PERSIST_CONNS,
  IPVS_DEST_ATTR_PORT,
  IPVS_DEST_ATTR_STATS,
  IPVS_DEST_ATTR_STATS64,
  IPVS_GENL_VERSION,
  IPVS_INFO_ATTR_CONN_TAB_SIZE,
  IPVS_INFO_ATTR_VERSION,
  IPVS_SVC_ATTR_STATS,
  IPVS_SVC_ATTR_STATS64,
} from "./ip-vs-constants.ts";
import { decodeDaemonAttributes, writeDaemonAttributes } from "./ipvs-daemon-attributes.ts";
import { decodeDestinationSpec, writeDestinationSettings } from "./ipvs-destination-attributes.ts";
import { decodeServiceSpec, writeServiceAttributes } from "./ipvs-service-attributes.ts";
import { decodeCounters, writeCounters, type IpvsCounters } from "./ipvs-stats-attributes.ts";
import { addressFamilyNumber, NF_INET_ADDR_SIZE } from "./ipvs-wire-values.ts";
import type { IpvsInfo, IpvsTimeouts, SyncDaemonStatus } from "./settings-types.ts";
import type { ObservedDestination, ObservedService, ServiceSpec } from "./types.ts";

/** A service from a dump (or GET_SERVICE), with the service's own totals. */
export interface ServiceEntry {
  spec: ServiceSpec;
  stats: IpvsCounters;
}

function genlOf(message: NetlinkMessage, cmd: number, cmdName: string, familyId?: number): GenlMessage | Rejection {
  const genl = decodeGenlMessage(message, familyId);
  if ("rejected" in genl) return genl;
  if (genl.cmd !== cmd) return { rejected: `IPVS command ${genl.cmd} is not ${cmdName}` };
  return genl;
}

function nestOf(genl: GenlMessage, type: number, name: string): AttributeIndex | Rejection {
  return genl.attributes.nest(type) ?? { rejected: `${name} is missing` };
}

/** The 64-bit counters when the kernel sent them (Linux 4.1+), else the older nest; read into `into`. */
function countersOf<T extends object>(attributes: AttributeIndex, type64: number, type32: number, owner: string, into: T): (T & IpvsCounters) | Rejection {
  const wide = attributes.nest(type64);
  if (wide) return decodeCounters(wide, `${owner} STATS64`, into);
  const narrow = attributes.nest(type32);
  if (narrow) return decodeCounters(narrow, `${owner} STATS`, into);
  return { rejected: `${owner} has neither STATS64 nor STATS` };
}

/** One IPVS_CMD_NEW_SERVICE message: a dump part, or GET_SERVICE's reply. */
export function decodeServiceReply(message: NetlinkMessage, familyId?: number): ServiceEntry | Rejection {
  const genl = genlOf(message, IPVS_CMD_NEW_SERVICE, "IPVS_CMD_NEW_SERVICE", familyId);
  if ("rejected" in genl) return genl;
  const attributes = nestOf(genl, IPVS_CMD_ATTR_SERVICE, "IPVS_CMD_ATTR_SERVICE");
  if ("rejected" in attributes) return attributes;
  const spec = decodeServiceSpec(attributes);
  if ("rejected" in spec) return spec;
  const stats = countersOf(attributes, IPVS_SVC_ATTR_STATS64, IPVS_SVC_ATTR_STATS, "service", {});
  if ("rejected" in stats) return stats;
  return { spec, stats };
}

/** One IPVS_CMD_NEW_DEST dump part; `serviceFamily` for kernels that leave out the destination's own. */
export function decodeDestinationReply(message: NetlinkMessage, serviceFamily: IpFamily, familyId?: number): ObservedDestination | Rejection {
  const genl = genlOf(message, IPVS_CMD_NEW_DEST, "IPVS_CMD_NEW_DEST", familyId);
  if ("rejected" in genl) return genl;
  const attributes = nestOf(genl, IPVS_CMD_ATTR_DEST, "IPVS_CMD_ATTR_DEST");
  if ("rejected" in attributes) return attributes;
  const spec = decodeDestinationSpec(attributes, serviceFamily);
  if ("rejected" in spec) return spec;
  const activeConnections = attributes.u32(IPVS_DEST_ATTR_ACTIVE_CONNS);
  const inactiveConnections = attributes.u32(IPVS_DEST_ATTR_INACT_CONNS);
  const persistentConnections = attributes.u32(IPVS_DEST_ATTR_PERSIST_CONNS);
  if (activeConnections === undefined || inactiveConnections === undefined || persistentConnections === undefined) {
    return { rejected: "IPVS_DEST_ATTR_ACTIVE_CONNS, _INACT_CONNS or _PERSIST_CONNS is missing" };
  }
  const stats = countersOf(attributes, IPVS_DEST_ATTR_STATS64, IPVS_DEST_ATTR_STATS, "destination", {
    activeConnections,
    inactiveConnections,
    persistentConnections,
  });
  if ("rejected" in stats) return stats;
  // The spec is this call's own: it becomes the entry, rather than be copied into a new one.
  const destination = spec as ObservedDestination;
  destination.stats = stats;
  return destination;
}

export interface DecodedDump<T> {
  entries: T[];
  /** One reason per part that could not be read (the rest are still used). */
  rejected: string[];
}

export function decodeServiceDump(replies: readonly NetlinkMessage[], familyId?: number): DecodedDump<ServiceEntry> {
  return collect(replies.map((reply) => decodeServiceReply(reply, familyId)));
}

export function decodeDestinationDump(replies: readonly NetlinkMessage[], serviceFamily: IpFamily, familyId?: number): DecodedDump<ObservedDestination> {
  return collect(replies.map((reply) => decodeDestinationReply(reply, serviceFamily, familyId)));
}

function collect<T extends object>(results: (T | Rejection)[]): DecodedDump<T> {
  const dump: DecodedDump<T> = { entries: [], rejected: [] };
  for (const result of results) {
    if ("rejected" in result) dump.rejected.push(result.rejected);
    else dump.entries.push(result);
  }
  return dump;
}

/** A service of the observed table: its spec from the service dump, its destinations from GET_DEST. */
export function observedService(entry: ServiceEntry, destinations: ObservedDestination[]): ObservedService {
  return { ...entry.spec, destinations };
}

/** GET_INFO's reply (IPVS_CMD_SET_INFO). */
export function decodeInfoReply(message: NetlinkMessage, familyId?: number): IpvsInfo | Rejection {
  const genl = genlOf(message, IPVS_CMD_SET_INFO, "IPVS_CMD_SET_INFO", familyId);
  if ("rejected" in genl) return genl;
  const versionCode = genl.attributes.u32(IPVS_INFO_ATTR_VERSION);
  const connectionTableSize = genl.attributes.u32(IPVS_INFO_ATTR_CONN_TAB_SIZE);
  if (versionCode === undefined) return { rejected: "IPVS_INFO_ATTR_VERSION is missing" };
  if (connectionTableSize === undefined) return { rejected: "IPVS_INFO_ATTR_CONN_TAB_SIZE is missing" };
  const version = [versionCode >> 16, (versionCode >> 8) & 0xff, versionCode & 0xff].join(".");
  return { versionCode, version, connectionTableSize };
}

/** GET_CONFIG's reply (IPVS_CMD_SET_CONFIG): the three timeouts, in seconds. */
export function decodeConfigReply(message: NetlinkMessage, familyId?: number): IpvsTimeouts | Rejection {
  const genl = genlOf(message, IPVS_CMD_SET_CONFIG, "IPVS_CMD_SET_CONFIG", familyId);
  if ("rejected" in genl) return genl;
  const tcpS = genl.attributes.u32(IPVS_CMD_ATTR_TIMEOUT_TCP);
  const tcpFinS = genl.attributes.u32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN);
  const udpS = genl.attributes.u32(IPVS_CMD_ATTR_TIMEOUT_UDP);
  // A kernel built without TCP or UDP support leaves its timeouts out.
  if (tcpS === undefined || tcpFinS === undefined) return { rejected: "IPVS_CMD_ATTR_TIMEOUT_TCP or _TCP_FIN is missing (no TCP in this IPVS?)" };
  if (udpS === undefined) return { rejected: "IPVS_CMD_ATTR_TIMEOUT_UDP is missing (no UDP in this IPVS?)" };
  return { tcpS, tcpFinS, udpS };
}

/** One GET_DAEMON dump part (IPVS_CMD_NEW_DAEMON): a running master or backup. */
export function decodeDaemonReply(message: NetlinkMessage, familyId?: number): SyncDaemonStatus | Rejection {
  const genl = genlOf(message, IPVS_CMD_NEW_DAEMON, "IPVS_CMD_NEW_DAEMON", familyId);
  if ("rejected" in genl) return genl;
  const attributes = nestOf(genl, IPVS_CMD_ATTR_DAEMON, "IPVS_CMD_ATTR_DAEMON");
  if ("rejected" in attributes) return attributes;
  const daemon = decodeDaemonAttributes(attributes);
  if ("rejected" in daemon) return daemon;
  const { maxLength, port, ttl } = daemon;
  // Kernels before 4.3 report only state, interface and sync id.
  if (maxLength === undefined || port === undefined || ttl === undefined)
    return { rejected: "IPVS_DAEMON_ATTR_SYNC_MAXLEN, _MCAST_PORT or _MCAST_TTL is missing (a kernel before 4.3?)" };
  return { ...daemon, maxLength, port, ttl };
}

/** Where a reply goes: the requester's sequence number and port id; dump parts carry NLM_F_MULTI. */
export interface ReplyTo {
  familyId: number;
  seq: number;
  portId: number;
  dumpPart: boolean;
}

/** A reply: the message around what `write` puts after the genlmsghdr. */
function reply(to: ReplyTo, cmd: number, write: (writer: NetlinkWriter) => void): Uint8Array {
  const writer = new NetlinkWriter();
  const start = writer.beginMessage({ type: to.familyId, flags: to.dumpPart ? NLM_F_MULTI : 0, seq: to.seq, pid: to.portId });
  writer.genlHeader(cmd, IPVS_GENL_VERSION);
  write(writer);
  writer.endMessage(start);
  return writer.bytes();
}

/** As ip_vs_genl_fill_service: the spec (flags with IP_VS_SVC_F_HASHED, as every table entry has), then both stats nests. */
export function encodeServiceReply(to: ReplyTo, entry: ServiceEntry): Uint8Array {
  return reply(to, IPVS_CMD_NEW_SERVICE, (writer) => {
    const nest = writer.beginNest(IPVS_CMD_ATTR_SERVICE, false);
    writeServiceAttributes(writer, entry.spec, IP_VS_SVC_F_HASHED);
    writeCounters(writer, entry.stats, IPVS_SVC_ATTR_STATS, IPVS_SVC_ATTR_STATS64);
    writer.endNest(nest);
  });
}

/** As ip_vs_genl_fill_dest, in its order (the family after the counts). */
export function encodeDestinationReply(to: ReplyTo, destination: ObservedDestination): Uint8Array {
  const { stats } = destination;
  return reply(to, IPVS_CMD_NEW_DEST, (writer) => {
    const nest = writer.beginNest(IPVS_CMD_ATTR_DEST, false);
    writer.address(IPVS_DEST_ATTR_ADDR, destination.address, NF_INET_ADDR_SIZE);
    writer.be16(IPVS_DEST_ATTR_PORT, destination.port);
    writeDestinationSettings(writer, destination);
    writer.u32(IPVS_DEST_ATTR_ACTIVE_CONNS, stats.activeConnections);
    writer.u32(IPVS_DEST_ATTR_INACT_CONNS, stats.inactiveConnections);
    writer.u32(IPVS_DEST_ATTR_PERSIST_CONNS, stats.persistentConnections);
    writer.u16(IPVS_DEST_ATTR_ADDR_FAMILY, addressFamilyNumber(destination.address.family));
    writeCounters(writer, stats, IPVS_DEST_ATTR_STATS, IPVS_DEST_ATTR_STATS64);
    writer.endNest(nest);
  });
}

export function encodeInfoReply(to: ReplyTo, info: Pick<IpvsInfo, "versionCode" | "connectionTableSize">): Uint8Array {
  return reply(to, IPVS_CMD_SET_INFO, (writer) => {
    writer.u32(IPVS_INFO_ATTR_VERSION, info.versionCode);
    writer.u32(IPVS_INFO_ATTR_CONN_TAB_SIZE, info.connectionTableSize);
  });
}

export function encodeConfigReply(to: ReplyTo, timeouts: IpvsTimeouts): Uint8Array {
  return reply(to, IPVS_CMD_SET_CONFIG, (writer) => {
    writer.u32(IPVS_CMD_ATTR_TIMEOUT_TCP, timeouts.tcpS);
    writer.u32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, timeouts.tcpFinS);
    writer.u32(IPVS_CMD_ATTR_TIMEOUT_UDP, timeouts.udpS);
  });
}

export function encodeDaemonReply(to: ReplyTo, daemon: SyncDaemonStatus): Uint8Array {
  return reply(to, IPVS_CMD_NEW_DAEMON, (writer) => {
    const nest = writer.beginNest(IPVS_CMD_ATTR_DAEMON, false);
    writeDaemonAttributes(writer, daemon);
    writer.endNest(nest);
  });
}
