// Certificate fingerprints as people compare them: "sha256:AB:CD:..." (SHA-256 over the DER,
// upper-case hex pairs), and a lenient reader for what an operator pastes.
import { createHash } from "node:crypto";
import { fromPem } from "./pem.ts";

export const FINGERPRINT_PREFIX = "sha256:";
const SHA256_BYTES = 32;

export type FingerprintParse = { ok: true; fingerprint: string } | { ok: false; message: string };

/** "sha256:" and the digest as colon-separated upper-case hex pairs. */
export function formatFingerprint(digest: Uint8Array): string {
  return FINGERPRINT_PREFIX + Array.from(digest, (b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}

/** The fingerprint of a certificate given as PEM text or as DER bytes. Throws on text with no certificate. */
export function fingerprintOf(pemOrDer: string | Uint8Array): string {
  const der = typeof pemOrDer === "string" ? fromPem(pemOrDer) : pemOrDer;
  if (!der) throw new Error("no -----BEGIN CERTIFICATE----- block in the text given");
  return formatFingerprint(createHash("sha256").update(der).digest());
}

/**
 * Reads "sha256:AB:CD:...", "AB:CD:..." or 64 hex digits, in any case, into the normal form;
 * other digests (sha1:, md5:) are refused by name rather than mistaken for a bad length.
 */
export function parseFingerprint(text: string): FingerprintParse {
  // openssl x509 -fingerprint prints "sha256 Fingerprint=AB:CD:..."; accept it pasted whole.
  let body = text.trim().replace(/^(sha-?256) fingerprint=/i, "$1:");
  const algorithm = /^([A-Za-z][A-Za-z0-9-]*)[:=]/.exec(body);
  // "AB:..." starts like "md5:..."; an algorithm's name is longer than a pair and not all hex.
  if (algorithm && algorithm[1]!.length > 2 && !/^[0-9A-Fa-f]+$/.test(algorithm[1]!)) {
    if (algorithm[1]!.toLowerCase().replace("-", "") !== "sha256") {
      return {
        ok: false,
        message: `fingerprint "${text}" uses ${algorithm[1]}; tandem pins SHA-256 fingerprints (sha256:AB:CD:...; openssl x509 -fingerprint -sha256 prints one)`,
      };
    }
    body = body.slice(algorithm[0].length);
  }
  const hex = body.includes(":") ? body.split(":") : (body.match(/.{1,2}/g) ?? []);
  if (body.includes(":") && hex.some((pair) => pair.length !== 2)) {
    return { ok: false, message: `fingerprint "${text}" is not hex pairs separated by ':'` };
  }
  const digits = hex.join("");
  if (!/^[0-9A-Fa-f]*$/.test(digits)) return { ok: false, message: `fingerprint "${text}" has characters that are not hex digits` };
  if (digits.length !== SHA256_BYTES * 2) {
    return {
      ok: false,
      message: `fingerprint "${text}" has ${digits.length} hex digits; a SHA-256 fingerprint has ${SHA256_BYTES * 2} (${SHA256_BYTES} bytes)`,
    };
  }
  return { ok: true, fingerprint: formatFingerprint(Uint8Array.from(Buffer.from(digits, "hex"))) };
}
