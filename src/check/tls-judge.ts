// SSL_GET's verdict on the server's certificate. keepalived 2.2.7 never verifies it (its
// SSL_CTX keeps OpenSSL's SSL_VERIFY_NONE, check_ssl.c build_ssl_ctx); tandem's tls_verify
// does: the chain as the TLS library judged it, then the name the check expects, then the
// validity period against the wall clock, with tls_expiry_warn's notice of a near expiry
// whether or not it verifies. Pure: the probe (daemon/check/connection-probes.ts) gathers the
// certificate's summary after the handshake and hands the judgement on with the verdict.
import type { CheckVerdict, TlsCertificateReport } from "./http-judge.ts";

export type DistinguishedName = Readonly<Record<string, string | readonly string[] | undefined>>;

/** What the probe learned of the server's certificate (node:tls's getPeerCertificate and authorizationError). */
export interface PeerCertificateSummary {
  /** Attribute -> value(s), in the certificate's order: { CN: "www.example.com", OU: ["a", "b"] }. */
  subject: DistinguishedName;
  issuer: DistinguishedName;
  /** OpenSSL's ASN1_TIME_print form: "Nov 30 00:00:00 2025 GMT". */
  validFrom: string;
  validTo: string;
  /** "DNS:www.example.com, IP Address:10.0.0.2", when the certificate has the extension. */
  subjectAltName?: string;
  /** Why the TLS library does not trust the chain (OpenSSL's X509_V_ERR_ name without the prefix); undefined: it does. */
  chainError?: string;
  /** tls.checkServerIdentity accepted the expected name. */
  nameMatches: boolean;
}

export interface TlsExpectation {
  /** tls_verify. */
  verify: boolean;
  /** tls_expiry_warn; 0: never. */
  expiryWarnDays: number;
  /** The name the certificate must carry: the virtualhost, else the address connected to. */
  name: string;
}

/** report: none when there was no certificate to report on (keepalived's unverified check then passes as it would). */
export type TlsJudgement = { ok: true; report?: TlsCertificateReport; notice?: string } | { ok: false; reason: string; report?: TlsCertificateReport };

const DAY_MS = 86_400_000;
/** A subject or issuer longer than this is cut: they reach the log and the API. */
const NAME_TEXT_MAX = 256;
const NAMES_SHOWN = 4;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "Nov 30 00:00:00 2025 GMT" -> epoch ms; NaN when it is not that form (Date.parse's leniency is not relied on). */
export function parseCertificateTime(text: string): number {
  const m = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)? (\d{4}) GMT$/.exec(text);
  if (!m) return NaN;
  const month = MONTHS.indexOf(m[1]!);
  if (month < 0) return NaN;
  return Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
}

const dateText = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** "CN=www.example.com, O=Example", bounded. */
export function distinguishedNameText(name: DistinguishedName): string {
  const text = Object.entries(name)
    .flatMap(([attribute, value]) => (value === undefined ? [] : typeof value === "string" ? [value] : value).map((v) => `${attribute}=${v}`))
    .join(", ");
  return text.length > NAME_TEXT_MAX ? `${text.slice(0, NAME_TEXT_MAX - 3)}...` : text;
}

/** The names a certificate answers to: its DNS and IP subjectAltNames, else (as RFC 6125 allows) its CN. */
export function certificateNames(peer: Pick<PeerCertificateSummary, "subject" | "subjectAltName">): string[] {
  const alt = (peer.subjectAltName ?? "")
    .split(", ")
    .flatMap((entry) => (entry.startsWith("DNS:") ? [entry.slice(4)] : entry.startsWith("IP Address:") ? [entry.slice(11)] : []));
  if (alt.length > 0) return alt;
  const cn = peer.subject.CN;
  return cn === undefined ? [] : typeof cn === "string" ? [cn] : [...cn];
}

/** OpenSSL's X509_verify_cert_error_string words for the codes node:tls reports. */
const CHAIN_ERRORS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed certificate",
  SELF_SIGNED_CERT_IN_CHAIN: "self-signed certificate in certificate chain",
  UNABLE_TO_GET_ISSUER_CERT: "unable to get issuer certificate",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "unable to get local issuer certificate",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "unable to verify the first certificate",
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: "unable to decrypt certificate's signature",
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: "unable to decode issuer public key",
  CERT_SIGNATURE_FAILURE: "certificate signature failure",
  ERROR_IN_CERT_NOT_BEFORE_FIELD: "format error in certificate's notBefore field",
  ERROR_IN_CERT_NOT_AFTER_FIELD: "format error in certificate's notAfter field",
  CERT_REVOKED: "certificate revoked",
  INVALID_CA: "invalid CA certificate",
  PATH_LENGTH_EXCEEDED: "path length constraint exceeded",
  INVALID_PURPOSE: "unsupported certificate purpose",
  CERT_UNTRUSTED: "certificate not trusted",
  CERT_REJECTED: "certificate rejected",
  CERT_CHAIN_TOO_LONG: "certificate chain too long",
  HOSTNAME_MISMATCH: "hostname mismatch",
};

/** A chain error code as OpenSSL words it ("self-signed certificate"), else the code in plain words. */
export function describeChainError(code: string): string {
  return CHAIN_ERRORS[code] ?? code.toLowerCase().replace(/^err_/, "").replaceAll("_", " ").slice(0, 100);
}

function nameMismatch(peer: PeerCertificateSummary, expected: string): string {
  const names = certificateNames(peer);
  if (names.length === 0) return `certificate name mismatch: the certificate names no host; expected ${expected}`;
  const shown = names.slice(0, NAMES_SHOWN).join(", ") + (names.length > NAMES_SHOWN ? ` and ${names.length - NAMES_SHOWN} more` : "");
  return names.length === 1 ? `certificate name mismatch: ${shown} is not ${expected}` : `certificate name mismatch: none of ${shown} is ${expected}`;
}

/** A time-bound code from the library: said of the server's own certificate when its dates agree, else of its chain. */
function timeBoundChainError(code: string, notBeforeMs: number, notAfterMs: number, nowMs: number): string | undefined {
  if (code === "CERT_HAS_EXPIRED")
    return notAfterMs < nowMs ? `certificate expired on ${dateText(notAfterMs)}` : "certificate verify failed: a certificate in the chain has expired";
  if (code === "CERT_NOT_YET_VALID")
    return notBeforeMs > nowMs
      ? `certificate not valid before ${dateText(notBeforeMs)}`
      : "certificate verify failed: a certificate in the chain is not yet valid";
  return undefined;
}

function expiryNotice(notAfterMs: number, nowMs: number, verified: boolean): string {
  if (notAfterMs < nowMs) return `certificate expired on ${dateText(notAfterMs)}${verified ? "" : " (not verified)"}`;
  const days = Math.floor((notAfterMs - nowMs) / DAY_MS);
  return `certificate expires on ${dateText(notAfterMs)}, in ${days === 0 ? "less than a day" : days === 1 ? "1 day" : `${days} days`}`;
}

/**
 * The certificate's verdict at wall time nowMs. The library's chain code comes first, as
 * OpenSSL reports it before the name; a library that reports a wrong name
 * (ERR_TLS_CERT_ALTNAME_INVALID, against whatever name it was given) is not asked: the
 * name is judged here against the one the check expects.
 */
export function judgeTlsPeer(peer: PeerCertificateSummary | undefined, expect: TlsExpectation, nowMs: number): TlsJudgement {
  if (!peer) return expect.verify ? { ok: false, reason: "the server sent no certificate" } : { ok: true };
  const notBeforeMs = parseCertificateTime(peer.validFrom);
  const notAfterMs = parseCertificateTime(peer.validTo);
  const expiresSoon = expect.expiryWarnDays > 0 && !Number.isNaN(notAfterMs) && notAfterMs - nowMs <= expect.expiryWarnDays * DAY_MS;
  const report = (verified: boolean): TlsCertificateReport => ({
    verified,
    subject: distinguishedNameText(peer.subject),
    issuer: distinguishedNameText(peer.issuer),
    notAfterMs,
    expiresSoon,
  });
  const passed = (verified: boolean): TlsJudgement => {
    const judged: TlsJudgement = { ok: true, report: report(verified) };
    if (expiresSoon) judged.notice = expiryNotice(notAfterMs, nowMs, verified);
    return judged;
  };
  if (!expect.verify) return passed(false);
  const failed = (reason: string): TlsJudgement => ({ ok: false, reason, report: report(false) });
  const chain = peer.chainError;
  if (chain !== undefined && chain !== "ERR_TLS_CERT_ALTNAME_INVALID") {
    return failed(timeBoundChainError(chain, notBeforeMs, notAfterMs, nowMs) ?? `certificate verify failed: ${describeChainError(chain)}`);
  }
  if (!peer.nameMatches) return failed(nameMismatch(peer, expect.name));
  if (Number.isNaN(notBeforeMs) || Number.isNaN(notAfterMs))
    return failed(`certificate validity period unreadable: ${peer.validFrom} to ${peer.validTo}`.slice(0, 200));
  if (notBeforeMs > nowMs) return failed(`certificate not valid before ${dateText(notBeforeMs)}`);
  if (notAfterMs < nowMs) return failed(`certificate expired on ${dateText(notAfterMs)}`);
  return passed(true);
}

/** The check's verdict with the certificate's report, a passing one with the expiry notice after its detail. */
export function withTlsReport(verdict: CheckVerdict, judgement: Extract<TlsJudgement, { ok: true }>): CheckVerdict {
  if (!judgement.report) return verdict;
  if (!verdict.ok) return { ...verdict, tls: judgement.report };
  return { ...verdict, detail: judgement.notice ? `${verdict.detail}; ${judgement.notice}` : verdict.detail, tls: judgement.report };
}
