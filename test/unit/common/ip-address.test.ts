import { describe, expect, test } from "bun:test";
import { addressRange, compareIpAddresses, ipAddressBytes, ipAddressFromBytes, parseIpAddress } from "../../../src/common/ip-address.ts";

describe("IP addresses", () => {
  test.each([
    ["10.0.0.1", 4, "10.0.0.1"],
    ["2001:DB8:0:0:0:0:0:1", 6, "2001:db8::1"],
    ["2001:db8::0:1", 6, "2001:db8::1"],
    ["::", 6, "::"],
    ["::1", 6, "::1"],
    ["fe80::", 6, "fe80::"],
    ["2001:db8:0:1:0:0:1:1", 6, "2001:db8:0:1::1:1"], // the longer run wins
    ["2001:0:0:1:0:0:1:1", 6, "2001::1:0:0:1:1"], // the first of two equal runs
    ["2001:db8:1:1:1:1:0:1", 6, "2001:db8:1:1:1:1:0:1"], // one zero group is not shortened
    ["::ffff:10.1.2.3", 6, "::ffff:a01:203"],
  ])("%s is IPv%i %s", (text, family, canonical) => {
    expect(parseIpAddress(text)).toEqual({ family: family as 4 | 6, text: canonical });
  });

  test.each(["10.0.0", "256.0.0.1", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::1", "::1.2.3", "1.2.3.4::", ":", "1:2:3:4:5:6:7:8::"])(
    "%s is not an address",
    (text) => {
      expect(parseIpAddress(text)).toBeUndefined();
    },
  );

  test("bytes round-trip and order", () => {
    for (const text of ["10.9.8.7", "2001:db8::ab:cdef", "::"]) {
      const address = parseIpAddress(text)!;
      expect(ipAddressFromBytes(address.family, ipAddressBytes(address))).toEqual(address);
    }
    const sorted = ["2001:db8::2", "10.0.0.2", "2001:db8::10", "10.0.0.10"].map((t) => parseIpAddress(t)!).sort(compareIpAddresses);
    expect(sorted.map((a) => a.text)).toEqual(["10.0.0.2", "10.0.0.10", "2001:db8::2", "2001:db8::10"]);
  });

  test("keepalived's ranges run over the last octet or the last 16-bit group", () => {
    expect(addressRange(parseIpAddress("10.0.0.2")!, 4)!.map((a) => a.text)).toEqual(["10.0.0.2", "10.0.0.3", "10.0.0.4"]);
    expect(addressRange(parseIpAddress("ae00::2")!, 9)!.map((a) => a.text)).toEqual([
      "ae00::2",
      "ae00::3",
      "ae00::4",
      "ae00::5",
      "ae00::6",
      "ae00::7",
      "ae00::8",
      "ae00::9",
    ]);
    expect(addressRange(parseIpAddress("ae00::fffe")!, 0xffff)!.map((a) => a.text)).toEqual(["ae00::fffe", "ae00::ffff"]);
    expect(addressRange(parseIpAddress("10.0.0.9")!, 3)).toBeUndefined();
    expect(addressRange(parseIpAddress("10.0.0.9")!, 256)).toBeUndefined();
  });
});
