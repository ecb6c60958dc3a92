import { describe, expect, test } from "bun:test";
import { broadcastOf, formatIpv4, parseIpv4, parseMac, formatMac } from "../../../src/common/ipv4.ts";
import { internetChecksum } from "../../../src/common/checksum.ts";

describe("ipv4 helpers", () => {
  test("parse and format round trip", () => {
    expect(formatIpv4(parseIpv4("10.99.0.41")!)).toBe("10.99.0.41");
    expect(parseIpv4("255.255.255.255")).toBe(0xffffffff);
  });
  test("malformed addresses are rejected", () => {
    for (const bad of ["10.0.0", "10.0.0.256", "a.b.c.d", "1.2.3.4.5", "", "01234.1.1.1"]) expect(parseIpv4(bad)).toBeUndefined();
  });
  test("broadcast of a /24", () => {
    expect(formatIpv4(broadcastOf(parseIpv4("10.99.0.41")!, 24))).toBe("10.99.0.255");
  });
  test("mac helpers", () => {
    expect(formatMac(parseMac("02:99:00:00:00:11")!)).toBe("02:99:00:00:00:11");
  });
  test("internet checksum of a real IPv4 header is what the capture shows", () => {
    // IPv4 header of ../shared/interop/captures/v2-advert-hex.txt with the checksum zeroed.
    const header = new Uint8Array([0x45, 0xc0, 0x00, 0x28, 0x00, 0x0b, 0x00, 0x00, 0xff, 0x70, 0, 0, 0x0a, 0x63, 0x00, 0x0b, 0xe0, 0x00, 0x00, 0x12]);
    expect(internetChecksum(header)).toBe(0xd01a);
  });
});

describe("parseIpv4 against the rule it implements", () => {
  // The rule as it was first written: four dot-separated parts, each one to three ASCII digits, at most 255.
  const byRule = (text: string): number | undefined => {
    const parts = text.split(".");
    if (parts.length !== 4 || !parts.every((part) => /^[0-9]{1,3}$/.test(part) && Number(part) <= 255)) return undefined;
    return parts.reduce((value, part) => value * 256 + Number(part), 0) >>> 0;
  };

  test("edge cases", () => {
    for (const text of ["0.0.0.0", "010.001.000.009", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4.", " 1.2.3.4", "1.2.3.4 ", "1.2.3.+4", "1.2.3.٣", "1.2.3.0x1"])
      expect(parseIpv4(text)).toBe(byRule(text));
    expect(parseIpv4("010.001.000.009")).toBe(0x0a010009);
  });

  test("random near-addresses", () => {
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = "0123456789......a";
    for (let n = 0; n < 20_000; n++) {
      let text = "";
      for (let length = Math.floor(random() * 18); length > 0; length--) text += alphabet[Math.floor(random() * alphabet.length)];
      expect(parseIpv4(text)).toBe(byRule(text));
    }
  });
});
