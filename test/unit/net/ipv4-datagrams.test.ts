// Splitting concatenated raw-socket reads into IPv4 datagrams.
import { describe, expect, test } from "bun:test";
import { splitIpv4Datagrams } from "../../../src/net/ipv4-datagrams.ts";
import { fromHex, toHex } from "./hex.ts";

// keepalived's v2 advert as received on a raw socket (40 bytes: IP header + VRRP).
const advert = fromHex("45c0 0028 000b 0000 ff70 d01a 0a63 000b e000 0012 2133 6401 0101 0cdc 0a63 0029 3131 3131 0000 0000");

describe("splitIpv4Datagrams", () => {
  test("one datagram stays whole", () => {
    expect(splitIpv4Datagrams(advert).map(toHex)).toEqual([toHex(advert)]);
  });

  test("several datagrams read in one chunk come apart by Total Length", () => {
    const short = advert.slice();
    short.set([0x00, 0x1c], 2); // 28 bytes
    const chunk = new Uint8Array([...advert, ...short.subarray(0, 28), ...advert]);
    const parts = splitIpv4Datagrams(chunk);
    expect(parts.map((p) => p.length)).toEqual([40, 28, 40]);
    expect(toHex(parts[2]!)).toBe(toHex(advert));
  });

  test("a malformed tail is passed on whole for the decoder to reject", () => {
    const chunk = new Uint8Array([...advert, 0x60, 0, 0, 40, ...new Uint8Array(36)]);
    expect(splitIpv4Datagrams(chunk).map((p) => p.length)).toEqual([40, 40]);
    expect(splitIpv4Datagrams(advert.subarray(0, 30)).map((p) => p.length)).toEqual([30]);
    expect(splitIpv4Datagrams(new Uint8Array([0x45, 0]))).toHaveLength(1);
  });

  test("an empty chunk holds nothing", () => {
    expect(splitIpv4Datagrams(new Uint8Array(0))).toEqual([]);
  });
});
