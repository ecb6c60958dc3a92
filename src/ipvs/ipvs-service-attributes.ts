// The IPVS_CMD_ATTR_SERVICE nest: a service's identity (family with protocol, address and
// port, or a firewall mark) and its settings (scheduler, flags, persistence). Requests and
// the kernel's replies share this layout and order (ip_vs_genl_fill_service, libipvs's
// ipvs_nl_fill_service_attr), so one encoder and one decoder serve both. Pure.
import type { IpFamily } from "../common/ip-address.ts";
import type { AttributeIndex } from "../netlink/attribute-index.ts";
import { getU32, putU32, type Rejection } from "../netlink/netlink-codec.ts";
import type { NetlinkWriter } from "../netlink/netlink-writer.ts";
import {
  IP_VS_PENAME_MAXLEN,
  IP_VS_SCHEDNAME_MAXLEN,
  IPVS_SVC_ATTR_ADDR,
  IPVS_SVC_ATTR_AF,
  IPVS_SVC_ATTR_FLAGS,
  IPVS_SVC_ATTR_FWMARK,
  IPVS_SVC_ATTR_NETMASK,
  IPVS_SVC_ATTR_PE_NAME,
  IPVS_SVC_ATTR_PORT,
  IPVS_SVC_ATTR_PROTOCOL,
  IPVS_SVC_ATTR_SCHED_NAME,
  IPVS_SVC_ATTR_TIMEOUT,
} from "./ip-vs-constants.ts";
import {
  addressFamilyNumber,
  ipFamilyOf,
  NF_INET_ADDR_SIZE,
  protocolNumber,
  protocolOf,
  readNetmask,
  serviceFlagsNumber,
  serviceFlagsOf,
  writeNetmask,
} from "./ipvs-wire-values.ts";
import { serviceFamily, type ServiceKey, type ServiceSpec } from "./types.ts";

/** The identifying attributes only: what DEL_SERVICE, GET_DEST and the destination commands need. */
export function writeServiceKeyAttributes(writer: NetlinkWriter, key: ServiceKey): void {
  if (key.kind === "fwmark") checkRange("fwmark", key.fwmark, 1, 0xffffffff);
  else checkRange("port", key.port, 0, 0xffff);
  writer.u16(IPVS_SVC_ATTR_AF, addressFamilyNumber(serviceFamily(key)));
  if (key.kind === "fwmark") writer.u32(IPVS_SVC_ATTR_FWMARK, key.fwmark);
  else {
    writer.u16(IPVS_SVC_ATTR_PROTOCOL, protocolNumber(key.protocol));
    writer.address(IPVS_SVC_ATTR_ADDR, key.address, NF_INET_ADDR_SIZE);
    writer.be16(IPVS_SVC_ATTR_PORT, key.port);
  }
}

/**
 * A whole service, as NEW_SERVICE and SET_SERVICE need it. The flags go with mask ~0: the
 * kernel takes every flag from us, none from the service it has (as ipvsadm and keepalived do).
 * `flagBits` adds bits the table's flags do not name (the kernel's replies carry HASHED).
 * Every value is checked before the first byte is written.
 */
export function writeServiceAttributes(writer: NetlinkWriter, service: ServiceSpec, flagBits = 0): void {
  const family = serviceFamily(service.key);
  checkName("scheduler", service.scheduler, IP_VS_SCHEDNAME_MAXLEN - 1);
  if (service.persistenceEngine !== undefined) checkName("persistence engine", service.persistenceEngine, IP_VS_PENAME_MAXLEN - 1);
  checkRange("persistence timeout", service.timeoutS, 0, 0xffffffff);
  checkRange(family === 4 ? "netmask" : "prefix length", service.netmask, 0, family === 4 ? 0xffffffff : 128);
  const flags = new Uint8Array(8);
  putU32(flags, 0, (serviceFlagsNumber(service.flags) | flagBits) >>> 0);
  putU32(flags, 4, 0xffffffff);
  writeServiceKeyAttributes(writer, service.key);
  writer.string(IPVS_SVC_ATTR_SCHED_NAME, service.scheduler);
  if (service.persistenceEngine !== undefined) writer.string(IPVS_SVC_ATTR_PE_NAME, service.persistenceEngine);
  writer.data(IPVS_SVC_ATTR_FLAGS, flags);
  writer.u32(IPVS_SVC_ATTR_TIMEOUT, service.timeoutS);
  writeNetmask(writer, IPVS_SVC_ATTR_NETMASK, family, service.netmask);
}

/** The service's identity out of its nest, as ip_vs_genl_parse_service reads it. */
export function decodeServiceKey(attributes: AttributeIndex): ServiceKey | Rejection {
  const af = attributes.u16(IPVS_SVC_ATTR_AF);
  if (af === undefined) return { rejected: "IPVS_SVC_ATTR_AF is missing" };
  const family = ipFamilyOf(af);
  if (family === undefined) return { rejected: `service address family ${af} is neither AF_INET nor AF_INET6` };
  const fwmark = attributes.u32(IPVS_SVC_ATTR_FWMARK);
  if (fwmark !== undefined) return { kind: "fwmark", family, fwmark };
  const protocolValue = attributes.u16(IPVS_SVC_ATTR_PROTOCOL);
  const address = attributes.address(IPVS_SVC_ATTR_ADDR, family);
  const port = attributes.be16(IPVS_SVC_ATTR_PORT);
  if (protocolValue === undefined || port === undefined)
    return { rejected: "the service has neither IPVS_SVC_ATTR_FWMARK nor IPVS_SVC_ATTR_PROTOCOL and IPVS_SVC_ATTR_PORT" };
  if (address === undefined) return { rejected: `IPVS_SVC_ATTR_ADDR is missing or too short for IPv${family}` };
  const protocol = protocolOf(protocolValue);
  if (protocol === undefined) return { rejected: `service protocol ${protocolValue} is not TCP, UDP or SCTP` };
  return { kind: "address", protocol, address, port };
}

/** Whether the nest carries a whole service (the attributes NEW_SERVICE requires), not just a key. */
export function hasServiceSettings(attributes: AttributeIndex): boolean {
  return [IPVS_SVC_ATTR_SCHED_NAME, IPVS_SVC_ATTR_FLAGS, IPVS_SVC_ATTR_TIMEOUT, IPVS_SVC_ATTR_NETMASK].every((type) => attributes.has(type));
}

/** A whole service out of its nest; the flags are `flags & mask`, as libipvs reads them. */
export function decodeServiceSpec(attributes: AttributeIndex): ServiceSpec | Rejection {
  const key = decodeServiceKey(attributes);
  if ("rejected" in key) return key;
  const family: IpFamily = serviceFamily(key);
  const scheduler = attributes.string(IPVS_SVC_ATTR_SCHED_NAME);
  const flagsData = attributes.get(IPVS_SVC_ATTR_FLAGS);
  const timeoutS = attributes.u32(IPVS_SVC_ATTR_TIMEOUT);
  const netmask = readNetmask(attributes, IPVS_SVC_ATTR_NETMASK, family);
  if (scheduler === undefined) return { rejected: "IPVS_SVC_ATTR_SCHED_NAME is missing" };
  if (!flagsData || flagsData.length < 8) return { rejected: `IPVS_SVC_ATTR_FLAGS needs 8 bytes (struct ip_vs_flags), got ${flagsData?.length ?? 0}` };
  if (timeoutS === undefined) return { rejected: "IPVS_SVC_ATTR_TIMEOUT is missing" };
  if (netmask === undefined) return { rejected: "IPVS_SVC_ATTR_NETMASK is missing" };
  const spec: ServiceSpec = { key, scheduler, flags: serviceFlagsOf(getU32(flagsData, 0) & getU32(flagsData, 4)), timeoutS, netmask };
  const engine = attributes.string(IPVS_SVC_ATTR_PE_NAME);
  if (engine !== undefined) spec.persistenceEngine = engine;
  return spec;
}

const textEncoder = new TextEncoder();

function checkName(what: string, name: string, maxBytes: number): void {
  if (textEncoder.encode(name).length > maxBytes) throw new RangeError(`${what} "${name}" is longer than ${maxBytes} bytes`);
}

export function checkRange(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${what} ${value} is not an integer in ${min}..${max}`);
}
