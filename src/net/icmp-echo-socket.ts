// The socket PING_CHECK sends its ICMP / ICMPv6 echo request from and reads replies on.
// keepalived 2.2.7 opens a "ping socket", socket(AF_INET[6], SOCK_DGRAM, IPPROTO_ICMP[V6])
// (check_ping.c icmp_connect_thread): the kernel sets the echo id and hands the socket only
// the replies to it. A ping socket is allowed to a process whose group is in
// net.ipv4.ping_group_range (the kernel's default, and any new network namespace's, is
// "1 0": nobody; Debian 12's systemd widens it to "0 2147483647" on the host only).
// keepalived makes room for itself by writing 0 into the range's lower end
// (set_ping_group_range), a system-wide change; here, when the ping socket is refused, a
// raw ICMP socket is opened instead (the daemon has CAP_NET_RAW) and nothing is changed.
import { ipAddressBytes, type IpAddress } from "../common/ip-address.ts";
import { parseIpv4 } from "../common/ipv4.ts";
import { AF_INET6 } from "../netlink/linux-constants.ts";
import { readDatagramChunks } from "./datagram-stream.ts";
import { SystemError } from "./errno.ts";
import { splitIpv4Datagrams } from "./ipv4-datagrams.ts";
import { bindSocket, closeFd, openSocket, sendTo, setIntSocketOption, setSocketOption } from "./libc.ts";
import { AF_INET, encodeSockaddrIn, SOCK_CLOEXEC, SOCK_RAW, SOL_SOCKET, SO_RCVBUF } from "./libc-structs.ts";

const SOCK_DGRAM = 2;
const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;
/** <linux/icmp.h>: on a raw IPv4 ICMP socket, a bit set per ICMP type the socket does NOT receive. */
const SOL_RAW = 255;
const ICMP_FILTER = 1;
/** <linux/icmpv6.h> ICMPV6_FILTER, at level IPPROTO_ICMPV6: 256 bits, set = blocked. */
const ICMPV6_FILTER = 1;
const ICMP_ECHO_REPLY = 0;
const ICMPV6_ECHO_REPLY = 129;
/** A check's replies are one or two messages; a small queue caps what a flood can pile up. */
const RECEIVE_BUFFER_BYTES = 64 * 1024;

export interface IcmpEchoSocketOptions {
  destination: IpAddress;
  /** bindto: the source address (keepalived 2.2.7 ignores it for PING_CHECK; later ones bind). */
  bindTo?: IpAddress;
  /**
   * The request's length. A chunk read from the socket can hold several datagrams (see
   * datagram-stream.ts) and ICMP has no length field; an echo reply mirrors its request, so
   * this is where one ends. A raw IPv4 socket's datagrams are cut by their IPv4 header instead.
   */
  messageLength: number;
  /** One received message (with its IPv4 header when `withIpv4Header`). */
  onMessage(message: Uint8Array): void;
  onError(error: Error): void;
}

export interface IcmpEchoSocket {
  /** "ping": the kernel chose the echo id and filters the replies by it; "raw": every echo reply of the host reaches it. */
  readonly kind: "ping" | "raw";
  readonly withIpv4Header: boolean;
  /** Sends one ICMP message to the destination. Throws SystemError (ENETUNREACH, EHOSTUNREACH...). */
  send(message: Uint8Array): void;
  /** Stops receiving and closes; idempotent. */
  close(): Promise<void>;
}

function sockaddrOf(address: IpAddress): Uint8Array {
  if (address.family === 4) return encodeSockaddrIn(parseIpv4(address.text)!);
  // struct sockaddr_in6: family (host order), port, flowinfo, address, scope id (0: no link-local scope).
  const out = new Uint8Array(28);
  new DataView(out.buffer).setUint16(0, AF_INET6, true);
  out.set(ipAddressBytes(address), 8);
  return out;
}

/** Only echo replies reach a raw socket (it would otherwise get every ICMP message of the host). */
function filterEchoReplies(fd: number, family: 4 | 6, where: string): void {
  if (family === 4) {
    setIntSocketOption(fd, SOL_RAW, ICMP_FILTER, ~(1 << ICMP_ECHO_REPLY), "ICMP_FILTER", where);
    return;
  }
  const filter = new Uint32Array(8).fill(0xffffffff);
  filter[ICMPV6_ECHO_REPLY >> 5]! &= ~(1 << (ICMPV6_ECHO_REPLY & 31));
  setSocketOption(fd, IPPROTO_ICMPV6, ICMPV6_FILTER, new Uint8Array(filter.buffer), "ICMPV6_FILTER", where);
}

function openEchoFd(family: 4 | 6, where: string): { fd: number; kind: "ping" | "raw" } {
  const domain = family === 4 ? AF_INET : AF_INET6;
  const protocol = family === 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
  const name = family === 4 ? "AF_INET" : "AF_INET6";
  const proto = family === 4 ? "IPPROTO_ICMP" : "IPPROTO_ICMPV6";
  try {
    return { fd: openSocket(domain, SOCK_DGRAM | SOCK_CLOEXEC, protocol, `socket(${name}, SOCK_DGRAM, ${proto})`, where), kind: "ping" };
  } catch (error) {
    // EACCES: our group is outside ping_group_range; anything else is not about permission.
    if (!(error instanceof SystemError) || (error.code !== "EACCES" && error.code !== "EPERM")) throw error;
  }
  const fd = openSocket(domain, SOCK_RAW | SOCK_CLOEXEC, protocol, `socket(${name}, SOCK_RAW, ${proto})`, where);
  try {
    filterEchoReplies(fd, family, where);
  } catch (error) {
    closeFd(fd);
    throw error;
  }
  return { fd, kind: "raw" };
}

/** Opens the socket (a ping socket, else a raw one). Throws SystemError when neither can be had. */
export function openIcmpEchoSocket(options: IcmpEchoSocketOptions): IcmpEchoSocket {
  const { destination, bindTo, messageLength } = options;
  const family = destination.family;
  const where = `for ${destination.text}`;
  const { fd, kind } = openEchoFd(family, where);
  const withIpv4Header = kind === "raw" && family === 4;
  let closed = false;
  let closing: Promise<void> | undefined;
  try {
    setIntSocketOption(fd, SOL_SOCKET, SO_RCVBUF, RECEIVE_BUFFER_BYTES, "SO_RCVBUF", where);
    if (bindTo) bindSocket(fd, sockaddrOf(bindTo), bindTo.text, where);
  } catch (error) {
    closeFd(fd);
    throw error;
  }
  const reader = readDatagramChunks(
    fd,
    (chunk) => {
      const messages: Uint8Array[] = [];
      if (withIpv4Header) messages.push(...splitIpv4Datagrams(chunk));
      else for (let offset = 0; offset < chunk.length; offset += messageLength) messages.push(chunk.subarray(offset, offset + messageLength));
      for (const message of messages) {
        if (closed) return;
        options.onMessage(message.slice());
      }
    },
    (error) => {
      if (!closed) options.onError(new Error(`ICMP echo receive ${where}: ${error.message}`));
    },
  );
  const address = sockaddrOf(destination);
  return {
    kind,
    withIpv4Header,
    send(message) {
      if (closed) throw new Error(`ICMP echo send ${where}: the socket is closed`);
      sendTo(fd, message, address, "sendto(ICMP echo request)", where);
    },
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
