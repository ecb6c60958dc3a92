// A socket's error queue as recvmsg(MSG_ERRQUEUE) returns it on a socket with IP_RECVERR or
// IPV6_RECVERR (ip(7), ipv6(7)): the control messages walked as CMSG_FIRSTHDR / CMSG_NXTHDR
// walk them, and the struct sock_extended_err of <linux/errqueue.h> in them, with the
// address of whoever sent the ICMP error (SO_EE_OFFENDER). Linux x86-64 layouts. Pure: the
// decoders never throw on what the kernel hands back; they say what they could not read.
import { ipAddressFromBytes, type IpAddress } from "../common/ip-address.ts";
import { AF_INET, AF_INET6 } from "../netlink/linux-constants.ts";

/** <linux/in.h>, at level IPPROTO_IP (SOL_IP, 0): queue errors, and read them as cmsgs of this type. */
export const IP_RECVERR = 11;
/** <linux/in6.h>, at level IPPROTO_IPV6 (SOL_IPV6). */
export const IPPROTO_IPV6 = 41;
export const IPV6_RECVERR = 25;

/** <linux/errqueue.h> ee_origin. */
export const SO_EE_ORIGIN_NONE = 0;
export const SO_EE_ORIGIN_LOCAL = 1;
export const SO_EE_ORIGIN_ICMP = 2;
export const SO_EE_ORIGIN_ICMP6 = 3;

/** struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then the data, 8-aligned (CMSG_ALIGN). */
export const CMSGHDR_SIZE = 16;
/** struct sock_extended_err { u32 ee_errno; u8 ee_origin, ee_type, ee_code, ee_pad; u32 ee_info; u32 ee_data; } */
export const SOCK_EXTENDED_ERR_SIZE = 16;

export interface ControlMessage {
  level: number;
  type: number;
  data: Uint8Array;
}

const align8 = (n: number): number => (n + 7) & ~7;

/**
 * The control messages in the first `length` bytes of a msg_control buffer (msg_controllen
 * after the call). A header whose cmsg_len is short or runs past the end ends the walk, as
 * CMSG_NXTHDR does: the kernel truncates (MSG_CTRUNC) rather than writing half a message.
 */
export function decodeControlMessages(control: Uint8Array, length = control.byteLength): ControlMessage[] {
  const end = Math.min(length, control.byteLength);
  const view = new DataView(control.buffer, control.byteOffset, control.byteLength);
  const messages: ControlMessage[] = [];
  for (let offset = 0; offset + CMSGHDR_SIZE <= end;) {
    const cmsgLength = Number(view.getBigUint64(offset, true));
    if (cmsgLength < CMSGHDR_SIZE || offset + cmsgLength > end) break;
    messages.push({
      level: view.getInt32(offset + 8, true),
      type: view.getInt32(offset + 12, true),
      data: control.subarray(offset + CMSGHDR_SIZE, offset + cmsgLength),
    });
    offset += align8(cmsgLength);
  }
  return messages;
}

/** One queued error, as sock_extended_err has it. */
export interface SockExtendedErr {
  /** ee_errno: what the socket calls it (ECONNREFUSED, EHOSTUNREACH, EMSGSIZE...). */
  errno: number;
  /** ee_origin: SO_EE_ORIGIN_ICMP / _ICMP6 for an ICMP error, _LOCAL for one of this host's stack. */
  origin: number;
  /** ee_type, ee_code: the ICMP message's type and code (for an ICMP origin). */
  type: number;
  code: number;
  /** ee_info: the next-hop MTU of a fragmentation needed / packet too big, else 0 (or a pointer offset). */
  info: number;
  /** SO_EE_OFFENDER: the sender of the ICMP error (the target, a router, this host); none for a local error. */
  offender?: IpAddress;
}

/** The sockaddr_in / sockaddr_in6 after the struct; AF_UNSPEC (a local error) or too short: none. */
function offenderOf(data: Uint8Array): IpAddress | undefined {
  if (data.byteLength < SOCK_EXTENDED_ERR_SIZE + 2) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const family = view.getUint16(SOCK_EXTENDED_ERR_SIZE, true);
  // sockaddr_in: family, port, the address at 4; sockaddr_in6: family, port, flowinfo, the address at 8.
  if (family === AF_INET && data.byteLength >= SOCK_EXTENDED_ERR_SIZE + 8) return ipAddressFromBytes(4, data, SOCK_EXTENDED_ERR_SIZE + 4);
  if (family === AF_INET6 && data.byteLength >= SOCK_EXTENDED_ERR_SIZE + 24) return ipAddressFromBytes(6, data, SOCK_EXTENDED_ERR_SIZE + 8);
  return undefined;
}

export function decodeSockExtendedErr(data: Uint8Array): SockExtendedErr | { rejected: string } {
  if (data.byteLength < SOCK_EXTENDED_ERR_SIZE) return { rejected: `sock_extended_err needs ${SOCK_EXTENDED_ERR_SIZE} bytes, got ${data.byteLength}` };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const offender = offenderOf(data);
  return {
    errno: view.getUint32(0, true),
    origin: view.getUint8(4),
    type: view.getUint8(5),
    code: view.getUint8(6),
    info: view.getUint32(8, true),
    ...(offender ? { offender } : {}),
  };
}

/**
 * The extended error among the control messages of one MSG_ERRQUEUE read: the IP_RECVERR
 * message of an IPv4 socket, the IPV6_RECVERR one of an IPv6 socket (keepalived's
 * udp_socket_error looks for the same two). Undefined when there is none or it is unreadable.
 */
export function queuedErrorOf(messages: readonly ControlMessage[]): SockExtendedErr | undefined {
  for (const message of messages) {
    const ours = (message.level === 0 && message.type === IP_RECVERR) || (message.level === IPPROTO_IPV6 && message.type === IPV6_RECVERR);
    if (!ours) continue;
    const error = decodeSockExtendedErr(message.data);
    if (!("rejected" in error)) return error;
  }
  return undefined;
}
