// A connected UDP socket with a checker's fwmark (SO_MARK) and bind_if (SO_BINDTODEVICE),
// which node:dgram cannot set: opened by checker-socket.ts, then handed to Bun's event loop
// with Bun.connect({ fd }), which reads a datagram socket as it reads a stream one.
//
// Measured on Bun 1.4.4 with a connected UDP descriptor: each read is one recv(2), so each
// `data` call is one datagram (two replies queued together arrive as two calls, not one
// chunk as Bun.file(fd).stream() gives them); write() sends one datagram; the ICMP port
// unreachable a connected socket is told of closes it with ECONNREFUSED. A zero-length
// datagram reads as 0 bytes, which Bun takes for an end of stream: it is reported as an
// empty datagram, and the socket is closed after it.
//
// With `queueErrors` the socket has IP_RECVERR (IPV6_RECVERR), as keepalived's UDP_CHECK
// socket has (layer4.c udp_bind_connect): the kernel then reports every ICMP error about the
// datagram, the "soft" ones too (host or network unreachable from a router), where without
// it a connected socket hears only the hard ones (port and protocol unreachable,
// administratively prohibited), and queues the details (the ICMP type, code and sender).
// Bun reads the error as any other and closes its descriptor; a second descriptor of the
// same socket, kept here, reads the queue with recvmsg(MSG_ERRQUEUE) before it is closed.
import { openCheckerSocket, type CheckerSocketOptions } from "./checker-socket.ts";
import { closeFd, duplicateFd, receiveErrorQueue, setIntSocketOption } from "./libc.ts";
import { IPPROTO_IP } from "./libc-structs.ts";
import { decodeControlMessages, IPPROTO_IPV6, IP_RECVERR, IPV6_RECVERR, queuedErrorOf, type SockExtendedErr } from "./socket-error-queue.ts";

export interface UdpConnectOptions extends CheckerSocketOptions {
  /** IP_RECVERR / IPV6_RECVERR: every ICMP error about the datagrams is reported, with its details. */
  queueErrors?: boolean;
}

export interface UdpConnectionHandlers {
  /** One datagram from the peer (the kernel drops anyone else's); the bytes are the handler's to keep. */
  onDatagram(bytes: Uint8Array): void;
  /**
   * The socket failed (ECONNREFUSED: the peer's port unreachable). Nothing follows it. With
   * queueErrors, `queued` is the error queue's entry behind it, when there is one.
   */
  onError(error: Error & { code?: string }, queued?: SockExtendedErr): void;
}

export interface UdpConnection {
  /** Sends one datagram (queued until Bun has the socket, a moment after connectUdp returns). */
  send(bytes: Uint8Array): void;
  /** Closes; idempotent; no handler runs after it. */
  close(): void;
}

/**
 * Opens, sets the options, binds and connects; throws a SystemError for what fails there
 * (checker-socket.ts: EPERM for SO_MARK, ENODEV for a missing bind_if, ENETUNREACH...).
 */
export function connectUdp(options: UdpConnectOptions, handlers: UdpConnectionHandlers): UdpConnection {
  const { fd, where } = openCheckerSocket("datagram", options);
  /** The second descriptor that reads the error queue (queueErrors only). */
  let errorFd: number | undefined;
  if (options.queueErrors) {
    try {
      if (options.address.family === 4) setIntSocketOption(fd, IPPROTO_IP, IP_RECVERR, 1, "IP_RECVERR", where);
      else setIntSocketOption(fd, IPPROTO_IPV6, IPV6_RECVERR, 1, "IPV6_RECVERR", where);
      errorFd = duplicateFd(fd, where);
    } catch (error) {
      closeFd(fd);
      throw error;
    }
  }
  let socket: Bun.Socket<undefined> | undefined;
  let done = false;
  const queue: Uint8Array[] = [];

  const releaseErrorFd = () => {
    if (errorFd !== undefined) closeFd(errorFd);
    errorFd = undefined;
  };
  /** The error queue's entry: the kernel queued it before it woke Bun with the error. */
  const queuedError = (): SockExtendedErr | undefined => {
    if (errorFd === undefined) return undefined;
    try {
      const control = receiveErrorQueue(errorFd, where);
      return control ? queuedErrorOf(decodeControlMessages(control)) : undefined;
    } catch {
      // Unreadable: the socket's error alone is reported, as without IP_RECVERR.
      return undefined;
    }
  };
  const fail = (error: Error) => {
    if (done) return;
    done = true;
    queue.length = 0;
    const queued = queuedError();
    releaseErrorFd();
    socket?.end();
    handlers.onError(error, queued);
  };
  const flush = () => {
    while (socket && !done && queue.length > 0) {
      const datagram = queue.shift()!;
      const sent = socket.write(datagram);
      // A datagram goes whole or not at all: a fresh socket's send buffer is empty, so this is an error, not a wait.
      if (sent !== datagram.byteLength) return fail(new Error(`send ${where}: ${sent} of ${datagram.byteLength} bytes sent`));
    }
  };

  // Bun.connect's types have no fd form; Bun 1.4.4 takes one (FdSocketOptions).
  const connectFd = Bun.connect as unknown as (options: Bun.FdSocketOptions<undefined> & { binaryType: "uint8array" }) => Promise<Bun.Socket<undefined>>;
  connectFd({
    fd,
    binaryType: "uint8array",
    socket: {
      open(opened) {
        socket = opened;
        if (done) return void opened.end();
        flush();
      },
      data(_socket, bytes) {
        if (!done) handlers.onDatagram((bytes as unknown as Uint8Array).slice());
      },
      end() {
        if (!done) handlers.onDatagram(new Uint8Array(0));
      },
      error(_socket, error) {
        fail(error);
      },
      close(_socket, error) {
        if (error) fail(error);
        else if (!done) fail(new Error(`UDP socket ${where} closed`));
      },
    },
  }).catch((error: unknown) => fail(error instanceof Error ? error : new Error(String(error))));

  return {
    send(datagram) {
      if (done) return;
      queue.push(datagram);
      flush();
    },
    close() {
      if (done) return;
      done = true;
      queue.length = 0;
      releaseErrorFd();
      // Before `open` the descriptor is Bun's already: `open` sees `done` and ends it.
      socket?.end();
    },
  };
}
