// An AF_PACKET socket that sends gratuitous ARPs for VIPs on one interface (RFC 5798 6.4.1).
import { parseMac, formatIpv4 } from "../common/ipv4.ts";
import { encodeGratuitousArp } from "./arp.ts";
import { bindSocket, closeFd, interfaceIndex, openSocket, sendTo } from "./libc.ts";
import { AF_PACKET, encodeSockaddrLl, ETH_P_ARP, interfaceNameProblem, SOCK_CLOEXEC, SOCK_RAW } from "./libc-structs.ts";

export interface ArpSocketOptions {
  interfaceName: string;
  /** The interface's MAC as "aa:bb:cc:dd:ee:ff" (LinkInfo.mac); it is the frame's sender. */
  mac: string;
}

export interface ArpSender {
  readonly interfaceName: string;
  readonly mac: string;
  /** Sends one gratuitous ARP for vip. Throws SystemError (e.g. ENETDOWN when the link is down). */
  sendGratuitousArp(vip: number): void;
  close(): void;
}

export function openArpSocket(options: ArpSocketOptions): ArpSender {
  const { interfaceName } = options;
  const nameProblem = interfaceNameProblem(interfaceName);
  if (nameProblem) throw new Error(`ARP socket: ${nameProblem}`);
  const mac = parseMac(options.mac);
  if (!mac) throw new Error(`ARP socket on ${interfaceName}: "${options.mac}" is not a MAC address`);
  const where = `on ${interfaceName}`;
  const index = interfaceIndex(interfaceName);
  // Protocol 0: a send-only socket. With htons(ETH_P_ARP) the kernel would queue every ARP
  // on the LAN to a socket nobody reads.
  const fd = openSocket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0, "socket(AF_PACKET, SOCK_RAW, 0)", where);
  let closed = false;
  try {
    bindSocket(fd, encodeSockaddrLl({ protocol: 0, interfaceIndex: index }), "sockaddr_ll", where);
  } catch (error) {
    closeFd(fd);
    throw error;
  }
  const destination = encodeSockaddrLl({ protocol: ETH_P_ARP, interfaceIndex: index, address: new Uint8Array([255, 255, 255, 255, 255, 255]) });
  return {
    interfaceName,
    mac: options.mac.toLowerCase(),
    sendGratuitousArp(vip) {
      if (closed) throw new Error(`gratuitous ARP ${where}: the socket is closed`);
      sendTo(fd, encodeGratuitousArp(mac, vip), destination, "sendto(gratuitous ARP)", `for ${formatIpv4(vip)} ${where}`);
    },
    close() {
      if (closed) return;
      closed = true;
      closeFd(fd);
    },
  };
}
