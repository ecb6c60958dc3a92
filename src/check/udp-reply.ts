// UDP_CHECK's datagram and its verdict, as keepalived 2.2.7 has them (check_udp.c,
// core/layer4.c, lib/parser.c read_hex_str): the `payload` and `require_reply` hex strings
// read into bytes (require_reply's "x" / "X" nibbles match anything), what is sent when no
// payload is given, and judgeUdpReply: the verdict on what came back (a datagram, an ICMP
// error, or nothing within connect_timeout). Pure.
import type { UdpCheckSpec } from "./check-spec.ts";
import type { CheckVerdict } from "./http-judge.ts";
import { describeIcmpError, isDestinationUnreachable, type IcmpError } from "./icmp-errors.ts";

/** The bytes of a hex string; `wildcards` set where require_reply's x nibbles match anything. */
export type HexBytes = { ok: true; bytes: Uint8Array; wildcards?: Uint8Array } | { ok: false; problem: string };

/** check_udp.h keeps the lengths in uint16_t: a longer string cannot be held (nor sent in one UDP datagram). */
export const MAX_HEX_BYTES = 65_535;

function nibble(char: string, wildcards: boolean): number | "wildcard" | undefined {
  const code = char.charCodeAt(0);
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const upper = char.toUpperCase();
  if (upper >= "A" && upper <= "F" && upper.length === 1) return upper.charCodeAt(0) - 0x41 + 10;
  if (wildcards && upper === "X") return "wildcard";
  return undefined;
}

/**
 * read_hex_str: hex digits in words separated by white space; each pair of digits is one
 * byte, and a word of odd length ends with a byte of its last digit alone ("abc" is ab 0c).
 * keepalived 2.2.7 also rejected any string whose last byte is ff (it tested the last value
 * read against its error marker 0xff); fixed upstream in e7bf4d16 (2024), and not copied.
 */
export function parseHexBytes(text: string, options: { wildcards: boolean }): HexBytes {
  const bytes: number[] = [];
  const masks: number[] = [];
  let anyWildcard = false;
  for (const word of text.split(/[ \t\r\n]+/)) {
    for (let i = 0; i < word.length; i += 2) {
      if (bytes.length >= MAX_HEX_BYTES) return { ok: false, problem: `longer than ${MAX_HEX_BYTES} bytes` };
      const pair = word.length - i >= 2 ? [word[i]!, word[i + 1]!] : [word[i]!];
      let value = 0;
      let mask = 0;
      for (const char of pair) {
        const digit = nibble(char, options.wildcards);
        if (digit === undefined) {
          const hint = !options.wildcards && (char === "x" || char === "X") ? " (wildcards are for require_reply only)" : "";
          return { ok: false, problem: `"${char}" is not a hex digit${hint}` };
        }
        value <<= 4;
        mask <<= 4;
        if (digit === "wildcard") {
          mask |= 0x0f;
          anyWildcard = true;
        } else value |= digit;
      }
      bytes.push(value);
      masks.push(mask);
    }
  }
  if (bytes.length === 0) return { ok: false, problem: "no hex digits" };
  return { ok: true, bytes: Uint8Array.from(bytes), ...(anyWildcard ? { wildcards: Uint8Array.from(masks) } : {}) };
}

/** What a UDP_CHECK's reply is held to. */
export interface UdpReplyExpectation {
  /** require_reply: silence fails (without it, keepalived counts silence as success). */
  replyRequired: boolean;
  /** The bytes a reply must begin with, and their wildcard nibbles; none: any reply passes. */
  pattern?: { bytes: Uint8Array; wildcards?: Uint8Array };
  /** min_reply_length and max_reply_length (udp_check_handler's defaults 0 and 255). */
  minLength: number;
  maxLength: number;
}

/** udp_check_handler: max_reply_len starts at UINT8_MAX. */
export const DEFAULT_MAX_REPLY_LENGTH = 255;

/** What a UDP_CHECK sends, and what it holds the reply to; or why its hex strings cannot be read. */
export type UdpCheckPlan = { ok: true; request: Uint8Array; expectation: UdpReplyExpectation } | { ok: false; problem: string };

/**
 * layer4.c udp_bind_connect: with no payload keepalived sends 32 bytes of
 * "keepalived check - " repeated (set_buf, written over its stack buffer so as not to leak it).
 */
export function defaultUdpPayload(length = 32): Uint8Array {
  const text = "keepalived check - ";
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = text.charCodeAt(i % text.length);
  return out;
}

export function udpCheckPlan(spec: UdpCheckSpec): UdpCheckPlan {
  let request = defaultUdpPayload();
  if (spec.payload !== undefined) {
    const payload = parseHexBytes(spec.payload, { wildcards: false });
    if (!payload.ok) return { ok: false, problem: `UDP_CHECK payload "${spec.payload}": ${payload.problem}` };
    request = payload.bytes;
  }
  const expectation: UdpReplyExpectation = {
    replyRequired: spec.requireReply !== undefined,
    minLength: spec.minReplyLength ?? 0,
    maxLength: spec.maxReplyLength ?? DEFAULT_MAX_REPLY_LENGTH,
  };
  if (typeof spec.requireReply === "string") {
    const reply = parseHexBytes(spec.requireReply, { wildcards: true });
    if (!reply.ok) return { ok: false, problem: `UDP_CHECK require_reply "${spec.requireReply}": ${reply.problem}` };
    expectation.pattern = { bytes: reply.bytes, ...(reply.wildcards ? { wildcards: reply.wildcards } : {}) };
  }
  return { ok: true, request, expectation };
}

/** How one UDP_CHECK ended on the wire. */
export type UdpOutcome =
  | { kind: "reply"; bytes: Uint8Array }
  /** Nothing came back within connect_timeout. */
  | { kind: "silence"; waitedMs: number }
  /** An ICMP error the socket's error queue held (IP_RECVERR), keepalived's udp_socket_error's input. */
  | { kind: "icmp"; error: IcmpError }
  /** An error the socket reported without an ICMP error queued for it, as the log says it. */
  | { kind: "unreachable"; reason: string };

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;
const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** The pattern as written back, with its wildcard nibbles as x. */
function patternText(pattern: NonNullable<UdpReplyExpectation["pattern"]>, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    const byte = pattern.bytes[i]!.toString(16).padStart(2, "0");
    const mask = pattern.wildcards?.[i] ?? 0;
    out += (mask & 0xf0 ? "x" : byte.charAt(0)) + (mask & 0x0f ? "x" : byte.charAt(1));
  }
  return out;
}

/**
 * keepalived's rule (layer4.c udp_socket_state, check_udp.c udp_check_thread and
 * check_udp_reply):
 * - silence until connect_timeout is a success unless require_reply is set ("Handle Read
 *   timeout, we consider it success unless require_reply is set"): a UDP service that never
 *   answers cannot be told from one that is fine, and only an ICMP error proves it gone;
 * - an ICMP destination unreachable (port, host, network, prohibited: any code; ICMPv6's
 *   too) fails, as another error the socket reports does;
 * - any other ICMP error (time exceeded, parameter problem, packet too big) ends the check
 *   without a reply, and keepalived then judges the reply it did not read: udp_socket_error
 *   returns connect_success, and check_udp_reply sees a length of max_reply_length + 1. So
 *   only a require_reply pattern fails it (on the length); kept, as it is what a keepalived
 *   pair does with the same network;
 * - any datagram passes when there is no require_reply pattern (require_reply alone only asks
 *   that something comes back; the lengths are then not checked either: keepalived.conf(5)
 *   says they are, but its code checks them only with a pattern, and a configuration that
 *   works there must not start failing here);
 * - with a pattern, the reply must be min_reply_length..max_reply_length long and its first
 *   bytes must match the pattern, wildcard nibbles aside. keepalived compares only as many
 *   bytes as the reply has, so a reply shorter than the pattern passes when what it has
 *   matches; kept, since min_reply_length is keepalived's way to ask for the whole of it.
 */
export function judgeUdpReply(expectation: UdpReplyExpectation, outcome: UdpOutcome): CheckVerdict {
  if (outcome.kind === "unreachable") return { ok: false, reason: outcome.reason };
  if (outcome.kind === "icmp") {
    const error = describeIcmpError(outcome.error);
    if (isDestinationUnreachable(outcome.error)) return { ok: false, reason: error };
    if (expectation.pattern) return { ok: false, reason: `${error}: no reply for require_reply to match` };
    return { ok: true, detail: `${error}; keepalived fails a UDP_CHECK only on a destination unreachable` };
  }
  if (outcome.kind === "silence") {
    const waited = `no reply within ${seconds(outcome.waitedMs)}`;
    return expectation.replyRequired ? { ok: false, reason: waited } : { ok: true, detail: `${waited} (without require_reply that passes)` };
  }
  const reply = outcome.bytes;
  const pattern = expectation.pattern;
  if (!pattern) return { ok: true, detail: `reply of ${reply.length} bytes` };
  if (reply.length < expectation.minLength) {
    return { ok: false, reason: `reply of ${reply.length} bytes; min_reply_length is ${expectation.minLength}` };
  }
  if (reply.length > expectation.maxLength) {
    return { ok: false, reason: `reply of ${reply.length} bytes; max_reply_length is ${expectation.maxLength}` };
  }
  const compared = Math.min(reply.length, pattern.bytes.length);
  for (let i = 0; i < compared; i++) {
    const care = ~(pattern.wildcards?.[i] ?? 0) & 0xff;
    if (((reply[i]! ^ pattern.bytes[i]!) & care) !== 0) {
      const shown = Math.min(compared, 32);
      const more = compared > shown ? "..." : "";
      return { ok: false, reason: `reply ${hex(reply.subarray(0, shown))}${more} does not match ${patternText(pattern, shown)}${more} (byte ${i})` };
    }
  }
  return { ok: true, detail: `reply of ${reply.length} bytes matches` };
}
