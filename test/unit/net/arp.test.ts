// Gratuitous ARP frames: golden bytes against keepalived 2.2.7's capture.
import { describe, expect, test } from "bun:test";
import { formatIpv4, parseIpv4, parseMac } from "../../../src/common/ipv4.ts";
import { encodeGratuitousArp, GRATUITOUS_ARP_FRAME_LENGTH } from "../../../src/net/arp.ts";
import { fixture, fromHex, toHex } from "./hex.ts";

const capture = fixture("keepalived-2.2.7-garp.txt");
const field = (name: string) => {
  const match = capture.match(new RegExp(`${name}: ([^ \\n]+)`));
  if (!match?.[1]) throw new Error(`capture has no "${name}"`);
  return match[1];
};

describe("encodeGratuitousArp", () => {
  const senderMac = parseMac(field("Sender MAC address"))!;
  const vip = parseIpv4(field("Sender IP address"))!;
  const frame = encodeGratuitousArp(senderMac, vip);

  test("matches keepalived's frame byte for byte", () => {
    expect(toHex(frame)).toBe(
      toHex(
        fromHex(`
          ff ff ff ff ff ff  02 99 00 00 00 12  08 06   # Ethernet: dst broadcast, src MAC, ETH_P_ARP
          00 01 08 00 06 04 00 01                       # Ethernet/IPv4, sizes 6/4, request
          02 99 00 00 00 12  0a 63 00 29                # sender MAC, sender IP = VIP
          ff ff ff ff ff ff  0a 63 00 29                # target MAC broadcast, target IP = VIP
        `),
      ),
    );
  });

  test("has the capture's length and decoded fields", () => {
    expect(frame.length).toBe(GRATUITOUS_ARP_FRAME_LENGTH);
    expect(capture).toContain(`${frame.length} bytes on wire`);
    expect(field("Target MAC address")).toBe("Broadcast");
    expect(formatIpv4(parseIpv4(field("Target IP address"))!)).toBe("10.99.0.41");
    expect(capture).toContain("Opcode: request (1)");
  });

  test("rejects a MAC of the wrong size", () => {
    expect(() => encodeGratuitousArp(new Uint8Array(5), vip)).toThrow("sender MAC must be 6 bytes");
  });
});
