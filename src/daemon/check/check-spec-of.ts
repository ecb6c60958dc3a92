// What one configured checker runs (check/check-spec.ts), decided once from its block, its
// real server and its virtual server, as keepalived 2.2.7 decides it: where it connects
// (connect_ip and connect_port, else the real server's address and port), its timers, and for
// HTTP_GET / SSL_GET the urls, the protocol and the Host (the url's virtualhost, else the
// checker's, else the real server's, else the virtual server's), and for SSL_GET the global
// SSL block's files with tandem's tls_verify and tls_expiry_warn. Pure.
import type { CheckSpec, ConnectTarget, HttpCheckSpec, HttpUrlSpec, TlsClientSpec, UdpCheckSpec } from "../../check/check-spec.ts";
import { checkTiming } from "../../check/check-timing.ts";
import { DNS_CHECK_TYPES, dnsTypeCode, encodeDnsName } from "../../check/dns-message.ts";
import { regexFlags } from "../../check/http-regex.ts";
import { parseHttpProtocol } from "../../check/http-request.ts";
import { heloNameProblem, SMTP_DEFAULT_HELO } from "../../check/smtp-dialogue.ts";
import { udpCheckPlan } from "../../check/udp-reply.ts";
import type { Checker, HttpChecker, RealServer, SslSettings, VirtualServer, VrrpTrackFile } from "../../config/model.ts";

function connectTarget(checker: Exclude<Checker, { kind: "MISC_CHECK" | "FILE_CHECK" }>, rs: RealServer): ConnectTarget {
  const target: ConnectTarget = { address: checker.connectIp ?? rs.address, port: checker.connectPort ?? rs.port };
  if (checker.bindTo) target.bindTo = checker.bindTo;
  if (checker.bindPort !== undefined) target.bindPort = checker.bindPort;
  if (checker.bindInterface !== undefined) target.bindInterface = checker.bindInterface;
  if (checker.fwmark !== undefined) target.fwmark = checker.fwmark;
  return target;
}

/** keepalived's one SSL context serves every SSL_GET: the global SSL block, or none (no client certificate, no CAs). */
function tlsClientSpec(checker: HttpChecker, ssl: SslSettings | undefined): TlsClientSpec {
  const spec: TlsClientSpec = { verify: checker.tlsVerify, expiryWarnDays: checker.tlsExpiryWarnDays ?? 0 };
  if (ssl?.ca !== undefined) spec.caFile = ssl.ca;
  if (ssl?.certificate !== undefined) spec.certificateFile = ssl.certificate;
  if (ssl?.key !== undefined) spec.keyFile = ssl.key;
  if (ssl?.password !== undefined) spec.password = ssl.password;
  return spec;
}

function httpSpec(checker: HttpChecker, rs: RealServer, vs: VirtualServer, ssl: SslSettings | undefined): HttpCheckSpec {
  const spec: HttpCheckSpec = {
    urls: checker.urls.map((url) => {
      const out: HttpUrlSpec = { path: url.path, statusCodes: url.statusCodes };
      if (url.digest !== undefined) out.digest = url.digest.toLowerCase();
      if (url.virtualhost !== undefined) out.virtualhost = url.virtualhost;
      if (url.regex !== undefined) {
        out.regex = url.regex;
        if (url.regexNoMatch) out.regexNoMatch = true;
        if (url.regexMinOffset !== undefined) out.regexMinOffset = url.regexMinOffset;
        if (url.regexMaxOffset !== undefined) out.regexMaxOffset = url.regexMaxOffset;
        const flags = regexFlags(url.regexOptions ?? []);
        if (flags.ok && flags.flags) out.regexFlags = flags.flags;
      }
      return out;
    }),
    protocol: parseHttpProtocol(checker.httpProtocol) ?? "1.0",
    tls: checker.kind === "SSL_GET",
    sni: checker.enableSni,
    fastRecovery: checker.fastRecovery,
  };
  if (spec.tls) spec.tlsClient = tlsClientSpec(checker, ssl);
  const virtualhost = checker.virtualhost ?? rs.virtualhost ?? vs.virtualhost;
  if (virtualhost !== undefined) spec.virtualhost = virtualhost;
  return spec;
}

export function checkSpecOf(checker: Checker, rs: RealServer, vs: VirtualServer, trackFiles: readonly VrrpTrackFile[] = [], ssl?: SslSettings): CheckSpec {
  const spec: CheckSpec = { kind: checker.kind, timing: checkTiming(checker.kind, checker, rs.checkDefaults) };
  // tandem's rise / fall: either one set, the other keeps keepalived's count (a server comes back at its first good check, goes after retry + 1 failures).
  if (checker.rise !== undefined || checker.fall !== undefined) spec.riseFall = { rise: checker.rise ?? 1, fall: checker.fall ?? spec.timing.retry + 1 };
  if (checker.delayJitterPercent) spec.jitter = checker.delayJitterPercent / 100;
  if (checker.kind === "MISC_CHECK") {
    // misc_check_thread: no misc_timeout (or 0) gives the virtual server's delay_loop, not the checker's.
    spec.misc = { command: checker.path, timeoutMs: (checker.timeoutS || vs.delayLoopS) * 1000, dynamic: checker.dynamic };
    if (checker.user) spec.misc.user = checker.user.group === undefined ? { user: checker.user.user } : { user: checker.user.user, group: checker.user.group };
    return spec;
  }
  if (checker.kind === "FILE_CHECK") {
    // The config has made sure the track_file exists (cross-checks.ts); file_end_handler: no weight of its own takes the track_file's.
    const file = trackFiles.find((f) => f.name === checker.trackFile);
    if (!file) return { ...spec, problem: `there is no track_file ${checker.trackFile}` };
    const own = checker.weight !== undefined;
    spec.file = {
      trackFile: file.name,
      path: file.file,
      weight: own ? checker.weight! : file.weight,
      reverse: own ? checker.weightReverse : file.weightReverse,
    };
    return spec;
  }
  spec.connect = connectTarget(checker, rs);
  if (checker.kind === "HTTP_GET" || checker.kind === "SSL_GET") {
    spec.http = httpSpec(checker, rs, vs, ssl);
    if (checker.httpProtocol !== undefined && parseHttpProtocol(checker.httpProtocol) === undefined) {
      spec.problem = `http_protocol ${checker.httpProtocol} is not 1.0, 1.0C or 1.1`;
    }
    for (const [i, url] of spec.http.urls.entries()) {
      if (url.regex === undefined) continue;
      const flags = regexFlags(checker.urls[i]!.regexOptions ?? []);
      if (!flags.ok) {
        spec.problem = `url ${url.path}: ${flags.problem}`;
        continue;
      }
      try {
        new RegExp(url.regex, `${flags.flags}g`);
      } catch (error) {
        spec.problem = `url ${url.path}: regex ${url.regex}: ${(error as Error).message}`;
      }
    }
  }
  if (checker.kind === "SMTP_CHECK") {
    spec.smtp = { heloName: checker.heloName ?? SMTP_DEFAULT_HELO };
    const problem = heloNameProblem(spec.smtp.heloName);
    if (problem) spec.problem = problem;
  }
  if (checker.kind === "DNS_CHECK") {
    spec.dns = { type: checker.type.toUpperCase(), name: checker.name, requireAnswer: checker.requireAnswer };
    // keepalived ignores an unknown type (querying SOA) and writes an over-long label as it comes; here the checker says why it does not run.
    const query = dnsTypeCode(spec.dns.type) === undefined ? undefined : encodeDnsName(spec.dns.name);
    if (!query) spec.problem = `type ${checker.type} is not one of ${Object.keys(DNS_CHECK_TYPES).join(", ")}`;
    else if (!query.ok) spec.problem = query.reason;
  }
  if (checker.kind === "UDP_CHECK") {
    const udp: UdpCheckSpec = {};
    if (checker.payload !== undefined) udp.payload = checker.payload;
    if (checker.requireReply !== undefined) udp.requireReply = checker.requireReply;
    if (checker.minReplyLength !== undefined) udp.minReplyLength = checker.minReplyLength;
    if (checker.maxReplyLength !== undefined) udp.maxReplyLength = checker.maxReplyLength;
    spec.udp = udp;
    // keepalived reports a payload or require_reply it cannot read and runs on without it; here the checker says why it does not run.
    const plan = udpCheckPlan(udp);
    if (!plan.ok) spec.problem = plan.problem;
  }
  if (spec.connect.port === 0 && checker.kind !== "PING_CHECK") spec.problem ??= "no port to connect to (the real server has none): set connect_port";
  return spec;
}
