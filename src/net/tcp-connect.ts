// A TCP connection with the socket options node:net cannot set before it connects: SO_MARK
// (a checker's fwmark, for policy routing and netfilter) and SO_BINDTODEVICE (bind_if).
// keepalived 2.2.7 sets them in that order, then binds bindto / bind_port, then connects
// without blocking (layer4.c socket_bind_connect); so does checker-socket.ts, and this hands
// the connecting descriptor to Bun's event loop (Bun.connect({ fd })), so nothing polls.
//
// Measured on Bun 1.4.4: Bun.connect({ fd }) calls `open` at once, whether or not the
// connection is made; its first `drain` is the socket's first writability, i.e. the
// connection made (an already connected descriptor gets one too), and a refused connection
// closes the socket with the read error (ECONNREFUSED) and no drain. As keepalived's
// socket_state does, SO_ERROR is read at that drain, so a writability that is really an
// error is never taken for a connection. node:net's `connect({ fd })` reads such a
// descriptor too, but never says when it is connected, which TCP_CHECK is all about.
//
// Under TLS (SSL_GET) the same descriptor is handed over with Bun's own TLS: BoringSSL under
// Bun's event loop, no node streams. Measured against nginx on another core, a handshake and
// a GET cost 360-384 us of CPU through node:tls and 229-245 us this way. The connection is
// made at the `handshake` callback, which also comes when the handshake failed: a session
// with no cipher is a failure (EPROTO, the library's reason), one with a cipher is made,
// whatever the chain's verdict, which is the caller's to judge (keepalived verifies nothing).
// Bun's client speaks TLS 1.2 and 1.3 only (a TLS 1.1 server's answer is a protocol_version
// alert), as keepalived's OpenSSL 3 does at its default security level.
import { ConnectionError, openCheckerSocket, type CheckerSocketOptions } from "./checker-socket.ts";
import { getIntSocketOption } from "./libc.ts";
import { SOL_SOCKET, SO_ERROR } from "./libc-structs.ts";

/** Where from and to, and the two options (checker-socket.ts). */
export type TcpConnectOptions = CheckerSocketOptions;

/** The server's side of a TLS session, once the handshake is done. */
export interface TlsPeer {
  /** The server's certificate in node:tls's form (Bun's socket gives that form); undefined when it sent none. */
  certificate(): ReturnType<Bun.Socket["getPeerCertificate"]> | undefined;
  /** Why the library does not trust the chain, in node:tls's words ("DEPTH_ZERO_SELF_SIGNED_CERT"); undefined: it does. */
  chainError(): string | undefined;
}

export interface TcpConnectionHandlers {
  /** The connection is made (once); under TLS, after the handshake, with the server's side of it. */
  onConnect(peer?: TlsPeer): void;
  /** Bytes from the server; the chunk is the handler's to keep. */
  onData(bytes: Uint8Array): void;
  /** The server closed its side (FIN). */
  onEnd(): void;
  /** The connection failed or broke; `code` names the errno ("ECONNREFUSED"). Nothing follows it. */
  onError(error: Error & { code?: string }): void;
  /** Closed without an error, by either side. Nothing follows it. */
  onClose(): void;
}

export interface TcpConnection {
  /** Sends once connected (queued until then, and while the kernel's buffer is full). */
  write(bytes: Uint8Array): void;
  /** Closes (a FIN, as close(2) sends); idempotent; no handler runs after it. */
  close(): void;
}

/**
 * Opens the socket, sets the options, binds, starts the connection, and returns at once.
 * Throws a SystemError for what fails before the connection is under way (checker-socket.ts:
 * EPERM for SO_MARK, ENODEV for a missing bind_if, EADDRNOTAVAIL, ENETUNREACH). Later
 * failures reach onError.
 */
export function connectTcp(options: TcpConnectOptions, handlers: TcpConnectionHandlers, tls?: Bun.TLSOptions): TcpConnection {
  const { fd, connected, where } = openCheckerSocket("stream", options);
  return adopt(fd, where, connected, handlers, tls);
}

/** "error:100000f7:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER" -> "wrong version number". */
function libraryReason(error: Error | null): string {
  const message = error?.message ?? "";
  const last = message.split(":").pop()?.trim() ?? "";
  return /^[A-Z0-9_]+$/.test(last) ? last.toLowerCase().replaceAll("_", " ") : message || "no reason given";
}

/** A handshake that did not complete, as an error with the library's reason (EPROTO, as node:tls names it). */
function handshakeError(error: Error | null): Error & { code: string } {
  return Object.assign(new Error(`TLS handshake failed: ${libraryReason(error)}`), { code: (error as { code?: string } | null)?.code ?? "EPROTO" });
}

function peerOf(socket: Bun.Socket<undefined>): TlsPeer {
  return {
    certificate: () => {
      const certificate = socket.getPeerCertificate();
      return certificate && certificate.valid_to ? certificate : undefined;
    },
    chainError: () => {
      if (socket.authorized) return undefined;
      const error = socket.getAuthorizationError() as (Error & { code?: string }) | null;
      return error?.code ?? error?.message ?? "CERT_UNTRUSTED";
    },
  };
}

/** From here Bun owns the descriptor and closes it; this module never touches it again after close. */
function adopt(fd: number, where: string, connectedAtOnce: boolean, handlers: TcpConnectionHandlers, tls: Bun.TLSOptions | undefined): TcpConnection {
  let socket: Bun.Socket<undefined> | undefined;
  let connected = false;
  let done = false;
  const queue: Uint8Array[] = [];

  const end = (error?: Error) => {
    if (done) return;
    done = true;
    queue.length = 0;
    socket?.end();
    if (error) handlers.onError(error);
    else handlers.onClose();
  };
  const flush = () => {
    while (socket && connected && !done && queue.length > 0) {
      const chunk = queue[0]!;
      const written = socket.write(chunk);
      if (written >= chunk.byteLength) queue.shift();
      else {
        // The kernel's buffer is full: the rest goes at the next drain.
        if (written > 0) queue[0] = chunk.subarray(written);
        return;
      }
    }
  };
  const becomeConnected = () => {
    if (connected || done) return;
    let errno: number;
    try {
      errno = getIntSocketOption(fd, SOL_SOCKET, SO_ERROR, "SO_ERROR", where);
    } catch (error) {
      // Inside Bun's callback: a throw would escape into the event loop.
      return end(error as Error);
    }
    if (errno !== 0) return end(new ConnectionError(`connect ${where}`, errno));
    connected = true;
    handlers.onConnect();
    flush();
  };

  const handshake = (secured: Bun.Socket<undefined>, _success: boolean, error: Error | null) => {
    if (connected || done) return;
    // No cipher: the handshake did not complete. A cipher with an authorization error: it did, the chain is the caller's to judge.
    if (!secured.getCipher()?.name) return end(handshakeError(error));
    connected = true;
    handlers.onConnect(peerOf(secured));
    flush();
  };

  // Bun.connect's types have no fd form; Bun 1.4.4 takes one (FdSocketOptions).
  const connectFd = Bun.connect as unknown as (options: Bun.FdSocketOptions<undefined> & { binaryType: "uint8array" }) => Promise<Bun.Socket<undefined>>;
  connectFd({
    fd,
    binaryType: "uint8array",
    ...(tls ? { tls } : {}),
    socket: {
      open(opened) {
        socket = opened;
        if (done) return void opened.end();
        if (connectedAtOnce && !tls) becomeConnected();
      },
      // Under TLS the connection is made at the handshake; a drain before it is the TCP connection's alone.
      ...(tls ? { handshake } : {}),
      drain() {
        if (!connected) {
          if (!tls) becomeConnected();
        } else flush();
      },
      data(_socket, bytes) {
        if (!done) handlers.onData((bytes as unknown as Uint8Array).slice());
      },
      end() {
        if (!done) handlers.onEnd();
      },
      error(_socket, error) {
        end(error);
      },
      close(_socket, error) {
        end(error);
      },
    },
  }).catch((error: unknown) => end(error instanceof Error ? error : new Error(String(error))));

  return {
    write(bytes) {
      if (done) return;
      queue.push(bytes);
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
