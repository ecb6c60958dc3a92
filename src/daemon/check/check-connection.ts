// A check's TCP connection, plain or under TLS, as four events and two calls, whatever is under
// it. Plain connections are net/tcp-connect.ts's: the socket opened as keepalived opens it
// (layer4.c socket_bind_connect: SO_MARK, SO_BINDTODEVICE, bind, connect) and handed to Bun's
// event loop. That is also the cheaper way: probes alone against nginx on another core, a
// TCP_CHECK cost 120 us of CPU through node:net and 80 this way (in the whole daemon at 4,000
// checks a second, 49 us of user time and 39), and its errors are the kernel's own (Bun's
// node:net said "refused" for an unreachable network). TLS runs over the same connection,
// in Bun's own TLS (tcp-connect.ts says what it saves over node:tls).
import type { ConnectTarget } from "../../check/check-spec.ts";
import { connectTcp, type TcpConnectOptions, type TlsPeer } from "../../net/tcp-connect.ts";

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
  client?: TlsClientFiles;
}

/** What the SSL block gives the handshake, read and checked by tls-client.ts. */
export interface TlsClientFiles {
  ca?: Buffer | string;
  cert?: Buffer;
  key?: Buffer;
  passphrase?: string;
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

/**
 * TLS to the target over the same connection as a plain check's, `onSecure` given the
 * server's side once the handshake is done (before `connected`): false ends it there.
 * keepalived never fails a handshake on the server's certificate; tls_verify judges it in
 * onSecure, so the library's own checks stay out of the way. Throws what fails at once, as
 * openPlainConnection.
 */
export function openTlsConnection(target: ConnectTarget, tls: TlsOptions, events: ConnectionEvents, onSecure: (peer: TlsPeer) => boolean): CheckConnection {
  const options: Bun.TLSOptions = { ...tls.client, rejectUnauthorized: false, ...(tls.servername ? { serverName: tls.servername } : {}) };
  const connection = connectTcp(
    tcpOptions(target),
    {
      onConnect: (peer) => {
        if (peer && onSecure(peer)) events.connected();
      },
      onData: (bytes) => events.data(bytes),
      onEnd: () => events.ended(),
      onError: (error) => events.failed(error),
      onClose: () => events.ended(),
    },
    options,
  );
  return { write: (text) => connection.write(encoder.encode(text)), close: () => connection.close() };
}
