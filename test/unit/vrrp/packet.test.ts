// Tests for the VRRP codec (RFC 3768 5, RFC 5798 5): golden bytes from keepalived 2.2.7, round trips, fuzzing.

import { describe, expect, test } from "bun:test";
import { AUTH_NONE, AUTH_SIMPLE_TEXT, type Advert } from "../../../src/vrrp/advert.ts";
import { computeVrrpChecksum, decodeAdvert, encodeAdvert, passwordAuthData, validateAdvert, type IpEndpoints } from "../../../src/vrrp/packet.ts";
import { CAPTURE_IP, hex, KAP_B, PASSWORD_1111, seededRandom, VIP, vrrpPayloadOf, loadFixture } from "./golden.ts";

function decoded(payload: Uint8Array, ip: IpEndpoints = CAPTURE_IP): Advert {
  const result = decodeAdvert(payload, ip);
  if (!result.ok) throw new Error(`unexpected rejection: ${result.rejection.reason}`);
  return result.advert;
}

function rejectionOf(payload: Uint8Array, ip: IpEndpoints = CAPTURE_IP) {
  const result = decodeAdvert(payload, ip);
  if (result.ok) throw new Error("expected a rejection");
  return result.rejection;
}

const checksumOf = (payload: Uint8Array) => ((payload[6] as number) << 8) | (payload[7] as number);

const v2Golden: Advert = {
  version: 2,
  vrid: 51,
  priority: 100,
  advertIntervalCs: 100,
  addresses: [VIP],
  authType: AUTH_SIMPLE_TEXT,
  authData: PASSWORD_1111,
};
const v3Golden: Advert = { version: 3, vrid: 51, priority: 100, advertIntervalCs: 10, addresses: [VIP], authType: AUTH_NONE, authData: new Uint8Array(0) };

describe("golden packets from keepalived 2.2.7", () => {
  test("v2 advert decodes field by field", () => {
    const payload = vrrpPayloadOf("v2-advert.hex");
    expect(payload.length).toBe(20);
    expect(checksumOf(payload)).toBe(0x0cdc);
    expect(decoded(payload)).toEqual(v2Golden);
  });

  test("v2 advert encodes to the captured bytes (checksum 0x0cdc)", () => {
    const encoded = encodeAdvert(v2Golden, CAPTURE_IP);
    expect(hex(encoded)).toBe(hex(vrrpPayloadOf("v2-advert.hex")));
    expect(checksumOf(encoded)).toBe(0x0cdc);
  });

  test("v3 advert decodes field by field (Max Adver Int 10 cs)", () => {
    const payload = vrrpPayloadOf("v3-advert.hex");
    expect(payload.length).toBe(12);
    expect(decoded(payload)).toEqual(v3Golden);
  });

  test("v3 advert encodes to the captured bytes (checksum 0x7538, pseudo-header included)", () => {
    const encoded = encodeAdvert(v3Golden, CAPTURE_IP);
    expect(hex(encoded)).toBe(hex(vrrpPayloadOf("v3-advert.hex")));
    expect(checksumOf(encoded)).toBe(0x7538);
  });

  test("v3 checksum without the pseudo-header would be 0x6035, which keepalived rejects", () => {
    const payload = vrrpPayloadOf("v3-advert.hex");
    expect(computeVrrpChecksum(payload, 2, CAPTURE_IP)).toBe(0x6035);
    payload[6] = 0x60;
    payload[7] = 0x35;
    expect(rejectionOf(payload)).toEqual({
      code: "checksum",
      reason: "VRRPv3 checksum is 0x6035; computed 0x7538 over the IPv4 pseudo-header and the VRRP message",
    });
  });

  test("v3 checksum depends on the IP source: the same bytes from another sender are rejected", () => {
    expect(rejectionOf(vrrpPayloadOf("v3-advert.hex"), { ...CAPTURE_IP, sourceIp: KAP_B }).code).toBe("checksum");
  });

  test("v2 priority-0 advert (graceful stop): checksum 0x70dc both ways", () => {
    const payload = loadFixture("v2-prio0-advert.hex");
    const prio0 = { ...v2Golden, priority: 0 };
    expect(decoded(payload)).toEqual(prio0);
    const encoded = encodeAdvert(prio0, CAPTURE_IP);
    expect(hex(encoded)).toBe(hex(payload));
    expect(checksumOf(encoded)).toBe(0x70dc);
  });
});

describe("encode", () => {
  test("v3 interval boundaries: 0.01 s (1 cs) and 40.95 s (4095 cs) survive; reserved bits stay zero", () => {
    for (const advertIntervalCs of [1, 4095]) {
      const advert = { ...v3Golden, advertIntervalCs };
      const encoded = encodeAdvert(advert, CAPTURE_IP);
      expect(encoded[4]! & 0xf0).toBe(0);
      expect(decoded(encoded)).toEqual(advert);
    }
    expect(hex(encodeAdvert({ ...v3Golden, advertIntervalCs: 4095 }, CAPTURE_IP).subarray(4, 6))).toBe("0f ff");
  });

  test("v3 intervals outside 1..4095 cs are refused", () => {
    expect(() => encodeAdvert({ ...v3Golden, advertIntervalCs: 0 }, CAPTURE_IP)).toThrow("v3 advert interval 0 cs is not 1..4095");
    expect(() => encodeAdvert({ ...v3Golden, advertIntervalCs: 4096 }, CAPTURE_IP)).toThrow("v3 advert interval 4096 cs is not 1..4095");
  });

  test("v2 interval must be whole seconds", () => {
    expect(() => encodeAdvert({ ...v2Golden, advertIntervalCs: 150 }, CAPTURE_IP)).toThrow("v2 advert interval 150 cs is not a whole number of seconds 1..255");
    expect(encodeAdvert({ ...v2Golden, advertIntervalCs: 25500 }, CAPTURE_IP)[5]).toBe(255);
  });

  test("validateAdvert lists every problem", () => {
    const problems = validateAdvert({ ...v2Golden, vrid: 0, priority: 256, addresses: [-1], authData: new Uint8Array(9) });
    expect(problems).toEqual([
      "VRID 0 is not 1..255",
      "priority 256 is not 0..255",
      "address -1 is not an unsigned 32-bit IPv4 number",
      "auth data is 9 bytes; v2 carries 8",
    ]);
    expect(validateAdvert(v2Golden)).toEqual([]);
  });

  test("v2 without auth writes 8 zero bytes of auth data", () => {
    const encoded = encodeAdvert({ ...v2Golden, authType: AUTH_NONE, authData: new Uint8Array(0) }, CAPTURE_IP);
    expect(hex(encoded.subarray(12))).toBe("00 00 00 00 00 00 00 00");
  });

  test("passwordAuthData NUL-pads and cuts at 8 bytes like keepalived's auth_pass", () => {
    expect(hex(passwordAuthData("1111"))).toBe(hex(PASSWORD_1111));
    expect(new TextDecoder().decode(passwordAuthData("longpassword"))).toBe("longpass");
  });
});

describe("decode rejections", () => {
  test("shorter than the fixed header", () => {
    expect(rejectionOf(new Uint8Array(7))).toEqual({ code: "length", reason: "VRRP packet is 7 bytes; the fixed header alone is 8" });
  });
  test("unknown version", () => {
    const payload = vrrpPayloadOf("v2-advert.hex");
    payload[0] = 0x51;
    expect(rejectionOf(payload)).toEqual({ code: "version", reason: "VRRP version is 5; only 2 and 3 exist" });
  });
  test("too short and too long for the address count", () => {
    const payload = vrrpPayloadOf("v2-advert.hex");
    expect(rejectionOf(payload.slice(0, 18))).toEqual({ code: "length", reason: "VRRP packet is too short: 18 bytes, but a v2 advert with 1 address is 20" });
    expect(rejectionOf(new Uint8Array([...payload, 0, 0, 0, 0]))).toEqual({
      code: "length",
      reason: "VRRP packet is too long: 24 bytes, but a v2 advert with 1 address is 20",
    });
  });
  test("type other than advertisement", () => {
    const payload = vrrpPayloadOf("v3-advert.hex");
    payload[0] = 0x32;
    expect(rejectionOf(payload)).toEqual({ code: "type", reason: "VRRP packet type is 2; only 1 (advertisement) is defined" });
  });
  test("v2 checksum", () => {
    const payload = vrrpPayloadOf("v2-advert.hex");
    payload[7] = 0xdd;
    expect(rejectionOf(payload)).toEqual({ code: "checksum", reason: "VRRPv2 checksum is 0x0cdd; computed 0x0cdc over the VRRP message" });
  });
  test("v3 reserved bits are ignored on receipt (RFC 5798 5.2.6)", () => {
    const payload = vrrpPayloadOf("v3-advert.hex");
    payload[4] = 0xf0;
    // Restore the checksum for the changed byte: the field is covered by it.
    const checksum = computeVrrpChecksum(payload, 3, CAPTURE_IP);
    payload[6] = checksum >>> 8;
    payload[7] = checksum & 0xff;
    expect(decoded(payload).advertIntervalCs).toBe(10);
  });
});

function randomAdvert(random: () => number): Advert {
  const int = (max: number) => Math.floor(random() * (max + 1));
  const version = random() < 0.5 ? 2 : 3;
  const addresses = Array.from({ length: int(20) }, () => int(0xffffffff));
  if (version === 2) {
    const withPassword = random() < 0.5;
    return {
      version,
      vrid: 1 + int(254),
      priority: int(255),
      advertIntervalCs: (1 + int(254)) * 100,
      addresses,
      authType: withPassword ? AUTH_SIMPLE_TEXT : AUTH_NONE,
      authData: withPassword ? Uint8Array.from({ length: 8 }, () => int(255)) : new Uint8Array(8),
    };
  }
  return { version, vrid: 1 + int(254), priority: int(255), advertIntervalCs: 1 + int(4094), addresses, authType: AUTH_NONE, authData: new Uint8Array(0) };
}

describe("round trips", () => {
  test("1000 random adverts, both versions, 0..20 addresses (seed 3768)", () => {
    const random = seededRandom(3768);
    for (let i = 0; i < 1000; i++) {
      const advert = randomAdvert(random);
      const ip = { sourceIp: Math.floor(random() * 0xffffffff), destinationIp: Math.floor(random() * 0xffffffff) };
      const encoded = encodeAdvert(advert, ip);
      expect(encoded.length).toBe(8 + 4 * advert.addresses.length + (advert.version === 2 ? 8 : 0));
      expect(decoded(encoded, ip)).toEqual(advert);
      expect(hex(encodeAdvert(decoded(encoded, ip), ip))).toBe(hex(encoded));
    }
  });
});

describe("fuzzing: decodeAdvert never throws", () => {
  const goldens = [vrrpPayloadOf("v2-advert.hex"), vrrpPayloadOf("v3-advert.hex"), loadFixture("v2-prio0-advert.hex")];

  test("every truncation of the golden packets is a length rejection", () => {
    for (const payload of goldens) {
      for (let length = 0; length < payload.length; length++) expect(rejectionOf(payload.slice(0, length)).code).toBe("length");
    }
  });

  test("every single-bit flip of the golden packets is rejected; outside version/type/count it is the checksum", () => {
    for (const payload of goldens) {
      for (let bit = 0; bit < payload.length * 8; bit++) {
        const flipped = payload.slice();
        flipped[bit >>> 3]! ^= 0x80 >>> (bit & 7);
        const rejection = rejectionOf(flipped);
        const byte = bit >>> 3;
        if (byte === 0) expect(["version", "type", "length"]).toContain(rejection.code);
        else if (byte === 3) expect(rejection.code).toBe("length");
        else expect(rejection.code).toBe("checksum");
      }
    }
  });

  test("10000 random buffers, half with a plausible first byte (seed 5798)", () => {
    const random = seededRandom(5798);
    for (let i = 0; i < 10000; i++) {
      const bytes = Uint8Array.from({ length: Math.floor(random() * 96) }, () => Math.floor(random() * 256));
      if (random() < 0.5 && bytes.length > 3) {
        bytes[0] = random() < 0.5 ? 0x21 : 0x31;
        bytes[3] = Math.floor(random() * 4);
      }
      expect(() => decodeAdvert(bytes, CAPTURE_IP)).not.toThrow();
    }
  });
});
