// An HTTP_GET / SSL_GET url's verdict on a response, in keepalived 2.2.7's order
// (check_http.c http_handle_response): something received, the status code among the url's
// (200-299 when none is given), then the MD5 digest, then the regex; each failure with the
// reason an operator reads in the log and the API. Pure.
import { regexVerdict, type RegexExpectation } from "./http-regex.ts";
import type { HttpReadResult } from "./http-response.ts";

export interface HttpUrlExpectation {
  path: string;
  /** Lower-case hex MD5 of the body. */
  digest?: string;
  /** Inclusive ranges; empty: 200-299. */
  statusCodes: readonly { from: number; to: number }[];
  regex?: RegexExpectation;
}

/** SSL_GET: the server's certificate as the check found it (check/tls-judge.ts), for the API. */
export interface TlsCertificateReport {
  /** tls_verify is on and the chain, the name and the validity period all passed. */
  verified: boolean;
  /** "CN=www.example.com, O=Example" (bounded). */
  subject: string;
  issuer: string;
  /** The end of its validity period (wall clock), NaN when unreadable. */
  notAfterMs: number;
  /** It expires within tls_expiry_warn days, or has expired. */
  expiresSoon: boolean;
}

export type CheckVerdict = { ok: true; detail: string; tls?: TlsCertificateReport } | { ok: false; reason: string; tls?: TlsCertificateReport };

const DEFAULT_STATUS = [{ from: 200, to: 299 }] as const;

export function statusRangesText(ranges: readonly { from: number; to: number }[]): string {
  return (ranges.length > 0 ? ranges : DEFAULT_STATUS).map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(",");
}

export function judgeHttpResponse(url: HttpUrlExpectation, read: Extract<HttpReadResult, { done: true }>): CheckVerdict {
  if ("rejected" in read) return { ok: false, reason: read.rejected };
  const response = read.response;
  const ranges = url.statusCodes.length > 0 ? url.statusCodes : DEFAULT_STATUS;
  if (!ranges.some((r) => response.status >= r.from && response.status <= r.to)) {
    return { ok: false, reason: `status ${response.status}; expected ${statusRangesText(url.statusCodes)}` };
  }
  // keepalived only logs a short body; where the body is judged, a truncated one cannot pass.
  if (response.truncated && (url.digest !== undefined || url.regex !== undefined)) {
    return { ok: false, reason: `the body ended after ${response.bodyBytes} of its ${response.truncated.expected} bytes` };
  }
  if (url.digest !== undefined && response.digest !== url.digest.toLowerCase()) {
    return { ok: false, reason: `MD5 digest ${response.digest}; expected ${url.digest.toLowerCase()}` };
  }
  if (url.regex !== undefined) {
    const verdict = regexVerdict(url.regex, response.text ?? "");
    if (!verdict.ok) return verdict;
    return { ok: true, detail: verdict.detail };
  }
  return { ok: true, detail: url.digest !== undefined ? "MD5 digest matched" : `status ${response.status}` };
}
