// PING_CHECK's probe: one ICMP / ICMPv6 echo request (check/icmp-echo.ts, keepalived's 136
// bytes) from its own socket (net/icmp-echo-socket.ts), passed by the first echo reply that
// answers it within connect_timeout, keepalived 2.2.7's one timer for PING_CHECK (check_ping.c
// icmp_connect_thread arms co->connection_to). Never throws; always closes the socket.
//
// As keepalived's ping socket does, an ICMP error about the request (host unreachable) is
// not a verdict of its own: the check fails when connect_timeout passes without a reply.
import type { ConnectTarget } from "../../check/check-spec.ts";
import type { CheckVerdict } from "../../check/http-judge.ts";
import { answersEchoRequest, decodeIcmpEchoReply, encodeIcmpEchoRequest, keepalivedEchoData, type EchoRequest } from "../../check/icmp-echo.ts";
import type { TimerHandle } from "../../common/clock.ts";
import { openIcmpEchoSocket, type IcmpEchoSocket, type IcmpEchoSocketOptions } from "../../net/icmp-echo-socket.ts";
import type { ProbeContext } from "./connection-probes.ts";
import { describeSocketError } from "./socket-errors.ts";

/** keepalived's seq_no: one counter for every PING_CHECK of the process. */
let nextSequence = 0;

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

/** Opens the socket; tests give their own. */
export type OpenIcmpEchoSocket = (options: IcmpEchoSocketOptions) => IcmpEchoSocket;

export function pingProbe(target: ConnectTarget, context: ProbeContext, open: OpenIcmpEchoSocket = openIcmpEchoSocket): Promise<CheckVerdict> {
  const { clock, signal, connectTimeoutMs } = context;
  const request: EchoRequest = {
    family: target.address.family,
    // A raw socket sees every echo reply of the host: a random id tells this check's apart.
    id: crypto.getRandomValues(new Uint16Array(1))[0]!,
    sequence: nextSequence,
    data: keepalivedEchoData(),
  };
  nextSequence = (nextSequence + 1) & 0xffff;
  const message = encodeIcmpEchoRequest(request);
  return new Promise<CheckVerdict>((resolve) => {
    let timer: TimerHandle | undefined;
    let socket: IcmpEchoSocket | undefined;
    let settled = false;
    const startedMs = clock.nowMs();
    const finish = (verdict: CheckVerdict) => {
      if (settled) return;
      settled = true;
      timer?.cancel();
      signal.removeEventListener("abort", onAbort);
      void socket?.close();
      resolve(verdict);
    };
    const onAbort = () => finish({ ok: false, reason: "no echo reply before the check's time ran out" });
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort);
    timer = clock.at(startedMs + connectTimeoutMs, () => finish({ ok: false, reason: `no echo reply within ${seconds(connectTimeoutMs)}` }));
    try {
      socket = open({
        destination: target.address,
        ...(target.bindTo ? { bindTo: target.bindTo } : {}),
        messageLength: message.length,
        onMessage: (bytes) => {
          const decoded = decodeIcmpEchoReply(bytes, { family: request.family, withIpv4Header: socket!.withIpv4Header });
          // Anything else (another host's reply on a raw socket, a late duplicate) is not this check's answer: keep waiting.
          if (!decoded.ok || !answersEchoRequest(decoded.reply, request, { checkId: socket!.kind === "raw" })) return;
          if (decoded.reply.source && decoded.reply.source.text !== target.address.text) return;
          finish({ ok: true, detail: `echo reply in ${Number((clock.nowMs() - startedMs).toFixed(1))} ms` });
        },
        onError: (error) => finish({ ok: false, reason: error.message }),
      });
      socket.send(message);
    } catch (error) {
      finish({ ok: false, reason: describeSocketError(error) });
    }
  });
}
