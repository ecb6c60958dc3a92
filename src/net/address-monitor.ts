// Follows this host's IPv4 and IPv6 addresses as they come and go: rtnetlink's address events
// (RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR), after a dump of the addresses present read once
// subscribed, so that no change falls between the two. Event driven, no polling.
// rtnetlink-monitor.ts follows links and IPv4 addresses for the VRRP engine; this one is for
// what must see every family (ha_suspend).
import { NETLINK_ROUTE } from "./libc-structs.ts";
import { openNetlinkRequestSocket } from "./netlink-socket.ts";
import { subscribeRoute } from "./route-subscription.ts";
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
  const subscription = await subscribeRoute({
    groups: RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
    groupNames: "RTMGRP_IPV4_IFADDR|RTMGRP_IPV6_IFADDR",
    name: "address monitor",
    snapshot: () => options.onDump(dumpAddresses()),
    onMessage: (message) => {
      const type = message.header.type;
      if (type !== RTM_NEWADDR && type !== RTM_DELADDR) return;
      const address = decodeInterfaceAddress(message);
      if (isRejection(address)) return;
      options.onEvent({ kind: type === RTM_NEWADDR ? "address-added" : "address-removed", address });
    },
    onError: (error) => options.onError(error),
  });
  return { close: () => subscription.close() };
}
