// The generated certificate read back by node:crypto and by OpenSSL, the reference parser.
import { describe, expect, test } from "bun:test";
import { X509Certificate, createPrivateKey, createPublicKey } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { certificateRequestProblems, createSelfSignedCertificate, parseFingerprint, type CertificateRequest } from "../../../src/tls/index.ts";

const OPENSSL = "/usr/bin/openssl";
const haveOpenssl = existsSync(OPENSSL);
const DAY_MS = 86_400_000;

const request: CertificateRequest = {
  commonName: "tandem-a",
  dnsNames: ["tandem-a", "tandem-a.lab.example"],
  ipAddresses: ["10.98.0.11", "127.0.0.1", "2001:db8::11"],
  validDays: 30,
  // The test may read the clock; openssl verify checks validity against the real time.
  now: Date.now() - 60_000,
};
const made = createSelfSignedCertificate(request);

function openssl(args: string[], files: Record<string, string> = {}): { code: number; out: string } {
  const dir = mkdtempSync(join(tmpdir(), "tandem-tls-"));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const run = Bun.spawnSync([OPENSSL, ...args], { cwd: dir, stderr: "pipe" });
    return { code: run.exitCode, out: run.stdout.toString() + run.stderr.toString() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("createSelfSignedCertificate, read by node:crypto", () => {
  const cert = new X509Certificate(made.certificatePem);

  test("subject, issuer, names and validity are as asked", () => {
    expect(cert.subject).toBe("CN=tandem-a");
    expect(cert.issuer).toBe("CN=tandem-a");
    expect(cert.subjectAltName).toBe("DNS:tandem-a, DNS:tandem-a.lab.example, IP Address:10.98.0.11, IP Address:127.0.0.1, IP Address:2001:DB8:0:0:0:0:0:11");
    const start = Math.floor(Number(request.now) / 1000) * 1000;
    expect(cert.validFromDate.getTime()).toBe(start);
    expect(cert.validToDate.getTime()).toBe(start + 30 * DAY_MS);
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]); // node reports extendedKeyUsage here
  });

  test("the signature verifies with its own key, and the private key matches", () => {
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(made.privateKeyPem))).toBe(true);
    const fromKey = createPublicKey(made.privateKeyPem).export({ type: "spki", format: "der" });
    expect(Buffer.compare(cert.publicKey.export({ type: "spki", format: "der" }), fromKey)).toBe(0);
    expect(createPrivateKey(made.privateKeyPem).asymmetricKeyDetails).toEqual({ namedCurve: "prime256v1" });
  });

  test("the fingerprint is node's fingerprint256 in tandem's form", () => {
    expect(made.fingerprint).toBe(`sha256:${cert.fingerprint256}`);
  });

  test("each certificate gets a fresh key and a random positive serial", () => {
    const other = createSelfSignedCertificate(request);
    const otherCert = new X509Certificate(other.certificatePem);
    expect(otherCert.serialNumber).not.toBe(cert.serialNumber);
    expect(other.fingerprint).not.toBe(made.fingerprint);
    for (const serial of [cert.serialNumber, otherCert.serialNumber]) {
      expect(BigInt(`0x${serial}`)).toBeGreaterThan(0n);
      expect(BigInt(`0x${serial}`)).toBeLessThan(2n ** 128n);
    }
  });

  test("a bad request is refused with every reason, before a key is made", () => {
    const bad = { commonName: "", dnsNames: ["bad name"], ipAddresses: ["10.0.0.300"], validDays: 0, now: Number.NaN };
    expect(certificateRequestProblems(bad)).toEqual([
      "the common name is empty",
      "\"bad name\" is not a DNS name (letters, digits and '-' in dot-separated labels)",
      '"10.0.0.300" is not an IPv4 or IPv6 address',
      "the validity must be a whole number of days from 1 to 36500, got 0",
      "the start of validity is not a valid time",
    ]);
    expect(() => createSelfSignedCertificate(bad)).toThrow(/^cannot make the certificate: the common name is empty; /);
  });

  test("no names at all makes a certificate without subjectAltName", () => {
    const bare = new X509Certificate(createSelfSignedCertificate({ ...request, dnsNames: [], ipAddresses: [] }).certificatePem);
    expect(bare.subjectAltName).toBeUndefined();
  });
});

describe.skipIf(!haveOpenssl)(`createSelfSignedCertificate, read by ${OPENSSL}${haveOpenssl ? "" : " (missing: skipped)"}`, () => {
  const files = { "cert.pem": made.certificatePem, "key.pem": made.privateKeyPem };

  test("openssl x509 -text parses every field and extension", () => {
    const { code, out } = openssl(["x509", "-in", "cert.pem", "-noout", "-text"], files);
    expect(code).toBe(0);
    expect(out).toContain("Version: 3 (0x2)");
    expect(out).toContain("Signature Algorithm: ecdsa-with-SHA256");
    expect(out).toContain("Issuer: CN = tandem-a");
    expect(out).toContain("Subject: CN = tandem-a");
    expect(out).toContain("NIST CURVE: P-256");
    expect(out).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(out).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(out).toMatch(/X509v3 Extended Key Usage: ?\s+TLS Web Server Authentication/);
    expect(out).toMatch(/X509v3 Subject Key Identifier: ?\s+([0-9A-F]{2}:){19}[0-9A-F]{2}/);
    expect(out).toContain("DNS:tandem-a, DNS:tandem-a.lab.example, IP Address:10.98.0.11, IP Address:127.0.0.1, IP Address:2001:DB8:0:0:0:0:0:11");
  });

  test("openssl verify accepts it as its own trust anchor, strictly", () => {
    const { code, out } = openssl(["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "cert.pem", "cert.pem"], files);
    expect(out).toContain("cert.pem: OK");
    expect(code).toBe(0);
  });

  test("the key is the certificate's key", () => {
    const fromCert = openssl(["x509", "-in", "cert.pem", "-noout", "-pubkey"], files);
    const fromKey = openssl(["pkey", "-in", "key.pem", "-pubout"], files);
    expect(fromCert.code).toBe(0);
    expect(fromKey.code).toBe(0);
    expect(fromCert.out).toContain("BEGIN PUBLIC KEY");
    expect(fromCert.out).toBe(fromKey.out);
  });

  test("fingerprintOf equals openssl x509 -fingerprint -sha256", () => {
    const { code, out } = openssl(["x509", "-in", "cert.pem", "-noout", "-fingerprint", "-sha256"], files);
    expect(code).toBe(0);
    const parsed = parseFingerprint(out.trim());
    expect(parsed).toEqual({ ok: true, fingerprint: made.fingerprint });
  });

  test("validity across 2050 switches from UTCTime to GeneralizedTime", () => {
    const late = createSelfSignedCertificate({ ...request, now: Date.UTC(2049, 5, 1, 12, 0, 0), validDays: 365 });
    const dates = openssl(["x509", "-in", "cert.pem", "-noout", "-startdate", "-enddate"], { "cert.pem": late.certificatePem });
    expect(dates.out).toContain("notBefore=Jun  1 12:00:00 2049 GMT");
    expect(dates.out).toContain("notAfter=Jun  1 12:00:00 2050 GMT");
    const asn1 = openssl(["asn1parse", "-in", "cert.pem"], { "cert.pem": late.certificatePem });
    expect(asn1.out).toMatch(/UTCTIME\s+:490601120000Z/);
    expect(asn1.out).toMatch(/GENERALIZEDTIME\s+:20500601120000Z/);
  });
});
