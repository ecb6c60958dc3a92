// The attribute index against netlink-codec's map and readers: the same values, widths and
// rejections, the first of a repeated type, nests, and malformed runs that end the walk.
import { describe, expect, test } from "bun:test";
import { parseIpAddress } from "../../../src/common/ip-address.ts";
import { AttributeIndex } from "../../../src/netlink/attribute-index.ts";
import {
  attributeBe16,
  attributeBe32,
  attributeString,
  attributeU16,
  attributeU32,
  attributeU64,
  attributeU8,
  encodeAttribute,
  encodeNestedAttribute,
  nestedAttributeMap,
  readBe16,
  readBe32,
  readString,
  readU16,
  readU32,
  readU64,
  readU8,
  readUnsigned,
} from "../../../src/netlink/netlink-codec.ts";

const run = (...attributes: Uint8Array[]): Uint8Array => new Uint8Array(attributes.flatMap((a) => [...a]));

describe("AttributeIndex", () => {
  const bytes = run(
    attributeU8(1, 200),
    attributeU16(2, 513),
    attributeBe16(3, 6080),
    attributeU32(4, 0xfffffffe),
    attributeBe32(5, 0xffffff00),
    attributeU64(6, 2 ** 52 + 3),
    attributeString(7, "wrr"),
    encodeAttribute(8, new Uint8Array([0x0a, 0, 0, 1, ...new Array(12).fill(0)])),
    encodeAttribute(9, new Uint8Array([1])),
    attributeU32(4, 7), // a repeat: the first one counts
  );
  const index = new AttributeIndex(bytes);
  const map = nestedAttributeMap(bytes);

  test("every reader agrees with the codec's on every attribute, at every width", () => {
    for (let type = 0; type <= 10; type++) {
      const data = map.get(type);
      expect(index.has(type)).toBe(map.has(type));
      expect(index.get(type)).toEqual(data);
      expect(index.size(type)).toBe(data?.length);
      expect([index.u8(type), index.u16(type), index.be16(type), index.u32(type), index.be32(type), index.u64(type), index.unsigned(type)]).toEqual([
        readU8(data),
        readU16(data),
        readBe16(data),
        readU32(data),
        readBe32(data),
        readU64(data),
        readUnsigned(data),
      ]);
      expect(index.string(type)).toBe(readString(data));
    }
  });

  test("addresses by family, undefined when too short for it", () => {
    expect(index.address(8, 4)).toEqual(parseIpAddress("10.0.0.1"));
    expect(index.address(8, 6)).toEqual(parseIpAddress("a00:1::"));
    expect(index.address(9, 4)).toBeUndefined();
    expect(index.address(10, 4)).toBeUndefined();
  });

  test("a nest is indexed in place, and a range of a buffer only within it", () => {
    const nested = run(attributeU8(1, 1), encodeNestedAttribute(2, [attributeU16(3, 80), attributeU32(4, 9)], false));
    const inner = new AttributeIndex(nested).nest(2)!;
    expect([inner.u16(3), inner.u32(4), inner.has(1)]).toEqual([80, 9, false]);
    expect(new AttributeIndex(nested).nest(3)).toBeUndefined();
    const tail = new AttributeIndex(nested, 8);
    expect([tail.has(1), tail.has(2)]).toEqual([false, true]);
  });

  test("a malformed attribute ends the walk quietly, as decodeAttributes does", () => {
    const bad = run(attributeU32(1, 5), new Uint8Array([0x40, 0x00, 0x02, 0x00, 1, 2, 3, 4]));
    const walked = new AttributeIndex(bad);
    expect([walked.u32(1), walked.has(2)]).toEqual([5, false]);
    expect(new AttributeIndex(new Uint8Array([2, 0, 1, 0])).has(1)).toBe(false);
  });
});
