// Raw IPv4 sockets for VRRP adverts (protocol 112, RFC 3768 5.2 / RFC 5798 5.1.1): one to
// receive (joined to 224.0.0.18), one to send (bound to the source address).
import { systemClock, type Clock } from "../common/clock.ts";
import { IPPROTO_VRRP, VRRP_MULTICAST_GROUP, VRRP_TOS, VRRP_TTL } from "../common/vrrp-wire.ts";
import { formatIpv4 } from "../common/ipv4.ts";
import { splitIpv4Datagrams } from "./ipv4-datagrams.ts";
import { readDatagramChunks } from "./datagram-stream.ts";
import { bindSocket, closeFd, interfaceIndex, openSocket, sendTo, setIntSocketOption, setSocketOption } from "./libc.ts";
import {
  AF_INET,
  encodeCString,
  encodeIpMreqn,
  encodeSockaddrIn,
  interfaceNameProblem,
  IPPROTO_IP,
  IP_ADD_MEMBERSHIP,
  IP_MTU_DISCOVER,
  IP_MULTICAST_IF,
  IP_PMTUDISC_DONT,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IP_TOS,
  IP_TTL,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOL_SOCKET,
  SO_BINDTODEVICE,
  SO_RCVBUF,
} from "./libc-structs.ts";

export interface VrrpSocketOptions {
  interfaceName: string;
  /** Source of sent adverts (primary IPv4, unicast_src_ip or mcast_src_ip). Unset: the kernel chooses. */
  sourceIp?: number;
  /** true: join 224.0.0.18 and send to it; false: unicast peers only. */
  multicast: boolean;
  /** A whole received IPv4 datagram (header included), and when it was read (clock.nowMs()). */
  onPacket(bytes: Uint8Array, receivedAtMs: number): void;
  /** Receive failures; the socket stops receiving after one. */
  onError(error: Error): void;
  clock?: Clock;
}

export interface VrrpSocket {
  readonly interfaceName: string;
  readonly interfaceIndex: number;
  readonly sourceIp: number | undefined;
  /** Sends one VRRP message (no IP header: the kernel adds it). Throws SystemError on failure. */
  send(vrrpPayload: Uint8Array, destinationIp: number): void;
  /**
   * Stops receiving and closes both sockets; idempotent. No onPacket runs once it is called.
   * The promise settles once Bun has dropped its own dup of the receive fd (a tick later);
   * the kernel then frees the socket within milliseconds. Awaiting it is optional.
   */
  close(): Promise<void>;
}

/**
 * Opens the receive and send sockets. Two sockets, as keepalived does, because bind() on a
 * raw socket also filters RECEIVED packets to those whose destination is the bound address:
 * a socket bound to the source address would never see adverts sent to 224.0.0.18.
 */
export function openVrrpSocket(options: VrrpSocketOptions): VrrpSocket {
  const { interfaceName, sourceIp, multicast } = options;
  const clock = options.clock ?? systemClock();
  const nameProblem = interfaceNameProblem(interfaceName);
  if (nameProblem) throw new Error(`VRRP socket: ${nameProblem}`);
  const where = `on ${interfaceName}`;
  const index = interfaceIndex(interfaceName);

  const opened: number[] = [];
  try {
    const receiveFd = openVrrpRawSocket(interfaceName, where);
    opened.push(receiveFd);
    if (multicast) {
      // INADDR_ANY as imr_address: the ifindex alone picks the interface.
      setSocketOption(receiveFd, IPPROTO_IP, IP_ADD_MEMBERSHIP, encodeIpMreqn(VRRP_MULTICAST_GROUP, 0, index), "IP_ADD_MEMBERSHIP", where);
    }

    const sendFd = openVrrpRawSocket(interfaceName, where);
    opened.push(sendFd);
    setIntSocketOption(sendFd, IPPROTO_IP, IP_TTL, VRRP_TTL, "IP_TTL", where);
    setIntSocketOption(sendFd, IPPROTO_IP, IP_TOS, VRRP_TOS, "IP_TOS", where);
    // keepalived's adverts leave DF clear; a 40-byte advert never needs path MTU discovery.
    setIntSocketOption(sendFd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT, "IP_MTU_DISCOVER", where);
    if (multicast) {
      setSocketOption(sendFd, IPPROTO_IP, IP_MULTICAST_IF, encodeIpMreqn(0, sourceIp ?? 0, index), "IP_MULTICAST_IF", where);
      setIntSocketOption(sendFd, IPPROTO_IP, IP_MULTICAST_TTL, VRRP_TTL, "IP_MULTICAST_TTL", where);
      // Our own adverts must not come back to us (the engine would also drop them by source).
      setIntSocketOption(sendFd, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP", where);
    }
    if (sourceIp !== undefined) {
      bindSocket(sendFd, encodeSockaddrIn(sourceIp), `${formatIpv4(sourceIp)}`, where);
    }
    // The send socket is never read, yet still gets unicast adverts addressed to its bound
    // address: keep its queue at the kernel minimum so they are dropped, not hoarded.
    setIntSocketOption(sendFd, SOL_SOCKET, SO_RCVBUF, 0, "SO_RCVBUF", where);

    let closed = false;
    let closing: Promise<void> | undefined;
    const reader = readDatagramChunks(
      receiveFd,
      (chunk) => {
        const receivedAtMs = clock.nowMs();
        for (const datagram of splitIpv4Datagrams(chunk)) {
          if (closed) return;
          // A copy: the handler may keep it, and the chunk's buffer belongs to the stream.
          options.onPacket(datagram.slice(), receivedAtMs);
        }
      },
      (error) => {
        if (!closed) options.onError(new Error(`VRRP receive ${where}: ${error.message}`));
      },
    );

    return {
      interfaceName,
      interfaceIndex: index,
      sourceIp,
      send(vrrpPayload, destinationIp) {
        if (closed) throw new Error(`VRRP send ${where}: the socket is closed`);
        sendTo(sendFd, vrrpPayload, encodeSockaddrIn(destinationIp), "sendto", `${formatIpv4(destinationIp)} ${where}`);
      },
      close() {
        if (!closing) {
          closed = true;
          closing = reader.stop();
          closeFd(receiveFd);
          closeFd(sendFd);
        }
        return closing;
      },
    };
  } catch (error) {
    for (const fd of opened) closeFd(fd);
    throw error;
  }
}

function openVrrpRawSocket(interfaceName: string, where: string): number {
  const fd = openSocket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_VRRP, `socket(AF_INET, SOCK_RAW, ${IPPROTO_VRRP})`, where);
  try {
    // Only this interface's adverts: VRRP is per-LAN and other interfaces may carry other VRIDs.
    setSocketOption(fd, SOL_SOCKET, SO_BINDTODEVICE, encodeCString(interfaceName), "SO_BINDTODEVICE", where);
  } catch (error) {
    closeFd(fd);
    throw error;
  }
  return fd;
}
