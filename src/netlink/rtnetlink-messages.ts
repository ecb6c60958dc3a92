// rtnetlink link and IPv4 address messages (<linux/rtnetlink.h>, <linux/if_link.h>,
// <linux/if_addr.h>, <linux/if.h>): request encoders and reply decoders. Pure.
import { formatMac } from "../common/ipv4.ts";
import {
  attributeIpv4,
  attributeMap,
  attributeString,
  concatBytes,
  decodeAttributes,
  encodeMessage,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REQUEST,
  readIpv4,
  readString,
  readU32,
  readU8,
  type NetlinkMessage,
} from "./netlink-codec.ts";
import { AF_INET, AF_UNSPEC, IFNAMSIZ } from "./linux-constants.ts";

// <linux/rtnetlink.h> message types
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;

// <linux/rtnetlink.h> legacy multicast group bitmasks for sockaddr_nl.nl_groups
export const RTMGRP_LINK = 0x1;
export const RTMGRP_IPV4_IFADDR = 0x10;

// <linux/rtnetlink.h> enum rt_scope_t
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_SITE = 200;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;
export const RT_SCOPE_NOWHERE = 255;

// <linux/if_link.h> IFLA_*
export const IFLA_ADDRESS = 1;
export const IFLA_BROADCAST = 2;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_OPERSTATE = 16;

// <linux/if.h> enum IF_OPER_* (RFC 2863 ifOperStatus)
export const IF_OPER_UNKNOWN = 0;
export const IF_OPER_NOTPRESENT = 1;
export const IF_OPER_DOWN = 2;
export const IF_OPER_LOWERLAYERDOWN = 3;
export const IF_OPER_TESTING = 4;
export const IF_OPER_DORMANT = 5;
export const IF_OPER_UP = 6;
const operStateNames = ["unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"];

// <linux/if.h> net_device_flags
export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_RUNNING = 0x40;
export const IFF_MULTICAST = 0x1000;
export const IFF_LOWER_UP = 0x10000;

// <linux/if_addr.h> IFA_*
export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_BROADCAST = 4;
export const IFA_ANYCAST = 5;
export const IFA_CACHEINFO = 6;
export const IFA_MULTICAST = 7;
export const IFA_FLAGS = 8;

// <linux/if_addr.h> ifa_flags
export const IFA_F_SECONDARY = 0x01;
export const IFA_F_NODAD = 0x02;
export const IFA_F_PERMANENT = 0x80;

/** struct ifinfomsg: u8 family, u8 pad, u16 type, i32 index, u32 flags, u32 change. */
export const IFINFOMSG_SIZE = 16;
/** struct ifaddrmsg: u8 family, u8 prefixlen, u8 flags, u8 scope, u32 index. */
export const IFADDRMSG_SIZE = 8;

export interface LinkInfo {
  index: number;
  name: string;
  /** "aa:bb:cc:dd:ee:ff", or "" for links without a hardware address (tun, ip tunnels). */
  mac: string;
  /** What VRRP cares about: administratively up AND the driver reports carrier (IFF_RUNNING). */
  up: boolean;
  adminUp: boolean;
  /** IFF_RUNNING: RFC 2863 operational state up (or unknown, for drivers that don't report it). */
  running: boolean;
  /** IFLA_OPERSTATE as `ip link` prints it, lower case: "up", "down", "lowerlayerdown", "unknown" ... */
  operState: string;
  /** net_device_flags (IFF_*). */
  flags: number;
  mtu: number;
}

export interface AddressInfo {
  index: number;
  /** IFA_LOCAL: the interface's own address (IFA_ADDRESS differs only on point-to-point links). */
  address: number;
  prefixLength: number;
  /** IFA_LABEL: the interface name, or "eth0:vip"-style alias labels. */
  label: string;
  scope: number;
  broadcast: number | undefined;
  /** IFA_F_SECONDARY: another address of the same subnet came first; not the primary. */
  secondary: boolean;
  /** ifa_flags, widened by IFA_FLAGS when present. */
  flags: number;
}

export interface AddressSpec {
  interfaceName: string;
  address: number;
  prefixLength: number;
  broadcast?: number;
  /** RT_SCOPE_*; the kernel's default is RT_SCOPE_UNIVERSE (global). */
  scope?: number;
  /** At most 15 bytes; by kernel rule it must be the interface name or start with "name:". */
  label?: string;
}

function encodeIfinfomsg(family: number, index: number): Uint8Array {
  const bytes = new Uint8Array(IFINFOMSG_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, family);
  view.setInt32(4, index, true);
  return bytes;
}

function encodeIfaddrmsg(prefixLength: number, scope: number, index: number): Uint8Array {
  const bytes = new Uint8Array(IFADDRMSG_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, AF_INET);
  view.setUint8(1, prefixLength);
  view.setUint8(3, scope);
  view.setUint32(4, index, true);
  return bytes;
}

export function encodeGetLinksRequest(seq: number): Uint8Array {
  return encodeMessage({ type: RTM_GETLINK, flags: NLM_F_REQUEST | NLM_F_DUMP, seq }, encodeIfinfomsg(AF_UNSPEC, 0));
}

/** A dump of all IPv4 addresses; filtering by interface is done by the caller (old kernels ignore the index in dumps). */
export function encodeGetAddressesRequest(seq: number): Uint8Array {
  return encodeMessage({ type: RTM_GETADDR, flags: NLM_F_REQUEST | NLM_F_DUMP, seq }, new Uint8Array([AF_INET, 0, 0, 0, 0, 0, 0, 0]));
}

export interface AddressRequestFields {
  index: number;
  address: number;
  prefixLength: number;
  broadcast?: number;
  scope?: number;
  label?: string;
}

/**
 * RTM_NEWADDR with NLM_F_CREATE|NLM_F_EXCL, so that an address already present is reported
 * as EEXIST instead of silently replaced: callers want "already done" to be visible.
 */
export function encodeAddAddressRequest(seq: number, fields: AddressRequestFields): Uint8Array {
  return encodeAddressRequest(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq, fields);
}

/** RTM_DELADDR; the kernel answers EADDRNOTAVAIL when nothing matches. */
export function encodeDeleteAddressRequest(seq: number, fields: AddressRequestFields): Uint8Array {
  return encodeAddressRequest(RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, seq, fields);
}

function encodeAddressRequest(type: number, flags: number, seq: number, fields: AddressRequestFields): Uint8Array {
  if (!Number.isInteger(fields.prefixLength) || fields.prefixLength < 0 || fields.prefixLength > 32) {
    throw new Error(`prefix length ${fields.prefixLength} is not in 0..32`);
  }
  // IFA_LABEL's policy is a string of under IFNAMSIZ bytes; the kernel would only say ERANGE.
  if (fields.label !== undefined && new TextEncoder().encode(fields.label).length >= IFNAMSIZ) {
    throw new Error(`address label "${fields.label}" is longer than ${IFNAMSIZ - 1} bytes`);
  }
  // Same attributes in the same order as iproute2's `ip addr add`, so the bytes can be
  // compared with strace output. On a broadcast link IFA_ADDRESS equals IFA_LOCAL.
  const attributes = [attributeIpv4(IFA_LOCAL, fields.address)];
  if (fields.broadcast !== undefined) attributes.push(attributeIpv4(IFA_BROADCAST, fields.broadcast));
  if (fields.label !== undefined) attributes.push(attributeString(IFA_LABEL, fields.label));
  attributes.push(attributeIpv4(IFA_ADDRESS, fields.address));
  const header = encodeIfaddrmsg(fields.prefixLength, fields.scope ?? RT_SCOPE_UNIVERSE, fields.index);
  return encodeMessage({ type, flags, seq }, concatBytes([header, ...attributes]));
}

export function operStateName(operState: number): string {
  return operStateNames[operState] ?? `operstate-${operState}`;
}

/** RTM_NEWLINK/RTM_DELLINK payload -> LinkInfo, or a reason it could not be decoded. */
export function decodeLink(message: NetlinkMessage): LinkInfo | { rejected: string } {
  const { payload } = message;
  if (payload.length < IFINFOMSG_SIZE) return { rejected: `ifinfomsg needs ${IFINFOMSG_SIZE} bytes, got ${payload.length}` };
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const index = view.getInt32(4, true);
  const flags = view.getUint32(8, true);
  const attributes = attributeMap(decodeAttributes(payload.subarray(IFINFOMSG_SIZE)));
  const hardware = attributes.get(IFLA_ADDRESS);
  const adminUp = (flags & IFF_UP) !== 0;
  const running = (flags & IFF_RUNNING) !== 0;
  return {
    index,
    name: readString(attributes.get(IFLA_IFNAME)) ?? `if${index}`,
    mac: hardware && hardware.length === 6 ? formatMac(hardware) : "",
    up: adminUp && running,
    adminUp,
    running,
    operState: operStateName(readU8(attributes.get(IFLA_OPERSTATE)) ?? IF_OPER_UNKNOWN),
    flags,
    mtu: readU32(attributes.get(IFLA_MTU)) ?? 0,
  };
}

/** RTM_NEWADDR/RTM_DELADDR payload (AF_INET) -> AddressInfo, or a reason. */
export function decodeAddress(message: NetlinkMessage): AddressInfo | { rejected: string } {
  const { payload } = message;
  if (payload.length < IFADDRMSG_SIZE) return { rejected: `ifaddrmsg needs ${IFADDRMSG_SIZE} bytes, got ${payload.length}` };
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const family = view.getUint8(0);
  if (family !== AF_INET) return { rejected: `address family ${family} is not AF_INET` };
  const attributes = attributeMap(decodeAttributes(payload.subarray(IFADDRMSG_SIZE)));
  const address = readIpv4(attributes.get(IFA_LOCAL)) ?? readIpv4(attributes.get(IFA_ADDRESS));
  if (address === undefined) return { rejected: "neither IFA_LOCAL nor IFA_ADDRESS is present" };
  // IFA_FLAGS (u32) supersedes the u8 ifa_flags, which cannot hold the newer flags.
  const flags = readU32(attributes.get(IFA_FLAGS)) ?? view.getUint8(2);
  const index = view.getUint32(4, true);
  return {
    index,
    address,
    prefixLength: view.getUint8(1),
    label: readString(attributes.get(IFA_LABEL)) ?? "",
    scope: view.getUint8(3),
    broadcast: readIpv4(attributes.get(IFA_BROADCAST)),
    secondary: (flags & IFA_F_SECONDARY) !== 0,
    flags,
  };
}

export function isRejection(value: object): value is { rejected: string } {
  return "rejected" in value;
}

/**
 * Whether a link update is an up/down transition worth reporting. `previousUp` is undefined
 * for a link not seen before: it counts as down, so a new link reports only when it is up.
 */
export function linkTransition(previousUp: boolean | undefined, link: LinkInfo): "link-up" | "link-down" | undefined {
  const wasUp = previousUp ?? false;
  if (link.up === wasUp) return undefined;
  return link.up ? "link-up" : "link-down";
}
