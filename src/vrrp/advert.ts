// The VRRP advertisement as the engine sees it, independent of wire version.
// RFC 3768 section 5 (v2) and RFC 5798 section 5 (v3).

export type VrrpVersion = 2 | 3;

/** RFC 3768 5.3.6 auth types. v3 has no authentication (the field is reserved). */
export const AUTH_NONE = 0;
export const AUTH_SIMPLE_TEXT = 1;
export const AUTH_IP_AH = 2;

export interface Advert {
  version: VrrpVersion;
  /** Virtual Router Identifier, 1..255. */
  vrid: number;
  /** 0 = master is leaving, 1..254 = backup priorities, 255 = address owner. */
  priority: number;
  /**
   * Advertisement interval in centiseconds. v3 carries it as Max Adver Int (12 bits of
   * centiseconds); v2 carries whole seconds, which the codec converts (1 s -> 100).
   */
  advertIntervalCs: number;
  /** Virtual addresses as unsigned 32-bit IPv4 numbers, in packet order. */
  addresses: number[];
  /** v2 only: auth type and the 8 bytes of authentication data (PASS: the password, NUL padded). */
  authType: number;
  authData: Uint8Array;
}

/** An advert together with what the IP layer told us about the packet carrying it. */
export interface ReceivedAdvert {
  advert: Advert;
  /** IPv4 source address (unsigned 32-bit). Used for tie-breaks and "the master we hear". */
  sourceIp: number;
  /** IPv4 destination (224.0.0.18 or a unicast address). */
  destinationIp: number;
  ttl: number;
}
