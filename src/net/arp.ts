// Gratuitous ARP frames (RFC 826 packet; RFC 5227 3 / RFC 5798 6.4.1 announce), byte for
// byte as keepalived 2.2.7 sends them: a request with sender IP = target IP = the VIP.
import { ipv4ToBytes } from "../common/ipv4.ts";
import { ARPHRD_ETHER, ETH_ALEN, ETH_P_ARP, ETH_P_IP } from "./libc-structs.ts";

/** <linux/if_arp.h> */
export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;

export const ETHERNET_HEADER_LENGTH = 14;
/** 14 bytes of Ethernet header + 28 of ARP; no padding (the driver pads to 60 if it must). */
export const GRATUITOUS_ARP_FRAME_LENGTH = 42;

const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/**
 * The Ethernet frame: dst broadcast, src = interface MAC; ARP request, sender MAC = interface
 * MAC, sender IP = target IP = vip, target MAC ff:ff:ff:ff:ff:ff (keepalived's choice; RFC
 * 5227 uses zero, and both update neighbours' caches).
 */
export function encodeGratuitousArp(senderMac: Uint8Array, vip: number): Uint8Array {
  if (senderMac.length !== ETH_ALEN) throw new Error(`gratuitous ARP: sender MAC must be ${ETH_ALEN} bytes, got ${senderMac.length}`);
  const frame = new Uint8Array(GRATUITOUS_ARP_FRAME_LENGTH);
  const view = new DataView(frame.buffer);
  frame.set(BROADCAST_MAC, 0);
  frame.set(senderMac, 6);
  view.setUint16(12, ETH_P_ARP, false);
  const arp = ETHERNET_HEADER_LENGTH;
  view.setUint16(arp + 0, ARPHRD_ETHER, false); // hardware type
  view.setUint16(arp + 2, ETH_P_IP, false); // protocol type
  view.setUint8(arp + 4, ETH_ALEN); // hardware size
  view.setUint8(arp + 5, 4); // protocol size
  view.setUint16(arp + 6, ARPOP_REQUEST, false);
  frame.set(senderMac, arp + 8);
  frame.set(ipv4ToBytes(vip), arp + 14);
  frame.set(BROADCAST_MAC, arp + 18);
  frame.set(ipv4ToBytes(vip), arp + 24);
  return frame;
}
