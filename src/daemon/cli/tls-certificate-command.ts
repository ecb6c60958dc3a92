// `tandem tls-certificate`: makes the REST API's self-signed certificate and key, writes
// them without ever leaving a half-written or world-readable key, and prints the fingerprint.
import { closeSync, existsSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { systemClock, type Clock } from "../../common/clock.ts";
import { certificateRequestProblems, createSelfSignedCertificate, ipAddressBytes, isDnsName, type CertificateRequest } from "../../tls/index.ts";
import type { TlsCertificateOptions } from "./cli-args.ts";

const KEY_MODE = 0o600;
const CERTIFICATE_MODE = 0o644;

/** The request the options describe: the name is the CN and, when it is one, a DNS name or IP too. */
export function certificateRequestOf(options: TlsCertificateOptions, hostName: string, nowMs: number): CertificateRequest {
  const commonName = options.name ?? hostName;
  const dnsNames = [...options.dnsNames];
  const ipAddresses = [...options.ipAddresses];
  // Clients match the subjectAltName, never the CN, so a CN that is a name must be repeated there.
  if (ipAddressBytes(commonName)) {
    if (!ipAddresses.includes(commonName)) ipAddresses.unshift(commonName);
  } else if (isDnsName(commonName) && !dnsNames.some((d) => d.toLowerCase() === commonName.toLowerCase())) dnsNames.unshift(commonName);
  return { commonName, dnsNames, ipAddresses, validDays: options.validDays, now: nowMs };
}

export function tlsCertificateCommand(options: TlsCertificateOptions, clock: Clock = systemClock()): number {
  const fail = (message: string, code = 1) => (process.stderr.write(`tandem tls-certificate: ${message}\n`), code);
  const request = certificateRequestOf(options, hostname(), clock.wallMs());
  const problems = certificateRequestProblems(request);
  if (problems.length > 0) return fail(problems.join("\n  "), 2);
  if (!options.force) {
    const present = [options.certFile, options.keyFile].filter((f) => existsSync(f));
    if (present.length > 0)
      return fail(
        `${present.join(" and ")} already exist${present.length === 1 ? "s" : ""}; pass --force to replace ${present.length === 1 ? "it" : "them"} (clients that pinned the old fingerprint will need the new one)`,
      );
  }
  const made = createSelfSignedCertificate(request);
  // Both land as .new first, so a failure leaves the old pair whole rather than a new key
  // beside an old certificate.
  try {
    writeNew(options.keyFile, made.privateKeyPem, KEY_MODE);
    writeNew(options.certFile, made.certificatePem, CERTIFICATE_MODE);
    renameSync(`${options.keyFile}.new`, options.keyFile);
    renameSync(`${options.certFile}.new`, options.certFile);
  } catch (error) {
    for (const file of [options.keyFile, options.certFile]) rmSync(`${file}.new`, { force: true });
    return fail(`cannot write the certificate and key: ${(error as Error).message}`);
  }
  const names = [...request.dnsNames.map((d) => `DNS:${d}`), ...request.ipAddresses.map((ip) => `IP:${ip}`)].join(", ") || "(no subjectAltName)";
  process.stderr.write(
    `tandem tls-certificate: wrote ${options.keyFile} (mode 0600) and ${options.certFile} (mode 0644): CN=${request.commonName}, ${names}, valid ${options.validDays} days\n`,
  );
  process.stdout.write(`${made.fingerprint}\n`);
  return 0;
}

/** FILE.new with exactly `mode` (umask would otherwise decide), flushed to disk. */
function writeNew(file: string, text: string, mode: number): void {
  const temp = `${file}.new`;
  // A stale FILE.new from an interrupted run is ours to replace; "wx" then refuses to follow
  // a symlink someone planted there, so the key cannot be written through it.
  rmSync(temp, { force: true });
  const fd = openSync(temp, "wx", mode);
  try {
    fchmodSync(fd, mode);
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
