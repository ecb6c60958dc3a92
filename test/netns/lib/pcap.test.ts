// The capture decoder against keepalived 2.2.7's own frames (shared/interop/captures), no root.

import { describe, expect, test } from "bun:test";
import { parsePcap } from "./pcap.ts";

// v2-advert-hex.txt: VRID 51, prio 100, PASS "1111", adv 1 s, from 10.99.0.11
const V2_ADVERT = "01005e000012029900000011080045c00028000b0000ff70d01a0a63000be00000122133640101010cdc0a6300293131313100000000";
// v3-advert-hex.txt: VRID 51, prio 100, max adver int 10 cs
const V3_ADVERT = "01005e000012029900000011080045c00020001e0000ff70d00f0a63000be000001231336401000a75380a630029";
// v2-prio0-and-garp.txt frame 5: gratuitous ARP request for the VIP from 02:99:00:00:00:12
const GARP = "ffffffffffff029900000012080600010800060400010299000000120a630029ffffffffffff0a630029";

/** Classic little-endian µs pcap with one Ethernet frame per entry, t = 1000 s + i ms. */
function pcapOf(frames: string[], nanos = false): Uint8Array {
  const parts: number[] = [];
  const u32 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  const u16 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff);
  u32(nanos ? 0xa1b23c4d : 0xa1b2c3d4);
  (u16(2), u16(4), u32(0), u32(0), u32(65535), u32(1));
  frames.forEach((hex, i) => {
    const bytes = hex
      .replace(/\s+/g, "")
      .match(/../g)!
      .map((h) => parseInt(h, 16));
    (u32(1000), u32(nanos ? i * 1_000_000 : i * 1000), u32(bytes.length), u32(bytes.length));
    parts.push(...bytes);
  });
  return new Uint8Array(parts);
}

describe("parsePcap", () => {
  test("decodes a VRRPv2 and a VRRPv3 advert and a gratuitous ARP", () => {
    const { adverts, arps, frames } = parsePcap(pcapOf([V2_ADVERT, V3_ADVERT, GARP]));
    expect(frames).toBe(3);
    expect(adverts).toEqual([
      {
        tMs: 1_000_000,
        srcMac: "02:99:00:00:00:11",
        srcIp: "10.99.0.11",
        dstIp: "224.0.0.18",
        ttl: 255,
        version: 2,
        vrid: 51,
        priority: 100,
        advertIntCs: 100,
        addresses: ["10.99.0.41"],
      },
      {
        tMs: 1_000_001,
        srcMac: "02:99:00:00:00:11",
        srcIp: "10.99.0.11",
        dstIp: "224.0.0.18",
        ttl: 255,
        version: 3,
        vrid: 51,
        priority: 100,
        advertIntCs: 10,
        addresses: ["10.99.0.41"],
      },
    ]);
    expect(arps).toEqual([
      {
        tMs: 1_000_002,
        srcMac: "02:99:00:00:00:12",
        op: "request",
        senderMac: "02:99:00:00:00:12",
        senderIp: "10.99.0.41",
        targetMac: "ff:ff:ff:ff:ff:ff",
        targetIp: "10.99.0.41",
        gratuitous: true,
      },
    ]);
  });

  test("nanosecond pcaps and a truncated last record", () => {
    const buf = pcapOf([V3_ADVERT, V3_ADVERT], true);
    const { adverts, frames } = parsePcap(buf.subarray(0, buf.length - 5));
    expect(frames).toBe(1);
    expect(adverts[0]!.tMs).toBe(1_000_000);
  });

  test("a pcapng file is rejected with a reason", () => {
    expect(() => parsePcap(new Uint8Array([0x0a, 0x0d, 0x0d, 0x0a, ...new Array(28).fill(0)]))).toThrow(/classic pcap/);
  });
});
