// The network side of the VRRP engine in one object: what the daemon imports to reach the
// kernel (VRRP sockets, gratuitous ARP, addresses, link events).
import { formatIpv4 } from "../common/ipv4.ts";
import type { Logger } from "../common/logger.ts";
import { openArpSocket, type ArpSender } from "./arp-socket.ts";
import { openNetworkMonitor, type NetworkEvent, type NetworkMonitor } from "./rtnetlink-monitor.ts";
import { openRtnetlink, type Rtnetlink } from "./rtnetlink.ts";
import { openVrrpSocket, type VrrpSocket, type VrrpSocketOptions } from "./vrrp-socket.ts";

export interface NetworkPorts {
  /** Links and addresses; one shared request socket. */
  readonly rtnetlink: Rtnetlink;
  /**
   * Opens a VRRP socket. Without options.sourceIp the interface's primary IPv4 is looked up
   * now and used (keepalived's default); it throws if the interface has no IPv4 address.
   */
  openVrrpSocket(options: VrrpSocketOptions): Promise<VrrpSocket>;
  /** A gratuitous-ARP sender using the interface's current MAC. */
  openArpSender(interfaceName: string): Promise<ArpSender>;
  /** Link up/down and address events, reported against monitor.initialLinks. */
  watchNetwork(onEvent: (event: NetworkEvent) => void, onError: (error: Error) => void): Promise<NetworkMonitor>;
  /** Closes the rtnetlink socket; sockets opened through these ports are closed by their owners. */
  close(): void;
}

export function createNetworkPorts(logger: Logger): NetworkPorts {
  const rtnetlink = openRtnetlink();
  return {
    rtnetlink,
    async openVrrpSocket(options) {
      let sourceIp = options.sourceIp;
      if (sourceIp === undefined) {
        sourceIp = await rtnetlink.primaryIpv4(options.interfaceName);
        if (sourceIp === undefined) {
          throw new Error(`VRRP on ${options.interfaceName}: the interface has no IPv4 address to send from; add one or set mcast_src_ip/unicast_src_ip`);
        }
      }
      const socket = openVrrpSocket({ ...options, sourceIp });
      logger.debug(
        `VRRP socket on ${options.interfaceName} (index ${socket.interfaceIndex}), source ${formatIpv4(sourceIp)}, ${options.multicast ? "multicast 224.0.0.18" : "unicast"}`,
      );
      return socket;
    },
    async openArpSender(interfaceName) {
      const link = await rtnetlink.getLink(interfaceName);
      if (!link) throw new Error(`gratuitous ARP on ${interfaceName}: no such interface`);
      if (!link.mac) throw new Error(`gratuitous ARP on ${interfaceName}: the interface has no Ethernet address`);
      logger.debug(`ARP sender on ${interfaceName} (${link.mac})`);
      return openArpSocket({ interfaceName, mac: link.mac });
    },
    watchNetwork: (onEvent, onError) => openNetworkMonitor({ loadLinks: () => rtnetlink.listLinks(), onEvent, onError }),
    close: () => rtnetlink.close(),
  };
}
