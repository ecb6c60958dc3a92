// The in-place writer against netlink-codec's encoders: the same bytes for every attribute
// kind, nests with and without NLA_F_NESTED, messages with padding, and a buffer that grows.
import { describe, expect, test } from "bun:test";
import { parseIpAddress, type IpAddress } from "../../../src/common/ip-address.ts";
import { encodeGenlMessage } from "../../../src/netlink/generic-netlink.ts";
import {
  attributeBe16,
  attributeBe32,
  attributeString,
  attributeU16,
  attributeU32,
  attributeU64,
  attributeU8,
  encodeAttribute,
  encodeMessage,
  encodeNestedAttribute,
  NLM_F_REQUEST,
} from "../../../src/netlink/netlink-codec.ts";
import { NetlinkWriter } from "../../../src/netlink/netlink-writer.ts";
import { toHex } from "../net/hex.ts";

const ip = (text: string): IpAddress => parseIpAddress(text)!;

/** Bytes the writer builds with `write`, as a separate writer would (no message around them). */
function written(write: (writer: NetlinkWriter) => void, capacity?: number): Uint8Array {
  const writer = new NetlinkWriter(capacity);
  write(writer);
  return writer.bytes();
}

describe("attributes", () => {
  test("each kind is byte for byte the codec's, padding included", () => {
    const cases: [(writer: NetlinkWriter) => void, Uint8Array][] = [
      [(w) => w.u8(16, 6), attributeU8(16, 6)],
      [(w) => w.u16(2, 513), attributeU16(2, 513)],
      [(w) => w.be16(4, 6080), attributeBe16(4, 6080)],
      [(w) => w.u32(4, 0xfffffffe), attributeU32(4, 0xfffffffe)],
      [(w) => w.be32(9, 0xffffff00), attributeBe32(9, 0xffffff00)],
      [(w) => w.u64(1, 2 ** 52 + 3), attributeU64(1, 2 ** 52 + 3)],
      [(w) => w.string(3, "d0:vip"), attributeString(3, "d0:vip")],
      [(w) => w.string(3, ""), attributeString(3, "")],
      [(w) => w.data(7, new Uint8Array([1, 2, 3, 4, 5])), encodeAttribute(7, new Uint8Array([1, 2, 3, 4, 5]))],
      [(w) => w.data(7, new Uint8Array(0)), encodeAttribute(7, new Uint8Array(0))],
    ];
    for (const [write, expected] of cases) expect(toHex(written(write))).toBe(toHex(expected));
  });

  test("an address fills its size: the address first, zeros after (nf_inet_addr)", () => {
    expect(toHex(written((w) => w.address(2, ip("10.0.0.1"), 16)))).toBe("14000200" + "0a000001" + "00".repeat(12));
    expect(toHex(written((w) => w.address(2, ip("2001:db8::1"), 16)))).toBe("14000200" + "20010db8" + "00".repeat(11) + "01");
    expect(toHex(written((w) => w.address(5, ip("224.0.0.81"), 4)))).toBe("08000500" + "e0000051");
  });

  test("nests close with their length, with or without NLA_F_NESTED", () => {
    const bytes = written((w) => {
      const outer = w.beginNest(1);
      w.u16(2, 80);
      const inner = w.beginNest(3, false);
      w.u8(4, 9);
      w.endNest(inner);
      w.endNest(outer);
    });
    const expected = encodeNestedAttribute(1, [attributeU16(2, 80), encodeNestedAttribute(3, [attributeU8(4, 9)], false)]);
    expect(toHex(bytes)).toBe(toHex(expected));
  });

  test("bytes appended as they are; a copy of part of the buffer", () => {
    const writer = new NetlinkWriter();
    writer.u8(1, 1);
    const start = writer.length;
    writer.append(attributeU32(2, 7));
    expect(toHex(writer.bytes(start))).toBe(toHex(attributeU32(2, 7)));
    expect(writer.length).toBe(16);
  });
});

describe("messages", () => {
  test("a generic netlink message is the codec's, whatever the buffer's first size", () => {
    const expected = encodeGenlMessage({ family: 0x20, flags: NLM_F_REQUEST, seq: 9, pid: 77, cmd: 15, version: 1 }, [
      attributeString(1, "x".repeat(300)),
      attributeU8(2, 1),
    ]);
    for (const capacity of [1, 16, 256]) {
      const bytes = written((w) => {
        const start = w.beginMessage({ type: 0x20, flags: NLM_F_REQUEST, seq: 9, pid: 77 });
        w.genlHeader(15, 1);
        w.string(1, "x".repeat(300));
        w.u8(2, 1);
        w.endMessage(start);
      }, capacity);
      expect(toHex(bytes)).toBe(toHex(expected));
    }
  });

  test("nlmsg_len leaves out the padding after an unaligned payload", () => {
    const writer = new NetlinkWriter();
    const start = writer.beginMessage({ type: 0x14, flags: NLM_F_REQUEST, seq: 7 });
    writer.append(new Uint8Array([1, 2, 3, 4, 5]));
    writer.endMessage(start);
    expect(toHex(writer.bytes())).toBe(toHex(encodeMessage({ type: 0x14, flags: NLM_F_REQUEST, seq: 7, pid: 0 }, new Uint8Array([1, 2, 3, 4, 5]))));
  });

  test("a reused buffer leaves nothing of the last message in the padding", () => {
    const writer = new NetlinkWriter(64);
    writer.data(1, new Uint8Array(40).fill(0xff));
    writer.reset();
    writer.u8(2, 1);
    writer.string(3, "ab");
    expect(toHex(writer.bytes())).toBe(toHex(new Uint8Array([...attributeU8(2, 1), ...attributeString(3, "ab")])));
  });
});
