// SSL_GET's client side: the global SSL block's files (ca, certificate, key, password) made
// into what every handshake is given, as keepalived's one SSL_CTX is, but checked file by
// file so that a check that cannot use them says which file and why; kept while its files
// stay as they were; and what the handshake says of the server's certificate, for
// check/tls-judge.ts.
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { checkServerIdentity, createSecureContext, getCACertificates } from "node:tls";
import type { TlsClientSpec } from "../../check/check-spec.ts";
import type { PeerCertificateSummary } from "../../check/tls-judge.ts";
import type { TlsPeer } from "../../net/tcp-connect.ts";
import type { TlsClientFiles } from "./check-connection.ts";
import { describeSocketError } from "./socket-errors.ts";

/** A PEM file of the SSL block is at most this big (a system CA bundle is a quarter of it). */
const SSL_FILE_MAX_BYTES = 1 << 20;

function describeFileError(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  return (error as Error)?.message ?? String(error);
}

async function readSslFile(keyword: string, path: string): Promise<{ bytes: Buffer } | { problem: string }> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return { problem: `SSL ${keyword} ${path} is not a file` };
    if (info.size > SSL_FILE_MAX_BYTES) return { problem: `SSL ${keyword} ${path} is larger than ${SSL_FILE_MAX_BYTES} bytes` };
    const bytes = await readFile(path);
    if (bytes.byteLength > SSL_FILE_MAX_BYTES) return { problem: `SSL ${keyword} ${path} is larger than ${SSL_FILE_MAX_BYTES} bytes` };
    return { bytes };
  } catch (error) {
    return { problem: `SSL ${keyword} ${path}: ${describeFileError(error)}` };
  }
}

export type TlsClientLoad = { files: TlsClientFiles } | { problem: string };

/**
 * The SSL block's files as one context, checked file by file so that the reason names the
 * file. keepalived loads them once (check_ssl.c build_ssl_ctx) and, when one cannot be
 * loaded or the key's password is wrong, stops its checker process (and keepalived with
 * it); tandem fails each SSL_GET with the reason instead and leaves the other checkers be.
 * As in OpenSSL, a client certificate goes with its key or not at all.
 */
async function loadTlsClient(spec: TlsClientSpec): Promise<TlsClientLoad> {
  const files: TlsClientFiles = {};
  if (spec.caFile !== undefined) {
    const ca = await readSslFile("ca", spec.caFile);
    if ("problem" in ca) return ca;
    if (!ca.bytes.includes("-----BEGIN CERTIFICATE-----")) return { problem: `SSL ca ${spec.caFile} holds no PEM certificate` };
    files.ca = ca.bytes;
  } else if (spec.verify) {
    // keepalived's SSL_CTX_load_verify_locations trusts only `ca`; without one, tls_verify trusts the system's store (/etc/ssl/certs).
    // One text, not a list: Bun's handshake took 30 us longer with the list.
    files.ca = getCACertificates("system").join("\n");
  }
  if (spec.certificateFile !== undefined && spec.keyFile !== undefined) {
    const cert = await readSslFile("certificate", spec.certificateFile);
    if ("problem" in cert) return cert;
    const key = await readSslFile("key", spec.keyFile);
    if ("problem" in key) return key;
    try {
      new X509Certificate(cert.bytes);
    } catch {
      return { problem: `SSL certificate ${spec.certificateFile} is not a PEM certificate` };
    }
    try {
      createPrivateKey(spec.password === undefined ? { key: key.bytes } : { key: key.bytes, passphrase: spec.password });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "ERR_MISSING_PASSPHRASE") return { problem: `SSL key ${spec.keyFile} is encrypted and the SSL block has no password` };
      if (code === "ERR_OSSL_BAD_DECRYPT") return { problem: `SSL key ${spec.keyFile} cannot be decrypted with the SSL block's password` };
      return { problem: `SSL key ${spec.keyFile} is not a PEM private key` };
    }
    files.cert = cert.bytes;
    files.key = key.bytes;
    if (spec.password !== undefined) files.passphrase = spec.password;
  }
  try {
    // node:tls's context, once, only for what it says of the files together (a key that is not the certificate's).
    createSecureContext(files);
    return { files };
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_OSSL_X509_KEY_VALUES_MISMATCH")
      return { problem: `SSL key ${spec.keyFile} is not the key of certificate ${spec.certificateFile}` };
    return { problem: `SSL context: ${describeSocketError(error)}` };
  }
}

/** A file as it is now (which file, its size, its last change), or why it cannot be looked at. */
async function fileStamp(path: string | undefined): Promise<string> {
  if (path === undefined) return "";
  try {
    const info = await stat(path);
    return `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
  } catch (error) {
    return `error:${(error as { code?: string }).code ?? "unknown"}`;
  }
}

/**
 * Each spec's context, kept while its files stay as they were. keepalived loads its SSL_CTX
 * at start and at each reload; here a checker that a reload leaves alone keeps its spec, so
 * the files are looked at (stat) before a check, at most every TLS_FILES_LOOK_MS, and read
 * again when one changed: a renewed client certificate is used within a second, reload or not. Keyed by the spec
 * object, so nothing outlives the plan that holds it.
 */
const tlsClients = new WeakMap<TlsClientSpec, { stamp: string; stampedMs: number; load: Promise<TlsClientLoad> }>();

/** The files are looked at no more often than this: hundreds of SSL_GETs a second share one SSL block. */
export const TLS_FILES_LOOK_MS = 1_000;

export async function tlsClientOf(spec: TlsClientSpec, nowMs: number): Promise<TlsClientLoad> {
  const known = tlsClients.get(spec);
  if (known && nowMs - known.stampedMs < TLS_FILES_LOOK_MS) return known.load;
  const stamps = await Promise.all([spec.caFile, spec.certificateFile, spec.keyFile].map(fileStamp));
  const stamp = stamps.join("|");
  if (known?.stamp === stamp) {
    known.stampedMs = nowMs;
    return known.load;
  }
  const load = loadTlsClient(spec).catch((error: unknown) => ({ problem: `SSL context: ${describeSocketError(error)}` }));
  tlsClients.set(spec, { stamp, stampedMs: nowMs, load });
  return load;
}

/** What the handshake says of the server's certificate, for check/tls-judge.ts; undefined when it sent none. */
export function peerSummary(peer: TlsPeer, expectedName: string): PeerCertificateSummary | undefined {
  const cert = peer.certificate();
  if (!cert) return undefined;
  let nameMatches = false;
  try {
    nameMatches = checkServerIdentity(expectedName, cert) === undefined;
  } catch {
    nameMatches = false;
  }
  const summary: PeerCertificateSummary = {
    subject: cert.subject ?? {},
    issuer: cert.issuer ?? {},
    validFrom: cert.valid_from,
    validTo: cert.valid_to,
    nameMatches,
  };
  if (cert.subjectaltname) summary.subjectAltName = cert.subjectaltname;
  const chainError = peer.chainError();
  if (chainError !== undefined) summary.chainError = chainError;
  return summary;
}

/** An SSL_GET with no SSL block: keepalived's bare context, no client certificate and nothing verified. */
export const NO_TLS_CLIENT: TlsClientSpec = { verify: false, expiryWarnDays: 0 };
