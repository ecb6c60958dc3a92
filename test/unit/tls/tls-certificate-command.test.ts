// `tandem tls-certificate` end to end: the real CLI writing into a temporary directory.
import { afterAll, describe, expect, test } from "bun:test";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { certificateRequestOf } from "../../../src/daemon/cli/tls-certificate-command.ts";

const MAIN = resolve(import.meta.dir, "../../../src/main.ts");
const dir = mkdtempSync(join(tmpdir(), "tandem-tls-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tandem(...args: string[]) {
  const run = Bun.spawnSync([process.execPath, MAIN, ...args], { stderr: "pipe" });
  return { code: run.exitCode, stdout: run.stdout.toString(), stderr: run.stderr.toString() };
}

describe("tandem tls-certificate", () => {
  const cert = join(dir, "api-cert.pem");
  const key = join(dir, "api-key.pem");
  let firstFingerprint = "";

  test("writes the key 0600 and the certificate 0644, and prints the fingerprint", () => {
    const run = tandem(
      "tls-certificate",
      "--cert",
      cert,
      "--key",
      key,
      "--name",
      "tandem-a",
      "--dns",
      "a.lab.example",
      "--ip",
      "10.98.0.11",
      "--ip",
      "::1",
      "--days",
      "7",
    );
    expect(run.stderr).toContain("wrote");
    expect(run.code).toBe(0);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(statSync(cert).mode & 0o777).toBe(0o644);
    expect(existsSync(`${key}.new`) || existsSync(`${cert}.new`)).toBe(false);
    const x509 = new X509Certificate(readFileSync(cert));
    expect(run.stdout).toBe(`sha256:${x509.fingerprint256}\n`);
    expect(x509.subject).toBe("CN=tandem-a");
    expect(x509.subjectAltName).toBe("DNS:tandem-a, DNS:a.lab.example, IP Address:10.98.0.11, IP Address:0:0:0:0:0:0:0:1");
    expect(x509.validToDate.getTime() - x509.validFromDate.getTime()).toBe(7 * 86_400_000);
    firstFingerprint = run.stdout;
  });

  test("refuses to overwrite existing files without --force, and leaves them alone", () => {
    const before = readFileSync(cert, "utf8");
    const run = tandem("tls-certificate", "--cert", cert, "--key", key);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("already exist; pass --force");
    expect(readFileSync(cert, "utf8")).toBe(before);
  });

  test("one existing file is enough to refuse", () => {
    const lone = join(dir, "lone-key.pem");
    writeFileSync(lone, "keep me");
    const run = tandem("tls-certificate", "--cert", join(dir, "lone-cert.pem"), "--key", lone);
    expect(run.code).toBe(1);
    expect(readFileSync(lone, "utf8")).toBe("keep me");
    expect(existsSync(join(dir, "lone-cert.pem"))).toBe(false);
  });

  test("--force replaces both with a new pair, modes kept", () => {
    const run = tandem("tls-certificate", "--cert", cert, "--key", key, "--force");
    expect(run.code).toBe(0);
    expect(run.stdout).not.toBe(firstFingerprint);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(statSync(cert).mode & 0o777).toBe(0o644);
    expect(new X509Certificate(readFileSync(cert)).checkPrivateKey(createPrivateKey(readFileSync(key)))).toBe(true);
  });

  test("bad requests are usage errors that write nothing", () => {
    const other = join(dir, "x-cert.pem");
    const bad = tandem("tls-certificate", "--cert", other, "--key", join(dir, "x-key.pem"), "--ip", "10.0.0.999");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"10.0.0.999" is not an IPv4 or IPv6 address');
    expect(existsSync(other)).toBe(false);
    expect(tandem("tls-certificate", "--cert", other).code).toBe(2);
  });
});

describe("certificateRequestOf", () => {
  const options = { certFile: "c", keyFile: "k", name: undefined, dnsNames: [], ipAddresses: [], validDays: 10, force: false };

  test("the name defaults to the host name and is repeated as a DNS name", () => {
    expect(certificateRequestOf(options, "tandem-b", 5)).toEqual({ commonName: "tandem-b", dnsNames: ["tandem-b"], ipAddresses: [], validDays: 10, now: 5 });
  });

  test("a name that is an address goes in as an IP; one already listed is not repeated", () => {
    expect(certificateRequestOf({ ...options, name: "10.0.0.1" }, "h", 0)).toMatchObject({ dnsNames: [], ipAddresses: ["10.0.0.1"] });
    expect(certificateRequestOf({ ...options, name: "Box", dnsNames: ["box"] }, "h", 0)).toMatchObject({ dnsNames: ["box"] });
    expect(certificateRequestOf({ ...options, name: "My Box" }, "h", 0)).toMatchObject({ commonName: "My Box", dnsNames: [] });
  });
});
