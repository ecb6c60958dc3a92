// What one configured checker runs, in the checkers' own terms: where it connects, its
// timers (check-timing.ts), and for HTTP_GET / SSL_GET the urls, the protocol and the Host it
// sends. Values only, so the plans carry them across the IPC and a reload compares them; the
// daemon works them out from the configuration (daemon/check/check-spec-of.ts). Types only.
import type { IpAddress } from "../common/ip-address.ts";
import type { CheckTiming } from "./check-timing.ts";
import type { HttpProtocol } from "./http-request.ts";

/** keepalived.conf's checker blocks. */
export type CheckerKind = "HTTP_GET" | "SSL_GET" | "TCP_CHECK" | "SMTP_CHECK" | "MISC_CHECK" | "DNS_CHECK" | "UDP_CHECK" | "PING_CHECK" | "FILE_CHECK";

export interface ConnectTarget {
  address: IpAddress;
  port: number;
  bindTo?: IpAddress;
  bindPort?: number;
  bindInterface?: string;
  fwmark?: number;
}

export interface HttpUrlSpec {
  path: string;
  /** Lower-case hex MD5 of the body. */
  digest?: string;
  statusCodes: { from: number; to: number }[];
  /** The url's own virtualhost (it beats the checker's). */
  virtualhost?: string;
  /** The pattern's source, compiled by the probe. */
  regex?: string;
}

export interface HttpCheckSpec {
  urls: HttpUrlSpec[];
  protocol: HttpProtocol;
  /** The checker's virtualhost, else the real server's, else the virtual server's. */
  virtualhost?: string;
  tls: boolean;
  /** enable_sni: the TLS ClientHello names the virtualhost. */
  sni: boolean;
  fastRecovery: boolean;
}

export interface CheckSpec {
  kind: CheckerKind;
  timing: CheckTiming;
  /** Undefined for MISC_CHECK and FILE_CHECK, which connect nowhere. */
  connect?: ConnectTarget;
  http?: HttpCheckSpec;
  /** Why this checker cannot run as configured (it then keeps its initial state, and says so). */
  problem?: string;
}
