// The IPVS_CMD_ATTR_DEST nest: a real server's identity (address and port within its service)
// and its settings (forwarding method, weight, thresholds, tunnel). Requests follow libipvs's
// order (ipvs_nl_fill_dest_attr); the kernel's replies (ip_vs_genl_fill_dest) carry the same
// attributes in another order plus the connection counts, built in ipvs-replies.ts. Pure.
import type { IpFamily } from "../common/ip-address.ts";
import type { AttributeIndex } from "../netlink/attribute-index.ts";
import type { Rejection } from "../netlink/netlink-codec.ts";
import type { NetlinkWriter } from "../netlink/netlink-writer.ts";
import {
  IP_VS_CONN_F_TUNNEL_TYPE_GUE,
  IPVS_DEST_ATTR_ADDR,
  IPVS_DEST_ATTR_ADDR_FAMILY,
  IPVS_DEST_ATTR_FWD_METHOD,
  IPVS_DEST_ATTR_L_THRESH,
  IPVS_DEST_ATTR_PORT,
  IPVS_DEST_ATTR_TUN_FLAGS,
  IPVS_DEST_ATTR_TUN_PORT,
  IPVS_DEST_ATTR_TUN_TYPE,
  IPVS_DEST_ATTR_U_THRESH,
  IPVS_DEST_ATTR_WEIGHT,
} from "./ip-vs-constants.ts";
import { checkRange } from "./ipvs-service-attributes.ts";
import {
  addressFamilyNumber,
  forwardNumber,
  forwardOf,
  ipFamilyOf,
  NF_INET_ADDR_SIZE,
  tunnelChecksumOf,
  tunnelFlagsNumber,
  tunnelTypeNumber,
  tunnelTypeOf,
} from "./ipvs-wire-values.ts";
import type { DestinationAddress, DestinationSpec, TunnelSpec } from "./types.ts";

/** IPIP, no port, no checksum: what a tunnel destination gets when nothing more is said. */
export const DEFAULT_TUNNEL: TunnelSpec = Object.freeze({ type: "ipip", port: 0, checksum: "nocsum" });

/** The identifying attributes only: what DEL_DEST needs. */
export function writeDestinationKeyAttributes(writer: NetlinkWriter, destination: DestinationAddress): void {
  checkRange("port", destination.port, 0, 0xffff);
  writer.u16(IPVS_DEST_ATTR_ADDR_FAMILY, addressFamilyNumber(destination.address.family));
  writer.address(IPVS_DEST_ATTR_ADDR, destination.address, NF_INET_ADDR_SIZE);
  writer.be16(IPVS_DEST_ATTR_PORT, destination.port);
}

/** The tunnel attributes' values: zeros unless the destination tunnels (the kernel keeps them per destination). */
export function tunnelValues(destination: DestinationSpec): { type: number; port: number; flags: number } {
  if (destination.forward !== "tunnel") return { type: 0, port: 0, flags: 0 };
  const tunnel = destination.tunnel ?? DEFAULT_TUNNEL;
  return { type: tunnelTypeNumber(tunnel.type), port: tunnel.type === "gue" ? tunnel.port : 0, flags: tunnelFlagsNumber(tunnel.checksum) };
}

/**
 * A whole destination, as NEW_DEST and SET_DEST need it, in ipvsadm 1.31's order. The tunnel
 * attributes go with every method, zero unless tunnelling, as ipvsadm sends them; kernels
 * before 5.2 ignore attributes past their IPVS_DEST_ATTR_MAX. Every value is checked before
 * the first byte is written.
 */
export function writeDestinationAttributes(writer: NetlinkWriter, destination: DestinationSpec): void {
  checkRange("weight", destination.weight, 0, 0x7fffffff);
  checkRange("upper threshold", destination.upperThreshold, 0, 0xffffffff);
  checkRange("lower threshold", destination.lowerThreshold, 0, 0xffffffff);
  const tunnel = tunnelValues(destination);
  if (destination.forward === "tunnel" && destination.tunnel?.type === "gue") checkRange("GUE port", tunnel.port, 1, 0xffff);
  writeDestinationKeyAttributes(writer, destination);
  writeDestinationSettings(writer, destination, tunnel);
}

/** Forward method, weight, tunnel and thresholds: in this order in ipvsadm's requests and in the kernel's replies alike. */
export function writeDestinationSettings(writer: NetlinkWriter, destination: DestinationSpec, tunnel = tunnelValues(destination)): void {
  writer.u32(IPVS_DEST_ATTR_FWD_METHOD, forwardNumber(destination.forward));
  writer.u32(IPVS_DEST_ATTR_WEIGHT, destination.weight);
  writer.u8(IPVS_DEST_ATTR_TUN_TYPE, tunnel.type);
  writer.be16(IPVS_DEST_ATTR_TUN_PORT, tunnel.port);
  writer.u16(IPVS_DEST_ATTR_TUN_FLAGS, tunnel.flags);
  writer.u32(IPVS_DEST_ATTR_U_THRESH, destination.upperThreshold);
  writer.u32(IPVS_DEST_ATTR_L_THRESH, destination.lowerThreshold);
}

/**
 * The destination's address and port. Its family is IPVS_DEST_ATTR_ADDR_FAMILY when present,
 * else the service's (kernels before 3.18, and requests that leave it out, as the kernel reads them).
 */
export function decodeDestinationKey(attributes: AttributeIndex, serviceFamily: IpFamily): DestinationAddress | Rejection {
  const af = attributes.u16(IPVS_DEST_ATTR_ADDR_FAMILY);
  const family = af === undefined ? serviceFamily : ipFamilyOf(af);
  if (family === undefined) return { rejected: `destination address family ${af} is neither AF_INET nor AF_INET6` };
  const address = attributes.address(IPVS_DEST_ATTR_ADDR, family);
  const port = attributes.be16(IPVS_DEST_ATTR_PORT);
  if (address === undefined) return { rejected: `IPVS_DEST_ATTR_ADDR is missing or too short for IPv${family}` };
  if (port === undefined) return { rejected: "IPVS_DEST_ATTR_PORT is missing" };
  return { address, port };
}

/** Whether the nest carries a whole destination (what NEW_DEST requires), not just a key. */
export function hasDestinationSettings(attributes: AttributeIndex): boolean {
  return [IPVS_DEST_ATTR_FWD_METHOD, IPVS_DEST_ATTR_WEIGHT, IPVS_DEST_ATTR_U_THRESH, IPVS_DEST_ATTR_L_THRESH].every((type) => attributes.has(type));
}

/** A whole destination out of its nest (requests and replies alike); absent tunnel attributes read as 0. */
export function decodeDestinationSpec(attributes: AttributeIndex, serviceFamily: IpFamily): DestinationSpec | Rejection {
  const key = decodeDestinationKey(attributes, serviceFamily);
  if ("rejected" in key) return key;
  const connFlags = attributes.u32(IPVS_DEST_ATTR_FWD_METHOD);
  const weight = attributes.u32(IPVS_DEST_ATTR_WEIGHT);
  const upperThreshold = attributes.u32(IPVS_DEST_ATTR_U_THRESH);
  const lowerThreshold = attributes.u32(IPVS_DEST_ATTR_L_THRESH);
  if (connFlags === undefined) return { rejected: "IPVS_DEST_ATTR_FWD_METHOD is missing" };
  if (weight === undefined) return { rejected: "IPVS_DEST_ATTR_WEIGHT is missing" };
  if (upperThreshold === undefined || lowerThreshold === undefined) return { rejected: "IPVS_DEST_ATTR_U_THRESH or IPVS_DEST_ATTR_L_THRESH is missing" };
  const forward = forwardOf(connFlags);
  if (forward === undefined) return { rejected: `forwarding method ${connFlags & 7} is not one of IP_VS_CONN_F_MASQ..IP_VS_CONN_F_BYPASS` };
  // The weight is a signed int in the kernel; a negative one would be an error there.
  if (weight > 0x7fffffff) return { rejected: `weight ${weight | 0} is negative` };
  const spec: DestinationSpec = { address: key.address, port: key.port, forward, weight, upperThreshold, lowerThreshold };
  if (forward === "tunnel") {
    const typeNumber = attributes.u8(IPVS_DEST_ATTR_TUN_TYPE) ?? 0;
    const flags = attributes.u16(IPVS_DEST_ATTR_TUN_FLAGS) ?? 0;
    const type = tunnelTypeOf(typeNumber);
    const checksum = tunnelChecksumOf(flags);
    if (type === undefined) return { rejected: `tunnel type ${typeNumber} is not IPIP, GUE or GRE` };
    if (checksum === undefined) return { rejected: `tunnel flags ${flags} are not one of nocsum, csum, remcsum` };
    const port = typeNumber === IP_VS_CONN_F_TUNNEL_TYPE_GUE ? (attributes.be16(IPVS_DEST_ATTR_TUN_PORT) ?? 0) : 0;
    spec.tunnel = { type, port, checksum };
  }
  return spec;
}
