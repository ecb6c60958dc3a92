// Tests for the RFC 3768 / RFC 5798 7.1 receive checks: one test per rejection, with its exact reason.

import { describe, expect, test } from "bun:test";
import { parseIpv4 } from "../../../src/common/ipv4.ts";
import { AUTH_NONE, AUTH_SIMPLE_TEXT, type Advert } from "../../../src/vrrp/advert.ts";
import { decodeIpv4, encodeIpv4Packet, type Ipv4PacketFields } from "../../../src/vrrp/ipv4-header.ts";
import { computeVrrpChecksum, encodeAdvert, passwordAuthData } from "../../../src/vrrp/packet.ts";
import { checkAdvert, type ReceiveCheckResult, type ReceiveExpectation } from "../../../src/vrrp/receive-checks.ts";
import { CAPTURE_IP, ipPacketOf, KAP_A, KAP_B, PASSWORD_1111, seededRandom, VIP, VRRP_GROUP } from "./golden.ts";

const VIP2 = parseIpv4("10.99.0.42")!;
const VIP3 = parseIpv4("10.99.0.43")!;

const v2Expect: ReceiveExpectation = { version: 2, vrid: 51, advertIntervalCs: 100, addresses: [VIP], auth: { type: "PASS", password: "1111" } };
const v3Expect: ReceiveExpectation = { version: 3, vrid: 51, advertIntervalCs: 10, addresses: [VIP] };

const v2Advert: Advert = { version: 2, vrid: 51, priority: 100, advertIntervalCs: 100, addresses: [VIP], authType: AUTH_SIMPLE_TEXT, authData: PASSWORD_1111 };
const v3Advert: Advert = { version: 3, vrid: 51, priority: 100, advertIntervalCs: 10, addresses: [VIP], authType: AUTH_NONE, authData: new Uint8Array(0) };

/** A whole IPv4 packet as keepalived on kap-a would send it, with overrides. */
function packet(advert: Advert, ip: Partial<Ipv4PacketFields> = {}, patch?: (vrrp: Uint8Array) => void): Uint8Array {
  const fields = { ...CAPTURE_IP, ...ip };
  const vrrp = encodeAdvert(advert, fields);
  patch?.(vrrp);
  return encodeIpv4Packet(fields, vrrp);
}

/** Rewrite a byte and fix the checksum, so only the intended check can fail. */
function patchWithChecksum(offset: number, value: number, version: number, ip = CAPTURE_IP) {
  return (vrrp: Uint8Array) => {
    vrrp[offset] = value;
    const checksum = computeVrrpChecksum(vrrp, version, ip);
    vrrp[6] = checksum >>> 8;
    vrrp[7] = checksum & 0xff;
  };
}

/** A raw-socket read as demux.ts handles it: the IPv4 header decoded, then checkAdvert. */
function checkIpv4Packet(bytes: Uint8Array, expect: ReceiveExpectation): ReceiveCheckResult {
  const ip = decodeIpv4(bytes);
  if (!ip.ok) return ip;
  const { ttl, sourceIp, destinationIp } = ip.header;
  return checkAdvert({ ttl, sourceIp, destinationIp, payload: ip.payload }, expect);
}

function rejectionOf(bytes: Uint8Array, expect: ReceiveExpectation) {
  const result = checkIpv4Packet(bytes, expect);
  if (result.ok) throw new Error("expected a rejection");
  return result.rejection;
}

function accepted(bytes: Uint8Array, expect: ReceiveExpectation) {
  const result = checkIpv4Packet(bytes, expect);
  if (!result.ok) throw new Error(`unexpected rejection: ${result.rejection.reason}`);
  return result;
}

describe("captured keepalived adverts pass", () => {
  test("v2 with PASS auth", () => {
    const result = accepted(ipPacketOf("v2-advert.hex"), v2Expect);
    expect(result.advert).toEqual(v2Advert);
    expect(result.received).toEqual({ advert: v2Advert, sourceIp: KAP_A, destinationIp: VRRP_GROUP, ttl: 255 });
    expect(result.warnings).toEqual([]);
  });

  test("v3 at 0.1 s with the same interval: no warnings", () => {
    expect(accepted(ipPacketOf("v3-advert.hex"), v3Expect).warnings).toEqual([]);
  });

  test("v3 learns the master's interval instead of rejecting it (RFC 5798 6.4.2)", () => {
    const result = accepted(ipPacketOf("v3-advert.hex"), { ...v3Expect, advertIntervalCs: 100 });
    expect(result.advert.advertIntervalCs).toBe(10);
    expect(result.warnings).toEqual([{ code: "interval_learned", reason: "advert interval is 0.1 s; this instance uses 1 s; following the master's" }]);
  });

  test("v2 priority 0 is accepted (the master is leaving)", () => {
    expect(accepted(packet({ ...v2Advert, priority: 0 }), v2Expect).advert.priority).toBe(0);
  });
});

describe("each rejection, with its reason", () => {
  test("ttl", () => {
    expect(rejectionOf(packet(v2Advert, { ttl: 64 }), v2Expect)).toEqual({ code: "ttl", reason: "TTL is 64; must be 255" });
  });

  test("ttl is not checked for unicast peers, as keepalived", () => {
    const unicast = { sourceIp: KAP_A, destinationIp: KAP_B, ttl: 63 };
    expect(accepted(packet(v3Advert, unicast), { ...v3Expect, unicast: true }).received.ttl).toBe(63);
  });

  test("version", () => {
    expect(rejectionOf(ipPacketOf("v3-advert.hex"), { ...v3Expect, version: 2 })).toEqual({
      code: "version",
      reason: "VRRP version is 3; this instance uses version 2",
    });
  });

  test("type", () => {
    const bytes = packet(v3Advert, {}, patchWithChecksum(0, 0x32, 3));
    expect(rejectionOf(bytes, v3Expect)).toEqual({ code: "type", reason: "VRRP packet type is 2; only 1 (advertisement) is defined" });
  });

  test("vrid", () => {
    expect(rejectionOf(packet({ ...v2Advert, vrid: 52 }), v2Expect)).toEqual({ code: "vrid", reason: "VRID is 52; this instance is VRID 51" });
  });

  test("checksum", () => {
    const bytes = packet(v2Advert, {}, (vrrp) => (vrrp[7] = 0xdd));
    expect(rejectionOf(bytes, v2Expect)).toEqual({ code: "checksum", reason: "VRRPv2 checksum is 0x0cdd; computed 0x0cdc over the VRRP message" });
  });

  test("length: more bytes than the address count announces", () => {
    const vrrp = encodeAdvert(v2Advert, CAPTURE_IP);
    const bytes = encodeIpv4Packet(CAPTURE_IP, new Uint8Array([...vrrp, 0, 0, 0, 0]));
    expect(rejectionOf(bytes, v2Expect)).toEqual({ code: "length", reason: "VRRP packet is too long: 24 bytes, but a v2 advert with 1 address is 20" });
  });

  test("length: shorter than the fixed header", () => {
    expect(rejectionOf(encodeIpv4Packet(CAPTURE_IP, new Uint8Array(4)), v2Expect)).toEqual({
      code: "length",
      reason: "VRRP packet is 4 bytes; the fixed header alone is 8",
    });
  });

  test("auth_type_invalid", () => {
    expect(rejectionOf(packet({ ...v2Advert, authType: 5 }), v2Expect)).toEqual({
      code: "auth_type_invalid",
      reason: "auth type is 5; VRRPv2 defines 0 (none), 1 (simple text password) and 2 (IP authentication header)",
    });
  });

  test("auth_type: none received, PASS configured", () => {
    const none = { ...v2Advert, authType: AUTH_NONE, authData: new Uint8Array(8) };
    expect(rejectionOf(packet(none), v2Expect)).toEqual({ code: "auth_type", reason: "auth type is 0 (none); this instance uses 1 (simple text password)" });
  });

  test("auth_type: PASS received, none configured", () => {
    expect(rejectionOf(packet(v2Advert), { ...v2Expect, auth: undefined })).toEqual({
      code: "auth_type",
      reason: "auth type is 1 (simple text password); this instance uses 0 (none)",
    });
  });

  test("auth_failure never prints either password", () => {
    const rejection = rejectionOf(packet({ ...v2Advert, authData: passwordAuthData("2222") }), v2Expect);
    expect(rejection).toEqual({ code: "auth_failure", reason: "simple text password does not match this instance's auth_pass" });
  });

  test("auth_failure on a password that differs only past byte 4", () => {
    expect(rejectionOf(packet({ ...v2Advert, authData: passwordAuthData("1111x") }), v2Expect).code).toBe("auth_failure");
  });

  test("passwords longer than 8 bytes compare on their first 8, as keepalived truncates them", () => {
    const advert = { ...v2Advert, authData: passwordAuthData("longpassword") };
    expect(accepted(packet(advert), { ...v2Expect, auth: { type: "PASS", password: "longpassXYZ" } }).ok).toBe(true);
  });

  test("interval_mismatch (v2)", () => {
    expect(rejectionOf(packet({ ...v2Advert, advertIntervalCs: 200 }), v2Expect)).toEqual({
      code: "interval_mismatch",
      reason: "advert interval is 2 s; this instance uses 1 s",
    });
  });

  test("interval_invalid: v3 Max Adver Int of 0", () => {
    const bytes = packet(v3Advert, {}, patchWithChecksum(5, 0, 3));
    expect(rejectionOf(bytes, v3Expect)).toEqual({ code: "interval_invalid", reason: "advert interval is 0 s; must be 0.01..40.95 s" });
  });

  test("v3 interval boundaries 0.01 s and 40.95 s are accepted", () => {
    for (const advertIntervalCs of [1, 4095]) {
      expect(accepted(packet({ ...v3Advert, advertIntervalCs }), { ...v3Expect, advertIntervalCs }).advert.advertIntervalCs).toBe(advertIntervalCs);
    }
  });

  test("address_list: one address replaced", () => {
    expect(rejectionOf(packet({ ...v2Advert, addresses: [VIP2] }), v2Expect)).toEqual({
      code: "address_list",
      reason: "address list differs: missing 10.99.0.41; unexpected 10.99.0.42",
    });
  });

  test("address_list: more addresses than ours", () => {
    expect(rejectionOf(packet({ ...v3Advert, addresses: [VIP, VIP2, VIP3] }), v3Expect)).toEqual({
      code: "address_list",
      reason: "address list differs: advert has 3, this instance 1; unexpected 10.99.0.42, 10.99.0.43",
    });
  });

  test("address_list: order does not matter", () => {
    expect(accepted(packet({ ...v3Advert, addresses: [VIP2, VIP] }), { ...v3Expect, addresses: [VIP, VIP2] }).ok).toBe(true);
  });

  test("address_list: keepalived drops even the address owner (priority 255)", () => {
    expect(rejectionOf(packet({ ...v3Advert, priority: 255, addresses: [VIP2] }), v3Expect).code).toBe("address_list");
  });

  test("address_list: RFC mode accepts the owner with a warning, and still drops the others", () => {
    const rfc = { ...v3Expect, addressCheck: "rfc" as const };
    expect(accepted(packet({ ...v3Advert, priority: 255, addresses: [VIP2] }), rfc).warnings).toEqual([
      {
        code: "address_list_owner",
        reason: "address list differs: missing 10.99.0.41; unexpected 10.99.0.42; accepted because priority 255 is the address owner (RFC 3768 7.1)",
      },
    ]);
    expect(rejectionOf(packet({ ...v3Advert, priority: 254, addresses: [VIP2] }), rfc).code).toBe("address_list");
  });

  test("address_list: skip mode (keepalived skip_check_adv_addr) accepts", () => {
    expect(accepted(packet({ ...v3Advert, addresses: [VIP2] }), { ...v3Expect, addressCheck: "skip" }).advert.addresses).toEqual([VIP2]);
  });

  test("destination: unicast packet to a multicast instance", () => {
    expect(rejectionOf(packet(v3Advert, { destinationIp: KAP_B }), v3Expect)).toEqual({
      code: "destination",
      reason: "destination 10.99.0.12 is unicast; this instance expects multicast to 224.0.0.18",
    });
  });

  test("destination: multicast packet to a unicast instance", () => {
    expect(rejectionOf(packet(v3Advert), { ...v3Expect, unicast: true })).toEqual({
      code: "destination",
      reason: "destination 224.0.0.18 is multicast; this instance expects unicast (unicast_peer is set)",
    });
  });

  test("IPv4 header rejections come before the VRRP checks", () => {
    expect(rejectionOf(ipPacketOf("v2-advert.hex").slice(0, 30), v2Expect).code).toBe("ip_total_length");
  });
});

describe("check order follows keepalived's vrrp_check_packet", () => {
  test("VRID before everything (keepalived demuxes on it)", () => {
    expect(rejectionOf(packet({ ...v2Advert, vrid: 9 }, { ttl: 1 }), v2Expect).code).toBe("vrid");
  });
  test("TTL before version", () => {
    expect(rejectionOf(packet(v3Advert, { ttl: 64 }), v2Expect).code).toBe("ttl");
  });
  test("auth before interval, interval before checksum", () => {
    const both = packet({ ...v2Advert, advertIntervalCs: 300, authData: passwordAuthData("x") }, {}, (vrrp) => (vrrp[7]! ^= 1));
    expect(rejectionOf(both, v2Expect).code).toBe("auth_failure");
    const intervalAndChecksum = packet({ ...v2Advert, advertIntervalCs: 300 }, {}, (vrrp) => (vrrp[7]! ^= 1));
    expect(rejectionOf(intervalAndChecksum, v2Expect).code).toBe("interval_mismatch");
  });
  test("checksum before address list", () => {
    expect(
      rejectionOf(
        packet({ ...v2Advert, addresses: [VIP2] }, {}, (vrrp) => (vrrp[7]! ^= 1)),
        v2Expect,
      ).code,
    ).toBe("checksum");
  });
});

describe("checkAdvert never throws", () => {
  test("every truncation and single-bit flip of both captures is rejected", () => {
    for (const [name, expectation] of [
      ["v2-advert.hex", v2Expect],
      ["v3-advert.hex", v3Expect],
    ] as const) {
      const ip = ipPacketOf(name);
      const payload = ip.slice(20);
      for (let length = 0; length < payload.length; length++) {
        expect(checkAdvert({ ttl: 255, ...CAPTURE_IP, payload: payload.slice(0, length) }, expectation).ok).toBe(false);
      }
      for (let bit = 0; bit < payload.length * 8; bit++) {
        const flipped = payload.slice();
        flipped[bit >>> 3]! ^= 0x80 >>> (bit & 7);
        expect(checkAdvert({ ttl: 255, ...CAPTURE_IP, payload: flipped }, expectation).ok).toBe(false);
      }
    }
  });

  test("5000 random payloads (seed 6527)", () => {
    const random = seededRandom(6527);
    for (let i = 0; i < 5000; i++) {
      const payload = Uint8Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256));
      if (payload.length > 3) {
        payload[1] = 51;
        payload[3] = Math.floor(random() * 3);
      }
      const expectation = random() < 0.5 ? v2Expect : v3Expect;
      expect(() => checkAdvert({ ttl: 255, ...CAPTURE_IP, payload }, expectation)).not.toThrow();
    }
  });
});
