// Golden packets for the VRRP codec tests: keepalived 2.2.7 captures under test/fixtures/packets/.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseIpv4 } from "../../../src/common/ipv4.ts";

const FIXTURES = join(import.meta.dir, "../../fixtures/packets");
const ETHERNET_HEADER_LENGTH = 14;

/** Bytes of a tshark hex dump: the 47-character hex column after the 4-digit offset; '#' lines are notes. */
export function parseHexDump(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const line of text.split("\n")) {
    if (!/^[0-9a-f]{4}  /.test(line)) continue;
    for (const pair of line.slice(6, 53).match(/[0-9a-f]{2}/g) ?? []) bytes.push(parseInt(pair, 16));
  }
  return new Uint8Array(bytes);
}

export function loadFixture(name: string): Uint8Array {
  return parseHexDump(readFileSync(join(FIXTURES, name), "utf8"));
}

/** The IPv4 packet inside a captured Ethernet frame, as a raw socket would deliver it. */
export function ipPacketOf(name: string): Uint8Array {
  return loadFixture(name).slice(ETHERNET_HEADER_LENGTH);
}

/** The VRRP payload of a captured frame (IPv4 header without options). */
export function vrrpPayloadOf(name: string): Uint8Array {
  return ipPacketOf(name).slice(20);
}

export const KAP_A = parseIpv4("10.99.0.11")!;
export const KAP_B = parseIpv4("10.99.0.12")!;
export const VRRP_GROUP = parseIpv4("224.0.0.18")!;
export const VIP = parseIpv4("10.99.0.41")!;
/** The endpoints every capture was sent between. */
export const CAPTURE_IP = { sourceIp: KAP_A, destinationIp: VRRP_GROUP };
export const PASSWORD_1111 = new Uint8Array([0x31, 0x31, 0x31, 0x31, 0, 0, 0, 0]);

/** Deterministic PRNG (mulberry32) so fuzz failures reproduce from the seed in the test name. */
export { seededRandom } from "../support/seeded-random.ts";

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}
