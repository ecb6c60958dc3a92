// The probe each checker kind runs: one check, resolved to a verdict with its reason, never
// a throw. The runner (checker-runner.ts) picks the probe by the checker's kind from this
// table; a kind with no entry is reported as not run. Tests give the runner their own table.
import type { CheckSpec, CheckerKind, ConnectTarget } from "../../check/check-spec.ts";
import type { CheckVerdict } from "../../check/http-judge.ts";
import { SMTP_DEFAULT_HELO } from "../../check/smtp-dialogue.ts";
import { httpProbe, tcpProbe, type ProbeContext } from "./connection-probes.ts";
import { dnsProbe } from "./dns-probe.ts";
import { pingProbe } from "./ping-probe.ts";
import { smtpProbe } from "./smtp-probe.ts";
import { udpProbe } from "./udp-probe.ts";

export interface ProbeCall {
  spec: CheckSpec;
  /** Where it connects (the spec's connect; set for every kind that connects). */
  connect: ConnectTarget;
  /** HTTP_GET / SSL_GET: the url this check fetches (one per check, keepalived's walk). */
  urlIndex: number;
  context: ProbeContext;
}

export type Probe = (call: ProbeCall) => Promise<CheckVerdict>;

export type Probes = Partial<Record<CheckerKind, Probe>>;

function httpUrlProbe({ spec, connect, urlIndex, context }: ProbeCall): Promise<CheckVerdict> {
  const http = spec.http!;
  const url = http.urls[urlIndex];
  // keepalived counts an HTTP_GET without urls as passing (its config check warns).
  if (!url) return Promise.resolve({ ok: true, detail: "no url to check" });
  return httpProbe(connect, http, url, context);
}

export const REAL_PROBES: Probes = {
  TCP_CHECK: ({ connect, context }) => tcpProbe(connect, context),
  HTTP_GET: httpUrlProbe,
  SSL_GET: httpUrlProbe,
  DNS_CHECK: ({ spec, connect, context }) => dnsProbe(connect, spec.dns ?? { type: "SOA", name: ".", requireAnswer: false }, context),
  UDP_CHECK: ({ spec, connect, context }) => udpProbe(connect, spec.udp ?? {}, context),
  PING_CHECK: ({ connect, context }) => pingProbe(connect, context),
  SMTP_CHECK: ({ spec, connect, context }) => smtpProbe(connect, spec.smtp ?? { heloName: SMTP_DEFAULT_HELO }, context),
};
