// UDP_CHECK's probe: one datagram from a connected UDP socket (node:dgram), so the kernel
// hands this socket only the target's replies and turns an ICMP port unreachable into
// ECONNREFUSED; then the first reply, an error, or connect_timeout's silence, judged by
// check/udp-reply.ts. keepalived 2.2.7 does the same with its own socket (layer4.c
// udp_bind_connect, udp_socket_state). Never throws; always closes the socket.
//
// One difference remains: keepalived sets IP_RECVERR and so also sees the "soft" ICMP errors
// (host or network unreachable from a router, codes 0 and 1); node:dgram's socket does not,
// and the kernel reports only the hard ones (port, protocol, administratively prohibited) to
// it, so a host unreachable is silence here: a failure with require_reply, else a pass.
import { createSocket, type Socket } from "node:dgram";
import type { ConnectTarget, UdpCheckSpec } from "../../check/check-spec.ts";
import type { CheckVerdict } from "../../check/http-judge.ts";
import type { TimerHandle } from "../../common/clock.ts";
import { judgeUdpReply, udpCheckPlan, type UdpOutcome } from "../../check/udp-reply.ts";
import { connectUdp, type UdpConnection } from "../../net/udp-connect.ts";
import { describeSocketError, needsSocketOptions, type ProbeContext } from "./connection-probes.ts";

export function udpProbe(target: ConnectTarget, udp: UdpCheckSpec, context: ProbeContext): Promise<CheckVerdict> {
  const plan = udpCheckPlan(udp);
  if (!plan.ok) return Promise.resolve({ ok: false, reason: plan.problem });
  const { clock, signal, connectTimeoutMs } = context;
  return new Promise<CheckVerdict>((resolve) => {
    let timer: TimerHandle | undefined;
    let socket: Socket | undefined;
    /** With bind_if or fwmark: net/udp-connect.ts's socket instead of node:dgram's. */
    let connection: UdpConnection | undefined;
    let settled = false;
    const finish = (verdict: CheckVerdict) => {
      if (settled) return;
      settled = true;
      timer?.cancel();
      signal.removeEventListener("abort", onAbort);
      try {
        socket?.close();
      } catch {
        // Already closed (an error can close it first): nothing is left open.
      }
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
      if (needsSocketOptions(target)) {
        // keepalived 2.2.7's udp_bind_connect sets SO_MARK but not SO_BINDTODEVICE; a bind_if given is meant, so both are set here.
        connection = connectUdp(target, {
          onDatagram: (bytes) => judge({ kind: "reply", bytes }),
          onError: (error) => judge({ kind: "unreachable", reason: describeSocketError(error, target) }),
        });
        connection.send(plan.request);
        return;
      }
      socket = createSocket({ type: target.address.family === 6 ? "udp6" : "udp4" });
      // The error event also carries ECONNREFUSED: the port unreachable for the datagram sent.
      socket.on("error", (error) => judge({ kind: "unreachable", reason: describeSocketError(error) }));
      // Connected, the kernel drops datagrams from anyone but the target: the first one is the reply.
      socket.on("message", (bytes: Buffer) => judge({ kind: "reply", bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) }));
      const connectAndSend = () => {
        if (settled) return;
        socket!.connect(target.port, target.address.text, () => {
          if (settled) return;
          socket!.send(plan.request, (error) => {
            if (!settled && error) judge({ kind: "unreachable", reason: describeSocketError(error) });
          });
        });
      };
      if (target.bindTo !== undefined || target.bindPort !== undefined) {
        socket.bind({ port: target.bindPort ?? 0, ...(target.bindTo ? { address: target.bindTo.text } : {}) }, connectAndSend);
      } else connectAndSend();
    } catch (error) {
      finish({ ok: false, reason: describeSocketError(error, target) });
    }
  });
}
