// The IPVS_CMD_ATTR_DAEMON nest: the connection-sync daemon's state, interface and sync id,
// and the optional attributes since Linux 4.3 (sync_maxlen, mcast group, port, ttl). Requests
// (libipvs's ipvs_start_daemon) and the kernel's GET_DAEMON replies (ip_vs_genl_fill_daemon)
// use the same order. Pure.
import type { AttributeIndex } from "../netlink/attribute-index.ts";
import type { Rejection } from "../netlink/netlink-codec.ts";
import type { NetlinkWriter } from "../netlink/netlink-writer.ts";
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
export function writeDaemonAttributes(writer: NetlinkWriter, daemon: SyncDaemonSpec): void {
  if (new TextEncoder().encode(daemon.interfaceName).length >= IP_VS_IFNAME_MAXLEN) {
    throw new RangeError(`sync daemon interface "${daemon.interfaceName}" is longer than ${IP_VS_IFNAME_MAXLEN - 1} bytes`);
  }
  checkRange("sync id", daemon.syncId, 0, 255);
  if (daemon.maxLength !== undefined) checkRange("sync maxlen", daemon.maxLength, 1, 0xffff);
  if (daemon.port !== undefined) checkRange("sync port", daemon.port, 1, 0xffff);
  if (daemon.ttl !== undefined) checkRange("sync ttl", daemon.ttl, 1, 255);
  writer.u32(IPVS_DAEMON_ATTR_STATE, syncStateNumber(daemon.state));
  writer.string(IPVS_DAEMON_ATTR_MCAST_IFN, daemon.interfaceName);
  writer.u32(IPVS_DAEMON_ATTR_SYNC_ID, daemon.syncId);
  if (daemon.maxLength !== undefined) writer.u16(IPVS_DAEMON_ATTR_SYNC_MAXLEN, daemon.maxLength);
  // Host order: the kernel applies htons() itself.
  if (daemon.port !== undefined) writer.u16(IPVS_DAEMON_ATTR_MCAST_PORT, daemon.port);
  if (daemon.ttl !== undefined) writer.u8(IPVS_DAEMON_ATTR_MCAST_TTL, daemon.ttl);
  if (daemon.group) {
    const ipv4 = daemon.group.family === 4;
    writer.address(ipv4 ? IPVS_DAEMON_ATTR_MCAST_GROUP : IPVS_DAEMON_ATTR_MCAST_GROUP6, daemon.group, ipv4 ? 4 : 16);
  }
}

/** A daemon out of its nest; the optional attributes only when present. */
export function decodeDaemonAttributes(attributes: AttributeIndex): SyncDaemonSpec | Rejection {
  const stateNumber = attributes.u32(IPVS_DAEMON_ATTR_STATE);
  if (stateNumber === undefined) return { rejected: "IPVS_DAEMON_ATTR_STATE is missing" };
  const state = syncStateOf(stateNumber);
  if (state === undefined) return { rejected: `sync daemon state ${stateNumber} is neither IP_VS_STATE_MASTER nor IP_VS_STATE_BACKUP` };
  const interfaceName = attributes.string(IPVS_DAEMON_ATTR_MCAST_IFN);
  const syncId = attributes.u32(IPVS_DAEMON_ATTR_SYNC_ID);
  if (interfaceName === undefined) return { rejected: "IPVS_DAEMON_ATTR_MCAST_IFN is missing" };
  if (syncId === undefined) return { rejected: "IPVS_DAEMON_ATTR_SYNC_ID is missing" };
  const daemon: SyncDaemonSpec = { state, interfaceName, syncId };
  const maxLength = attributes.u16(IPVS_DAEMON_ATTR_SYNC_MAXLEN);
  const port = attributes.u16(IPVS_DAEMON_ATTR_MCAST_PORT);
  const ttl = attributes.u8(IPVS_DAEMON_ATTR_MCAST_TTL);
  if (maxLength !== undefined) daemon.maxLength = maxLength;
  if (port !== undefined) daemon.port = port;
  if (ttl !== undefined) daemon.ttl = ttl;
  const group = attributes.address(IPVS_DAEMON_ATTR_MCAST_GROUP, 4) ?? attributes.address(IPVS_DAEMON_ATTR_MCAST_GROUP6, 6);
  if (group) daemon.group = group;
  return daemon;
}
