// The IPVS table as values: identities (which service, which destination) apart from the
// attributes the director sets (scheduler, weight, ...) and from what only the kernel
// reports (connections, rates). The desired table, the kernel's dump, the reconcile and the
// fake kernel all speak these types; the codec maps them to ip_vs.h's attributes. Pure.
import type { IpAddress, IpFamily } from "../common/ip-address.ts";

export type IpvsProtocol = "TCP" | "UDP" | "SCTP";

/** A virtual service's identity: protocol, address and port; or a firewall mark (per family). */
export type ServiceKey = { kind: "address"; protocol: IpvsProtocol; address: IpAddress; port: number } | { kind: "fwmark"; family: IpFamily; fwmark: number };

/** The service flags the director sets (ip_vs.h IP_VS_SVC_F_*; HASHED is the kernel's own). */
export interface ServiceFlags {
  /** IP_VS_SVC_F_PERSISTENT: set whenever persistenceTimeoutS is. */
  persistent: boolean;
  /** IP_VS_SVC_F_ONEPACKET (`ops`, UDP only). */
  onePacket: boolean;
  /** IP_VS_SVC_F_SCHED1..3 (`flag-1..3`; sh-fallback and mh-fallback are 1, sh-port and mh-port are 2). */
  sched1: boolean;
  sched2: boolean;
  sched3: boolean;
}

export interface ServiceSpec {
  key: ServiceKey;
  /** "rr", "wrr", ... the kernel module's name without ip_vs_. */
  scheduler: string;
  flags: ServiceFlags;
  /** Persistence timeout in seconds; 0 when not persistent. */
  timeoutS: number;
  /**
   * Persistence granularity: for IPv4 the netmask as a number (0xffffffff = one client), for
   * IPv6 the prefix length (128 = one client), as the kernel keeps it.
   */
  netmask: number;
  /** persistence_engine ("sip"); undefined for none. */
  persistenceEngine?: string;
}

/** IP_VS_CONN_F_FWD_MASK: how packets reach the real server (keepalived's lb_kind NAT, DR, TUN). */
export type ForwardMethod = "masquerade" | "local" | "tunnel" | "direct-route" | "bypass";

export interface TunnelSpec {
  type: "ipip" | "gue" | "gre";
  /** UDP port of the GUE tunnel; 0 otherwise. */
  port: number;
  checksum: "nocsum" | "csum" | "remcsum";
}

/** A real server's identity within its service. */
export interface DestinationAddress {
  address: IpAddress;
  port: number;
}

export interface DestinationSpec extends DestinationAddress {
  forward: ForwardMethod;
  weight: number;
  /** Connection thresholds (uthreshold, lthreshold); 0 = none. */
  upperThreshold: number;
  lowerThreshold: number;
  /** For forward "tunnel": the encapsulation (IPIP unless keepalived's `type` says otherwise). */
  tunnel?: TunnelSpec;
}

/** What only the kernel knows about a destination. */
export interface DestinationStats {
  activeConnections: number;
  inactiveConnections: number;
  persistentConnections: number;
  connections: number;
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  connectionsPerSecond: number;
  packetsInPerSecond: number;
  packetsOutPerSecond: number;
  bytesInPerSecond: number;
  bytesOutPerSecond: number;
}

/** A destination the kernel has counted nothing on (just added, or in a fake kernel). */
export const NO_STATS: DestinationStats = Object.freeze({
  activeConnections: 0,
  inactiveConnections: 0,
  persistentConnections: 0,
  connections: 0,
  packetsIn: 0,
  packetsOut: 0,
  bytesIn: 0,
  bytesOut: 0,
  connectionsPerSecond: 0,
  packetsInPerSecond: 0,
  packetsOutPerSecond: 0,
  bytesInPerSecond: 0,
  bytesOutPerSecond: 0,
});

export interface DesiredService extends ServiceSpec {
  destinations: DestinationSpec[];
}

export interface ObservedDestination extends DestinationSpec {
  stats: DestinationStats;
}

export interface ObservedService extends ServiceSpec {
  destinations: ObservedDestination[];
}

/** A whole table: what the director wants, or what the kernel dumped. */
export interface IpvsTable<S extends ServiceSpec = DesiredService> {
  services: S[];
}

/** "TCP 10.0.0.1:80", "UDP [2001:db8::1]:53", "FWM 7 IPv6": a service as ipvsadm names it, and its map key. */
export function serviceKeyText(key: ServiceKey): string {
  if (key.kind === "fwmark") return `FWM ${key.fwmark} IPv${key.family}`;
  return `${key.protocol} ${hostPort(key.address, key.port)}`;
}

/** "10.0.0.2:8080", "[2001:db8::2]:80": a destination within its service, and its map key. */
export function destinationText(destination: DestinationAddress): string {
  return hostPort(destination.address, destination.port);
}

export function serviceFamily(key: ServiceKey): IpFamily {
  return key.kind === "fwmark" ? key.family : key.address.family;
}

export const NO_FLAGS: ServiceFlags = Object.freeze({ persistent: false, onePacket: false, sched1: false, sched2: false, sched3: false });

function hostPort(address: IpAddress, port: number): string {
  return address.family === 6 ? `[${address.text}]:${port}` : `${address.text}:${port}`;
}
