// What the daemon logs about the certificate it serves: subject, validity and fingerprint,
// read with node:crypto's X509Certificate so expiry warnings need no parser of our own.
import { X509Certificate } from "node:crypto";
import { fingerprintOf } from "./fingerprint.ts";

export interface CertificateInfo {
  /** As X509Certificate prints it, e.g. "CN=tandem-a". */
  subject: string;
  /** "DNS:a, IP Address:10.0.0.1", or "" when the certificate has none. */
  subjectAltName: string;
  notBeforeMs: number;
  notAfterMs: number;
  /** Whole days from nowMs to notAfter, rounded down; negative once expired. */
  daysLeft: number;
  fingerprint: string;
}

export type CertificateInfoResult = { ok: true; info: CertificateInfo } | { ok: false; message: string };

const DAY_MS = 86_400_000;

/** Reads the first certificate of a PEM text; nowMs comes from the caller's clock. */
export function readCertificateInfo(pem: string, nowMs: number): CertificateInfoResult {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch (error) {
    return { ok: false, message: `not a PEM certificate: ${(error as Error).message}` };
  }
  const notAfterMs = certificate.validToDate.getTime();
  return {
    ok: true,
    info: {
      subject: certificate.subject.replace(/\n/g, ", "),
      subjectAltName: certificate.subjectAltName ?? "",
      notBeforeMs: certificate.validFromDate.getTime(),
      notAfterMs,
      daysLeft: Math.floor((notAfterMs - nowMs) / DAY_MS),
      fingerprint: fingerprintOf(new Uint8Array(certificate.raw)),
    },
  };
}

/** The log line: "certificate CN=x (sha256:...) expires in 12 days" or "expired 3 days ago". */
export function describeExpiry(info: CertificateInfo): string {
  const when =
    info.daysLeft >= 0
      ? `expires in ${info.daysLeft} day${info.daysLeft === 1 ? "" : "s"}`
      : `expired ${-info.daysLeft} day${info.daysLeft === -1 ? "" : "s"} ago`;
  return `certificate ${info.subject} (${info.fingerprint}) ${when}, on ${new Date(info.notAfterMs).toISOString()}`;
}
