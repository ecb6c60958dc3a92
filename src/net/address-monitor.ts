// Follows this host's IPv4 and IPv6 addresses as they come and go: rtnetlink's address events
// (RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR), after a dump of the addresses present read once
// subscribed, so that no change falls between the two. Event driven, no polling.
// rtnetlink-monitor.ts follows links and IPv4 addresses for the VRRP engine; this one is for
// what must see every family (ha_suspend).
import { readDatagramChunks } from "./datagram-stream.ts";
import { bindSocket, closeFd, openSocket, setIntSocketOption } from "./libc.ts";
import { AF_NETLINK, encodeSockaddrNl, NETLINK_ROUTE, SOCK_CLOEXEC, SOCK_RAW, SOL_SOCKET, SO_RCVBUFFORCE } from "./libc-structs.ts";
import { openNetlinkRequestSocket } from "./netlink-socket.ts";
import { decodeMessages } from "../netlink/netlink-codec.ts";
import { decodeInterfaceAddress, encodeGetInterfaceAddressesRequest, RTMGRP_IPV6_IFADDR, type InterfaceAddress } from "../netlink/interface-addresses.ts";
import { isRejection, RTMGRP_IPV4_IFADDR, RTM_DELADDR, RTM_NEWADDR } from "../netlink/rtnetlink-messages.ts";

/** RTM_NEWADDR is also sent for an address whose attributes changed (an IPv6 one leaving DAD's tentative state). */
export interface AddressEvent {
  kind: "address-added" | "address-removed";
  address: InterfaceAddress;
}

export interface AddressMonitorOptions {
  /** The addresses present once subscribed: the state the events change. Called once, before any event. */
  onDump(addresses: InterfaceAddress[]): void;
  onEvent(event: AddressEvent): void;
  /**
   * Receive failures. ENOBUFS means events were lost (the queue overflowed): open a new
   * monitor, whose initial dump is the state to start from again. Reception stops after an error.
   */
  onError(error: Error): void;
}

export interface AddressMonitor {
  /** Idempotent; no event is delivered once called. Settles when the socket is released. */
  close(): Promise<void>;
}

/** A host with thousands of addresses changes them in bursts; root may exceed rmem_max (FORCE). */
const RECEIVE_BUFFER_BYTES = 1024 * 1024;

/** Every address of both families, as the kernel lists them now. */
function dumpAddresses(): InterfaceAddress[] {
  const socket = openNetlinkRequestSocket(NETLINK_ROUTE, "NETLINK_ROUTE");
  try {
    const addresses: InterfaceAddress[] = [];
    for (const message of socket.exchange(encodeGetInterfaceAddressesRequest(socket.nextSeq()), "RTM_GETADDR dump (AF_UNSPEC)")) {
      if (message.header.type !== RTM_NEWADDR) continue;
      const address = decodeInterfaceAddress(message);
      if (!isRejection(address)) addresses.push(address);
    }
    return addresses;
  } finally {
    socket.close();
  }
}

export async function openAddressMonitor(options: AddressMonitorOptions): Promise<AddressMonitor> {
  const groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  const fd = openSocket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE, "socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)", "for the address monitor");
  try {
    try {
      setIntSocketOption(fd, SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER_BYTES, "SO_RCVBUFFORCE");
    } catch {
      // Not root (CAP_NET_ADMIN): the default queue still works, it just overflows sooner.
    }
    bindSocket(fd, encodeSockaddrNl(0, groups), "sockaddr_nl RTMGRP_IPV4_IFADDR|RTMGRP_IPV6_IFADDR");
    // Subscribed: from here on every change is queued, so the dump cannot miss one.
    options.onDump(dumpAddresses());
  } catch (error) {
    closeFd(fd);
    throw error;
  }

  let closed = false;
  let closing: Promise<void> | undefined;
  const reader = readDatagramChunks(
    fd,
    (chunk) => {
      // Several datagrams may arrive in one chunk; netlink framing spans them all.
      const { messages, problem } = decodeMessages(chunk);
      for (const message of messages) {
        if (closed) return;
        const type = message.header.type;
        if (type !== RTM_NEWADDR && type !== RTM_DELADDR) continue;
        const address = decodeInterfaceAddress(message);
        if (isRejection(address)) continue;
        options.onEvent({ kind: type === RTM_NEWADDR ? "address-added" : "address-removed", address });
      }
      if (problem && !closed) options.onError(new Error(`address monitor: malformed netlink data: ${problem}`));
    },
    (error) => {
      if (!closed) options.onError(new Error(`address monitor: ${error.message}`));
    },
  );

  return {
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
