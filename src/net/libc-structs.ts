// Socket constants and Linux x86-64 struct layouts (sockaddr_in, ip_mreqn, sockaddr_ll,
// sockaddr_nl, timeval, msghdr, iovec), built with DataView. Pure: no FFI, so it is
// unit-tested without root (the pointers msghdr holds are libc.ts's to take).

// <bits/socket.h>, <linux/socket.h>; the families netlink messages carry live in netlink/.
import { AF_INET, AF_NETLINK, IFNAMSIZ } from "../netlink/linux-constants.ts";

export { AF_INET, AF_NETLINK, AF_UNSPEC, IFNAMSIZ } from "../netlink/linux-constants.ts";
import { AF_INET6 } from "../netlink/linux-constants.ts";
export const AF_PACKET = 17;
export const SOCK_RAW = 3;
/** Notify scripts are spawned by the daemon: raw sockets must not leak into them. */
export const SOCK_CLOEXEC = 0o2000000;
export const SOCK_STREAM = 1;
export const SOCK_NONBLOCK = 0o4000;
export const IPPROTO_TCP = 6;

// <asm-generic/socket.h> (x86-64 uses the generic values)
export const SOL_SOCKET = 1;
export const SO_RCVBUF = 8;
export const SO_RCVTIMEO = 20;
export const SO_BINDTODEVICE = 25;
export const SO_ERROR = 4;
export const SO_MARK = 36;
export const SO_RCVBUFFORCE = 33;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
/** Read the socket's error queue (IP_RECVERR), not its data. */
export const MSG_ERRQUEUE = 0x2000;

// <linux/in.h>
export const IPPROTO_IP = 0;
export const IP_TOS = 1;
export const IP_TTL = 2;
export const IP_MTU_DISCOVER = 10;
export const IP_PMTUDISC_DONT = 0;
export const IP_MULTICAST_IF = 32;
export const IP_MULTICAST_TTL = 33;
export const IP_MULTICAST_LOOP = 34;
export const IP_ADD_MEMBERSHIP = 35;
export const IP_DROP_MEMBERSHIP = 36;

// <linux/if_ether.h>
export const ETH_ALEN = 6;
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;

// <linux/if_arp.h>
export const ARPHRD_ETHER = 1;

// <linux/netlink.h>
export const NETLINK_ROUTE = 0;
export const NETLINK_GENERIC = 16;
export const SOL_NETLINK = 270;
export const NETLINK_CAP_ACK = 10;
export const NETLINK_EXT_ACK = 11;

export const SOCKADDR_IN_SIZE = 16;
export const IP_MREQN_SIZE = 12;
export const SOCKADDR_LL_SIZE = 20;
export const SOCKADDR_NL_SIZE = 12;
export const SOCKADDR_IN6_SIZE = 28;

/** A native-endian int, the value type of most socket options. */
export function encodeInt32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, value, true);
  return bytes;
}

export function decodeInt32(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(0, true);
}

/** struct sockaddr_in { sa_family_t family; in_port_t port (BE); struct in_addr addr (BE); zero[8] } */
export function encodeSockaddrIn(address: number, port = 0): Uint8Array {
  const bytes = new Uint8Array(SOCKADDR_IN_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, AF_INET, true);
  view.setUint16(2, port, false);
  view.setUint32(4, address >>> 0, false);
  return bytes;
}

/**
 * struct sockaddr_in6 { sa_family_t family; in_port_t port (BE); u32 flowinfo (BE);
 * struct in6_addr addr; u32 scope_id }. Scope 0 leaves a link-local address to the device
 * the socket is bound to (SO_BINDTODEVICE): the kernel refuses it with neither.
 */
export function encodeSockaddrIn6(address: Uint8Array, port = 0, scopeId = 0): Uint8Array {
  if (address.byteLength !== 16) throw new RangeError(`an IPv6 address is 16 bytes, not ${address.byteLength}`);
  const bytes = new Uint8Array(SOCKADDR_IN6_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, AF_INET6, true);
  view.setUint16(2, port, false);
  bytes.set(address, 8);
  view.setUint32(24, scopeId >>> 0, true);
  return bytes;
}

/**
 * struct ip_mreqn { in_addr imr_multiaddr; in_addr imr_address; int imr_ifindex }.
 * The ifindex form (not ip_mreq) names the interface even when it has no address yet.
 */
export function encodeIpMreqn(multicastAddress: number, interfaceAddress: number, interfaceIndex: number): Uint8Array {
  const bytes = new Uint8Array(IP_MREQN_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, multicastAddress >>> 0, false);
  view.setUint32(4, interfaceAddress >>> 0, false);
  view.setInt32(8, interfaceIndex, true);
  return bytes;
}

/**
 * struct sockaddr_ll { u16 family; be16 protocol; int ifindex; u16 hatype; u8 pkttype;
 * u8 halen; u8 addr[8] }.
 */
export function encodeSockaddrLl(options: {
  protocol: number;
  interfaceIndex: number;
  hardwareType?: number;
  packetType?: number;
  address?: Uint8Array;
}): Uint8Array {
  const bytes = new Uint8Array(SOCKADDR_LL_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, AF_PACKET, true);
  view.setUint16(2, options.protocol, false);
  view.setInt32(4, options.interfaceIndex, true);
  view.setUint16(8, options.hardwareType ?? 0, true);
  view.setUint8(10, options.packetType ?? 0);
  const address = options.address ?? new Uint8Array(0);
  view.setUint8(11, Math.min(address.length, 8));
  bytes.set(address.subarray(0, 8), 12);
  return bytes;
}

/** struct sockaddr_nl { u16 family; u16 pad; u32 pid (port id); u32 groups (bitmask) } */
export function encodeSockaddrNl(portId = 0, groups = 0): Uint8Array {
  const bytes = new Uint8Array(SOCKADDR_NL_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, AF_NETLINK, true);
  view.setUint32(4, portId >>> 0, true);
  view.setUint32(8, groups >>> 0, true);
  return bytes;
}

export function decodeSockaddrNl(bytes: Uint8Array): { family: number; portId: number; groups: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { family: view.getUint16(0, true), portId: view.getUint32(4, true), groups: view.getUint32(8, true) };
}

/** struct timeval { time_t tv_sec; suseconds_t tv_usec } — both 64-bit on x86-64. */
export function encodeTimeval(milliseconds: number): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setBigInt64(0, BigInt(Math.floor(milliseconds / 1000)), true);
  view.setBigInt64(8, BigInt(Math.round((milliseconds % 1000) * 1000)), true);
  return bytes;
}

export const MSGHDR_SIZE = 56;
export const IOVEC_SIZE = 16;

/** struct iovec { void *iov_base; size_t iov_len; } */
export function encodeIovec(base: number, length: number): Uint8Array {
  const bytes = new Uint8Array(IOVEC_SIZE);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(base), true);
  view.setBigUint64(8, BigInt(length), true);
  return bytes;
}

/** The buffers of a struct msghdr: addresses (bun:ffi's ptr()) and lengths; 0 for none. */
export interface MsghdrFields {
  name: number;
  nameLength: number;
  iov: number;
  iovCount: number;
  control: number;
  controlLength: number;
}

/**
 * struct msghdr { void *msg_name; socklen_t msg_namelen; (4 bytes padding) struct iovec
 * *msg_iov; size_t msg_iovlen; void *msg_control; size_t msg_controllen; int msg_flags; }
 */
export function encodeMsghdr(fields: MsghdrFields): Uint8Array {
  const bytes = new Uint8Array(MSGHDR_SIZE);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(fields.name), true);
  view.setUint32(8, fields.nameLength, true);
  view.setBigUint64(16, BigInt(fields.iov), true);
  view.setBigUint64(24, BigInt(fields.iovCount), true);
  view.setBigUint64(32, BigInt(fields.control), true);
  view.setBigUint64(40, BigInt(fields.controlLength), true);
  return bytes;
}

/** What recvmsg wrote back into a msghdr: the control bytes it filled in, and msg_flags (MSG_CTRUNC...). */
export function decodeMsghdrResult(bytes: Uint8Array): { controlLength: number; flags: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { controlLength: Number(view.getBigUint64(40, true)), flags: view.getInt32(48, true) };
}

/** A NUL-terminated C string, as SO_BINDTODEVICE and if_nametoindex want. */
export function encodeCString(text: string): Uint8Array {
  const encoded = new TextEncoder().encode(text);
  const bytes = new Uint8Array(encoded.length + 1);
  bytes.set(encoded);
  return bytes;
}

/** Checks an interface name before it reaches the kernel, which would only say EINVAL/ENODEV. */
export function interfaceNameProblem(name: string): string | undefined {
  if (name.length === 0) return "interface name is empty";
  if (new TextEncoder().encode(name).length >= IFNAMSIZ) return `interface name "${name}" is longer than ${IFNAMSIZ - 1} bytes`;
  // The kernel's dev_valid_name() rejects these; ':' marks an address label, not a device.
  if (/[\s/:]/.test(name)) return `interface name "${name}" contains whitespace, '/' or ':'`;
  return undefined;
}
