// A check's TCP connection, plain or under TLS, as four events and two calls, whatever is under
// it. Plain connections are net/tcp-connect.ts's: the socket opened as keepalived opens it
// (layer4.c socket_bind_connect: SO_MARK, SO_BINDTODEVICE, bind, connect) and handed to Bun's
// event loop. That is also the cheaper way: probes alone against nginx on another core, a
// TCP_CHECK cost 120 us of CPU through node:net and 80 this way (in the whole daemon at 4,000
// checks a second, 49 us of user time and 39), and its errors are the kernel's own (Bun's
// node:net said "refused" for an unreachable network). TLS is node:tls's,
// which takes any duplex stream: over node:net's own socket, or with bind_if or fwmark over
// the same connection as a plain check's.
import { Duplex } from "node:stream";
import { connect as connectTlsSocket, type SecureContext, type TLSSocket } from "node:tls";
import type { ConnectTarget } from "../../check/check-spec.ts";
import { connectTcp, type TcpConnection, type TcpConnectOptions } from "../../net/tcp-connect.ts";

/** What the connection tells its check; after `failed` or `ended` nothing more comes. */
export interface ConnectionEvents {
  /** Made (after the handshake, under TLS). */
  connected(): void;
  data(bytes: Uint8Array): void;
  /** The server closed (its FIN, or a close without an error). */
  ended(): void;
  /** The error as thrown (socket-errors.ts names it). */
  failed(error: unknown): void;
}

export interface CheckConnection {
  write(text: string): void;
  /** Idempotent; no event follows it. */
  close(): void;
}

export interface TlsOptions {
  servername?: string;
  /** The SSL block's client certificate and CAs (tls-client.ts). */
  secureContext?: SecureContext;
}

/** bind_if, or a fwmark other than 0 (keepalived sets no SO_MARK for 0): options node:net cannot set. */
export function needsSocketOptions(target: ConnectTarget): boolean {
  return target.bindInterface !== undefined || Boolean(target.fwmark);
}

function tcpOptions(target: ConnectTarget): TcpConnectOptions {
  return {
    address: target.address,
    port: target.port,
    ...(target.bindTo ? { bindTo: target.bindTo } : {}),
    ...(target.bindPort !== undefined ? { bindPort: target.bindPort } : {}),
    ...(target.bindInterface !== undefined ? { bindInterface: target.bindInterface } : {}),
    ...(target.fwmark ? { fwmark: target.fwmark } : {}),
  };
}

const encoder = new TextEncoder();

/** Throws what fails at once (a missing bind_if, SO_MARK refused, a bindto not here, no route). */
export function openPlainConnection(target: ConnectTarget, events: ConnectionEvents): CheckConnection {
  const connection = connectTcp(tcpOptions(target), {
    onConnect: () => events.connected(),
    onData: (bytes) => events.data(bytes),
    onEnd: () => events.ended(),
    onError: (error) => events.failed(error),
    onClose: () => events.ended(),
  });
  return { write: (text) => connection.write(encoder.encode(text)), close: () => connection.close() };
}

/** A plain connection as a node stream, for node:tls to run over. */
function tcpDuplex(target: ConnectTarget): Duplex {
  let connection: TcpConnection | undefined;
  const stream = new Duplex({
    // The connection pushes as bytes come; there is nothing to pull.
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      connection?.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      callback();
    },
    destroy(error, callback) {
      connection?.close();
      callback(error);
    },
  });
  connection = connectTcp(tcpOptions(target), {
    onConnect: () => void stream.emit("connect"),
    onData: (bytes) => void stream.push(bytes),
    onEnd: () => void stream.push(null),
    onError: (error) => void stream.destroy(error),
    onClose: () => void stream.destroy(),
  });
  return stream;
}

/**
 * TLS to the target, `onSecure` given the socket once the handshake is done (before
 * `connected`). keepalived never fails a handshake on the server's certificate; tls_verify
 * judges it in onSecure, so the library's own checks stay out of the way. Throws what fails
 * at once, as openPlainConnection.
 */
export function openTlsConnection(target: ConnectTarget, tls: TlsOptions, events: ConnectionEvents, onSecure: (socket: TLSSocket) => boolean): CheckConnection {
  const carrier = needsSocketOptions(target) ? tcpDuplex(target) : undefined;
  carrier?.on("error", (error) => events.failed(error));
  const socket = connectTlsSocket(
    {
      ...(carrier
        ? { socket: carrier }
        : {
            host: target.address.text,
            port: target.port,
            family: target.address.family,
            ...(target.bindTo ? { localAddress: target.bindTo.text } : {}),
            ...(target.bindPort !== undefined ? { localPort: target.bindPort } : {}),
          }),
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      ...(tls.secureContext ? { secureContext: tls.secureContext } : {}),
      ...(tls.servername ? { servername: tls.servername } : {}),
    },
    () => {
      if (onSecure(socket)) events.connected();
    },
  );
  socket.on("data", (data: Buffer) => events.data(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
  socket.on("end", () => events.ended());
  socket.on("close", () => events.ended());
  socket.on("error", (error) => events.failed(error));
  return {
    write: (text) => void socket.write(text),
    close: () => {
      socket.destroy();
      carrier?.destroy();
    },
  };
}
