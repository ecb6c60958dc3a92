// Netlink framing: headers, attribute alignment, nesting, multi-part dumps, error acks.
import { describe, expect, test } from "bun:test";
import {
  attributeBe16,
  attributeBe32,
  attributeU64,
  nestedAttributeMap,
  readBe16,
  readBe32,
  readU16,
  readU64,
  readU8,
  readUnsigned,
  attributeMap,
  attributeString,
  attributeU16,
  attributeU32,
  attributeU8,
  decodeAck,
  decodeAttributes,
  decodeDoneErrno,
  decodeMessages,
  encodeAttribute,
  encodeMessage,
  encodeNestedAttribute,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSGERR_ATTR_MSG,
  NLMSGERR_ATTR_OFFS,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  readString,
  readU32,
  messageAt,
  walkMessages,
} from "../../../src/netlink/netlink-codec.ts";
import { fixture, fromHex, toHex } from "../net/hex.ts";

describe("messages", () => {
  test("encodeMessage writes nlmsg_len without padding and pads the buffer to 4 bytes", () => {
    const bytes = encodeMessage({ type: 0x14, flags: NLM_F_REQUEST, seq: 7, pid: 0 }, new Uint8Array([1, 2, 3, 4, 5]));
    expect(toHex(bytes)).toBe("15000000" + "1400" + "0100" + "07000000" + "00000000" + "0102030405" + "000000");
  });

  test("a multi-part dump: NLM_F_MULTI parts then NLMSG_DONE, from the kernel", () => {
    const { messages, problem } = decodeMessages(fromHex(fixture("rtm-getaddr-dump-reply.hex")));
    expect(problem).toBeUndefined();
    expect(messages.map((m) => m.header.type)).toEqual([0x14, NLMSG_DONE]);
    expect(messages.every((m) => (m.header.flags & NLM_F_MULTI) !== 0)).toBe(true);
    expect(messages[0]!.header).toEqual({ length: 88, type: 0x14, flags: 0x22, seq: 0x6b07b129, pid: 0x2604 });
    expect(messages[0]!.payload.length).toBe(72);
    expect(decodeDoneErrno(messages[1]!)).toBe(0);
  });

  test("messages with unaligned lengths are found at aligned offsets", () => {
    const first = encodeMessage({ type: 0x10, flags: NLM_F_MULTI, seq: 1 }, new Uint8Array([9, 9, 9]));
    const second = encodeMessage({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq: 1 }, new Uint8Array(4));
    const { messages } = decodeMessages(new Uint8Array([...first, ...second]));
    expect(messages.map((m) => [m.header.type, m.payload.length])).toEqual([
      [0x10, 3],
      [NLMSG_DONE, 4],
    ]);
  });

  test("truncated input is reported, never thrown", () => {
    const whole = encodeMessage({ type: 0x10, flags: 0, seq: 1 }, new Uint8Array(8));
    expect(decodeMessages(whole.subarray(0, 20)).problem).toContain("nlmsg_len 24 with 20 bytes left");
    expect(decodeMessages(new Uint8Array([...whole, 1, 2, 3])).problem).toContain("3 trailing bytes");
    const zeroLength = new Uint8Array(16);
    expect(decodeMessages(zeroLength).problem).toContain("nlmsg_len 0");
  });

  test("walkMessages visits the same messages at their offsets, and stops where decodeMessages does", () => {
    const first = encodeMessage({ type: 0x10, flags: NLM_F_MULTI, seq: 1 }, new Uint8Array([9, 9, 9]));
    const second = encodeMessage({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq: 1 }, new Uint8Array(4));
    const buffer = new Uint8Array([...first, ...second, 1, 2, 3]);
    const offsets: number[] = [];
    const problem = walkMessages(buffer, (offset) => offsets.push(offset));
    expect(offsets).toEqual([0, first.length]);
    expect(problem).toBe(decodeMessages(buffer).problem!);
    expect(offsets.map((offset) => messageAt(buffer, offset))).toEqual(decodeMessages(buffer).messages);
  });

  test("a DONE carrying a negative errno reports it", () => {
    const done = encodeMessage({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq: 1 }, new Uint8Array([0xf0, 0xff, 0xff, 0xff]));
    expect(decodeDoneErrno(decodeMessages(done).messages[0]!)).toBe(16);
  });
});

describe("attributes", () => {
  test("lengths exclude padding; the next attribute starts aligned", () => {
    const bytes = new Uint8Array([...attributeString(3, "d0:vip"), ...attributeU8(16, 6), ...attributeU32(4, 1500)]);
    expect(toHex(bytes)).toBe("0b000300" + "64303a76697000" + "00" + "05001000" + "06" + "000000" + "08000400" + "dc050000");
    const attributes = decodeAttributes(bytes);
    expect(attributes.map((a) => [a.type, a.data.length])).toEqual([
      [3, 7],
      [16, 1],
      [4, 4],
    ]);
    const map = attributeMap(attributes);
    expect(readString(map.get(3))).toBe("d0:vip");
    expect(readU32(map.get(4))).toBe(1500);
  });

  test("nested attributes carry NLA_F_NESTED and decode recursively", () => {
    const nested = encodeNestedAttribute(1, [attributeU16(2, 80), attributeU32(3, 0x0a000001)]);
    expect(toHex(nested)).toBe("14000180" + "06000200" + "5000" + "0000" + "08000300" + "0100000a");
    const [outer] = decodeAttributes(nested);
    expect(outer).toMatchObject({ type: 1, nested: true, netByteOrder: false });
    const inner = attributeMap(decodeAttributes(outer!.data));
    expect(readU32(inner.get(3))).toBe(0x0a000001);
    expect(inner.get(2)!.length).toBe(2);
  });

  test("a malformed attribute ends the list without throwing", () => {
    const good = attributeU32(1, 5);
    const bad = new Uint8Array([0x40, 0x00, 0x02, 0x00, 1, 2, 3, 4]); // claims 64 bytes
    expect(decodeAttributes(new Uint8Array([...good, ...bad])).map((a) => a.type)).toEqual([1]);
    expect(decodeAttributes(new Uint8Array([2, 0, 1, 0]))).toEqual([]);
  });

  test("empty attributes are allowed (flags)", () => {
    expect(toHex(encodeAttribute(7, new Uint8Array(0)))).toBe("04000700");
    expect(decodeAttributes(encodeAttribute(7, new Uint8Array(0)))[0]!.data.length).toBe(0);
  });
});

describe("acks and errors", () => {
  const request = encodeMessage({ type: 0x14, flags: NLM_F_REQUEST | 0x4, seq: 42, pid: 0 }, new Uint8Array(8));

  test("errno 0 is a plain ack echoing the request header", () => {
    const payload = new Uint8Array([0, 0, 0, 0, ...request]);
    const ack = decodeAck(decodeMessages(encodeMessage({ type: NLMSG_ERROR, flags: 0, seq: 42 }, payload)).messages[0]!);
    expect(ack?.errno).toBe(0);
    expect(ack?.request).toMatchObject({ type: 0x14, seq: 42, length: 24 });
  });

  test("capped error with extended-ack TLVs: errno, the kernel's message and offset", () => {
    const payload = new Uint8Array([
      0xef,
      0xff,
      0xff,
      0xff, // -17 EEXIST
      ...request.subarray(0, 16), // capped: header only
      ...attributeString(NLMSGERR_ATTR_MSG, "Address already assigned"),
      ...attributeU32(NLMSGERR_ATTR_OFFS, 24),
    ]);
    const message = decodeMessages(encodeMessage({ type: NLMSG_ERROR, flags: NLM_F_CAPPED | NLM_F_ACK_TLVS, seq: 42 }, payload)).messages[0]!;
    expect(decodeAck(message)).toEqual({
      errno: 17,
      request: { length: 24, type: 0x14, flags: 5, seq: 42, pid: 0 },
      message: "Address already assigned",
      offendingOffset: 24,
    });
  });

  test("uncapped error: TLVs follow the whole echoed request", () => {
    const payload = new Uint8Array([0x9d, 0xff, 0xff, 0xff, ...request, ...attributeString(NLMSGERR_ATTR_MSG, "nope")]);
    const message = decodeMessages(encodeMessage({ type: NLMSG_ERROR, flags: NLM_F_ACK_TLVS, seq: 42 }, payload)).messages[0]!;
    expect(decodeAck(message)).toMatchObject({ errno: 99, message: "nope" });
  });

  test("a truncated error payload decodes to undefined", () => {
    const message = decodeMessages(encodeMessage({ type: NLMSG_ERROR, flags: 0, seq: 1 }, new Uint8Array(2))).messages[0]!;
    expect(decodeAck(message)).toBeUndefined();
  });
});

describe("widths and byte orders", () => {
  test("be16 and be32 are network order; u64 is little-endian and exact below 2^53", () => {
    expect(toHex(attributeBe16(4, 6080))).toBe("06000400" + "17c0" + "0000");
    expect(toHex(attributeBe32(9, 0xffffff00))).toBe("08000900" + "ffffff00");
    expect(toHex(attributeU64(1, 2 ** 40 + 1))).toBe("0c000100" + "0100000000010000");
    const map = attributeMap(
      decodeAttributes(new Uint8Array([...attributeBe16(4, 6080), ...attributeU64(1, 2 ** 52 + 3), ...attributeU32(2, 7), ...attributeU16(3, 513)])),
    );
    expect([readBe16(map.get(4)), readU64(map.get(1)), readU16(map.get(3))]).toEqual([6080, 2 ** 52 + 3, 513]);
    // Counters come as u32 or u64: readUnsigned goes by the attribute's length.
    expect([readUnsigned(map.get(1)), readUnsigned(map.get(2))]).toEqual([2 ** 52 + 3, 7]);
    expect([readU64(map.get(2)), readBe32(map.get(4)), readU16(undefined)]).toEqual([undefined, undefined, undefined]);
  });

  test("a nest without NLA_F_NESTED, as the kernel's replies build them", () => {
    expect(toHex(encodeNestedAttribute(1, [attributeU8(2, 1)], false))).toBe("0c000100" + "05000200" + "01000000");
    expect(readU8(nestedAttributeMap(decodeAttributes(encodeNestedAttribute(1, [attributeU8(2, 9)], false))[0]!.data).get(2))).toBe(9);
  });
});
