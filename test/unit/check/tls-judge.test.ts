// SSL_GET's certificate verdict on crafted summaries, at a fake clock's wall time: without
// tls_verify everything passes (keepalived's behaviour) with only the expiry notice; with it,
// the chain, then the name, then the validity period, each failure with its reason.
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../src/common/clock.ts";
import {
  certificateNames,
  describeChainError,
  distinguishedNameText,
  judgeTlsPeer,
  parseCertificateTime,
  withTlsReport,
  type PeerCertificateSummary,
  type TlsExpectation,
} from "../../../src/check/tls-judge.ts";

const DAY = 86_400_000;
// 2027-01-15T08:00:00Z on the fake clock's wall.
const clock = new FakeClock(Date.UTC(2027, 0, 15, 8));

const good: PeerCertificateSummary = {
  subject: { CN: "www.example.com", O: "Example" },
  issuer: { CN: "Tandem Test CA" },
  validFrom: "Jan  1 00:00:00 2027 GMT",
  validTo: "Mar 31 12:00:00 2027 GMT",
  subjectAltName: "DNS:www.example.com, IP Address:10.0.0.2",
  nameMatches: true,
};
const verify: TlsExpectation = { verify: true, expiryWarnDays: 14, name: "www.example.com" };
const noVerify: TlsExpectation = { ...verify, verify: false };

describe("certificate summaries", () => {
  test("OpenSSL's time form, one or two digit days, to epoch ms; anything else is NaN", () => {
    expect(parseCertificateTime("Nov 30 00:00:00 2025 GMT")).toBe(Date.UTC(2025, 10, 30));
    expect(parseCertificateTime("Jan  1 23:59:59 2027 GMT")).toBe(Date.UTC(2027, 0, 1, 23, 59, 59));
    expect(parseCertificateTime("2027-01-01T00:00:00Z")).toBeNaN();
    expect(parseCertificateTime("Foo  1 00:00:00 2027 GMT")).toBeNaN();
    expect(parseCertificateTime("")).toBeNaN();
  });

  test("subject and issuer as text, repeated attributes each, a long one cut", () => {
    expect(distinguishedNameText({ C: "FR", OU: ["a", "b"], CN: "x" })).toBe("C=FR, OU=a, OU=b, CN=x");
    expect(distinguishedNameText({ CN: "y".repeat(1000) })).toHaveLength(256);
    expect(distinguishedNameText({})).toBe("");
  });

  test("the names: DNS and IP subjectAltNames, else the CN; other kinds are not names", () => {
    expect(certificateNames(good)).toEqual(["www.example.com", "10.0.0.2"]);
    expect(certificateNames({ subject: { CN: "legacy.test" } })).toEqual(["legacy.test"]);
    expect(certificateNames({ subject: { CN: "x" }, subjectAltName: "email:a@b.test, URI:http://u" })).toEqual(["x"]);
    expect(certificateNames({ subject: {} })).toEqual([]);
  });

  test("chain codes in OpenSSL's words; an unknown code in plain words, bounded", () => {
    expect(describeChainError("DEPTH_ZERO_SELF_SIGNED_CERT")).toBe("self-signed certificate");
    expect(describeChainError("UNABLE_TO_GET_ISSUER_CERT_LOCALLY")).toBe("unable to get local issuer certificate");
    expect(describeChainError("ERR_SOMETHING_NEW")).toBe("something new");
    expect(describeChainError("X".repeat(500)).length).toBe(100);
  });
});

describe("judgeTlsPeer", () => {
  test("verified: chain, name and dates good; the report for the API", () => {
    expect(judgeTlsPeer(good, verify, clock.wallMs())).toEqual({
      ok: true,
      report: {
        verified: true,
        subject: "CN=www.example.com, O=Example",
        issuer: "CN=Tandem Test CA",
        notAfterMs: Date.UTC(2027, 2, 31, 12),
        expiresSoon: false,
      },
    });
  });

  test("without tls_verify every certificate passes, as in keepalived, and says it was not verified", () => {
    const bad: PeerCertificateSummary = { ...good, chainError: "DEPTH_ZERO_SELF_SIGNED_CERT", nameMatches: false, validTo: "Jan 10 00:00:00 2027 GMT" };
    const judged = judgeTlsPeer(bad, noVerify, clock.wallMs());
    expect(judged).toMatchObject({ ok: true, report: { verified: false, expiresSoon: true }, notice: "certificate expired on 2027-01-10 (not verified)" });
    expect(judgeTlsPeer(good, noVerify, clock.wallMs())).toMatchObject({ ok: true, report: { verified: false, expiresSoon: false } });
    expect(judgeTlsPeer(undefined, noVerify, clock.wallMs())).toEqual({ ok: true });
  });

  test("the chain first, in OpenSSL's words", () => {
    const judged = judgeTlsPeer({ ...good, chainError: "DEPTH_ZERO_SELF_SIGNED_CERT", nameMatches: false }, verify, clock.wallMs());
    expect(judged).toMatchObject({ ok: false, reason: "certificate verify failed: self-signed certificate", report: { verified: false } });
    expect(judgeTlsPeer({ ...good, chainError: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }, verify, clock.wallMs())).toMatchObject({
      reason: "certificate verify failed: unable to verify the first certificate",
    });
  });

  test("the library's time codes: said of the certificate when its dates agree, else of the chain", () => {
    const expired = { ...good, validTo: "Nov 30 00:00:00 2026 GMT", chainError: "CERT_HAS_EXPIRED" };
    expect(judgeTlsPeer(expired, verify, clock.wallMs())).toMatchObject({ ok: false, reason: "certificate expired on 2026-11-30" });
    expect(judgeTlsPeer({ ...good, chainError: "CERT_HAS_EXPIRED" }, verify, clock.wallMs())).toMatchObject({
      reason: "certificate verify failed: a certificate in the chain has expired",
    });
    expect(judgeTlsPeer({ ...good, validFrom: "Feb  1 00:00:00 2027 GMT", chainError: "CERT_NOT_YET_VALID" }, verify, clock.wallMs())).toMatchObject({
      reason: "certificate not valid before 2027-02-01",
    });
  });

  test("the name: one the certificate does not carry is a mismatch, whatever the library said of its own name check", () => {
    const wrong = { ...good, subject: { CN: "rs.test" }, subjectAltName: "DNS:rs.test", nameMatches: false, chainError: "ERR_TLS_CERT_ALTNAME_INVALID" };
    expect(judgeTlsPeer(wrong, verify, clock.wallMs())).toMatchObject({ ok: false, reason: "certificate name mismatch: rs.test is not www.example.com" });
    const many = { ...good, subjectAltName: "DNS:a.test, DNS:b.test, DNS:c.test, DNS:d.test, DNS:e.test, DNS:f.test", nameMatches: false };
    expect(judgeTlsPeer(many, { ...verify, name: "10.0.0.9" }, clock.wallMs())).toMatchObject({
      reason: "certificate name mismatch: none of a.test, b.test, c.test, d.test and 2 more is 10.0.0.9",
    });
    expect(
      judgeTlsPeer({ ...good, subject: {}, subjectAltName: undefined, nameMatches: false } as PeerCertificateSummary, verify, clock.wallMs()),
    ).toMatchObject({
      reason: "certificate name mismatch: the certificate names no host; expected www.example.com",
    });
    // The library's name check alone (its name may not be ours) fails nothing.
    expect(judgeTlsPeer({ ...good, chainError: "ERR_TLS_CERT_ALTNAME_INVALID" }, verify, clock.wallMs()).ok).toBe(true);
  });

  test("the validity period on the injected clock: not yet, expired, unreadable", () => {
    expect(judgeTlsPeer(good, verify, Date.UTC(2026, 11, 31, 23))).toMatchObject({ ok: false, reason: "certificate not valid before 2027-01-01" });
    expect(judgeTlsPeer(good, verify, Date.UTC(2027, 2, 31, 12, 0, 1))).toMatchObject({ ok: false, reason: "certificate expired on 2027-03-31" });
    expect(judgeTlsPeer(good, verify, Date.UTC(2027, 2, 31, 12)).ok).toBe(true);
    expect(judgeTlsPeer({ ...good, validTo: "soon" }, verify, clock.wallMs())).toMatchObject({
      ok: false,
      reason: "certificate validity period unreadable: Jan  1 00:00:00 2027 GMT to soon",
      report: { notAfterMs: NaN, expiresSoon: false },
    });
  });

  test("no certificate at all fails only a verifying check", () => {
    expect(judgeTlsPeer(undefined, verify, clock.wallMs())).toEqual({ ok: false, reason: "the server sent no certificate" });
  });

  test("tls_expiry_warn: within DAYS of the end is reported, not failed, as the fake clock moves on; 0 never warns", () => {
    const moving = new FakeClock(Date.UTC(2027, 2, 1, 12));
    expect(judgeTlsPeer(good, verify, moving.wallMs())).toMatchObject({ ok: true, report: { expiresSoon: false } });
    moving.advance(15 * DAY);
    expect(judgeTlsPeer(good, verify, moving.wallMs())).toMatchObject({ ok: true, report: { expiresSoon: false } });
    moving.advance(DAY);
    expect(judgeTlsPeer(good, verify, moving.wallMs())).toMatchObject({
      ok: true,
      report: { verified: true, expiresSoon: true },
      notice: "certificate expires on 2027-03-31, in 14 days",
    });
    moving.advance(13.5 * DAY);
    expect(judgeTlsPeer(good, verify, moving.wallMs())).toMatchObject({ notice: "certificate expires on 2027-03-31, in less than a day" });
    const off = judgeTlsPeer(good, { ...verify, expiryWarnDays: 0 }, moving.wallMs());
    expect(off).toMatchObject({ ok: true, report: { expiresSoon: false } });
    expect("notice" in off).toBe(false);
  });
});

describe("withTlsReport", () => {
  const soon = judgeTlsPeer(good, verify, Date.UTC(2027, 2, 29));
  if (!soon.ok) throw new Error("expected a pass");

  test("a passing check carries the report, the notice after its detail", () => {
    expect(withTlsReport({ ok: true, detail: "status 200" }, soon)).toEqual({
      ok: true,
      detail: "status 200; certificate expires on 2027-03-31, in 2 days",
      tls: soon.report!,
    });
  });

  test("a failing one carries the report and keeps its reason", () => {
    expect(withTlsReport({ ok: false, reason: "status 503; expected 200-299" }, soon)).toEqual({
      ok: false,
      reason: "status 503; expected 200-299",
      tls: soon.report!,
    });
  });

  test("nothing to report: the verdict as it was", () => {
    expect(withTlsReport({ ok: true, detail: "status 200" }, { ok: true })).toEqual({ ok: true, detail: "status 200" });
  });
});
