// The checks that open a TCP connection: TCP_CHECK (the connection is the check) and
// HTTP_GET / SSL_GET (a GET, its answer read by check/http-response.ts and judged by
// check/http-judge.ts). Each resolves to a verdict with the reason an operator reads, and
// never throws. Timers run on the injected clock: keepalived's connect_timeout bounds the
// connection and then each wait for the server (its read timeout is re-armed at every read),
// and the scheduler's own timeout aborts the whole check through the signal. SSL_GET's
// handshake uses the global SSL block's files as keepalived's one SSL_CTX does, and with
// tandem's tls_verify the certificate is judged (check/tls-judge.ts) before the GET is sent.
import { connect as connectTcpSocket } from "node:net";
import { Duplex } from "node:stream";
import { connect as connectTlsSocket, type SecureContext, type TLSSocket } from "node:tls";
import type { Clock, TimerHandle } from "../../common/clock.ts";
import type { CheckerKind, ConnectTarget, HttpCheckSpec, HttpUrlSpec, TlsClientSpec } from "../../check/check-spec.ts";
import { judgeHttpResponse, type CheckVerdict } from "../../check/http-judge.ts";
import type { RegexExpectation } from "../../check/http-regex.ts";
import { httpRequest } from "../../check/http-request.ts";
import { HttpResponseReader, type HttpReadResult, type Md5 } from "../../check/http-response.ts";
import { judgeTlsPeer, withTlsReport, type PeerCertificateSummary, type TlsJudgement } from "../../check/tls-judge.ts";
import { connectTcp, type TcpConnection } from "../../net/tcp-connect.ts";
import { NO_TLS_CLIENT, peerSummary, tlsClientOf } from "./tls-client.ts";

/** keepalived's digest is MD5 (genhash prints it); Bun's hasher, fed as the body arrives. */
export function bunMd5(): Md5 {
  const hasher = new Bun.CryptoHasher("md5");
  return { update: (bytes) => void hasher.update(bytes), digest: () => hasher.digest("hex") };
}

/** bind_if, or a fwmark other than 0 (keepalived sets no SO_MARK for 0): socket options node:net cannot set. */
export function needsSocketOptions(target: ConnectTarget): boolean {
  return target.bindInterface !== undefined || Boolean(target.fwmark);
}

/** The kinds whose probes open their connection with openCheckConnection, and so set bind_if and fwmark. */
const SOCKET_OPTION_KINDS: ReadonlySet<CheckerKind> = new Set<CheckerKind>(["TCP_CHECK", "HTTP_GET", "SSL_GET", "SMTP_CHECK", "UDP_CHECK", "DNS_CHECK"]);

/**
 * Why a checker cannot run with its bind_if or fwmark, or undefined. keepalived 2.2.7 sets
 * SO_BINDTODEVICE whenever bind_if is given (its manual speaks of IPv6 link-local bindto
 * addresses only) and SO_MARK for a fwmark other than 0 (layer4.c socket_bind_connect); the
 * TCP probes here do the same. The other probes still use node:net / node:dgram sockets, which
 * cannot, and are refused rather than run without them; so is a caller that names no kind.
 */
export function unsupportedConnectOptions(target: ConnectTarget, kind?: CheckerKind): string | undefined {
  if (!needsSocketOptions(target) || (kind !== undefined && SOCKET_OPTION_KINDS.has(kind))) return undefined;
  const option = target.bindInterface !== undefined ? "bind_if (SO_BINDTODEVICE)" : "a checker fwmark (SO_MARK)";
  return `${option} is not supported ${kind !== undefined ? `for ${kind} ` : ""}yet`;
}

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

/**
 * A socket error as the log says it: "connection refused", not "ECONNREFUSED". With the
 * target, the errors of its bind_if and fwmark name them (net/tcp-connect.ts's SystemError
 * says which call failed in `operation`).
 */
export function describeSocketError(error: unknown, target?: ConnectTarget): string {
  const code = (error as { code?: string }).code;
  const operation = (error as { operation?: unknown }).operation;
  const failedCall = typeof operation === "string" ? operation : "";
  switch (code) {
    case "ENODEV":
      // SO_BINDTODEVICE's answer for a device this host (its network namespace) does not have.
      if (target?.bindInterface !== undefined && failedCall.startsWith("setsockopt(SO_BINDTODEVICE)"))
        return `bind_if ${target.bindInterface}: no such interface`;
      return (error as Error)?.message ?? String(error);
    case "EPERM":
      // SO_MARK needs CAP_NET_ADMIN (or, since Linux 5.17, CAP_NET_RAW); an EPERM from connect is a firewall's, its message says so.
      if (failedCall.startsWith("setsockopt(SO_MARK)"))
        return `${target?.fwmark ? `fwmark ${target.fwmark}: ` : ""}setting SO_MARK needs CAP_NET_ADMIN or CAP_NET_RAW`;
      return (error as Error)?.message ?? String(error);
    case "ECONNREFUSED":
      return "connection refused";
    case "ECONNRESET":
      return "connection reset by the server";
    case "EHOSTUNREACH":
      return "host unreachable";
    case "ENETUNREACH":
      return "network unreachable";
    case "ENETDOWN":
      // A bind_if whose link is down, typically.
      return "network down";
    case "EPIPE":
      return "the server closed the connection";
    case "EADDRNOTAVAIL":
      // Without a bindto, the kernel found no source address (bind_if's link has none usable yet).
      if (target && !target.bindTo) return `no local address to connect from${target.bindInterface !== undefined ? ` on bind_if ${target.bindInterface}` : ""}`;
      return "bindto address not available on this host";
    case "EADDRINUSE":
      return "bind_port already in use";
    default:
      return (error as Error)?.message ?? String(error);
  }
}

interface Exchange {
  /** Bytes to send once connected; none: the connection itself is the check. */
  request?: string;
  /** Each read; a result with done ends the exchange. */
  onData?(bytes: Uint8Array): CheckVerdict | undefined;
  /** The server closed first. */
  onEnd?(): CheckVerdict;
}

export interface ProbeContext {
  clock: Clock;
  signal: AbortSignal;
  connectTimeoutMs: number;
}

interface TlsConnect {
  servername?: string;
  /** The SSL block's client certificate and CAs (loadTlsClient). */
  secureContext?: SecureContext;
  /** Once the handshake is done, before the request: a verdict here ends the check. */
  onSecure?(socket: TLSSocket): CheckVerdict | undefined;
}

/** Where node:net connects from and to. */
function nodeConnectOptions(target: ConnectTarget) {
  return {
    host: target.address.text,
    port: target.port,
    family: target.address.family,
    ...(target.bindTo ? { localAddress: target.bindTo.text } : {}),
    ...(target.bindPort !== undefined ? { localPort: target.bindPort } : {}),
  };
}

/**
 * A check's TCP connection as a node stream, `onConnect` called once it is made: node:net's;
 * or, with bind_if or fwmark, net/tcp-connect.ts's (keepalived's socket_bind_connect: SO_MARK,
 * SO_BINDTODEVICE, bind, connect), whose errors describeSocketError names with the target.
 * Throws what fails at once (a missing bind_if, SO_MARK refused, no route).
 */
export function openCheckConnection(target: ConnectTarget, onConnect?: () => void): Duplex {
  if (!needsSocketOptions(target)) return connectTcpSocket(nodeConnectOptions(target), onConnect);
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
  const options = {
    address: target.address,
    port: target.port,
    ...(target.bindTo ? { bindTo: target.bindTo } : {}),
    ...(target.bindPort !== undefined ? { bindPort: target.bindPort } : {}),
    ...(target.bindInterface !== undefined ? { bindInterface: target.bindInterface } : {}),
    ...(target.fwmark ? { fwmark: target.fwmark } : {}),
  };
  connection = connectTcp(options, {
    onConnect: () => {
      stream.emit("connect");
      onConnect?.();
    },
    onData: (bytes) => void stream.push(bytes),
    onEnd: () => void stream.push(null),
    onError: (error) => void stream.destroy(error),
    onClose: () => void stream.destroy(),
  });
  return stream;
}

/**
 * One connection: made within connect_timeout, then the exchange, each wait for the server
 * within connect_timeout again. Always closes the socket.
 */
function exchange(target: ConnectTarget, tls: TlsConnect | undefined, context: ProbeContext, steps: Exchange): Promise<CheckVerdict> {
  const { clock, signal, connectTimeoutMs } = context;
  return new Promise<CheckVerdict>((resolve) => {
    let timer: TimerHandle | undefined;
    let socket: Duplex | undefined;
    /** Under SSL_GET with bind_if or fwmark: the connection TLS runs over, closed with it. */
    let carrier: Duplex | undefined;
    let settled = false;
    let connected = false;
    const finish = (verdict: CheckVerdict) => {
      if (settled) return;
      settled = true;
      timer?.cancel();
      signal.removeEventListener("abort", onAbort);
      socket?.destroy();
      carrier?.destroy();
      resolve(verdict);
    };
    const arm = (what: string) => {
      timer?.cancel();
      timer = clock.at(clock.nowMs() + connectTimeoutMs, () => finish({ ok: false, reason: `${what} within ${seconds(connectTimeoutMs)}` }));
    };
    const onAbort = () =>
      finish({ ok: false, reason: connected ? "no answer before the check's time ran out" : "no connection before the check's time ran out" });
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort);
    arm("no connection");
    const options = nodeConnectOptions(target);
    const onConnect = () => {
      connected = true;
      const judged = tls?.onSecure?.(socket as TLSSocket);
      if (judged) return finish(judged);
      if (steps.request === undefined) return finish({ ok: true, detail: "connected" });
      arm("no answer");
      socket!.write(steps.request);
    };
    try {
      // bind_if and fwmark: TLS runs over net/tcp-connect.ts's connection (node:tls takes any duplex stream).
      carrier = tls && needsSocketOptions(target) ? openCheckConnection(target) : undefined;
      carrier?.on("error", (error) => finish({ ok: false, reason: describeSocketError(error, target) }));
      // keepalived never fails a handshake on the server's certificate; tls_verify judges it in onSecure, with its precise reason.
      // The name is judged there too, so the library's own check (against the SNI name, else the address) stays out of authorizationError.
      socket = tls
        ? connectTlsSocket(
            {
              ...(carrier ? { socket: carrier } : options),
              rejectUnauthorized: false,
              checkServerIdentity: () => undefined,
              ...(tls.secureContext ? { secureContext: tls.secureContext } : {}),
              ...(tls.servername ? { servername: tls.servername } : {}),
            },
            onConnect,
          )
        : openCheckConnection(target, onConnect);
    } catch (error) {
      return finish({ ok: false, reason: describeSocketError(error, target) });
    }
    socket.on("data", (data: Buffer) => {
      arm("no answer");
      const verdict = steps.onData?.(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      if (verdict) finish(verdict);
    });
    socket.on("end", () => finish(steps.onEnd?.() ?? { ok: false, reason: "the server closed the connection" }));
    socket.on("close", () => finish(steps.onEnd?.() ?? { ok: false, reason: "the server closed the connection" }));
    socket.on("error", (error) => finish({ ok: false, reason: describeSocketError(error, target) }));
  });
}

/** TCP_CHECK: a connection made within connect_timeout is a success. */
export function tcpProbe(target: ConnectTarget, context: ProbeContext): Promise<CheckVerdict> {
  return exchange(target, undefined, context, {});
}

/** "www.example.com:8443" names www.example.com; an IPv6 address keeps its colons. */
const hostOfVirtualhost = (virtualhost: string): string => (virtualhost.split(":").length === 2 ? virtualhost.replace(/:\d+$/, "") : virtualhost);

/** HTTP_GET / SSL_GET, one url: keepalived's GET, the answer read to its end (length, chunks or close) and judged. */
/** Each url's regex compiled once: the specs live as long as their configuration. */
const compiledRegexes = new WeakMap<HttpUrlSpec, RegexExpectation>();

function regexOf(url: HttpUrlSpec): RegexExpectation | undefined {
  if (url.regex === undefined) return undefined;
  let compiled = compiledRegexes.get(url);
  if (!compiled) {
    compiled = { regex: new RegExp(url.regex, `${url.regexFlags ?? ""}g`) };
    if (url.regexNoMatch) compiled.noMatch = true;
    if (url.regexMinOffset !== undefined) compiled.minOffset = url.regexMinOffset;
    if (url.regexMaxOffset !== undefined) compiled.maxOffset = url.regexMaxOffset;
    compiledRegexes.set(url, compiled);
  }
  return compiled;
}

export async function httpProbe(target: ConnectTarget, http: HttpCheckSpec, url: HttpUrlSpec, context: ProbeContext): Promise<CheckVerdict> {
  const virtualhost = url.virtualhost ?? http.virtualhost;
  const request = httpRequest({
    path: url.path,
    protocol: http.protocol,
    address: target.address,
    port: target.port,
    ...(virtualhost !== undefined ? { virtualhost } : {}),
  });
  const regex = regexOf(url);
  const expectation = { path: url.path, statusCodes: url.statusCodes, ...(url.digest ? { digest: url.digest } : {}), ...(regex ? { regex } : {}) };
  const reader = new HttpResponseReader({ ...(url.digest !== undefined ? { md5: bunMd5 } : {}), keepText: regex !== undefined });
  const judge = (read: HttpReadResult) => (read.done ? judgeHttpResponse(expectation, read) : undefined);
  const steps = { request, onData: (bytes: Uint8Array) => judge(reader.feed(bytes)), onEnd: () => judge(reader.end())! };
  if (!http.tls) return exchange(target, undefined, context, steps);
  // keepalived's SNI name skips the real server's virtualhost (check_ssl.c ssl_connect); tandem names the Host it asks for.
  const servername = http.sni && virtualhost !== undefined ? virtualhost : undefined;
  const client = http.tlsClient ?? NO_TLS_CLIENT;
  const loaded = await tlsClientOf(client).catch((error: unknown) => ({ problem: `SSL context: ${describeSocketError(error)}` }));
  if ("problem" in loaded) return { ok: false, reason: loaded.problem };
  const tlsExpectation = {
    verify: client.verify,
    expiryWarnDays: client.expiryWarnDays,
    name: virtualhost !== undefined ? hostOfVirtualhost(virtualhost) : target.address.text,
  };
  let passed: Extract<TlsJudgement, { ok: true }> | undefined;
  const onSecure = (socket: TLSSocket): CheckVerdict | undefined => {
    const judged = judgeTlsPeer(peerSummary(socket, tlsExpectation.name), tlsExpectation, context.clock.wallMs());
    if (!judged.ok) return { ok: false, reason: judged.reason, ...(judged.report ? { tls: judged.report } : {}) };
    passed = judged;
    return undefined;
  };
  const verdict = await exchange(target, { secureContext: loaded.secureContext, onSecure, ...(servername ? { servername } : {}) }, context, steps);
  return passed ? withTlsReport(verdict, passed) : verdict;
}
