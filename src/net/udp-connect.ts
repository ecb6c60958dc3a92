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
import { openCheckerSocket, type CheckerSocketOptions } from "./checker-socket.ts";

export type UdpConnectOptions = CheckerSocketOptions;

export interface UdpConnectionHandlers {
  /** One datagram from the peer (the kernel drops anyone else's); the bytes are the handler's to keep. */
  onDatagram(bytes: Uint8Array): void;
  /** The socket failed (ECONNREFUSED: the peer's port unreachable). Nothing follows it. */
  onError(error: Error & { code?: string }): void;
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
  let socket: Bun.Socket<undefined> | undefined;
  let done = false;
  const queue: Uint8Array[] = [];

  const fail = (error: Error) => {
    if (done) return;
    done = true;
    queue.length = 0;
    socket?.end();
    handlers.onError(error);
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
      // Before `open` the descriptor is Bun's already: `open` sees `done` and ends it.
      socket?.end();
    },
  };
}
