// Fingerprints: the normal form, and what an operator may paste.
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { fingerprintOf, formatFingerprint, parseFingerprint, toPem } from "../../../src/tls/index.ts";

const digest = createHash("sha256").update("tandem").digest();
const normal = formatFingerprint(new Uint8Array(digest));
const pairs = normal.slice("sha256:".length);

describe("fingerprints", () => {
  test("the normal form is sha256: and upper-case colon-separated hex pairs", () => {
    expect(normal).toMatch(/^sha256:([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(pairs.replace(/:/g, "").toLowerCase()).toBe(digest.toString("hex"));
  });

  test("fingerprintOf hashes the DER, from PEM or bytes alike", () => {
    const der = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x05);
    const expected = formatFingerprint(new Uint8Array(createHash("sha256").update(der).digest()));
    expect(fingerprintOf(der)).toBe(expected);
    expect(fingerprintOf(toPem("CERTIFICATE", der))).toBe(expected);
    expect(() => fingerprintOf("no certificate here")).toThrow(/BEGIN CERTIFICATE/);
  });

  test("parseFingerprint accepts the forms people paste, in any case", () => {
    for (const text of [
      normal,
      pairs,
      pairs.toLowerCase(),
      pairs.replace(/:/g, ""),
      `SHA256:${pairs.toLowerCase()}`,
      `  ${normal}\n`,
      `sha256 Fingerprint=${pairs}`,
    ]) {
      expect(parseFingerprint(text)).toEqual({ ok: true, fingerprint: normal });
    }
  });

  test("parseFingerprint says what is wrong", () => {
    const message = (text: string) => {
      const parsed = parseFingerprint(text);
      return parsed.ok ? "accepted" : parsed.message;
    };
    expect(message(pairs.slice(3))).toMatch(/62 hex digits; a SHA-256 fingerprint has 64/);
    expect(message(`${pairs}:00`)).toMatch(/66 hex digits/);
    expect(message(pairs.replace(/^../, "ZZ"))).toMatch(/not hex/);
    expect(message("A:BC:DE")).toMatch(/hex pairs/);
    expect(message(`sha1:${"AB:".repeat(19)}AB`)).toMatch(/uses sha1; tandem pins SHA-256/);
    expect(message("md5:00")).toMatch(/uses md5/);
    expect(message("")).toMatch(/0 hex digits/);
  });
});
