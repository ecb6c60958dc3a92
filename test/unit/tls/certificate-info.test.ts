// What the daemon logs about its certificate: subject, validity, days left, fingerprint.
import { describe, expect, test } from "bun:test";
import { createSelfSignedCertificate, describeExpiry, readCertificateInfo } from "../../../src/tls/index.ts";

const DAY_MS = 86_400_000;
const now = Date.UTC(2026, 10, 26, 9, 30, 0);
const made = createSelfSignedCertificate({ commonName: "tandem-b", dnsNames: ["tandem-b"], ipAddresses: ["10.98.0.12"], validDays: 90, now });

describe("readCertificateInfo", () => {
  test("reads subject, names, validity and fingerprint", () => {
    const result = readCertificateInfo(made.certificatePem, now + 10 * DAY_MS);
    expect(result).toEqual({
      ok: true,
      info: {
        subject: "CN=tandem-b",
        subjectAltName: "DNS:tandem-b, IP Address:10.98.0.12",
        notBeforeMs: now,
        notAfterMs: now + 90 * DAY_MS,
        daysLeft: 80,
        fingerprint: made.fingerprint,
      },
    });
  });

  test("days left round down, and go negative once expired", () => {
    const info = (atMs: number) => {
      const result = readCertificateInfo(made.certificatePem, atMs);
      if (!result.ok) throw new Error(result.message);
      return result.info;
    };
    expect(info(now + 89 * DAY_MS + 1).daysLeft).toBe(0);
    expect(describeExpiry(info(now + 89 * DAY_MS))).toBe(`certificate CN=tandem-b (${made.fingerprint}) expires in 1 day, on 2027-02-24T09:30:00.000Z`);
    expect(describeExpiry(info(now + 93 * DAY_MS))).toMatch(/expired 3 days ago/);
  });

  test("text that is not a certificate is a clear failure, not a throw", () => {
    const result = readCertificateInfo("hello", now);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/^not a PEM certificate/);
  });
});
