// Real-server health checker blocks: HTTP_GET, SSL_GET, TCP_CHECK, SMTP_CHECK, MISC_CHECK,
// DNS_CHECK, UDP_CHECK, PING_CHECK, FILE_CHECK (keepalived.conf(5) "Virtual server(s)").

import type { IpAddress } from "../common/ip-address.ts";
import { CONNECT_TIMEOUT_MAX_S, TIMER_MAX_S, TIMER_MIN_S, UINT_MAX } from "./check-defaults.ts";
import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import { locationOf } from "./diagnostics.ts";
import {
  decimalField,
  defineBlock,
  flagField,
  ignored,
  intField,
  keyword,
  nestedBlock,
  setField,
  stringField,
  type Keyword,
  type KeywordBlock,
  type Located,
} from "./keyword-table.ts";
import type { Checker, CheckerCommon, CheckerKind, HttpUrl, ScriptUser, SmtpHost } from "./model.ts";
import { userKeyword } from "./vrrp-script.ts";
import { joinCommand, parseInteger, parseIpAddressArg, parseWeight, requireArg, warnExtraArgs } from "./values.ts";

export interface CheckerDraft extends CheckerCommon, Located {
  kind: CheckerKind;
  location: SourceLocation;
  urls: HttpUrl[];
  hosts: SmtpHost[];
  virtualhost?: string;
  httpProtocol?: string;
  enableSni?: boolean;
  fastRecovery?: boolean;
  tlsVerify?: boolean;
  tlsExpiryWarnDays?: number;
  rise?: number;
  fall?: number;
  delayJitterPercent?: number;
  heloName?: string;
  path?: string;
  timeoutS?: number;
  dynamic?: boolean;
  user?: ScriptUser;
  type?: string;
  name?: string;
  requireAnswer?: boolean;
  payload?: string;
  requireReply?: string | true;
  minReplyLength?: number;
  maxReplyLength?: number;
  trackFile?: string;
  weight?: number;
  weightReverse?: boolean;
}

/** Options every connection checker (and an SMTP_CHECK host) accepts, with keepalived 2.2.7's ranges. */
export function commonCheckKeywords<T extends Located & CheckerCommon>(): Keyword<T>[] {
  return [
    addressKeyword("connect_ip", "connectIp", "bindTo", "bindto"),
    intField("connect_port", "connectPort", 1, 65535),
    addressKeyword("bindto", "bindTo", "connectIp", "connect_ip"),
    intField("bind_port", "bindPort", 1, 65535),
    keyword("bind_if", (stmt, target, diag) => {
      const tok = requireArg(stmt, 0, "an interface name", diag);
      if (!tok) return;
      // IFNAMSIZ: keepalived refuses a longer name.
      if (tok.text.length > 15) return diag.error(tok, `bind_if: interface name ${tok.text} is longer than 15 characters`);
      warnExtraArgs(stmt, 1, diag);
      setField(target, "bindInterface", tok.text, stmt);
    }),
    intField("fwmark", "fwmark", 0, UINT_MAX),
    flagField("alpha", "alpha"),
    decimalField("connect_timeout", "connectTimeoutS", TIMER_MIN_S, CONNECT_TIMEOUT_MAX_S),
    intField("retry", "retry", 0, UINT_MAX),
    // Deprecated synonym of retry; keepalived 2.2.7 warns the same way.
    { ...intField<T>("nb_get_retry", "retry", 0, UINT_MAX), deprecatedFor: "retry" },
    decimalField("delay_before_retry", "delayBeforeRetryS", 0, TIMER_MAX_S),
    decimalField("warmup", "warmupS", 0, TIMER_MAX_S),
    decimalField("delay_loop", "delayLoopS", TIMER_MIN_S, TIMER_MAX_S),
    ignored("log_all_failures"),
  ];
}

/** connect_ip and bindto, v4 or v6; keepalived refuses the second of the two when their families differ. */
function addressKeyword<T extends Located & CheckerCommon>(
  name: string,
  field: "connectIp" | "bindTo",
  other: "connectIp" | "bindTo",
  otherName: string,
): Keyword<T> {
  return keyword(name, (stmt, target, diag) => {
    const tok = requireArg(stmt, 0, "an IPv4 or IPv6 address", diag);
    const value = tok && parseIpAddressArg(tok, name, diag);
    if (!tok || !value) return;
    const counterpart: IpAddress | undefined = target[other];
    if (counterpart && counterpart.family !== value.family)
      return diag.error(tok, `${name} ${value.text} is IPv${value.family} but ${otherName} is ${counterpart.text}; keepalived skips it`);
    warnExtraArgs(stmt, 1, diag);
    setField(target, field, value, stmt);
  });
}

interface UrlDraft extends Located {
  location: SourceLocation;
  path?: string;
  digest?: string;
  statusCodes: { from: number; to: number }[];
  virtualhost?: string;
  regex?: string;
  regexNoMatch?: boolean;
  regexOptions?: string[];
  regexMinOffset?: number;
  regexMaxOffset?: number;
}

const urlBlock: KeywordBlock<UrlDraft> = defineBlock("url", [
  stringField("path", "path", "a URL path"),
  stringField("digest", "digest", "an MD5 hex digest"),
  keyword("status_code", (stmt, target, diag) => {
    if (!requireArg(stmt, 0, "a status code or range such as 200-299", diag)) return;
    for (const tok of stmt.args) {
      const [a = "", b] = tok.text.split("-", 2);
      const from = parseInteger({ ...tok, text: a }, "status_code", 100, 999, diag);
      const to = b === undefined ? from : parseInteger({ ...tok, text: b }, "status_code", 100, 999, diag);
      if (from !== undefined && to !== undefined) target.statusCodes.push({ from, to });
    }
    target.fieldLocations.statusCodes = locationOf(stmt.keyword);
  }),
  stringField("virtualhost", "virtualhost", "a host name"),
  stringField("regex", "regex", "a regular expression"),
  flagField("regex_no_match", "regexNoMatch"),
  keyword("regex_options", (stmt, target, diag) => {
    if (!requireArg(stmt, 0, "PCRE2 option names (caseless, multiline, dotall, ...)", diag)) return;
    // keepalived ORs each line's options in; each name is kept once (the list stays as small as PCRE2's options).
    const options = target.regexOptions ?? [];
    for (const t of stmt.args) if (!options.includes(t.text) && options.length < 64) options.push(t.text);
    setField(target, "regexOptions", options, stmt);
  }),
  // keepalived's JIT stack for PCRE2; JavaScript's engine has none to size.
  ignored<UrlDraft>("regex_stack", "the regex engine here has no JIT stack to size"),
  intField("regex_min_offset", "regexMinOffset", 0, UINT_MAX),
  intField("regex_max_offset", "regexMaxOffset", 0, UINT_MAX),
]);

/** Tandem's SSL_GET tls_expiry_warn when none is written: two weeks' notice, a renewal's usual lead time. */
export const TLS_EXPIRY_WARN_DEFAULT_DAYS = 14;

const hostBlock: KeywordBlock<SmtpHost & Located> = defineBlock("host", commonCheckKeywords());

const specific: Record<CheckerKind, Keyword<CheckerDraft>[]> = {
  HTTP_GET: [],
  SSL_GET: [
    flagField("enable_sni", "enableSni"),
    // tandem's own: keepalived 2.2.7 (and master) never verifies the server's certificate.
    {
      ...flagField<CheckerDraft>("tls_verify", "tlsVerify"),
      note: "the server's certificate must chain to the SSL block's ca (else the system CAs), name the virtualhost (else the address) and be valid",
    },
    {
      ...intField<CheckerDraft>("tls_expiry_warn", "tlsExpiryWarnDays", 0, 3650),
      note: `DAYS (default ${TLS_EXPIRY_WARN_DEFAULT_DAYS}, 0: never): a certificate expiring within DAYS is reported, not failed`,
    },
  ],
  TCP_CHECK: [],
  SMTP_CHECK: [
    stringField("helo_name", "heloName", "a host name"),
    nestedBlock(
      "host",
      hostBlock,
      (stmt) => ({ location: locationOf(stmt.keyword), fieldLocations: {} }),
      (host, target) => {
        const { fieldLocations: _unused, ...clean } = host;
        target.hosts.push(clean);
      },
    ),
  ],
  MISC_CHECK: [
    keyword("misc_path", (stmt, target, diag) => {
      if (!requireArg(stmt, 0, "a command (quote it if it has arguments)", diag)) return;
      setField(target, "path", joinCommand(stmt.args), stmt);
    }),
    decimalField("misc_timeout", "timeoutS", 0, 86400),
    flagField("misc_dynamic", "dynamic"),
    userKeyword("user", "user"),
  ],
  DNS_CHECK: [
    stringField("type", "type", "a query type (A, NS, CNAME, SOA, MX, TXT, AAAA)"),
    stringField("name", "name", "a domain name"),
    // tandem's own: keepalived passes any NOERROR reply, an empty answer included.
    flagField("require_answer", "requireAnswer"),
  ],
  UDP_CHECK: [
    keyword("payload", (stmt, target, diag) => {
      if (requireArg(stmt, 0, "hex bytes", diag)) setField(target, "payload", stmt.args.map((t) => t.text).join(" "), stmt);
    }),
    keyword("require_reply", (stmt, target) => {
      setField(target, "requireReply", stmt.args.length ? stmt.args.map((t) => t.text).join(" ") : true, stmt);
    }),
    intField("min_reply_length", "minReplyLength", 0, 65535),
    intField("max_reply_length", "maxReplyLength", 0, 65535),
  ],
  PING_CHECK: [],
  FILE_CHECK: [
    stringField("track_file", "trackFile", "a track_file name"),
    flagField("dynamic", "dynamic"),
    keyword("weight", (stmt, target, diag) => {
      const parsed = parseWeight([stmt.keyword, ...stmt.args], "FILE_CHECK", -2147483647, 2147483647, diag);
      if (!parsed || parsed.weight === undefined) return;
      warnExtraArgs(stmt, parsed.used - 1, diag);
      setField(target, "weight", parsed.weight, stmt);
      setField(target, "weightReverse", parsed.weightReverse ?? false, stmt);
    }),
  ],
};

const httpKeywords: Keyword<CheckerDraft>[] = [
  nestedBlock(
    "url",
    urlBlock,
    (stmt) => ({ location: locationOf(stmt.keyword), statusCodes: [], fieldLocations: {} }),
    (url, target, stmt, diag) => {
      if (url.path === undefined) {
        diag.error(stmt.keyword, "url block needs 'path'");
        return;
      }
      const { fieldLocations: _unused, ...clean } = url;
      // check_http.c url_check: regex options without a regex are dropped, and so are offsets that leave no room.
      const regexOptions = ["regexNoMatch", "regexOptions", "regexMinOffset", "regexMaxOffset"] as const;
      if (url.regex === undefined && regexOptions.some((k) => url[k] !== undefined)) {
        diag.warn(stmt.keyword, "regex parameters specified without regex; ignored");
        for (const k of regexOptions) delete clean[k];
      }
      if (clean.regexMinOffset !== undefined && clean.regexMaxOffset !== undefined && clean.regexMinOffset > clean.regexMaxOffset) {
        diag.warn(stmt.keyword, `regex min offset ${clean.regexMinOffset} > regex_max_offset ${clean.regexMaxOffset}; both ignored`);
        delete clean.regexMinOffset;
        delete clean.regexMaxOffset;
      }
      target.urls.push({ ...clean, path: url.path });
    },
  ),
  stringField("http_protocol", "httpProtocol", "1.0, 1.0C or 1.1"),
  stringField("virtualhost", "virtualhost", "a host name"),
  flagField("fast_recovery", "fastRecovery"),
];

/** tandem's own, for the checkers that connect (check/rise-fall.ts). */
const riseFallKeywords: Keyword<CheckerDraft>[] = [
  {
    ...intField<CheckerDraft>("rise", "rise", 1, 1000),
    note: "N consecutive good checks bring a down server up (default 1); counting, the next check comes after delay_before_retry",
  },
  {
    ...intField<CheckerDraft>("fall", "fall", 1, 1000),
    note: "N consecutive failed checks take an up server down (default retry + 1); replaces keepalived's retry rule",
  },
  {
    ...intField<CheckerDraft>("delay_jitter", "delayJitterPercent", 0, 50),
    note: "PERCENT: each delay moved by up to this share of itself, either way (spreads checks)",
  },
];

export const CHECKER_KINDS = Object.keys(specific) as CheckerKind[];

/** MISC_CHECK and FILE_CHECK run no connection, so the connection options do not apply. */
export const checkerBlocks: Record<CheckerKind, KeywordBlock<CheckerDraft>> = Object.fromEntries(
  CHECKER_KINDS.map((kind) => {
    const own = specific[kind];
    const http = kind === "HTTP_GET" || kind === "SSL_GET" ? httpKeywords : [];
    const common = kind === "FILE_CHECK" ? [] : commonCheckKeywords<CheckerDraft>();
    const riseFall = kind === "FILE_CHECK" || kind === "MISC_CHECK" ? [] : riseFallKeywords;
    return [kind, defineBlock(kind, [...common, ...riseFall, ...http, ...own])];
  }),
) as Record<CheckerKind, KeywordBlock<CheckerDraft>>;

export function newCheckerDraft(kind: CheckerKind, location: SourceLocation): CheckerDraft {
  return { kind, location, urls: [], hosts: [], fieldLocations: {} };
}

/**
 * Turn a checker draft into its typed record; required options are errors when missing.
 * `server`: the real server's address, where a checker connects unless connect_ip says otherwise.
 */
export function finishChecker(d: CheckerDraft, server: IpAddress, diag: Diagnostics): Checker | undefined {
  if (d.kind !== "MISC_CHECK" && d.kind !== "FILE_CHECK") {
    for (const options of d.kind === "SMTP_CHECK" ? [d, ...d.hosts] : [d]) checkLinkLocal(options, server, diag);
  }
  const common: CheckerCommon & { location: SourceLocation } = { location: d.location };
  for (const k of [
    "connectIp",
    "connectPort",
    "bindTo",
    "bindPort",
    "bindInterface",
    "connectTimeoutS",
    "retry",
    "delayBeforeRetryS",
    "delayLoopS",
    "warmupS",
    "alpha",
    "fwmark",
    "rise",
    "fall",
    "delayJitterPercent",
  ] as const) {
    if (d[k] !== undefined) (common as unknown as Record<string, unknown>)[k] = d[k];
  }
  switch (d.kind) {
    case "HTTP_GET":
    case "SSL_GET":
      if (d.urls.length === 0) diag.warn(d.location, `${d.kind} has no url block; nothing will be checked`);
      return {
        ...common,
        kind: d.kind,
        urls: d.urls,
        enableSni: d.enableSni ?? false,
        fastRecovery: d.fastRecovery ?? false,
        tlsVerify: d.tlsVerify ?? false,
        ...(d.kind === "SSL_GET" ? { tlsExpiryWarnDays: d.tlsExpiryWarnDays ?? TLS_EXPIRY_WARN_DEFAULT_DAYS } : {}),
        ...pick(d, "virtualhost", "httpProtocol"),
      };
    case "TCP_CHECK":
    case "PING_CHECK":
      return { ...common, kind: d.kind };
    case "SMTP_CHECK":
      return { ...common, kind: d.kind, hosts: d.hosts, ...pick(d, "heloName") };
    case "MISC_CHECK":
      if (d.path === undefined) {
        diag.error(d.location, "MISC_CHECK needs 'misc_path'");
        return undefined;
      }
      return { ...common, kind: d.kind, path: d.path, dynamic: d.dynamic ?? false, ...pick(d, "timeoutS", "user") };
    case "DNS_CHECK":
      return { ...common, kind: d.kind, type: d.type ?? "SOA", name: d.name ?? ".", requireAnswer: d.requireAnswer ?? false };
    case "UDP_CHECK":
      return { ...common, kind: d.kind, ...pick(d, "payload", "requireReply", "minReplyLength", "maxReplyLength") };
    case "FILE_CHECK":
      if (d.trackFile === undefined) {
        diag.error(d.location, "FILE_CHECK needs 'track_file NAME'");
        return undefined;
      }
      return { ...common, kind: d.kind, trackFile: d.trackFile, dynamic: d.dynamic ?? false, weightReverse: d.weightReverse ?? false, ...pick(d, "weight") };
  }
}

/** keepalived's check_conn_opts: a link-local IPv6 destination is ambiguous without an interface. */
function checkLinkLocal(options: CheckerCommon & { location: SourceLocation }, server: IpAddress, diag: Diagnostics): void {
  const destination = options.connectIp ?? server;
  if (destination.family === 6 && /^fe[89ab][0-9a-f]:/.test(destination.text) && options.bindInterface === undefined)
    diag.error(options.location, `the checker connects to the link-local address ${destination.text}, which needs bind_if (the interface to use)`);
}

function pick<T extends object, K extends keyof T>(o: T, ...keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
