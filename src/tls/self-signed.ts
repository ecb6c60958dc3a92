// A self-signed X.509 v3 server certificate (RFC 5280 §4.1) with an ECDSA P-256 key, written
// with der.ts and signed by node:crypto: what an appliance needs to serve HTTPS out of the box.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { certificateRequestProblems, epochMsOf, type CertificateRequest } from "./certificate-request.ts";
import {
  bitString,
  boolean,
  certificateTime,
  concatBytes,
  contextExplicit,
  contextImplicitPrimitive,
  ia5Contents,
  integer,
  objectIdentifier,
  octetString,
  sequence,
  setOf,
  utf8String,
} from "./der.ts";
import { fingerprintOf } from "./fingerprint.ts";
import { ipAddressBytes } from "./ip-address.ts";
import { toPem } from "./pem.ts";
import * as OID from "./x509-oids.ts";

export interface SelfSignedCertificate {
  certificatePem: string;
  /** PKCS #8, unencrypted: the box must start unattended. */
  privateKeyPem: string;
  fingerprint: string;
}

const DAY_MS = 86_400_000;
/** RFC 5280 §4.2.1.3 bit 0; a BIT STRING of one byte with 7 unused bits. */
const KEY_USAGE_DIGITAL_SIGNATURE = 0x80;

/** Throws an Error listing every problem when the request cannot be issued. */
export function createSelfSignedCertificate(request: CertificateRequest): SelfSignedCertificate {
  const problems = certificateRequestProblems(request);
  if (problems.length > 0) throw new Error(`cannot make the certificate: ${problems.join("; ")}`);
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const der = certificateDer(request, publicKey, privateKey);
  return {
    certificatePem: toPem("CERTIFICATE", der),
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    fingerprint: fingerprintOf(der),
  };
}

function certificateDer(request: CertificateRequest, publicKey: KeyObject, privateKey: KeyObject): Uint8Array {
  // Whole seconds: X.509 times have no fraction, and notAfter should be exactly validDays later.
  const notBeforeMs = Math.floor(epochMsOf(request.now) / 1000) * 1000;
  const notAfterMs = notBeforeMs + request.validDays * DAY_MS;
  const signatureAlgorithm = sequence(objectIdentifier(OID.OID_ECDSA_WITH_SHA256));
  const name = sequence(setOf(sequence(objectIdentifier(OID.OID_AT_COMMON_NAME), utf8String(request.commonName))));
  const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
  const tbs = sequence(
    contextExplicit(0, integer(2)), // v3
    integer(serialNumber()),
    signatureAlgorithm,
    name,
    sequence(certificateTime(notBeforeMs), certificateTime(notAfterMs)),
    name,
    spki,
    contextExplicit(3, sequence(...extensions(request, publicKey))),
  );
  const signature = new Uint8Array(sign("sha256", tbs, privateKey));
  return sequence(tbs, signatureAlgorithm, bitString(signature));
}

/** RFC 5280 §4.1.2.2: positive, at most 20 octets; 128 random bits make collisions moot. */
function serialNumber(): Uint8Array {
  const bytes = new Uint8Array(randomBytes(16));
  // A zero serial is not allowed; forcing one low bit costs nothing and rules it out.
  bytes[15]! |= 0x01;
  return bytes;
}

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? sequence(objectIdentifier(oid), boolean(true), octetString(value)) : sequence(objectIdentifier(oid), octetString(value));
}

function extensions(request: CertificateRequest, publicKey: KeyObject): Uint8Array[] {
  const list = [
    // cA defaults to FALSE, and DER omits defaults: an empty SEQUENCE says "not a CA".
    extension(OID.OID_CE_BASIC_CONSTRAINTS, true, sequence()),
    extension(OID.OID_CE_KEY_USAGE, true, bitString(Uint8Array.of(KEY_USAGE_DIGITAL_SIGNATURE), 7)),
    extension(OID.OID_CE_EXT_KEY_USAGE, false, sequence(objectIdentifier(OID.OID_KP_SERVER_AUTH))),
    extension(OID.OID_CE_SUBJECT_KEY_IDENTIFIER, false, octetString(subjectKeyIdentifier(publicKey))),
  ];
  const names = [
    ...request.dnsNames.map((dns) => contextImplicitPrimitive(2, ia5Contents(dns))), // dNSName [2] IA5String
    ...request.ipAddresses.map((ip) => contextImplicitPrimitive(7, ipAddressBytes(ip)!)), // iPAddress [7] OCTET STRING
  ];
  if (names.length > 0) list.push(extension(OID.OID_CE_SUBJECT_ALT_NAME, false, sequence(...names)));
  return list;
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits (the uncompressed point). */
function subjectKeyIdentifier(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: "jwk" });
  const point = concatBytes([Uint8Array.of(0x04), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
  return new Uint8Array(createHash("sha1").update(point).digest());
}
