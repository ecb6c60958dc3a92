// Tests for the IPv4 header codec (RFC 791 3.1) against keepalived 2.2.7 captures.

import { describe, expect, test } from "bun:test";
import { IPPROTO_VRRP } from "../../../src/common/vrrp-wire.ts";
import { decodeIpv4, encodeIpv4Packet } from "../../../src/vrrp/ipv4-header.ts";
import { hex, ipPacketOf, KAP_A, seededRandom, VRRP_GROUP, vrrpPayloadOf } from "./golden.ts";

function rejectionOf(bytes: Uint8Array) {
  const decoded = decodeIpv4(bytes);
  if (decoded.ok) throw new Error("expected a rejection");
  return decoded.rejection;
}

describe("decodeIpv4 on captures", () => {
  test("v2 advert: every header field", () => {
    const decoded = decodeIpv4(ipPacketOf("v2-advert.hex"));
    if (!decoded.ok) throw new Error(decoded.rejection.reason);
    expect(decoded.header).toEqual({
      headerLength: 20,
      tos: 0xc0,
      totalLength: 40,
      identification: 0x000b,
      ttl: 255,
      protocol: IPPROTO_VRRP,
      sourceIp: KAP_A,
      destinationIp: VRRP_GROUP,
    });
    expect(hex(decoded.payload)).toBe(hex(vrrpPayloadOf("v2-advert.hex")));
  });

  test("v3 advert: total length 32, 12-byte payload", () => {
    const decoded = decodeIpv4(ipPacketOf("v3-advert.hex"));
    if (!decoded.ok) throw new Error(decoded.rejection.reason);
    expect(decoded.header.totalLength).toBe(32);
    expect(decoded.header.identification).toBe(0x001e);
    expect(decoded.payload.length).toBe(12);
  });

  test("bytes past Total Length are padding, not payload", () => {
    const padded = new Uint8Array([...ipPacketOf("v3-advert.hex"), 0, 0, 0, 0]);
    const decoded = decodeIpv4(padded);
    expect(decoded.ok && decoded.payload.length).toBe(12);
  });
});

describe("encodeIpv4Packet", () => {
  test("rebuilds both captured IP packets byte for byte, header checksums 0xd01a and 0xd00f", () => {
    for (const [name, identification] of [
      ["v2-advert.hex", 0x0b],
      ["v3-advert.hex", 0x1e],
    ] as const) {
      const captured = ipPacketOf(name);
      const built = encodeIpv4Packet({ sourceIp: KAP_A, destinationIp: VRRP_GROUP, identification }, vrrpPayloadOf(name));
      expect(hex(built)).toBe(hex(captured));
    }
  });
});

describe("decodeIpv4 rejections", () => {
  const good = () => ipPacketOf("v2-advert.hex");

  test("shorter than a header", () => {
    expect(rejectionOf(good().slice(0, 19))).toEqual({ code: "ip_too_short", reason: "IPv4 packet is 19 bytes; the header alone is at least 20" });
  });
  test("not version 4", () => {
    const bytes = good();
    bytes[0] = 0x65;
    expect(rejectionOf(bytes)).toEqual({ code: "ip_version", reason: "IP version is 6; must be 4" });
  });
  test("IHL below 5", () => {
    const bytes = good();
    bytes[0] = 0x44;
    expect(rejectionOf(bytes)).toEqual({ code: "ip_header_length", reason: "IPv4 header length is 16 bytes; must be 20..60 and within the 40 bytes received" });
  });
  test("IHL beyond the buffer", () => {
    const bytes = good().slice(0, 24);
    bytes[0] = 0x4f;
    expect(rejectionOf(bytes).code).toBe("ip_header_length");
  });
  test("total length beyond the buffer", () => {
    expect(rejectionOf(good().slice(0, 39))).toEqual({
      code: "ip_total_length",
      reason: "IPv4 total length is 40; 39 bytes were received with a 20-byte header",
    });
  });
  test("total length shorter than the header", () => {
    const bytes = good();
    bytes[3] = 10;
    expect(rejectionOf(bytes).code).toBe("ip_total_length");
  });
  test("header checksum", () => {
    const bytes = good();
    bytes[8] = 64; // TTL changed, checksum not updated
    expect(rejectionOf(bytes)).toEqual({ code: "ip_header_checksum", reason: "IPv4 header checksum is wrong" });
  });
  test("another protocol", () => {
    const bytes = encodeIpv4Packet({ sourceIp: KAP_A, destinationIp: VRRP_GROUP, protocol: 17 }, new Uint8Array(8));
    expect(rejectionOf(bytes)).toEqual({ code: "ip_protocol", reason: "IP protocol is 17; VRRP is 112" });
  });
});

describe("decodeIpv4 never throws", () => {
  test("every truncation of both captures", () => {
    for (const name of ["v2-advert.hex", "v3-advert.hex"]) {
      const packet = ipPacketOf(name);
      for (let length = 0; length < packet.length; length++) {
        const decoded = decodeIpv4(packet.slice(0, length));
        expect(decoded.ok).toBe(false);
      }
    }
  });
  test("5000 random buffers (seed 2787)", () => {
    const random = seededRandom(2787);
    for (let i = 0; i < 5000; i++) {
      const bytes = Uint8Array.from({ length: Math.floor(random() * 80) }, () => Math.floor(random() * 256));
      if (random() < 0.5 && bytes.length > 0) bytes[0] = 0x45; // reach past the version check
      expect(() => decodeIpv4(bytes)).not.toThrow();
    }
  });
});
