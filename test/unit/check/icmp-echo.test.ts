// PING_CHECK's echo codec against golden bytes: iputils ping's request and the kernel's reply,
// captured with tcpdump on lo in a private network namespace (test/fixtures/icmp/ping-lo.pcap:
// `ping -c 1 -s 128 127.0.0.1` and `ping -6 -c 1 -s 128 ::1`, Debian 12's iputils-ping
// 20221126 and tcpdump 4.99.3). The request is rebuilt from its id, sequence and data and must
// come out byte for byte; the replies decode and answer their requests; broken messages are
// rejected with a reason, never a throw.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  answersEchoRequest,
  decodeIcmpEchoReply,
  encodeIcmpEchoRequest,
  internetChecksum,
  keepalivedEchoData,
  type EchoRequest,
} from "../../../src/check/icmp-echo.ts";

/** The frames of a little-endian pcap of Ethernet frames, their Ethernet header taken off. */
function pcapPackets(file: Uint8Array): Uint8Array[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  expect(view.getUint32(0, true)).toBe(0xa1b2c3d4);
  expect(view.getUint32(20, true)).toBe(1); // LINKTYPE_ETHERNET
  const packets: Uint8Array[] = [];
  for (let at = 24; at + 16 <= file.length;) {
    const length = view.getUint32(at + 8, true);
    packets.push(file.subarray(at + 16 + 14, at + 16 + length));
    at += 16 + length;
  }
  return packets;
}

const packets = pcapPackets(new Uint8Array(readFileSync(join(import.meta.dir, "../../fixtures/icmp/ping-lo.pcap"))));
const [v4Request, v4Reply, v6Request, v6Reply] = packets as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
const icmpOf = (ipv4: Uint8Array) => ipv4.subarray((ipv4[0]! & 0x0f) * 4);
const icmpv6Of = (ipv6: Uint8Array) => ipv6.subarray(40);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** The request's fields as they are on the wire. */
function requestFields(family: 4 | 6, message: Uint8Array): EchoRequest {
  return { family, id: (message[4]! << 8) | message[5]!, sequence: (message[6]! << 8) | message[7]!, data: message.slice(8) };
}

describe("the capture", () => {
  test("holds the two requests and their replies", () => {
    expect(packets.length).toBe(4);
    expect(v4Request[9]).toBe(1);
    expect(icmpOf(v4Request)[0]).toBe(8);
    expect(icmpOf(v4Reply)[0]).toBe(0);
    expect(v6Request[6]).toBe(58);
    expect(icmpv6Of(v6Request)[0]).toBe(128);
    expect(icmpv6Of(v6Reply)[0]).toBe(129);
  });
});

describe("encodeIcmpEchoRequest", () => {
  test("ping's ICMPv4 request, rebuilt from its id, sequence and data, byte for byte (checksum included)", () => {
    const captured = icmpOf(v4Request);
    expect(hex(encodeIcmpEchoRequest(requestFields(4, captured)))).toBe(hex(captured));
  });

  test("ping's ICMPv6 request, byte for byte but the checksum, which the kernel fills in (pseudo-header)", () => {
    const captured = icmpv6Of(v6Request);
    const encoded = encodeIcmpEchoRequest(requestFields(6, captured));
    expect(hex(encoded.subarray(0, 2))).toBe(hex(captured.subarray(0, 2)));
    expect(hex(encoded.subarray(2, 4))).toBe("0000");
    expect(hex(encoded.subarray(4))).toBe(hex(captured.subarray(4)));
  });

  test("keepalived's request: 8-byte header, 128 bytes of 'keepalived check - '", () => {
    const encoded = encodeIcmpEchoRequest({ family: 4, id: 0x1234, sequence: 1, data: keepalivedEchoData() });
    expect(encoded.length).toBe(136);
    expect(hex(encoded.subarray(0, 2))).toBe("0800");
    expect(hex(encoded.subarray(4, 8))).toBe("12340001");
    expect(internetChecksum(encoded)).toBe(0);
    const text = new TextDecoder().decode(encoded.subarray(8));
    // set_buf: six whole copies of the 19 characters, then the 14 that fit.
    expect(text).toBe("keepalived check - ".repeat(6) + "keepalived che");
  });

  test("internetChecksum: RFC 1071's example words, and an odd length padded with a zero byte", () => {
    expect(internetChecksum(Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]))).toBe(0x220d);
    expect(internetChecksum(Uint8Array.from([0x01]))).toBe(0xfeff);
  });
});

describe("decodeIcmpEchoReply", () => {
  test("the kernel's ICMPv4 reply, with its IPv4 header (a raw socket): answers ping's request", () => {
    const decoded = decodeIcmpEchoReply(v4Reply, { family: 4, withIpv4Header: true });
    if (!decoded.ok) throw new Error(decoded.reason);
    expect(decoded.reply.source?.text).toBe("127.0.0.1");
    const request = requestFields(4, icmpOf(v4Request));
    expect(decoded.reply.id).toBe(request.id);
    expect(decoded.reply.sequence).toBe(request.sequence);
    expect(answersEchoRequest(decoded.reply, request, { checkId: true })).toBe(true);
  });

  test("the same reply without its header (a ping socket)", () => {
    const decoded = decodeIcmpEchoReply(icmpOf(v4Reply), { family: 4, withIpv4Header: false });
    expect(decoded.ok && decoded.reply.source).toBeUndefined();
    expect(decoded.ok && answersEchoRequest(decoded.reply, requestFields(4, icmpOf(v4Request)), { checkId: true })).toBe(true);
  });

  test("the kernel's ICMPv6 reply answers ping -6's request", () => {
    const decoded = decodeIcmpEchoReply(icmpv6Of(v6Reply), { family: 6, withIpv4Header: false });
    if (!decoded.ok) throw new Error(decoded.reason);
    expect(answersEchoRequest(decoded.reply, requestFields(6, icmpv6Of(v6Request)), { checkId: true })).toBe(true);
  });

  test("a reply to someone else: another id (unless the ping socket's kernel chose it), sequence or data", () => {
    const decoded = decodeIcmpEchoReply(icmpOf(v4Reply), { family: 4, withIpv4Header: false });
    if (!decoded.ok) throw new Error(decoded.reason);
    const request = requestFields(4, icmpOf(v4Request));
    expect(answersEchoRequest(decoded.reply, { ...request, id: request.id ^ 1 }, { checkId: true })).toBe(false);
    expect(answersEchoRequest(decoded.reply, { ...request, id: request.id ^ 1 }, { checkId: false })).toBe(true);
    expect(answersEchoRequest(decoded.reply, { ...request, sequence: request.sequence + 1 }, { checkId: true })).toBe(false);
    const otherData = request.data.slice();
    otherData[100]! ^= 0xff;
    expect(answersEchoRequest(decoded.reply, { ...request, data: otherData }, { checkId: true })).toBe(false);
    expect(answersEchoRequest(decoded.reply, { ...request, data: request.data.subarray(1) }, { checkId: true })).toBe(false);
  });

  test("rejections with a reason", () => {
    expect(decodeIcmpEchoReply(v4Request, { family: 4, withIpv4Header: true })).toEqual({ ok: false, reason: "ICMP type 8 code 0, not an echo reply" });
    expect(decodeIcmpEchoReply(icmpv6Of(v6Request), { family: 6, withIpv4Header: false })).toEqual({
      ok: false,
      reason: "ICMPv6 type 128 code 0, not an echo reply",
    });
    const corrupted = v4Reply.slice();
    corrupted[corrupted.length - 1]! ^= 0x01;
    expect(decodeIcmpEchoReply(corrupted, { family: 4, withIpv4Header: true })).toEqual({ ok: false, reason: "ICMP checksum is wrong" });
    expect(decodeIcmpEchoReply(v4Reply.subarray(0, 60), { family: 4, withIpv4Header: true })).toEqual({
      ok: false,
      reason: "IPv4 header length 20 / total length 156 do not fit 60 bytes",
    });
    expect(decodeIcmpEchoReply(v6Reply, { family: 4, withIpv4Header: true })).toEqual({ ok: false, reason: "not an IPv4 datagram (176 bytes)" });
    const udp = v4Reply.slice();
    udp[9] = 17;
    expect(decodeIcmpEchoReply(udp, { family: 4, withIpv4Header: true })).toEqual({ ok: false, reason: "IPv4 protocol 17 is not ICMP" });
    expect(decodeIcmpEchoReply(icmpOf(v4Reply).subarray(0, 7), { family: 4, withIpv4Header: false })).toEqual({
      ok: false,
      reason: "short ICMP message, 7 bytes",
    });
  });

  test("never throws on any prefix or bit flip of the captured messages", () => {
    for (const packet of packets) {
      for (let length = 0; length <= packet.length; length++) {
        for (const withIpv4Header of [true, false]) {
          expect(() => decodeIcmpEchoReply(packet.subarray(0, length), { family: 4, withIpv4Header })).not.toThrow();
          expect(() => decodeIcmpEchoReply(packet.subarray(0, length), { family: 6, withIpv4Header })).not.toThrow();
        }
      }
      for (let bit = 0; bit < 8 * 40; bit++) {
        const flipped = packet.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        expect(() => decodeIcmpEchoReply(flipped, { family: 4, withIpv4Header: true })).not.toThrow();
      }
    }
  });
});
