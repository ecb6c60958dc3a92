// Watches rtnetlink multicast groups (RTMGRP_LINK, RTMGRP_IPV4_IFADDR) and reports link
// up/down transitions and IPv4 address changes as they happen: event driven, no polling.
import { readDatagramChunks } from "./datagram-stream.ts";
import { bindSocket, closeFd, openSocket, setIntSocketOption } from "./libc.ts";
import { AF_NETLINK, encodeSockaddrNl, NETLINK_ROUTE, SOCK_CLOEXEC, SOCK_RAW, SOL_SOCKET, SO_RCVBUFFORCE } from "./libc-structs.ts";
import { decodeMessages } from "../netlink/netlink-codec.ts";
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

/** Big enough for a burst of hundreds of address events; root may exceed rmem_max (FORCE). */
const MONITOR_RECEIVE_BUFFER_BYTES = 1024 * 1024;

export async function openNetworkMonitor(options: NetworkMonitorOptions): Promise<NetworkMonitor> {
  let initialLinks: LinkInfo[];
  const fd = openSocket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE, "socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)", "for the link monitor");
  try {
    try {
      setIntSocketOption(fd, SOL_SOCKET, SO_RCVBUFFORCE, MONITOR_RECEIVE_BUFFER_BYTES, "SO_RCVBUFFORCE");
    } catch {
      // Not root (CAP_NET_ADMIN): the default queue still works, it just overflows sooner.
    }
    bindSocket(fd, encodeSockaddrNl(0, RTMGRP_LINK | RTMGRP_IPV4_IFADDR), "sockaddr_nl RTMGRP_LINK|RTMGRP_IPV4_IFADDR");
    // Subscribed: from here on every change is queued, so the snapshot cannot miss one.
    initialLinks = await options.loadLinks();
  } catch (error) {
    closeFd(fd);
    throw error;
  }

  const linkUp = new Map<number, boolean>(initialLinks.map((link) => [link.index, link.up]));
  let closed = false;
  let closing: Promise<void> | undefined;

  const reader = readDatagramChunks(
    fd,
    (chunk) => {
      // Several datagrams may arrive in one chunk; netlink framing spans them all.
      const { messages, problem } = decodeMessages(chunk);
      for (const message of messages) {
        if (closed) return;
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
      }
      if (problem && !closed) options.onError(new Error(`link monitor: malformed netlink data: ${problem}`));
    },
    (error) => {
      if (!closed) options.onError(new Error(`link monitor: ${error.message}`));
    },
  );

  return {
    initialLinks,
    close() {
      if (!closing) {
        closed = true;
        closing = reader.stop();
        closeFd(fd);
      }
      return closing;
    },
  };
}
