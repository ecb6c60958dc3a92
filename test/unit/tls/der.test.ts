// The DER encoder against hand-checked vectors from X.690 and RFC 5280.
import { describe, expect, test } from "bun:test";
import {
  bitString,
  boolean,
  certificateTime,
  contextExplicit,
  contextImplicitPrimitive,
  encodeLength,
  generalizedTime,
  ia5Contents,
  integer,
  objectIdentifier,
  octetString,
  sequence,
  setOf,
  tlv,
  utcTime,
  utf8String,
} from "../../../src/tls/der.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("DER lengths (X.690 §8.1.3)", () => {
  test("short form up to 127, long form from 128, minimal octets", () => {
    expect(hex(encodeLength(0))).toBe("00");
    expect(hex(encodeLength(127))).toBe("7f");
    expect(hex(encodeLength(128))).toBe("8180");
    expect(hex(encodeLength(255))).toBe("81ff");
    expect(hex(encodeLength(256))).toBe("820100");
    expect(hex(encodeLength(65_535))).toBe("82ffff");
    expect(hex(encodeLength(65_536))).toBe("83010000");
    expect(() => encodeLength(-1)).toThrow();
  });

  test("a TLV carries its header before 127-, 128- and 300-byte contents", () => {
    expect(hex(tlv(0x04, new Uint8Array(127)).subarray(0, 2))).toBe("047f");
    expect(hex(tlv(0x04, new Uint8Array(128)).subarray(0, 3))).toBe("048180");
    const long = octetString(new Uint8Array(300).fill(0xab));
    expect(hex(long.subarray(0, 4))).toBe("0482012c");
    expect(long.length).toBe(304);
  });
});

describe("DER INTEGER (§8.3)", () => {
  test("small values and zero", () => {
    expect(hex(integer(0))).toBe("020100");
    expect(hex(integer(2))).toBe("020102");
    expect(hex(integer(127))).toBe("02017f");
    expect(hex(integer(256))).toBe("02020100");
  });

  test("a set high bit gets a leading zero so the value stays positive", () => {
    expect(hex(integer(128))).toBe("02020080");
    expect(hex(integer(0xffn))).toBe("020200ff");
    expect(hex(integer(Uint8Array.of(0x84, 0x69)))).toBe("0203008469");
  });

  test("redundant leading zero bytes are dropped, a needed one is kept", () => {
    expect(hex(integer(Uint8Array.of(0, 0, 0x7f)))).toBe("02017f");
    expect(hex(integer(Uint8Array.of(0, 0, 0x80)))).toBe("02020080");
    expect(hex(integer(Uint8Array.of(0, 0)))).toBe("020100");
  });

  test("128-bit values", () => {
    expect(hex(integer(2n ** 127n))).toBe("021100" + "80" + "00".repeat(15));
    expect(hex(integer(2n ** 127n - 1n))).toBe("0210" + "7f" + "ff".repeat(15));
  });

  test("negative values are refused rather than mis-encoded", () => {
    expect(() => integer(-1)).toThrow();
  });
});

describe("DER OBJECT IDENTIFIER (§8.19)", () => {
  test("known encodings", () => {
    expect(hex(objectIdentifier("2.5.4.3"))).toBe("0603550403");
    expect(hex(objectIdentifier("1.2.840.113549"))).toBe("06062a864886f70d");
    expect(hex(objectIdentifier("1.2.840.10045.4.3.2"))).toBe("06082a8648ce3d040302");
    expect(hex(objectIdentifier("1.3.6.1.5.5.7.3.1"))).toBe("06082b06010505070301");
    // X.690 §8.19.5's example: the first two arcs 2.999 make one subidentifier, 1079.
    expect(hex(objectIdentifier("2.999.3"))).toBe("0603883703");
  });

  test("malformed identifiers are refused", () => {
    expect(() => objectIdentifier("3.1")).toThrow();
    expect(() => objectIdentifier("1.40")).toThrow();
    expect(() => objectIdentifier("1..2")).toThrow();
    expect(() => objectIdentifier("1.02")).toThrow();
    expect(() => objectIdentifier("1")).toThrow();
  });
});

describe("DER times (RFC 5280 §4.1.2.5)", () => {
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes.subarray(2));

  test("UTCTime through 2049, GeneralizedTime from 2050", () => {
    const lastUtc = Date.UTC(2049, 11, 31, 23, 59, 59);
    const firstGeneralized = Date.UTC(2050, 0, 1, 0, 0, 0);
    expect(certificateTime(lastUtc)[0]).toBe(0x17);
    expect(text(certificateTime(lastUtc))).toBe("491231235959Z");
    expect(certificateTime(firstGeneralized)[0]).toBe(0x18);
    expect(text(certificateTime(firstGeneralized))).toBe("20500101000000Z");
  });

  test("1950 is UTCTime 50..., 1949 is GeneralizedTime", () => {
    expect(hex(certificateTime(Date.UTC(1950, 0, 1)))).toBe("170d" + Buffer.from("500101000000Z").toString("hex"));
    expect(text(certificateTime(Date.UTC(1949, 11, 31, 12)))).toBe("19491231120000Z");
  });

  test("fractions of a second are not written; out-of-range years throw", () => {
    expect(text(utcTime(Date.UTC(2026, 5, 7, 8, 9, 10, 999)))).toBe("260607080910Z");
    expect(() => utcTime(Date.UTC(2050, 0, 1))).toThrow();
    expect(text(generalizedTime(Date.UTC(2126, 0, 2, 3, 4, 5)))).toBe("21260102030405Z");
  });
});

describe("other DER types", () => {
  test("constructed, strings, bits", () => {
    expect(hex(sequence())).toBe("3000");
    expect(hex(sequence(integer(1), boolean(true)))).toBe("30060201010101ff");
    expect(hex(boolean(true))).toBe("0101ff");
    expect(hex(boolean(false))).toBe("010100");
    expect(hex(bitString(Uint8Array.of(0x80), 7))).toBe("03020780"); // keyUsage digitalSignature
    expect(hex(bitString(Uint8Array.of(1, 2)))).toBe("0303000102");
    expect(hex(utf8String("é"))).toBe("0c02c3a9");
    expect(hex(contextImplicitPrimitive(2, ia5Contents("a.b")))).toBe("8203612e62"); // dNSName [2] IA5String
    expect(() => ia5Contents("ä")).toThrow();
    expect(hex(contextExplicit(0, integer(2)))).toBe("a003020102");
    expect(hex(contextImplicitPrimitive(7, Uint8Array.of(127, 0, 0, 1)))).toBe("87047f000001");
  });

  test("SET OF is sorted by encoding (X.690 §11.6)", () => {
    expect(hex(setOf(integer(3), integer(1), integer(2)))).toBe("3109020101020102020103");
  });
});
