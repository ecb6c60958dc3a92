// UDP_CHECK's hex strings read as keepalived 2.2.7's read_hex_str reads them (pairs of digits,
// words apart, an odd word's last digit a byte alone, x nibbles in require_reply only), and
// the verdict of check_udp_reply / udp_socket_state on the replies of Debian's
// inetutils-inetd (test/fixtures/udp), on silence, on a port unreachable and on the ICMP
// errors udp_socket_error reads from the error queue (a destination unreachable fails; any
// other error passes unless a pattern is required).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  DEFAULT_MAX_REPLY_LENGTH,
  defaultUdpPayload,
  judgeUdpReply,
  MAX_HEX_BYTES,
  parseHexBytes,
  udpCheckPlan,
  type UdpReplyExpectation,
} from "../../../src/check/udp-reply.ts";

const fixture = JSON.parse(readFileSync(join(import.meta.dir, "../../fixtures/udp/inetutils-2.4-replies.json"), "utf8")) as {
  payload: string;
  defaultPayload: string;
  replies: Record<"echo" | "echoOfDefault" | "daytime", string>;
};
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, "hex"));
const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

function expectation(requireReply: string | true | undefined, lengths: { minReplyLength?: number; maxReplyLength?: number } = {}): UdpReplyExpectation {
  const plan = udpCheckPlan({ ...(requireReply !== undefined ? { requireReply } : {}), ...lengths });
  if (!plan.ok) throw new Error(plan.problem);
  return plan.expectation;
}

describe("parseHexBytes (read_hex_str)", () => {
  test("pairs of digits, either case, words apart", () => {
    const read = parseHexBytes("0a1B 2c\t3D", { wildcards: false });
    expect(read).toEqual({ ok: true, bytes: Uint8Array.from([0x0a, 0x1b, 0x2c, 0x3d]) });
  });

  test("keepalived.conf(5)'s example: Ab12f 3 456 546443123 is AB 12 0F 03 45 06 54 64 43 12 03", () => {
    const read = parseHexBytes("Ab12f 3 456 546443123", { wildcards: false });
    expect(read.ok && hexOf(read.bytes)).toBe("ab120f0345065464431203");
  });

  test("a word of odd length ends with a byte of its last digit alone", () => {
    expect(parseHexBytes("abc d", { wildcards: false })).toEqual({ ok: true, bytes: Uint8Array.from([0xab, 0x0c, 0x0d]) });
  });

  test("a last byte ff is read (keepalived 2.2.7 rejected it: its error marker; fixed upstream)", () => {
    expect(parseHexBytes("00ff", { wildcards: false })).toEqual({ ok: true, bytes: Uint8Array.from([0x00, 0xff]) });
    expect(parseHexBytes("ff", { wildcards: false })).toEqual({ ok: true, bytes: Uint8Array.from([0xff]) });
  });

  test("x or X is a wildcard nibble in require_reply, each nibble on its own", () => {
    const read = parseHexBytes("4x X1 xx 5", { wildcards: true });
    expect(read).toEqual({ ok: true, bytes: Uint8Array.from([0x40, 0x01, 0x00, 0x05]), wildcards: Uint8Array.from([0x0f, 0xf0, 0xff, 0x00]) });
  });

  test("no wildcards set: no mask at all", () => {
    expect(parseHexBytes("4142", { wildcards: true })).toEqual({ ok: true, bytes: Uint8Array.from([0x41, 0x42]) });
  });

  test("rejections: a non-hex character, a wildcard in a payload, nothing at all, too long", () => {
    expect(parseHexBytes("41 4g", { wildcards: false })).toEqual({ ok: false, problem: '"g" is not a hex digit' });
    expect(parseHexBytes("0x41", { wildcards: false })).toEqual({ ok: false, problem: '"x" is not a hex digit (wildcards are for require_reply only)' });
    expect(parseHexBytes("   ", { wildcards: false })).toEqual({ ok: false, problem: "no hex digits" });
    expect(parseHexBytes("00".repeat(MAX_HEX_BYTES), { wildcards: false }).ok).toBe(true);
    expect(parseHexBytes("00".repeat(MAX_HEX_BYTES + 1), { wildcards: false })).toEqual({ ok: false, problem: `longer than ${MAX_HEX_BYTES} bytes` });
  });
});

describe("udpCheckPlan", () => {
  test("no payload: keepalived's 32 bytes of 'keepalived check - ' (set_buf)", () => {
    const plan = udpCheckPlan({});
    expect(plan.ok && hexOf(plan.request)).toBe(fixture.defaultPayload);
    expect(new TextDecoder().decode(defaultUdpPayload())).toBe("keepalived check - keepalived ch");
  });

  test("the payload's bytes; lengths default 0 and 255; require_reply alone asks for a reply, no pattern", () => {
    const plan = udpCheckPlan({ payload: fixture.payload, requireReply: true });
    expect(plan.ok && hexOf(plan.request)).toBe(fixture.payload);
    expect(plan.ok && plan.expectation).toEqual({ replyRequired: true, minLength: 0, maxLength: DEFAULT_MAX_REPLY_LENGTH });
  });

  test("an unreadable payload or require_reply is the checker's problem, named", () => {
    expect(udpCheckPlan({ payload: "hello" })).toEqual({ ok: false, problem: 'UDP_CHECK payload "hello": "h" is not a hex digit' });
    expect(udpCheckPlan({ requireReply: "4x zz" })).toEqual({ ok: false, problem: 'UDP_CHECK require_reply "4x zz": "z" is not a hex digit' });
  });
});

describe("judgeUdpReply on inetutils-inetd's replies", () => {
  const echo = fromHex(fixture.replies.echo);
  const daytime = fromHex(fixture.replies.daytime);

  test("the echo matches the payload as require_reply, and with wildcards", () => {
    expect(judgeUdpReply(expectation(fixture.payload), { kind: "reply", bytes: echo })).toEqual({ ok: true, detail: "reply of 17 bytes matches" });
    // "tandem" with the second nibble of every byte a wildcard.
    expect(judgeUdpReply(expectation("7x 6x 6x 6x 6x 6x"), { kind: "reply", bytes: echo }).ok).toBe(true);
  });

  test("daytime's reply does not match the echo's pattern: the reason shows both", () => {
    expect(judgeUdpReply(expectation("74 61 6x"), { kind: "reply", bytes: daytime })).toEqual({
      ok: false,
      reason: "reply 546875 does not match 74616x (byte 0)",
    });
  });

  test("only the reply's own bytes are compared: a reply shorter than the pattern passes unless min_reply_length says no", () => {
    const short = echo.subarray(0, 3);
    expect(judgeUdpReply(expectation(fixture.payload), { kind: "reply", bytes: short }).ok).toBe(true);
    expect(judgeUdpReply(expectation(fixture.payload, { minReplyLength: 17 }), { kind: "reply", bytes: short })).toEqual({
      ok: false,
      reason: "reply of 3 bytes; min_reply_length is 17",
    });
  });

  test("max_reply_length: longer fails (default 255)", () => {
    expect(judgeUdpReply(expectation("54", { maxReplyLength: 10 }), { kind: "reply", bytes: daytime })).toEqual({
      ok: false,
      reason: "reply of 26 bytes; max_reply_length is 10",
    });
    expect(judgeUdpReply(expectation("54"), { kind: "reply", bytes: new Uint8Array(256).fill(0x54) }).ok).toBe(false);
    expect(judgeUdpReply(expectation("54"), { kind: "reply", bytes: new Uint8Array(255).fill(0x54) }).ok).toBe(true);
  });

  test("require_reply without a pattern: any reply passes, its length unchecked (keepalived checks lengths only with a pattern)", () => {
    expect(judgeUdpReply(expectation(true, { maxReplyLength: 1 }), { kind: "reply", bytes: daytime })).toEqual({ ok: true, detail: "reply of 26 bytes" });
  });

  test("silence passes without require_reply, fails with it", () => {
    expect(judgeUdpReply(expectation(undefined), { kind: "silence", waitedMs: 1000 })).toEqual({
      ok: true,
      detail: "no reply within 1 s (without require_reply that passes)",
    });
    expect(judgeUdpReply(expectation(true), { kind: "silence", waitedMs: 1500 })).toEqual({ ok: false, reason: "no reply within 1.5 s" });
  });

  test("a port unreachable fails, required reply or not", () => {
    expect(judgeUdpReply(expectation(undefined), { kind: "unreachable", reason: "connection refused" })).toEqual({ ok: false, reason: "connection refused" });
  });

  test("an ICMP or ICMPv6 destination unreachable of any code fails, required reply or not, with its sender", () => {
    for (const required of [undefined, true, "41"] as const) {
      expect(judgeUdpReply(expectation(required), { kind: "icmp", error: { version: 4, type: 3, code: 1, info: 0, from: "10.0.0.1" } })).toEqual({
        ok: false,
        reason: "host unreachable (ICMP from 10.0.0.1)",
      });
    }
    expect(judgeUdpReply(expectation(undefined), { kind: "icmp", error: { version: 4, type: 3, code: 13, info: 0, from: "10.0.0.1" } })).toEqual({
      ok: false,
      reason: "communication administratively prohibited (ICMP destination unreachable from 10.0.0.1)",
    });
    expect(judgeUdpReply(expectation(undefined), { kind: "icmp", error: { version: 6, type: 1, code: 3, info: 0, from: "fd00::1" } })).toEqual({
      ok: false,
      reason: "address unreachable (ICMPv6 from fd00::1)",
    });
    // A code no RFC names yet is still a destination unreachable.
    expect(judgeUdpReply(expectation(undefined), { kind: "icmp", error: { version: 6, type: 1, code: 42, info: 0 } }).ok).toBe(false);
  });

  test("another ICMP error (time exceeded, packet too big) is keepalived's success without a reply: only a pattern fails it", () => {
    const exceeded = { kind: "icmp", error: { version: 4, type: 11, code: 0, info: 0, from: "10.0.0.254" } } as const;
    const passed = {
      ok: true,
      detail: "time exceeded (ICMP code 0 from 10.0.0.254); keepalived fails a UDP_CHECK only on a destination unreachable",
    } as const;
    expect(judgeUdpReply(expectation(undefined), exceeded)).toEqual(passed);
    expect(judgeUdpReply(expectation(true), exceeded)).toEqual(passed);
    expect(judgeUdpReply(expectation("41"), exceeded)).toEqual({
      ok: false,
      reason: "time exceeded (ICMP code 0 from 10.0.0.254): no reply for require_reply to match",
    });
    const tooBig = { kind: "icmp", error: { version: 6, type: 2, code: 0, info: 1280, from: "fd00::fe" } } as const;
    expect(judgeUdpReply(expectation("41"), tooBig)).toEqual({
      ok: false,
      reason: "packet too big (next-hop MTU 1280) (ICMPv6 code 0 from fd00::fe): no reply for require_reply to match",
    });
  });

  test("an empty datagram passes a pattern (nothing to compare), as in keepalived", () => {
    expect(judgeUdpReply(expectation("41"), { kind: "reply", bytes: new Uint8Array(0) }).ok).toBe(true);
  });
});
