// The socket a checker connects from, opened as keepalived 2.2.7 opens it (layer4.c
// socket_bind_connect): non-blocking, SO_MARK for a fwmark other than 0, SO_BINDTODEVICE for
// bind_if, bind() for bindto / bind_port, then connect(). node:net and node:dgram cannot set
// the two options before they connect, so tcp-connect.ts and udp-connect.ts open the socket
// here and hand it to Bun's event loop.
import { ipAddressBytes, type IpAddress } from "../common/ip-address.ts";
import { parseIpv4 } from "../common/ipv4.ts";
import { AF_INET6 } from "../netlink/linux-constants.ts";
import { errnoName, SystemError } from "./errno.ts";
import { bindSocket, closeFd, connectSocket, describeErrno, openSocket, setIntSocketOption, setSocketOption } from "./libc.ts";
import {
  AF_INET,
  encodeCString,
  encodeSockaddrIn,
  encodeSockaddrIn6,
  interfaceNameProblem,
  IPPROTO_TCP,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
  SO_BINDTODEVICE,
  SO_MARK,
} from "./libc-structs.ts";

const SOCK_DGRAM = 2;
const IPPROTO_UDP = 17;
/** <asm-generic/errno.h>: the connection's own errnos, which netlink's table does not name. */
export const EINPROGRESS = 115;
const CONNECTION_ERRNO_NAMES: Record<number, string> = {
  103: "ECONNABORTED",
  104: "ECONNRESET",
  111: "ECONNREFUSED",
  112: "EHOSTDOWN",
  115: "EINPROGRESS",
};

export interface CheckerSocketOptions {
  address: IpAddress;
  port: number;
  /** bindto: the source address. */
  bindTo?: IpAddress;
  /** bind_port: the source port (with bindTo, or the wildcard address of the family). */
  bindPort?: number;
  /** bind_if: SO_BINDTODEVICE, so the route lookup and the packets use this device only. */
  bindInterface?: string;
  /** SO_MARK on every packet; 0 is no mark (keepalived sets none for 0). Needs CAP_NET_ADMIN (or, since Linux 5.17, CAP_NET_RAW). */
  fwmark?: number;
}

/** A SystemError whose code also names the connection errnos (ECONNREFUSED...). */
export class ConnectionError extends SystemError {
  override readonly code: string;

  constructor(operation: string, errno: number) {
    super(operation, errno, describeErrno(errno));
    this.code = CONNECTION_ERRNO_NAMES[errno] ?? errnoName(errno);
  }
}

function sockaddrOf(address: IpAddress | undefined, family: 4 | 6, port: number): Uint8Array {
  if (family === 4) return encodeSockaddrIn(address ? parseIpv4(address.text)! : 0, port);
  return encodeSockaddrIn6(address ? ipAddressBytes(address) : new Uint8Array(16), port);
}

export const endpointText = (address: IpAddress, port: number): string => (address.family === 6 ? `[${address.text}]:${port}` : `${address.text}:${port}`);

export interface CheckerSocket {
  fd: number;
  /** connect() returned 0 (a datagram socket always; a stream socket rarely, EINPROGRESS being usual). */
  connected: boolean;
  /** "to 10.0.0.2:80", for errors. */
  where: string;
}

/**
 * Opens, sets the options, binds and connects. Throws a SystemError for what fails: SO_MARK
 * without the capability (EPERM), a bind_if that does not exist (ENODEV), a bindto address
 * not on this host (EADDRNOTAVAIL), no route (ENETUNREACH); the descriptor is closed then.
 */
export function openCheckerSocket(type: "stream" | "datagram", options: CheckerSocketOptions): CheckerSocket {
  const { address, port } = options;
  const family = address.family;
  const where = `to ${endpointText(address, port)}`;
  if (options.bindTo && options.bindTo.family !== family) throw new Error(`bindto ${options.bindTo.text} is not of the family of ${address.text}`);
  if (options.bindInterface !== undefined) {
    const problem = interfaceNameProblem(options.bindInterface);
    if (problem) throw new Error(`bind_if: ${problem}`);
  }
  const stream = type === "stream";
  const fd = openSocket(
    family === 4 ? AF_INET : AF_INET6,
    (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
    stream ? IPPROTO_TCP : IPPROTO_UDP,
    `socket(${family === 4 ? "AF_INET" : "AF_INET6"}, ${stream ? "SOCK_STREAM" : "SOCK_DGRAM"})`,
    where,
  );
  try {
    if (options.fwmark) setIntSocketOption(fd, SOL_SOCKET, SO_MARK, options.fwmark, "SO_MARK", where);
    if (options.bindInterface !== undefined) setSocketOption(fd, SOL_SOCKET, SO_BINDTODEVICE, encodeCString(options.bindInterface), "SO_BINDTODEVICE", where);
    if (options.bindTo || options.bindPort !== undefined) {
      const source = options.bindTo ? endpointText(options.bindTo, options.bindPort ?? 0) : `port ${options.bindPort}`;
      bindSocket(fd, sockaddrOf(options.bindTo, family, options.bindPort ?? 0), source, where);
    }
    const errno = connectSocket(fd, sockaddrOf(address, family, port));
    if (errno !== 0 && !(stream && errno === EINPROGRESS)) throw new ConnectionError(`connect ${where}`, errno);
    return { fd, connected: errno === 0, where };
  } catch (error) {
    closeFd(fd);
    throw error;
  }
}
