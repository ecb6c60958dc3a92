// The log line of a checker's verdict, in keepalived 2.2.7's words (grep-compatible for an
// operator's alerting), with tandem's reason after a failure. Pure.
import type { CheckerKind } from "../../check/check-spec.ts";

export interface VerdictLine {
  kind: CheckerKind;
  /** FMT_CHK: "[10.0.0.2]:tcp:80". */
  name: string;
  /** FMT_VS: "[10.0.0.1]:tcp:80". */
  virtualServerName: string;
  up: boolean;
  /** The retries spent before this failure (0: none, or none configured). */
  retriesSpent: number;
  /** The check's reason or what passed. */
  text: string;
}

/** keepalived's "on service X failed" subject per kind (check_tcp.c, check_http.c, check_udp.c, check_ping.c, ...). */
const FAILURE_SUBJECT: Partial<Record<CheckerKind, (name: string, vs: string) => string>> = {
  HTTP_GET: (name) => `HTTP_CHECK on service ${name}`,
  SSL_GET: (name) => `HTTP_CHECK on service ${name}`,
  // check_ping.c names the virtual server after the retries ("... of [10.0.0.1]:tcp:80 failed after 1 retries").
  PING_CHECK: (name, vs) => `ICMP CHECK on service ${name} of ${vs}`,
};

const SUCCESS: Partial<Record<CheckerKind, (name: string) => string>> = {
  HTTP_GET: (name) => `Remote Web server ${name} succeed on service.`,
  SSL_GET: (name) => `Remote Web server ${name} succeed on service.`,
  UDP_CHECK: (name) => `UDP connection to ${name} success.`,
  SMTP_CHECK: (name) => `Remote SMTP server ${name} succeed on service.`,
  PING_CHECK: (name) => `ICMP connection to ${name} success.`,
};

export function verdictLine(line: VerdictLine): string {
  const { kind, name, up, retriesSpent, text } = line;
  // check_dns.c dns_log_message: "DNS_CHECK (NAME) read timeout from socket after 1 retries"; it logs no success of its own.
  if (kind === "DNS_CHECK")
    return up ? `DNS_CHECK (${name}) succeeded: ${text}` : `DNS_CHECK (${name}) ${text}${retriesSpent > 0 ? ` after ${retriesSpent} retries` : ""}`;
  if (up) return (SUCCESS[kind] ?? ((n: string) => `TCP connection to ${n} success.`))(name);
  const subject = FAILURE_SUBJECT[kind]?.(name, line.virtualServerName) ?? `${kind} on service ${name}`;
  // keepalived's line ends "failed." or "failed after N retries."; tandem puts the reason there.
  if (kind === "PING_CHECK" && retriesSpent === 0) return `ICMP CHECK on service ${name} failed: ${text}`;
  return `${subject} failed${retriesSpent > 0 ? ` after ${retriesSpent} retries` : ""}: ${text}`;
}
