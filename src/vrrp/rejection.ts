// Why a received VRRP packet was discarded: stable codes for counters, human reasons for logs.

/**
 * Stable rejection codes. Counters and tests key on these, so never rename one; the
 * `reason` text beside it is for people and may be reworded.
 */
export type RejectionCode =
  // IPv4 header (ipv4-header.ts)
  | "ip_too_short"
  | "ip_version"
  | "ip_header_length"
  | "ip_total_length"
  | "ip_header_checksum"
  | "ip_protocol"
  // VRRP message (packet.ts) and receive checks (receive-checks.ts), RFC 3768 / RFC 5798 7.1
  | "length"
  | "ttl"
  | "version"
  | "type"
  | "vrid"
  | "checksum"
  | "auth_type_invalid"
  | "auth_type"
  | "auth_failure"
  | "interval_mismatch"
  | "interval_invalid"
  | "address_list"
  | "destination";

export interface Rejection {
  code: RejectionCode;
  /** One sentence: what was received and what was expected, e.g. "TTL is 64; must be 255". */
  reason: string;
}

export type Rejected = { ok: false; rejection: Rejection };

export function reject(code: RejectionCode, reason: string): Rejected {
  return { ok: false, rejection: { code, reason } };
}

/** "0.1 s", "1 s", "40.95 s": intervals in reasons read in the unit people configure. */
export function formatCs(centiseconds: number): string {
  return `${centiseconds / 100} s`;
}

export function formatHex16(value: number): string {
  return `0x${value.toString(16).padStart(4, "0")}`;
}
