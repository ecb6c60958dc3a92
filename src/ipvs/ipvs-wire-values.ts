// The IPVS codec's value mappings: the table's words (TCP, masquerade, gue, persistent) to
// the numbers ip_vs.h gives them and back, and the two address layouts (nf_inet_addr and the
// per-family netmask). Decoders return undefined for a number they do not know. Pure.
import type { IpFamily } from "../common/ip-address.ts";
import type { AttributeIndex } from "../netlink/attribute-index.ts";
import { AF_INET, AF_INET6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from "../netlink/linux-constants.ts";
import type { NetlinkWriter } from "../netlink/netlink-writer.ts";
import {
  IP_VS_CONN_F_BYPASS,
  IP_VS_CONN_F_DROUTE,
  IP_VS_CONN_F_FWD_MASK,
  IP_VS_CONN_F_LOCALNODE,
  IP_VS_CONN_F_MASQ,
  IP_VS_CONN_F_TUNNEL,
  IP_VS_CONN_F_TUNNEL_TYPE_GRE,
  IP_VS_CONN_F_TUNNEL_TYPE_GUE,
  IP_VS_CONN_F_TUNNEL_TYPE_IPIP,
  IP_VS_SVC_F_ONEPACKET,
  IP_VS_SVC_F_PERSISTENT,
  IP_VS_SVC_F_SCHED1,
  IP_VS_SVC_F_SCHED2,
  IP_VS_SVC_F_SCHED3,
  IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
  IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM,
  IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
} from "./ip-vs-constants.ts";
import type { ForwardMethod, IpvsProtocol, ServiceFlags, TunnelSpec } from "./types.ts";

/** sizeof(union nf_inet_addr): IPVS sends 16 address bytes for IPv4 too, the address first. */
export const NF_INET_ADDR_SIZE = 16;

export const addressFamilyNumber = (family: IpFamily): number => (family === 4 ? AF_INET : AF_INET6);

export function ipFamilyOf(af: number): IpFamily | undefined {
  return af === AF_INET ? 4 : af === AF_INET6 ? 6 : undefined;
}

/**
 * A table's names by number, built once: searching the names for each entry of a dump of
 * thousands cost more than reading the entry. The first name of a number wins.
 */
function namesOf<Name extends string>(numbers: Record<Name, number>): ReadonlyMap<number, Name> {
  const names = new Map<number, Name>();
  for (const name of Object.keys(numbers) as Name[]) if (!names.has(numbers[name])) names.set(numbers[name], name);
  return names;
}

const protocolNumbers: Record<IpvsProtocol, number> = { TCP: IPPROTO_TCP, UDP: IPPROTO_UDP, SCTP: IPPROTO_SCTP };

export const protocolNumber = (protocol: IpvsProtocol): number => protocolNumbers[protocol];

const protocolNames = namesOf(protocolNumbers);

export function protocolOf(number: number): IpvsProtocol | undefined {
  return protocolNames.get(number);
}

const forwardNumbers: Record<ForwardMethod, number> = {
  masquerade: IP_VS_CONN_F_MASQ,
  local: IP_VS_CONN_F_LOCALNODE,
  tunnel: IP_VS_CONN_F_TUNNEL,
  "direct-route": IP_VS_CONN_F_DROUTE,
  bypass: IP_VS_CONN_F_BYPASS,
};

export const forwardNumber = (forward: ForwardMethod): number => forwardNumbers[forward];

/** From IPVS_DEST_ATTR_FWD_METHOD: only the IP_VS_CONN_F_FWD_MASK bits count. */
const forwardNames = namesOf(forwardNumbers);

export function forwardOf(connFlags: number): ForwardMethod | undefined {
  return forwardNames.get(connFlags & IP_VS_CONN_F_FWD_MASK);
}

const tunnelTypeNumbers: Record<TunnelSpec["type"], number> = {
  ipip: IP_VS_CONN_F_TUNNEL_TYPE_IPIP,
  gue: IP_VS_CONN_F_TUNNEL_TYPE_GUE,
  gre: IP_VS_CONN_F_TUNNEL_TYPE_GRE,
};

export const tunnelTypeNumber = (type: TunnelSpec["type"]): number => tunnelTypeNumbers[type];

const tunnelTypeNames = namesOf(tunnelTypeNumbers);

export function tunnelTypeOf(number: number): TunnelSpec["type"] | undefined {
  return tunnelTypeNames.get(number);
}

const checksumNumbers: Record<TunnelSpec["checksum"], number> = {
  nocsum: IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM,
  csum: IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
  remcsum: IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
};

export const tunnelFlagsNumber = (checksum: TunnelSpec["checksum"]): number => checksumNumbers[checksum];

/** From IPVS_DEST_ATTR_TUN_FLAGS; undefined for bits ipvsadm and keepalived never combine. */
const checksumNames = namesOf(checksumNumbers);

export function tunnelChecksumOf(flags: number): TunnelSpec["checksum"] | undefined {
  return checksumNames.get(flags);
}

export function serviceFlagsNumber(flags: ServiceFlags): number {
  return (
    (flags.persistent ? IP_VS_SVC_F_PERSISTENT : 0) |
    (flags.onePacket ? IP_VS_SVC_F_ONEPACKET : 0) |
    (flags.sched1 ? IP_VS_SVC_F_SCHED1 : 0) |
    (flags.sched2 ? IP_VS_SVC_F_SCHED2 : 0) |
    (flags.sched3 ? IP_VS_SVC_F_SCHED3 : 0)
  );
}

/** The director's flags out of the kernel's (IP_VS_SVC_F_HASHED and unknown bits dropped). */
export function serviceFlagsOf(bits: number): ServiceFlags {
  return {
    persistent: (bits & IP_VS_SVC_F_PERSISTENT) !== 0,
    onePacket: (bits & IP_VS_SVC_F_ONEPACKET) !== 0,
    sched1: (bits & IP_VS_SVC_F_SCHED1) !== 0,
    sched2: (bits & IP_VS_SVC_F_SCHED2) !== 0,
    sched3: (bits & IP_VS_SVC_F_SCHED3) !== 0,
  };
}

/**
 * IPVS_SVC_ATTR_NETMASK's four bytes. The kernel keeps a __be32 and copies it back as is;
 * ipvsadm and keepalived put an IPv4 mask there in network order (inet_aton) but an IPv6
 * prefix length as a plain host-order integer, which is how the kernel reads each.
 */
export function writeNetmask(writer: NetlinkWriter, type: number, family: IpFamily, netmask: number): void {
  if (family === 6) writer.u32(type, netmask);
  else writer.be32(type, netmask);
}

/** The netmask as writeNetmask lays it out; undefined when absent or short. */
export function readNetmask(attributes: AttributeIndex, type: number, family: IpFamily): number | undefined {
  return family === 6 ? attributes.u32(type) : attributes.be32(type);
}
