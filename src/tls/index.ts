// The tls module's public surface: self-signed certificates for the REST API, their
// fingerprints, and what the daemon reads back from a certificate to log its expiry.
export { createSelfSignedCertificate, type SelfSignedCertificate } from "./self-signed.ts";
export { certificateRequestProblems, isDnsName, MAX_VALID_DAYS, type CertificateRequest } from "./certificate-request.ts";
export { fingerprintOf, formatFingerprint, parseFingerprint, FINGERPRINT_PREFIX, type FingerprintParse } from "./fingerprint.ts";
export { readCertificateInfo, describeExpiry, type CertificateInfo, type CertificateInfoResult } from "./certificate-info.ts";
export { toPem, fromPem } from "./pem.ts";
export { ipAddressBytes } from "./ip-address.ts";
