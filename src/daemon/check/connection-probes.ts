// The checks that open a TCP connection: TCP_CHECK (the connection is the check) and
// HTTP_GET / SSL_GET (a GET, its answer read by check/http-response.ts and judged by
// check/http-judge.ts). Each resolves to a verdict with the reason an operator reads, and
// never throws. Timers run on the injected clock: keepalived's connect_timeout bounds the
// connection and then each wait for the server (its read timeout is re-armed at every read),
// and the scheduler's own timeout aborts the whole check through the signal.
import { connect as connectTcpSocket, type Socket } from "node:net";
import { connect as connectTlsSocket } from "node:tls";
import type { Clock, TimerHandle } from "../../common/clock.ts";
import type { ConnectTarget, HttpCheckSpec, HttpUrlSpec } from "../../check/check-spec.ts";
import { judgeHttpResponse, type CheckVerdict } from "../../check/http-judge.ts";
import { httpRequest } from "../../check/http-request.ts";
import { HttpResponseReader, type HttpReadResult, type Md5 } from "../../check/http-response.ts";

/** keepalived's digest is MD5 (genhash prints it); Bun's hasher, fed as the body arrives. */
export function bunMd5(): Md5 {
  const hasher = new Bun.CryptoHasher("md5");
  return { update: (bytes) => void hasher.update(bytes), digest: () => hasher.digest("hex") };
}

/** What bind_if and fwmark need (SO_BINDTODEVICE, SO_MARK) and node:net's sockets do not set. */
export function unsupportedConnectOptions(target: ConnectTarget): string | undefined {
  if (target.bindInterface !== undefined) return "bind_if (SO_BINDTODEVICE) is not supported yet";
  if (target.fwmark !== undefined) return "a checker fwmark (SO_MARK) is not supported yet";
  return undefined;
}

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

/** A socket error as the log says it: "connection refused", not "ECONNREFUSED". */
export function describeSocketError(error: unknown): string {
  const code = (error as { code?: string }).code;
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ECONNRESET":
      return "connection reset by the server";
    case "EHOSTUNREACH":
      return "host unreachable";
    case "ENETUNREACH":
      return "network unreachable";
    case "EPIPE":
      return "the server closed the connection";
    case "EADDRNOTAVAIL":
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

/**
 * One connection: made within connect_timeout, then the exchange, each wait for the server
 * within connect_timeout again. Always closes the socket.
 */
function exchange(target: ConnectTarget, tls: { servername?: string } | undefined, context: ProbeContext, steps: Exchange): Promise<CheckVerdict> {
  const { clock, signal, connectTimeoutMs } = context;
  return new Promise<CheckVerdict>((resolve) => {
    let timer: TimerHandle | undefined;
    let socket: Socket | undefined;
    let settled = false;
    let connected = false;
    const finish = (verdict: CheckVerdict) => {
      if (settled) return;
      settled = true;
      timer?.cancel();
      signal.removeEventListener("abort", onAbort);
      socket?.destroy();
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
    const options = {
      host: target.address.text,
      port: target.port,
      family: target.address.family,
      ...(target.bindTo ? { localAddress: target.bindTo.text } : {}),
      ...(target.bindPort !== undefined ? { localPort: target.bindPort } : {}),
    };
    const onConnect = () => {
      connected = true;
      if (steps.request === undefined) return finish({ ok: true, detail: "connected" });
      arm("no answer");
      socket!.write(steps.request);
    };
    try {
      // keepalived never verifies an SSL_GET server's certificate (tandem's verification comes with the SSL block's keywords).
      socket = tls
        ? connectTlsSocket({ ...options, rejectUnauthorized: false, ...(tls.servername ? { servername: tls.servername } : {}) }, onConnect)
        : connectTcpSocket(options, onConnect);
    } catch (error) {
      return finish({ ok: false, reason: describeSocketError(error) });
    }
    socket.on("data", (data: Buffer) => {
      arm("no answer");
      const verdict = steps.onData?.(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      if (verdict) finish(verdict);
    });
    socket.on("end", () => finish(steps.onEnd?.() ?? { ok: false, reason: "the server closed the connection" }));
    socket.on("close", () => finish(steps.onEnd?.() ?? { ok: false, reason: "the server closed the connection" }));
    socket.on("error", (error) => finish({ ok: false, reason: describeSocketError(error) }));
  });
}

/** TCP_CHECK: a connection made within connect_timeout is a success. */
export function tcpProbe(target: ConnectTarget, context: ProbeContext): Promise<CheckVerdict> {
  return exchange(target, undefined, context, {});
}

/** HTTP_GET / SSL_GET, one url: keepalived's GET, the answer read to its end (length, chunks or close) and judged. */
export function httpProbe(target: ConnectTarget, http: HttpCheckSpec, url: HttpUrlSpec, context: ProbeContext): Promise<CheckVerdict> {
  const virtualhost = url.virtualhost ?? http.virtualhost;
  const request = httpRequest({
    path: url.path,
    protocol: http.protocol,
    address: target.address,
    port: target.port,
    ...(virtualhost !== undefined ? { virtualhost } : {}),
  });
  const regex = url.regex === undefined ? undefined : new RegExp(url.regex);
  const expectation = { path: url.path, statusCodes: url.statusCodes, ...(url.digest ? { digest: url.digest } : {}), ...(regex ? { regex } : {}) };
  const reader = new HttpResponseReader({ ...(url.digest !== undefined ? { md5: bunMd5 } : {}), keepText: regex !== undefined });
  const judge = (read: HttpReadResult) => (read.done ? judgeHttpResponse(expectation, read) : undefined);
  const servername = http.sni && virtualhost !== undefined ? virtualhost : undefined;
  return exchange(target, http.tls ? (servername ? { servername } : {}) : undefined, context, {
    request,
    onData: (bytes) => judge(reader.feed(bytes)),
    onEnd: () => judge(reader.end())!,
  });
}
