// What a self-signed certificate is asked to say, and the checks that turn a bad request
// into sentences an operator can act on before any key is made.
import { ipAddressBytes } from "./ip-address.ts";

export interface CertificateRequest {
  /** The subject's (and, self-signed, the issuer's) CN. */
  commonName: string;
  /** subjectAltName dNSName entries; clients match host names here, not in the CN. */
  dnsNames: readonly string[];
  /** subjectAltName iPAddress entries, IPv4 or IPv6 text. */
  ipAddresses: readonly string[];
  validDays: number;
  /** Start of validity: injected, because only common/clock.ts may read the clock. */
  now: Date | number;
}

/** X.520's ub-common-name. */
const MAX_COMMON_NAME = 64;
/** Hundred years: a longer validity is a typo, not a plan. */
export const MAX_VALID_DAYS = 36_500;
/** RFC 1123 host names, with an optional leading "*." wildcard label (RFC 6125 §6.4.3). */
const DNS_NAME = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

export function isDnsName(text: string): boolean {
  return text.length <= 253 && DNS_NAME.test(text);
}

export function epochMsOf(now: Date | number): number {
  return typeof now === "number" ? now : now.getTime();
}

/** Every problem with the request; empty when it can be issued. */
export function certificateRequestProblems(request: CertificateRequest): string[] {
  const problems: string[] = [];
  const cn = request.commonName;
  if (cn.length === 0) problems.push("the common name is empty");
  else if (cn.length > MAX_COMMON_NAME) problems.push(`the common name has ${cn.length} characters; X.509 allows at most ${MAX_COMMON_NAME}`);
  else if (/[\x00-\x1f\x7f]/.test(cn)) problems.push("the common name contains control characters");
  for (const name of request.dnsNames) {
    if (!isDnsName(name)) problems.push(`"${name}" is not a DNS name (letters, digits and '-' in dot-separated labels)`);
  }
  for (const address of request.ipAddresses) {
    if (!ipAddressBytes(address)) problems.push(`"${address}" is not an IPv4 or IPv6 address`);
  }
  if (!Number.isInteger(request.validDays) || request.validDays < 1 || request.validDays > MAX_VALID_DAYS) {
    problems.push(`the validity must be a whole number of days from 1 to ${MAX_VALID_DAYS}, got ${request.validDays}`);
  }
  const startMs = epochMsOf(request.now);
  if (!Number.isFinite(startMs)) problems.push("the start of validity is not a valid time");
  return problems;
}
