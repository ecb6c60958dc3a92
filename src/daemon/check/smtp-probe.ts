// SMTP_CHECK over a TCP connection: the dialogue of check/smtp-dialogue.ts (banner 220, HELO
// answered 250, QUIT answered) on a check connection (check-connection.ts), resolved to a verdict with the reason an
// operator reads, never a throw. As keepalived 2.2.7 (check_smtp.c), connect_timeout bounds the
// connection and then each wait for the server, re-armed at every read; the timers run on the
// injected clock, and the scheduler's own timeout aborts the whole check through the signal.
import type { TimerHandle } from "../../common/clock.ts";
import type { ConnectTarget, SmtpCheckSpec } from "../../check/check-spec.ts";
import type { CheckVerdict } from "../../check/http-judge.ts";
import { SmtpDialogue } from "../../check/smtp-dialogue.ts";
import { openPlainConnection, type CheckConnection } from "./check-connection.ts";
import type { ProbeContext } from "./connection-probes.ts";
import { describeSocketError } from "./socket-errors.ts";

export function smtpProbe(target: ConnectTarget, smtp: SmtpCheckSpec, context: ProbeContext): Promise<CheckVerdict> {
  const { clock, signal, connectTimeoutMs } = context;
  const dialogue = new SmtpDialogue(smtp.heloName);
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
      connection = openPlainConnection(target, {
        connected: () => {
          if (settled) return;
          connected = true;
          awaitServer();
        },
        data: (bytes) => {
          if (settled) return;
          const step = dialogue.feed(bytes);
          if (step.done) return finish(step.verdict);
          awaitServer();
          if (step.send !== undefined) connection!.write(step.send);
        },
        // A close is judged by the dialogue: keepalived's "Read failure", whatever was left to say.
        ended: () => finish(dialogue.end()),
        failed: (error) => finish({ ok: false, reason: describeSocketError(error, target) }),
      });
    } catch (error) {
      finish({ ok: false, reason: describeSocketError(error, target) });
    }
  });
}
