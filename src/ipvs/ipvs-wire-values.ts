// The IPVS codec's value mappings: the table's words (TCP, masquerade, gue, persistent) to
// the numbers ip_vs.h gives them and back, and the two address layouts (nf_inet_addr and the
// per-family netmask). Decoders return undefined for a number they do not know. Pure.
import { ipAddressBytes, ipAddressFromBytes, type IpAddress, type IpFamily } from "../common/ip-address.ts";
import { AF_INET, AF_INET6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from "../netlink/linux-constants.ts";
import { getBe32, getU32, putBe32, putU32 } from "../netlink/netlink-codec.ts";
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

const protocolNumbers: Record<IpvsProtocol, number> = { TCP: IPPROTO_TCP, UDP: IPPROTO_UDP, SCTP: IPPROTO_SCTP };

export const protocolNumber = (protocol: IpvsProtocol): number => protocolNumbers[protocol];

export function protocolOf(number: number): IpvsProtocol | undefined {
  return (Object.keys(protocolNumbers) as IpvsProtocol[]).find((name) => protocolNumbers[name] === number);
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
export function forwardOf(connFlags: number): ForwardMethod | undefined {
  const method = connFlags & IP_VS_CONN_F_FWD_MASK;
  return (Object.keys(forwardNumbers) as ForwardMethod[]).find((name) => forwardNumbers[name] === method);
}

const tunnelTypeNumbers: Record<TunnelSpec["type"], number> = {
  ipip: IP_VS_CONN_F_TUNNEL_TYPE_IPIP,
  gue: IP_VS_CONN_F_TUNNEL_TYPE_GUE,
  gre: IP_VS_CONN_F_TUNNEL_TYPE_GRE,
};

export const tunnelTypeNumber = (type: TunnelSpec["type"]): number => tunnelTypeNumbers[type];

export function tunnelTypeOf(number: number): TunnelSpec["type"] | undefined {
  return (Object.keys(tunnelTypeNumbers) as TunnelSpec["type"][]).find((name) => tunnelTypeNumbers[name] === number);
}

const checksumNumbers: Record<TunnelSpec["checksum"], number> = {
  nocsum: IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM,
  csum: IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
  remcsum: IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
};

export const tunnelFlagsNumber = (checksum: TunnelSpec["checksum"]): number => checksumNumbers[checksum];

/** From IPVS_DEST_ATTR_TUN_FLAGS; undefined for bits ipvsadm and keepalived never combine. */
export function tunnelChecksumOf(flags: number): TunnelSpec["checksum"] | undefined {
  return (Object.keys(checksumNumbers) as TunnelSpec["checksum"][]).find((name) => checksumNumbers[name] === flags);
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

/** An address as union nf_inet_addr: 16 bytes, an IPv4 address followed by 12 zeros. */
export function nfInetAddrBytes(address: IpAddress): Uint8Array {
  const bytes = new Uint8Array(NF_INET_ADDR_SIZE);
  bytes.set(ipAddressBytes(address));
  return bytes;
}

/** Reads an nf_inet_addr for `family`; undefined when too short for it. */
export function addressOf(family: IpFamily, data: Uint8Array | undefined): IpAddress | undefined {
  if (!data || data.length < (family === 4 ? 4 : 16)) return undefined;
  return ipAddressFromBytes(family, data);
}

/**
 * IPVS_SVC_ATTR_NETMASK's four bytes. The kernel keeps a __be32 and copies it back as is;
 * ipvsadm and keepalived put an IPv4 mask there in network order (inet_aton) but an IPv6
 * prefix length as a plain host-order integer, which is how the kernel reads each.
 */
export function netmaskBytes(family: IpFamily, netmask: number): Uint8Array {
  const bytes = new Uint8Array(4);
  (family === 6 ? putU32 : putBe32)(bytes, 0, netmask >>> 0);
  return bytes;
}

export function netmaskOf(family: IpFamily, data: Uint8Array | undefined): number | undefined {
  if (!data || data.length < 4) return undefined;
  return family === 6 ? getU32(data, 0) : getBe32(data, 0);
}
