// Object identifiers a server certificate uses, under their RFC names.

/** RFC 5758 §3.2: ecdsa-with-SHA256; its AlgorithmIdentifier has no parameters. */
export const OID_ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
/** X.520: id-at-commonName. */
export const OID_AT_COMMON_NAME = "2.5.4.3";
/** RFC 5280 §4.2.1.x certificate extensions. */
export const OID_CE_SUBJECT_KEY_IDENTIFIER = "2.5.29.14";
export const OID_CE_KEY_USAGE = "2.5.29.15";
export const OID_CE_SUBJECT_ALT_NAME = "2.5.29.17";
export const OID_CE_BASIC_CONSTRAINTS = "2.5.29.19";
export const OID_CE_EXT_KEY_USAGE = "2.5.29.37";
/** RFC 5280 §4.2.1.12: id-kp-serverAuth. */
export const OID_KP_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
