// DNS_CHECK's probe (keepalived 2.2.7 check_dns.c): one query over UDP, never TCP, never
// resent within a check (retry is the epilog's, a check later), from a socket bound per
// bindto / bind_port and connected to the target, so the kernel drops datagrams from anyone
// else and a port unreachable comes back as "connection refused". The reply is read and
// judged by check/dns-message.ts; datagrams that are not the reply (another ID, a query, a
// runt) are ignored and counted, as keepalived waits on past them. connect_timeout bounds the
// whole exchange from the socket's opening (keepalived's sands), on the injected clock.
// Resolves to a verdict, never throws, always closes its socket.
import { createSocket, type Socket } from "node:dgram";
import type { ConnectTarget, DnsCheckSpec } from "../../check/check-spec.ts";
import { decodeDnsReply, dnsTypeCode, encodeDnsQuery, isStrayDatagram, judgeDnsReply, type DnsQuery, type DnsStrayRejection } from "../../check/dns-message.ts";
import type { CheckVerdict } from "../../check/http-judge.ts";
import type { TimerHandle } from "../../common/clock.ts";
import { connectUdp, type UdpConnection } from "../../net/udp-connect.ts";
import { needsSocketOptions } from "./check-connection.ts";
import type { ProbeContext } from "./connection-probes.ts";
import { describeSocketError } from "./socket-errors.ts";

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

/** keepalived takes random() for each query; an unpredictable ID also makes a forged reply harder. */
export function randomQueryId(): number {
  return crypto.getRandomValues(new Uint16Array(1))[0]!;
}

type StrayKind = DnsStrayRejection | "other-source";

const STRAY_WORDS: Record<StrayKind, [string, string]> = {
  "wrong-id": ["datagram with another id", "datagrams with another id"],
  "not-a-response": ["query (QR clear)", "queries (QR clear)"],
  "short-header": ["datagram shorter than a DNS header", "datagrams shorter than a DNS header"],
  "other-source": ["datagram from another address", "datagrams from another address"],
};

/** "; ignored 2 datagrams with another id", or nothing: the operator sees that something else answered. */
function strayNote(strays: Map<StrayKind, number>): string {
  const parts = [...strays].map(([kind, count]) => `${count} ${STRAY_WORDS[kind][count === 1 ? 0 : 1]}`);
  return parts.length === 0 ? "" : `; ignored ${parts.join(", ")}`;
}

function withNote(verdict: CheckVerdict, note: string): CheckVerdict {
  if (!note) return verdict;
  return verdict.ok ? { ok: true, detail: verdict.detail + note } : { ok: false, reason: verdict.reason + note };
}

export function dnsProbe(target: ConnectTarget, dns: DnsCheckSpec, context: ProbeContext, queryId: number = randomQueryId()): Promise<CheckVerdict> {
  const type = dnsTypeCode(dns.type);
  if (type === undefined) return Promise.resolve({ ok: false, reason: `type ${dns.type} is not one DNS_CHECK knows` });
  const query: DnsQuery = { id: queryId, name: dns.name, type };
  const encoded = encodeDnsQuery(query);
  if (!encoded.ok) return Promise.resolve({ ok: false, reason: encoded.reason });
  const { clock, signal, connectTimeoutMs } = context;
  return new Promise<CheckVerdict>((resolve) => {
    let socket: Socket | undefined;
    /** With bind_if or fwmark: net/udp-connect.ts's socket instead of node:dgram's. */
    let connection: UdpConnection | undefined;
    let timer: TimerHandle | undefined;
    let settled = false;
    const strays = new Map<StrayKind, number>();
    const finish = (verdict: CheckVerdict) => {
      if (settled) return;
      settled = true;
      timer?.cancel();
      signal.removeEventListener("abort", onAbort);
      try {
        socket?.close();
      } catch {
        // Already closed (Bun throws "Not running"): nothing left to release.
      }
      connection?.close();
      resolve(withNote(verdict, strayNote(strays)));
    };
    const onAbort = () => finish({ ok: false, reason: "no answer before the check's time ran out" });
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort);
    timer = clock.at(clock.nowMs() + connectTimeoutMs, () => finish({ ok: false, reason: `no answer within ${seconds(connectTimeoutMs)}` }));

    const send = () => {
      if (settled) return;
      socket!.send(encoded.bytes, (error) => {
        if (error) finish({ ok: false, reason: describeSocketError(error) });
      });
    };
    const connect = () => {
      if (settled) return;
      socket!.connect(target.port, target.address.text, send);
    };
    /** One datagram; `fromTarget`: it came from the target's address and port. */
    const heard = (bytes: Uint8Array, fromTarget: boolean) => {
      if (settled) return;
      let stray: StrayKind | undefined;
      let verdict: CheckVerdict | undefined;
      if (!fromTarget) stray = "other-source";
      else {
        const reply = decodeDnsReply(bytes, query);
        if (isStrayDatagram(reply)) stray = reply.rejection;
        else verdict = judgeDnsReply(query, reply, { requireAnswer: dns.requireAnswer });
      }
      if (stray) strays.set(stray, (strays.get(stray) ?? 0) + 1);
      if (verdict) finish(verdict);
    };
    try {
      if (needsSocketOptions(target)) {
        // keepalived 2.2.7's dns_connect_thread sets both through socket_bind_connect; node:dgram cannot.
        connection = connectUdp(target, {
          onDatagram: (bytes) => heard(bytes, true),
          onError: (error) => finish({ ok: false, reason: describeSocketError(error, target) }),
        });
        connection.send(encoded.bytes);
        return;
      }
      socket = createSocket({ type: target.address.family === 6 ? "udp6" : "udp4" });
      socket.on("error", (error) => finish({ ok: false, reason: describeSocketError(error) }));
      // A connected socket only hears its peer; checked again, as it costs nothing.
      socket.on("message", (message: Buffer, from) =>
        heard(new Uint8Array(message.buffer, message.byteOffset, message.byteLength), from.address === target.address.text && from.port === target.port),
      );
      if (target.bindTo || target.bindPort !== undefined)
        socket.bind({ port: target.bindPort ?? 0, ...(target.bindTo ? { address: target.bindTo.text } : {}) }, connect);
      else connect();
    } catch (error) {
      finish({ ok: false, reason: describeSocketError(error, target) });
    }
  });
}
