// The IPVS_CMD_ATTR_DAEMON nest: the connection-sync daemon's state, interface and sync id,
// and the optional attributes since Linux 4.3 (sync_maxlen, mcast group, port, ttl). Requests
// (libipvs's ipvs_start_daemon) and the kernel's GET_DAEMON replies (ip_vs_genl_fill_daemon)
// use the same order. Pure.
import { ipAddressBytes, ipAddressFromBytes } from "../common/ip-address.ts";
import {
  attributeString,
  attributeU16,
  attributeU32,
  attributeU8,
  encodeAttribute,
  readString,
  readU16,
  readU32,
  readU8,
  type Rejection,
} from "../netlink/netlink-codec.ts";
import {
  IP_VS_IFNAME_MAXLEN,
  IP_VS_STATE_BACKUP,
  IP_VS_STATE_MASTER,
  IPVS_DAEMON_ATTR_MCAST_GROUP,
  IPVS_DAEMON_ATTR_MCAST_GROUP6,
  IPVS_DAEMON_ATTR_MCAST_IFN,
  IPVS_DAEMON_ATTR_MCAST_PORT,
  IPVS_DAEMON_ATTR_MCAST_TTL,
  IPVS_DAEMON_ATTR_STATE,
  IPVS_DAEMON_ATTR_SYNC_ID,
  IPVS_DAEMON_ATTR_SYNC_MAXLEN,
} from "./ip-vs-constants.ts";
import { checkRange } from "./ipvs-service-attributes.ts";
import type { SyncDaemonSpec, SyncDaemonState } from "./settings-types.ts";

export const syncStateNumber = (state: SyncDaemonState): number => (state === "master" ? IP_VS_STATE_MASTER : IP_VS_STATE_BACKUP);

export function syncStateOf(number: number): SyncDaemonState | undefined {
  return number === IP_VS_STATE_MASTER ? "master" : number === IP_VS_STATE_BACKUP ? "backup" : undefined;
}

/** A daemon to start (NEW_DAEMON), or a running one as the kernel reports it: the optional attributes only when set. */
export function encodeDaemonAttributes(daemon: SyncDaemonSpec): Uint8Array[] {
  if (new TextEncoder().encode(daemon.interfaceName).length >= IP_VS_IFNAME_MAXLEN) {
    throw new RangeError(`sync daemon interface "${daemon.interfaceName}" is longer than ${IP_VS_IFNAME_MAXLEN - 1} bytes`);
  }
  checkRange("sync id", daemon.syncId, 0, 255);
  const attributes = [
    attributeU32(IPVS_DAEMON_ATTR_STATE, syncStateNumber(daemon.state)),
    attributeString(IPVS_DAEMON_ATTR_MCAST_IFN, daemon.interfaceName),
    attributeU32(IPVS_DAEMON_ATTR_SYNC_ID, daemon.syncId),
  ];
  if (daemon.maxLength !== undefined) {
    checkRange("sync maxlen", daemon.maxLength, 1, 0xffff);
    attributes.push(attributeU16(IPVS_DAEMON_ATTR_SYNC_MAXLEN, daemon.maxLength));
  }
  if (daemon.port !== undefined) {
    checkRange("sync port", daemon.port, 1, 0xffff);
    // Host order: the kernel applies htons() itself.
    attributes.push(attributeU16(IPVS_DAEMON_ATTR_MCAST_PORT, daemon.port));
  }
  if (daemon.ttl !== undefined) {
    checkRange("sync ttl", daemon.ttl, 1, 255);
    attributes.push(attributeU8(IPVS_DAEMON_ATTR_MCAST_TTL, daemon.ttl));
  }
  if (daemon.group) {
    const type = daemon.group.family === 4 ? IPVS_DAEMON_ATTR_MCAST_GROUP : IPVS_DAEMON_ATTR_MCAST_GROUP6;
    attributes.push(encodeAttribute(type, ipAddressBytes(daemon.group)));
  }
  return attributes;
}

/** A daemon out of its nest; the optional attributes only when present. */
export function decodeDaemonAttributes(attributes: Map<number, Uint8Array>): SyncDaemonSpec | Rejection {
  const stateNumber = readU32(attributes.get(IPVS_DAEMON_ATTR_STATE));
  if (stateNumber === undefined) return { rejected: "IPVS_DAEMON_ATTR_STATE is missing" };
  const state = syncStateOf(stateNumber);
  if (state === undefined) return { rejected: `sync daemon state ${stateNumber} is neither IP_VS_STATE_MASTER nor IP_VS_STATE_BACKUP` };
  const interfaceName = readString(attributes.get(IPVS_DAEMON_ATTR_MCAST_IFN));
  const syncId = readU32(attributes.get(IPVS_DAEMON_ATTR_SYNC_ID));
  if (interfaceName === undefined) return { rejected: "IPVS_DAEMON_ATTR_MCAST_IFN is missing" };
  if (syncId === undefined) return { rejected: "IPVS_DAEMON_ATTR_SYNC_ID is missing" };
  const daemon: SyncDaemonSpec = { state, interfaceName, syncId };
  const maxLength = readU16(attributes.get(IPVS_DAEMON_ATTR_SYNC_MAXLEN));
  const port = readU16(attributes.get(IPVS_DAEMON_ATTR_MCAST_PORT));
  const ttl = readU8(attributes.get(IPVS_DAEMON_ATTR_MCAST_TTL));
  if (maxLength !== undefined) daemon.maxLength = maxLength;
  if (port !== undefined) daemon.port = port;
  if (ttl !== undefined) daemon.ttl = ttl;
  const group4 = attributes.get(IPVS_DAEMON_ATTR_MCAST_GROUP);
  const group6 = attributes.get(IPVS_DAEMON_ATTR_MCAST_GROUP6);
  if (group4 && group4.length >= 4) daemon.group = ipAddressFromBytes(4, group4);
  else if (group6 && group6.length >= 16) daemon.group = ipAddressFromBytes(6, group6);
  return daemon;
}
