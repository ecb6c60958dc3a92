// SMTP_CHECK over a TCP connection: the dialogue of check/smtp-dialogue.ts (banner 220, HELO
// answered 250, QUIT answered) on a node:net socket, resolved to a verdict with the reason an
// operator reads, never a throw. As keepalived 2.2.7 (check_smtp.c), connect_timeout bounds the
// connection and then each wait for the server, re-armed at every read; the timers run on the
// injected clock, and the scheduler's own timeout aborts the whole check through the signal.
import type { Duplex } from "node:stream";
import type { TimerHandle } from "../../common/clock.ts";
import type { ConnectTarget, SmtpCheckSpec } from "../../check/check-spec.ts";
import type { CheckVerdict } from "../../check/http-judge.ts";
import { SmtpDialogue } from "../../check/smtp-dialogue.ts";
import { describeSocketError, openCheckConnection, type ProbeContext } from "./connection-probes.ts";

export function smtpProbe(target: ConnectTarget, smtp: SmtpCheckSpec, context: ProbeContext): Promise<CheckVerdict> {
  const { clock, signal, connectTimeoutMs } = context;
  const dialogue = new SmtpDialogue(smtp.heloName);
  return new Promise<CheckVerdict>((resolve) => {
    let timer: TimerHandle | undefined;
    let socket: Duplex | undefined;
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
    const arm = (reason: () => string) => {
      timer?.cancel();
      timer = clock.at(clock.nowMs() + connectTimeoutMs, () => finish({ ok: false, reason: reason() }));
    };
    const awaitServer = () => arm(() => dialogue.timeoutReason(connectTimeoutMs));
    const onAbort = () =>
      finish({
        ok: false,
        reason: connected
          ? `no ${dialogue.phase === "banner" ? "greeting banner" : "answer"} before the check's time ran out`
          : "no connection before the check's time ran out",
      });
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort);
    arm(() => `no connection within ${Number((connectTimeoutMs / 1000).toFixed(3))} s`);
    try {
      // node:net's connection, or with bind_if / fwmark net/tcp-connect.ts's (keepalived's socket_bind_connect).
      socket = openCheckConnection(target, () => {
        connected = true;
        awaitServer();
      });
    } catch (error) {
      return finish({ ok: false, reason: describeSocketError(error, target) });
    }
    socket.on("data", (data: Buffer) => {
      const step = dialogue.feed(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      if (step.done) return finish(step.verdict);
      awaitServer();
      if (step.send !== undefined) socket!.write(step.send);
    });
    // A close is judged by the dialogue: keepalived's "Read failure", whatever was left to say.
    socket.on("end", () => finish(dialogue.end()));
    socket.on("close", () => finish(dialogue.end()));
    socket.on("error", (error) => finish({ ok: false, reason: describeSocketError(error, target) }));
  });
}
