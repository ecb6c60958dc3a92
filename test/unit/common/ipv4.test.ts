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
