// What one configured checker runs, in the checkers' own terms: where it connects, its
// timers (check-timing.ts), and for HTTP_GET / SSL_GET the urls, the protocol and the Host it
// sends. Values only, so the plans carry them across the IPC and a reload compares them; the
// daemon works them out from the configuration (daemon/check/check-spec-of.ts). Types only.
import type { IpAddress } from "../common/ip-address.ts";
import type { CheckTiming } from "./check-timing.ts";
import type { RiseFall } from "./rise-fall.ts";
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
  /** JavaScript flags from regex_options (http-regex.ts). */
  regexFlags?: string;
  regexNoMatch?: boolean;
  regexMinOffset?: number;
  regexMaxOffset?: number;
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
  /** SSL_GET: the global SSL block's files and tandem's verification. */
  tlsClient?: TlsClientSpec;
}

/**
 * SSL_GET's side of the handshake: the global SSL block's files (paths as written, read by the
 * probe) and tandem's verification. keepalived sends the client certificate, loads `ca` and
 * verifies nothing; with `verify` tandem checks the chain, the name and the validity period.
 */
export interface TlsClientSpec {
  /** `ca`: the CAs `verify` trusts; none: the system's store. */
  caFile?: string;
  /** `certificate` and `key`: the client certificate, sent when the server asks for one. */
  certificateFile?: string;
  keyFile?: string;
  /** `password`: the key's passphrase. */
  password?: string;
  /** tls_verify. */
  verify: boolean;
  /** tls_expiry_warn: a certificate expiring within this many days is reported (0: never). */
  expiryWarnDays: number;
}

/** SMTP_CHECK: one host's dialogue (keepalived makes a checker of each `host` block). */
export interface SmtpCheckSpec {
  /** `helo_name`, default keepalived's "smtpchecker.keepalived.org". */
  heloName: string;
}

/** DNS_CHECK: the query it sends. */
export interface DnsCheckSpec {
  /** The record type's mnemonic as configured ("A", "SOA", ...), upper case. */
  type: string;
  /** The name queried, default ".". */
  name: string;
  /** tandem's require_answer: the reply must answer with a record of the type for the name, not only say NOERROR. */
  requireAnswer: boolean;
}

/** UDP_CHECK: the datagram sent and what the reply must be. */
export interface UdpCheckSpec {
  /** `payload`, as written (hex digits). */
  payload?: string;
  /** `require_reply`: the bytes the reply must begin with (hex, with nibble wildcards), or true: any reply. */
  requireReply?: string | true;
  minReplyLength?: number;
  maxReplyLength?: number;
}

/** MISC_CHECK: the script and how it is run. */
export interface MiscCheckSpec {
  /** `misc_path`: the command line as written. */
  command: string;
  /** `misc_timeout`, default the checker's delay_loop. */
  timeoutMs: number;
  /** `misc_dynamic`: exit codes 2-255 pass and set the weight to code - 2. */
  dynamic: boolean;
  /** `user`, else the global script_user. */
  user?: { user: string; group?: string };
}

/**
 * FILE_CHECK: the track_file whose number sets the real server's state or weight. keepalived
 * 2.2.7 documents `dynamic` but never installs the keyword: the value always adjusts the weight.
 */
export interface FileCheckSpec {
  /** The track_file block's name, and its file. */
  trackFile: string;
  path: string;
  /** The checker's `weight`, else the track_file's: the number is multiplied by it (0: the number only says up or down). */
  weight: number;
  reverse: boolean;
}

export interface CheckSpec {
  kind: CheckerKind;
  timing: CheckTiming;
  /** Undefined for MISC_CHECK and FILE_CHECK, which connect nowhere. */
  connect?: ConnectTarget;
  http?: HttpCheckSpec;
  smtp?: SmtpCheckSpec;
  dns?: DnsCheckSpec;
  udp?: UdpCheckSpec;
  misc?: MiscCheckSpec;
  file?: FileCheckSpec;
  /** tandem's `rise` / `fall` (rise-fall.ts): set, they replace keepalived's retry rule for the checkers that connect. */
  riseFall?: RiseFall;
  /** tandem's `delay_jitter`: each delay moved by up to this share of itself (0-0.5). */
  jitter?: number;
  /** Why this checker cannot run as configured (it then keeps its initial state, and says so). */
  problem?: string;
}
