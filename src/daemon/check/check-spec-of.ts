// What one configured checker runs (check/check-spec.ts), decided once from its block, its
// real server and its virtual server, as keepalived 2.2.7 decides it: where it connects
// (connect_ip and connect_port, else the real server's address and port), its timers, and for
// HTTP_GET / SSL_GET the urls, the protocol and the Host (the url's virtualhost, else the
// checker's, else the real server's, else the virtual server's). Pure.
import type { CheckSpec, ConnectTarget, HttpCheckSpec, HttpUrlSpec, UdpCheckSpec } from "../../check/check-spec.ts";
import { checkTiming } from "../../check/check-timing.ts";
import { parseHttpProtocol } from "../../check/http-request.ts";
import type { Checker, HttpChecker, RealServer, VirtualServer } from "../../config/model.ts";

/** check_smtp.h SMTP_DEFAULT_HELO. */
const SMTP_DEFAULT_HELO = "smtpchecker.keepalived.org";

function connectTarget(checker: Exclude<Checker, { kind: "MISC_CHECK" | "FILE_CHECK" }>, rs: RealServer): ConnectTarget {
  const target: ConnectTarget = { address: checker.connectIp ?? rs.address, port: checker.connectPort ?? rs.port };
  if (checker.bindTo) target.bindTo = checker.bindTo;
  if (checker.bindPort !== undefined) target.bindPort = checker.bindPort;
  if (checker.bindInterface !== undefined) target.bindInterface = checker.bindInterface;
  if (checker.fwmark !== undefined) target.fwmark = checker.fwmark;
  return target;
}

function httpSpec(checker: HttpChecker, rs: RealServer, vs: VirtualServer): HttpCheckSpec {
  const spec: HttpCheckSpec = {
    urls: checker.urls.map((url) => {
      const out: HttpUrlSpec = { path: url.path, statusCodes: url.statusCodes };
      if (url.digest !== undefined) out.digest = url.digest.toLowerCase();
      if (url.virtualhost !== undefined) out.virtualhost = url.virtualhost;
      if (url.regex !== undefined) out.regex = url.regex;
      return out;
    }),
    protocol: parseHttpProtocol(checker.httpProtocol) ?? "1.0",
    tls: checker.kind === "SSL_GET",
    sni: checker.enableSni,
    fastRecovery: checker.fastRecovery,
  };
  const virtualhost = checker.virtualhost ?? rs.virtualhost ?? vs.virtualhost;
  if (virtualhost !== undefined) spec.virtualhost = virtualhost;
  return spec;
}

export function checkSpecOf(checker: Checker, rs: RealServer, vs: VirtualServer): CheckSpec {
  const spec: CheckSpec = { kind: checker.kind, timing: checkTiming(checker.kind, checker, rs.checkDefaults) };
  if (checker.kind === "MISC_CHECK" || checker.kind === "FILE_CHECK") return spec;
  spec.connect = connectTarget(checker, rs);
  if (checker.kind === "HTTP_GET" || checker.kind === "SSL_GET") {
    spec.http = httpSpec(checker, rs, vs);
    if (checker.httpProtocol !== undefined && parseHttpProtocol(checker.httpProtocol) === undefined) {
      spec.problem = `http_protocol ${checker.httpProtocol} is not 1.0, 1.0C or 1.1`;
    }
    for (const url of spec.http.urls) {
      if (url.regex === undefined) continue;
      try {
        new RegExp(url.regex);
      } catch (error) {
        spec.problem = `url ${url.path}: regex ${url.regex}: ${(error as Error).message}`;
      }
    }
  }
  if (checker.kind === "SMTP_CHECK") spec.smtp = { heloName: checker.heloName ?? SMTP_DEFAULT_HELO };
  if (checker.kind === "DNS_CHECK") spec.dns = { type: checker.type.toUpperCase(), name: checker.name };
  if (checker.kind === "UDP_CHECK") {
    const udp: UdpCheckSpec = {};
    if (checker.payload !== undefined) udp.payload = checker.payload;
    if (checker.requireReply !== undefined) udp.requireReply = checker.requireReply;
    if (checker.minReplyLength !== undefined) udp.minReplyLength = checker.minReplyLength;
    if (checker.maxReplyLength !== undefined) udp.maxReplyLength = checker.maxReplyLength;
    spec.udp = udp;
  }
  if (spec.connect.port === 0 && checker.kind !== "PING_CHECK") spec.problem ??= "no port to connect to (the real server has none): set connect_port";
  return spec;
}
