// The IPVS settings beside the table, as values: the connection timeouts (keepalived's
// lvs_timeouts), the connection-sync daemon (lvs_sync_daemon) and what GET_INFO reports.
// Shared by the codec, the director and the fake kernel, like types.ts. Pure.
import type { IpAddress } from "../common/ip-address.ts";

/** ipvsadm --set tcp tcpfin udp, in seconds. In a SET_CONFIG, an absent (or 0) value stays as it is. */
export interface IpvsTimeouts {
  tcpS: number;
  tcpFinS: number;
  udpS: number;
}

/** The kernel runs at most one master and one backup sync daemon, both at once if asked. */
export type SyncDaemonState = "master" | "backup";

/** A sync daemon to start: what keepalived's lvs_sync_daemon line gives (the kernel defaults the rest). */
export interface SyncDaemonSpec {
  state: SyncDaemonState;
  /** mcast_ifn: the interface the sync messages go out of (master) or come in on (backup). */
  interfaceName: string;
  /** syncid, 0..255: which master a backup listens to. */
  syncId: number;
  /** sync_maxlen: UDP payload size in bytes; the kernel derives it from the MTU when absent. */
  maxLength?: number;
  /** mcast_group; the kernel's default is 224.0.0.81. */
  group?: IpAddress;
  /** mcast_port; the kernel's default is 8848. */
  port?: number;
  /** mcast_ttl; the kernel's default is 1. */
  ttl?: number;
}

/** A running sync daemon as GET_DAEMON reports it: the kernel fills in every default. */
export interface SyncDaemonStatus extends SyncDaemonSpec {
  maxLength: number;
  port: number;
  ttl: number;
}

/** GET_INFO: the IPVS version and the size of the connection hash table. */
export interface IpvsInfo {
  /** IP_VS_VERSION_CODE, e.g. 0x010201. */
  versionCode: number;
  /** "1.2.1". */
  version: string;
  connectionTableSize: number;
}
