// RTM_NEWADDR / RTM_DELADDR of either family (<linux/if_addr.h>): the addresses a host's
// interfaces hold, IPv4 and IPv6, as IpAddress values, for what follows them whatever their
// family (ha_suspend). rtnetlink-messages.ts keeps the IPv4-only view the VRRP engine works
// in (its addresses are numbers, its requests add and delete them). Pure.
import { ipAddressFromBytes, type IpAddress } from "../common/ip-address.ts";
import { AF_INET, AF_INET6, AF_UNSPEC } from "./linux-constants.ts";
import { attributeMap, decodeAttributes, encodeMessage, NLM_F_DUMP, NLM_F_REQUEST, readU32, type NetlinkMessage } from "./netlink-codec.ts";
import { IFADDRMSG_SIZE, IFA_ADDRESS, IFA_FLAGS, IFA_LOCAL, RTM_GETADDR } from "./rtnetlink-messages.ts";

/** <linux/rtnetlink.h>: the legacy multicast group of IPv6 address changes (RTMGRP_IPV4_IFADDR's twin). */
export const RTMGRP_IPV6_IFADDR = 0x100;

// <linux/if_addr.h> ifa_flags an IPv6 address carries through duplicate address detection.
export const IFA_F_DADFAILED = 0x08;
export const IFA_F_TENTATIVE = 0x40;

export interface InterfaceAddress {
  index: number;
  address: IpAddress;
  prefixLength: number;
  scope: number;
  /** ifa_flags, widened by IFA_FLAGS when present (IFA_F_TENTATIVE, IFA_F_DADFAILED...). */
  flags: number;
}

/** A dump of every address of every family: ifaddrmsg with AF_UNSPEC, as `ip address show` asks. */
export function encodeGetInterfaceAddressesRequest(seq: number): Uint8Array {
  return encodeMessage({ type: RTM_GETADDR, flags: NLM_F_REQUEST | NLM_F_DUMP, seq }, new Uint8Array([AF_UNSPEC, 0, 0, 0, 0, 0, 0, 0]));
}

/**
 * RTM_NEWADDR / RTM_DELADDR of AF_INET or AF_INET6, or why not. The interface's own address
 * is IFA_LOCAL when there is one (an IPv4 point-to-point link has the peer in IFA_ADDRESS),
 * else IFA_ADDRESS (IPv6 sends only that, but for a peer address).
 */
export function decodeInterfaceAddress(message: NetlinkMessage): InterfaceAddress | { rejected: string } {
  const { payload } = message;
  if (payload.length < IFADDRMSG_SIZE) return { rejected: `ifaddrmsg needs ${IFADDRMSG_SIZE} bytes, got ${payload.length}` };
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const familyCode = view.getUint8(0);
  const family = familyCode === AF_INET ? 4 : familyCode === AF_INET6 ? 6 : undefined;
  if (family === undefined) return { rejected: `address family ${familyCode} is neither AF_INET nor AF_INET6` };
  const attributes = attributeMap(decodeAttributes(payload.subarray(IFADDRMSG_SIZE)));
  const size = family === 4 ? 4 : 16;
  const raw = [attributes.get(IFA_LOCAL), attributes.get(IFA_ADDRESS)].find((value) => value !== undefined && value.length >= size);
  if (raw === undefined) return { rejected: `neither IFA_LOCAL nor IFA_ADDRESS holds an IPv${family} address` };
  return {
    index: view.getUint32(4, true),
    address: ipAddressFromBytes(family, raw),
    prefixLength: view.getUint8(1),
    scope: view.getUint8(3),
    // IFA_FLAGS (u32) supersedes the u8 ifa_flags, which cannot hold the newer flags.
    flags: readU32(attributes.get(IFA_FLAGS)) ?? view.getUint8(2),
  };
}
