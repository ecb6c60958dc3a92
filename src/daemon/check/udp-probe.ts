// UDP_CHECK's probe: one datagram from a connected UDP socket, so the kernel hands this
// socket only the target's replies; then the first reply, an error, or connect_timeout's
// silence, judged by check/udp-reply.ts. keepalived 2.2.7 does the same with its own socket
// (layer4.c udp_bind_connect, udp_socket_state, udp_socket_error). Never throws; always
// closes the socket.
//
// The socket is net/udp-connect.ts's with IP_RECVERR, as keepalived's is: so a host or a
// network unreachable from a router (ICMP codes 0 and 1, "soft" errors a connected socket is
// not told of otherwise) fails the check as keepalived's does, and every ICMP error is logged
// with its kind and its sender. node:dgram's socket cannot have the option.
import type { ConnectTarget, UdpCheckSpec } from "../../check/check-spec.ts";
import type { CheckVerdict } from "../../check/http-judge.ts";
import type { IcmpError } from "../../check/icmp-errors.ts";
import type { TimerHandle } from "../../common/clock.ts";
import { judgeUdpReply, udpCheckPlan, type UdpOutcome } from "../../check/udp-reply.ts";
import { connectUdp, type UdpConnection } from "../../net/udp-connect.ts";
import { SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6, type SockExtendedErr } from "../../net/socket-error-queue.ts";
import type { ProbeContext } from "./connection-probes.ts";
import { describeSocketError } from "./socket-errors.ts";

/**
 * The queued error as an ICMP error, or undefined for one of this host's own (SO_EE_ORIGIN_LOCAL:
 * the datagram was refused before it left, which the socket's error says well enough).
 */
export function icmpErrorOf(queued: SockExtendedErr | undefined): IcmpError | undefined {
  if (!queued || (queued.origin !== SO_EE_ORIGIN_ICMP && queued.origin !== SO_EE_ORIGIN_ICMP6)) return undefined;
  return {
    version: queued.origin === SO_EE_ORIGIN_ICMP ? 4 : 6,
    type: queued.type,
    code: queued.code,
    info: queued.info,
    ...(queued.offender ? { from: queued.offender.text } : {}),
  };
}

export function udpProbe(target: ConnectTarget, udp: UdpCheckSpec, context: ProbeContext): Promise<CheckVerdict> {
  const plan = udpCheckPlan(udp);
  if (!plan.ok) return Promise.resolve({ ok: false, reason: plan.problem });
  const { clock, signal, connectTimeoutMs } = context;
  return new Promise<CheckVerdict>((resolve) => {
    let timer: TimerHandle | undefined;
    let connection: UdpConnection | undefined;
    let settled = false;
    const finish = (verdict: CheckVerdict) => {
      if (settled) return;
      settled = true;
      timer?.cancel();
      signal.removeEventListener("abort", onAbort);
      connection?.close();
      resolve(verdict);
    };
    const judge = (outcome: UdpOutcome) => finish(judgeUdpReply(plan.expectation, outcome));
    const onAbort = () => finish({ ok: false, reason: "no reply before the check's time ran out" });
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort);
    // keepalived waits connect_timeout for the reply from the send on; a local connect and send take microseconds.
    timer = clock.at(clock.nowMs() + connectTimeoutMs, () => judge({ kind: "silence", waitedMs: connectTimeoutMs }));
    try {
      // keepalived 2.2.7's udp_bind_connect sets SO_MARK but not SO_BINDTODEVICE; a bind_if given is meant, so both are set here.
      connection = connectUdp(
        { ...target, queueErrors: true },
        {
          onDatagram: (bytes) => judge({ kind: "reply", bytes }),
          onError: (error, queued) => {
            const icmp = icmpErrorOf(queued);
            judge(icmp ? { kind: "icmp", error: icmp } : { kind: "unreachable", reason: describeSocketError(error, target) });
          },
        },
      );
      connection.send(plan.request);
    } catch (error) {
      finish({ ok: false, reason: describeSocketError(error, target) });
    }
  });
}
