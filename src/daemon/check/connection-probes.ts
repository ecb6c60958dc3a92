// The checks that open a TCP connection: TCP_CHECK (the connection is the check) and
// HTTP_GET / SSL_GET (a GET, its answer read by check/http-response.ts and judged by
// check/http-judge.ts). Each resolves to a verdict with the reason an operator reads, and
// never throws. Timers run on the injected clock: keepalived's connect_timeout bounds the
// connection and then each wait for the server (its read timeout is re-armed at every read),
// and the scheduler's own timeout aborts the whole check through the signal. SSL_GET's
// handshake uses the global SSL block's files as keepalived's one SSL_CTX does, and with
// tandem's tls_verify the certificate is judged (check/tls-judge.ts) before the GET is sent.
import type { Clock, TimerHandle } from "../../common/clock.ts";
import type { CheckerKind, ConnectTarget, HttpCheckSpec, HttpUrlSpec } from "../../check/check-spec.ts";
import { judgeHttpResponse, type CheckVerdict } from "../../check/http-judge.ts";
import type { RegexExpectation } from "../../check/http-regex.ts";
import { httpRequest } from "../../check/http-request.ts";
import { HttpResponseReader, type HttpReadResult, type Md5 } from "../../check/http-response.ts";
import { judgeTlsPeer, withTlsReport, type PeerCertificateSummary, type TlsJudgement } from "../../check/tls-judge.ts";
import {
  needsSocketOptions,
  openPlainConnection,
  openTlsConnection,
  type CheckConnection,
  type ConnectionEvents,
  type TlsOptions,
} from "./check-connection.ts";
import type { TlsPeer } from "../../net/tcp-connect.ts";
import { describeSocketError } from "./socket-errors.ts";
import { NO_TLS_CLIENT, peerSummary, tlsClientOf } from "./tls-client.ts";

/** keepalived's digest is MD5 (genhash prints it); Bun's hasher, fed as the body arrives. */
export function bunMd5(): Md5 {
  const hasher = new Bun.CryptoHasher("md5");
  return { update: (bytes) => void hasher.update(bytes), digest: () => hasher.digest("hex") };
}

/** The kinds whose probes open their socket through net/checker-socket.ts (check-connection.ts, udp-connect.ts), and so set bind_if and fwmark. */
const SOCKET_OPTION_KINDS: ReadonlySet<CheckerKind> = new Set<CheckerKind>(["TCP_CHECK", "HTTP_GET", "SSL_GET", "SMTP_CHECK", "UDP_CHECK", "DNS_CHECK"]);

/**
 * Why a checker cannot run with its bind_if or fwmark, or undefined. keepalived 2.2.7 sets
 * SO_BINDTODEVICE whenever bind_if is given (its manual speaks of IPv6 link-local bindto
 * addresses only) and SO_MARK for a fwmark other than 0 (layer4.c socket_bind_connect); the
 * probes here do the same. PING_CHECK's ICMP socket takes neither (keepalived sets neither on
 * it either: the runner says so and pings); a caller that names no kind is refused.
 */
export function unsupportedConnectOptions(target: ConnectTarget, kind?: CheckerKind): string | undefined {
  if (!needsSocketOptions(target) || (kind !== undefined && SOCKET_OPTION_KINDS.has(kind))) return undefined;
  const option = target.bindInterface !== undefined ? "bind_if (SO_BINDTODEVICE)" : "a checker fwmark (SO_MARK)";
  return `${option} is not supported ${kind !== undefined ? `for ${kind} ` : ""}yet`;
}

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

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

interface TlsConnect extends TlsOptions {
  /** Once the handshake is done, before the request: a verdict here ends the check. */
  onSecure?(peer: TlsPeer): CheckVerdict | undefined;
}

/**
 * One connection: made within connect_timeout, then the exchange, each wait for the server
 * within connect_timeout again. Always closes the socket.
 */
function exchange(target: ConnectTarget, tls: TlsConnect | undefined, context: ProbeContext, steps: Exchange): Promise<CheckVerdict> {
  const { clock, signal, connectTimeoutMs } = context;
  return new Promise<CheckVerdict>((resolve) => {
    let timer: TimerHandle | undefined;
    let connection: CheckConnection | undefined;
    let settled = false;
    let connected = false;
    const finish = (verdict: CheckVerdict) => {
      if (settled) return;
      settled = true;
      timer?.cancel();
      signal.removeEventListener("abort", onAbort);
      connection?.close();
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
    const events: ConnectionEvents = {
      connected: () => {
        if (settled) return;
        connected = true;
        if (steps.request === undefined) return finish({ ok: true, detail: "connected" });
        arm("no answer");
        connection!.write(steps.request);
      },
      data: (bytes) => {
        if (settled) return;
        arm("no answer");
        const verdict = steps.onData?.(bytes);
        if (verdict) finish(verdict);
      },
      ended: () => {
        if (!connected && tls) return finish({ ok: false, reason: "the server closed the connection during the TLS handshake" });
        finish(steps.onEnd?.() ?? { ok: false, reason: "the server closed the connection" });
      },
      failed: (error) => finish({ ok: false, reason: describeSocketError(error, target) }),
    };
    const onSecure = (peer: TlsPeer): boolean => {
      const judged = tls?.onSecure?.(peer);
      if (judged) finish(judged);
      return !settled;
    };
    try {
      connection = tls ? openTlsConnection(target, tls, events, onSecure) : openPlainConnection(target, events);
    } catch (error) {
      finish({ ok: false, reason: describeSocketError(error, target) });
    }
    // A connection that failed before openPlainConnection returned (its events came first) is closed now.
    if (settled) connection?.close();
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

/**
 * Without tls_verify the certificate only feeds the report (its subject, issuer and expiry), so
 * it is read once per PEER_LOOK_MS for each check rather than at every handshake, where
 * node:tls's getPeerCertificate cost an SSL_GET about a tenth of its CPU. With tls_verify
 * every handshake's own certificate is judged.
 */
const PEER_LOOK_MS = 60_000;
const peersSeen = new WeakMap<HttpCheckSpec, { atMs: number; peer: PeerCertificateSummary | undefined }>();

function unverifiedPeer(http: HttpCheckSpec, tlsPeer: TlsPeer, name: string, nowMs: number): PeerCertificateSummary | undefined {
  const seen = peersSeen.get(http);
  if (seen && nowMs - seen.atMs < PEER_LOOK_MS) return seen.peer;
  const peer = peerSummary(tlsPeer, name);
  peersSeen.set(http, { atMs: nowMs, peer });
  return peer;
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
  const loaded = await tlsClientOf(client, context.clock.nowMs()).catch((error: unknown) => ({ problem: `SSL context: ${describeSocketError(error)}` }));
  if ("problem" in loaded) return { ok: false, reason: loaded.problem };
  const tlsExpectation = {
    verify: client.verify,
    expiryWarnDays: client.expiryWarnDays,
    name: virtualhost !== undefined ? hostOfVirtualhost(virtualhost) : target.address.text,
  };
  let passed: Extract<TlsJudgement, { ok: true }> | undefined;
  const onSecure = (tlsPeer: TlsPeer): CheckVerdict | undefined => {
    const peer = client.verify ? peerSummary(tlsPeer, tlsExpectation.name) : unverifiedPeer(http, tlsPeer, tlsExpectation.name, context.clock.nowMs());
    const judged = judgeTlsPeer(peer, tlsExpectation, context.clock.wallMs());
    if (!judged.ok) return { ok: false, reason: judged.reason, ...(judged.report ? { tls: judged.report } : {}) };
    passed = judged;
    return undefined;
  };
  const verdict = await exchange(target, { client: loaded.files, onSecure, ...(servername ? { servername } : {}) }, context, steps);
  return passed ? withTlsReport(verdict, passed) : verdict;
}
