// subjectAltName iPAddress bytes from IPv4 and IPv6 text.
import { describe, expect, test } from "bun:test";
import { ipAddressBytes } from "../../../src/tls/ip-address.ts";

const hex = (text: string) => {
  const bytes = ipAddressBytes(text);
  return bytes && Buffer.from(bytes).toString("hex");
};

describe("ipAddressBytes", () => {
  test("IPv4 is four octets", () => {
    expect(hex("10.98.0.11")).toBe("0a62000b");
    expect(hex("255.255.255.255")).toBe("ffffffff");
  });

  test("IPv6 in full, compressed, bracketed and with an embedded IPv4", () => {
    expect(hex("::1")).toBe("00".repeat(15) + "01");
    expect(hex("::")).toBe("00".repeat(16));
    expect(hex("fe80::1:2")).toBe("fe80" + "0000".repeat(5) + "00010002");
    expect(hex("2001:db8:0:0:0:0:0:1")).toBe("20010db8" + "0000".repeat(5) + "0001");
    expect(hex("2001:DB8::")).toBe("20010db8" + "0000".repeat(6));
    expect(hex("[::1]")).toBe("00".repeat(15) + "01");
    expect(hex("::ffff:192.0.2.1")).toBe("0000".repeat(5) + "ffffc0000201");
  });

  test("anything else is undefined", () => {
    for (const bad of [
      "",
      "10.0.0",
      "10.0.0.256",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      "::g",
      "12345::",
      "1.2.3.4::",
      "::1:2:3:4:5:6:7:8",
      "host.example",
    ]) {
      expect(ipAddressBytes(bad)).toBeUndefined();
    }
  });
});
