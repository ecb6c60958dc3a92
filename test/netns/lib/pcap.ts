// Classic-pcap reader decoding VRRP adverts (RFC 3768 5.3, RFC 5798 5.2) and ARP frames.
import { IPPROTO_VRRP } from "../../../src/common/vrrp-wire.ts";

export interface Advert {
  /** Capture time, wall-clock ms since the epoch. */
  tMs: number;
  srcMac: string;
  srcIp: string;
  dstIp: string;
  ttl: number;
  version: number;
  vrid: number;
  priority: number;
  /** Advertisement interval in centiseconds (v2: seconds field x 100). */
  advertIntCs: number;
  addresses: string[];
}

export interface ArpFrame {
  tMs: number;
  srcMac: string;
  op: "request" | "reply" | "other";
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
  /** RFC 5227 / tshark arp.isgratuitous: sender and target protocol address are equal. */
  gratuitous: boolean;
}

export interface PcapContents {
  adverts: Advert[];
  arps: ArpFrame[];
  frames: number;
}

const ETH_P_IP = 0x0800;
const ETH_P_ARP = 0x0806;
const ETH_P_8021Q = 0x8100;

/** Decode a classic pcap file (µs or ns timestamps, either byte order, Ethernet link type).
 * Frames it does not understand are counted and skipped, never thrown on. */
export function parsePcap(buf: Uint8Array): PcapContents {
  const out: PcapContents = { adverts: [], arps: [], frames: 0 };
  if (buf.length < 24) return out;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magicLe = dv.getUint32(0, true);
  let le: boolean;
  let fracDiv: number;
  if (magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d) {
    le = true;
    fracDiv = magicLe === 0xa1b2c3d4 ? 1e3 : 1e6;
  } else {
    const magicBe = dv.getUint32(0, false);
    if (magicBe !== 0xa1b2c3d4 && magicBe !== 0xa1b23c4d) {
      throw new Error(`not a classic pcap file (magic ${magicLe.toString(16)}); capture with -F pcap / -P`);
    }
    le = false;
    fracDiv = magicBe === 0xa1b2c3d4 ? 1e3 : 1e6;
  }
  const linkType = dv.getUint32(20, le);
  if (linkType !== 1) throw new Error(`pcap link type ${linkType}; only Ethernet (1) is decoded`);
  let off = 24;
  while (off + 16 <= buf.length) {
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const incl = dv.getUint32(off + 8, le);
    off += 16;
    if (off + incl > buf.length) break; // truncated last record of a killed capture
    out.frames++;
    decodeFrame(buf.subarray(off, off + incl), sec * 1000 + frac / fracDiv, out);
    off += incl;
  }
  return out;
}

function decodeFrame(f: Uint8Array, tMs: number, out: PcapContents): void {
  if (f.length < 14) return;
  const srcMac = mac(f, 6);
  let type = (f[12]! << 8) | f[13]!;
  let p = 14;
  if (type === ETH_P_8021Q && f.length >= 18) {
    type = (f[16]! << 8) | f[17]!;
    p = 18;
  }
  if (type === ETH_P_IP) decodeIp(f.subarray(p), tMs, srcMac, out);
  else if (type === ETH_P_ARP) decodeArp(f.subarray(p), tMs, srcMac, out);
}

function decodeIp(ip: Uint8Array, tMs: number, srcMac: string, out: PcapContents): void {
  if (ip.length < 20 || ip[0]! >> 4 !== 4) return;
  const ihl = (ip[0]! & 0x0f) * 4;
  if (ip[9] !== IPPROTO_VRRP || ip.length < ihl + 8) return;
  const v = ip.subarray(ihl);
  const version = v[0]! >> 4;
  const count = v[3]!;
  // v2: byte 5 is Adver Int in seconds; v3: 12-bit Max Adver Int in centiseconds
  const advertIntCs = version === 2 ? v[5]! * 100 : ((v[4]! & 0x0f) << 8) | v[5]!;
  const addresses: string[] = [];
  for (let i = 0; i < count && 8 + 4 * i + 4 <= v.length; i++) addresses.push(ipv4(v, 8 + 4 * i));
  out.adverts.push({
    tMs,
    srcMac,
    srcIp: ipv4(ip, 12),
    dstIp: ipv4(ip, 16),
    ttl: ip[8]!,
    version,
    vrid: v[1]!,
    priority: v[2]!,
    advertIntCs,
    addresses,
  });
}

function decodeArp(a: Uint8Array, tMs: number, srcMac: string, out: PcapContents): void {
  // only Ethernet/IPv4 ARP: hlen 6, plen 4
  if (a.length < 28 || a[4] !== 6 || a[5] !== 4) return;
  const opCode = (a[6]! << 8) | a[7]!;
  const senderIp = ipv4(a, 14);
  const targetIp = ipv4(a, 24);
  out.arps.push({
    tMs,
    srcMac,
    op: opCode === 1 ? "request" : opCode === 2 ? "reply" : "other",
    senderMac: mac(a, 8),
    senderIp,
    targetMac: mac(a, 18),
    targetIp,
    gratuitous: senderIp === targetIp,
  });
}

function mac(b: Uint8Array, off: number): string {
  return Array.from(b.subarray(off, off + 6), (x) => x.toString(16).padStart(2, "0")).join(":");
}

function ipv4(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}
