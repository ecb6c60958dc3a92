// Watches rtnetlink multicast groups (RTMGRP_LINK, RTMGRP_IPV4_IFADDR; route-subscription.ts) and reports link
// up/down transitions and IPv4 address changes as they happen: event driven, no polling.
import { subscribeRoute } from "./route-subscription.ts";
import {
  decodeAddress,
  decodeLink,
  isRejection,
  linkTransition,
  RTMGRP_IPV4_IFADDR,
  RTMGRP_LINK,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
  type AddressInfo,
  type LinkInfo,
} from "../netlink/rtnetlink-messages.ts";

export type NetworkEvent =
  | { kind: "link-up"; link: LinkInfo }
  | { kind: "link-down"; link: LinkInfo }
  | { kind: "link-removed"; link: LinkInfo }
  /** RTM_NEWADDR: a new address, or an existing one whose attributes changed. */
  | { kind: "address-added"; address: AddressInfo }
  | { kind: "address-removed"; address: AddressInfo };

export interface NetworkMonitorOptions {
  /**
   * Reads the links as they are now (rtnetlink.listLinks). Called after subscribing, so no
   * change can fall between this snapshot and the first event.
   */
  loadLinks(): Promise<LinkInfo[]>;
  onEvent(event: NetworkEvent): void;
  /**
   * Receive failures. ENOBUFS means events were lost (the queue overflowed): re-read state
   * with listLinks()/listAddresses() and open a new monitor. Reception stops after an error.
   */
  onError(error: Error): void;
}

export interface NetworkMonitor {
  /** The snapshot transitions are reported against: the state to start from. */
  readonly initialLinks: readonly LinkInfo[];
  /** Idempotent; no event is delivered once called. Settles when the socket is released. */
  close(): Promise<void>;
}

export async function openNetworkMonitor(options: NetworkMonitorOptions): Promise<NetworkMonitor> {
  const linkUp = new Map<number, boolean>();
  const subscription = await subscribeRoute({
    groups: RTMGRP_LINK | RTMGRP_IPV4_IFADDR,
    groupNames: "RTMGRP_LINK|RTMGRP_IPV4_IFADDR",
    name: "link monitor",
    snapshot: async () => {
      const links = await options.loadLinks();
      for (const link of links) linkUp.set(link.index, link.up);
      return links;
    },
    onMessage: (message) => {
      switch (message.header.type) {
        case RTM_NEWLINK: {
          const link = decodeLink(message);
          if (isRejection(link)) break;
          const kind = linkTransition(linkUp.get(link.index), link);
          linkUp.set(link.index, link.up);
          if (kind) options.onEvent({ kind, link });
          break;
        }
        case RTM_DELLINK: {
          const link = decodeLink(message);
          if (isRejection(link)) break;
          linkUp.delete(link.index);
          options.onEvent({ kind: "link-removed", link });
          break;
        }
        case RTM_NEWADDR:
        case RTM_DELADDR: {
          const address = decodeAddress(message);
          if (isRejection(address)) break; // e.g. not AF_INET
          options.onEvent({ kind: message.header.type === RTM_NEWADDR ? "address-added" : "address-removed", address });
          break;
        }
      }
    },
    onError: (error) => options.onError(error),
  });
  return { initialLinks: subscription.snapshot, close: () => subscription.close() };
}
