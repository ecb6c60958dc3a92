// rtnetlink operations the VRRP engine needs: list links and IPv4 addresses, find an
// interface's primary address, add and delete (virtual) addresses.
import { formatIpv4 } from "../common/ipv4.ts";
import { interfaceIndex } from "./libc.ts";
import { NETLINK_ROUTE } from "./libc-structs.ts";
import { openNetlinkRequestSocket } from "./netlink-socket.ts";
import {
  decodeAddress,
  decodeLink,
  encodeAddAddressRequest,
  encodeDeleteAddressRequest,
  encodeGetAddressesRequest,
  encodeGetLinksRequest,
  isRejection,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RT_SCOPE_UNIVERSE,
  type AddressInfo,
  type AddressSpec,
  type LinkInfo,
} from "../netlink/rtnetlink-messages.ts";

export interface Rtnetlink {
  listLinks(): Promise<LinkInfo[]>;
  /** The link named interfaceName, or undefined if there is none. */
  getLink(interfaceName: string): Promise<LinkInfo | undefined>;
  /** IPv4 addresses in kernel order, of one interface (by index, so alias labels are included) or all. */
  listAddresses(interfaceName?: string): Promise<AddressInfo[]>;
  /**
   * The interface's primary IPv4: the first non-secondary address of global scope, else the
   * first non-secondary one. Scope matters because the kernel lists primaries of narrower
   * scope (link, host) first, so a `scope link` VIP would otherwise displace the real one.
   */
  primaryIpv4(interfaceName: string): Promise<number | undefined>;
  /** Throws NetlinkError; isAlreadyPresent(error) when the address is already there (EEXIST). */
  addAddress(spec: AddressSpec): Promise<void>;
  /** Throws NetlinkError; isAlreadyAbsent(error) when there was no such address (EADDRNOTAVAIL). */
  deleteAddress(spec: AddressSpec): Promise<void>;
  close(): void;
}

export function describeAddressSpec(spec: AddressSpec): string {
  const label = spec.label !== undefined && spec.label !== spec.interfaceName ? ` label ${spec.label}` : "";
  return `${formatIpv4(spec.address)}/${spec.prefixLength} on ${spec.interfaceName}${label}`;
}

/** One NETLINK_ROUTE request socket; requests run one at a time (each completes before returning). */
export function openRtnetlink(): Rtnetlink {
  const socket = openNetlinkRequestSocket(NETLINK_ROUTE, "NETLINK_ROUTE");

  function listLinksNow(): LinkInfo[] {
    const replies = socket.exchange(encodeGetLinksRequest(socket.nextSeq()), "RTM_GETLINK dump");
    const links: LinkInfo[] = [];
    for (const message of replies) {
      if (message.header.type !== RTM_NEWLINK) continue;
      const link = decodeLink(message);
      if (!isRejection(link)) links.push(link);
    }
    return links;
  }

  function listAddressesNow(interfaceName?: string): AddressInfo[] {
    const index = interfaceName === undefined ? undefined : interfaceIndex(interfaceName);
    const replies = socket.exchange(encodeGetAddressesRequest(socket.nextSeq()), "RTM_GETADDR dump");
    const addresses: AddressInfo[] = [];
    for (const message of replies) {
      if (message.header.type !== RTM_NEWADDR) continue;
      const address = decodeAddress(message);
      if (!isRejection(address) && (index === undefined || address.index === index)) addresses.push(address);
    }
    return addresses;
  }

  function fieldsOf(spec: AddressSpec) {
    return {
      index: interfaceIndex(spec.interfaceName),
      address: spec.address,
      prefixLength: spec.prefixLength,
      broadcast: spec.broadcast,
      scope: spec.scope,
      label: spec.label,
    };
  }

  return {
    listLinks: async () => listLinksNow(),
    getLink: async (interfaceName) => listLinksNow().find((link) => link.name === interfaceName),
    listAddresses: async (interfaceName) => listAddressesNow(interfaceName),
    async primaryIpv4(interfaceName) {
      const primaries = listAddressesNow(interfaceName).filter((address) => !address.secondary);
      return (primaries.find((address) => address.scope === RT_SCOPE_UNIVERSE) ?? primaries[0])?.address;
    },
    async addAddress(spec) {
      socket.exchange(encodeAddAddressRequest(socket.nextSeq(), fieldsOf(spec)), `RTM_NEWADDR ${describeAddressSpec(spec)}`);
    },
    async deleteAddress(spec) {
      socket.exchange(encodeDeleteAddressRequest(socket.nextSeq(), fieldsOf(spec)), `RTM_DELADDR ${describeAddressSpec(spec)}`);
    },
    close: () => socket.close(),
  };
}
