// `virtual_server_group NAME { IP[-LAST|/PREFIX] [PORT] | fwmark N [inet|inet6] }`, IPv4 and IPv6,
// as keepalived 2.2.7's alloc_vsg_entry reads each line, with its errors.

import { ipAddressBytes, ipAddressFromBytes, ipv4Address, parseIpAddress, type IpAddress, type IpFamily } from "../common/ip-address.ts";
import { parseIpv4 } from "../common/ipv4.ts";
import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import { locationOf } from "./diagnostics.ts";
import type { VirtualServerGroup, VirtualServerGroupEntry } from "./model.ts";
import type { Statement } from "./statement-tree.ts";
import { parseInteger, requireArg, warnExtraArgs } from "./values.ts";

export function parseVirtualServerGroup(name: string, stmt: Statement, diag: Diagnostics): VirtualServerGroup {
  const entries: VirtualServerGroupEntry[] = [];
  for (const entry of stmt.children ?? []) {
    const parsed = entry.keyword.text === "fwmark" ? fwmarkEntry(entry, diag) : rangeEntry(entry, diag);
    if (parsed) entries.push(parsed);
  }
  const location = locationOf(stmt.keyword);
  const families = groupFamilies({ entries });
  if (entries.length === 0) diag.error(location, `virtual_server_group ${name} has no entries; keepalived removes it`);
  else if (families.has4 && families.has6 && families.fwmarkWithoutFamily)
    diag.error(
      location,
      `virtual_server_group ${name} has IPv4 and IPv6 entries, so each fwmark entry needs its family ('fwmark N inet' or 'inet6'); keepalived removes the group`,
    );
  return { name, entries, location };
}

export interface GroupFamilies {
  has4: boolean;
  has6: boolean;
  /** A fwmark line without inet/inet6. */
  fwmarkWithoutFamily: boolean;
  hasRanges: boolean;
  hasFwmarks: boolean;
}

/** keepalived's have_ipv4 / have_ipv6 / fwmark_no_family of a group. */
export function groupFamilies(group: Pick<VirtualServerGroup, "entries">): GroupFamilies {
  const out: GroupFamilies = { has4: false, has6: false, fwmarkWithoutFamily: false, hasRanges: false, hasFwmarks: false };
  for (const e of group.entries) {
    const family = e.kind === "range" ? e.first.family : e.family;
    if (family === 4) out.has4 = true;
    else if (family === 6) out.has6 = true;
    else out.fwmarkWithoutFamily = true;
    if (e.kind === "range") out.hasRanges = true;
    else out.hasFwmarks = true;
  }
  return out;
}

function fwmarkEntry(entry: Statement, diag: Diagnostics): VirtualServerGroupEntry | undefined {
  const location = locationOf(entry.keyword);
  const tok = requireArg(entry, 0, "a firewall mark number", diag);
  // keepalived takes 0 too, and then treats the line as the unset address 0.0.0.0: refused here.
  const fwmark = tok && parseInteger(tok, "fwmark", 1, 4294967295, diag);
  if (fwmark === undefined) return undefined;
  const familyTok = entry.args[1];
  if (!familyTok) return { kind: "fwmark", fwmark, location };
  const family: IpFamily | undefined = familyTok.text === "inet" ? 4 : familyTok.text === "inet6" ? 6 : undefined;
  if (family === undefined) {
    diag.error(familyTok, `fwmark ${fwmark}: the family must be inet or inet6, got ${familyTok.text}`);
    return undefined;
  }
  warnExtraArgs(entry, 2, diag);
  return { kind: "fwmark", fwmark, family, location };
}

function rangeEntry(entry: Statement, diag: Diagnostics): VirtualServerGroupEntry | undefined {
  const location: SourceLocation = locationOf(entry.keyword);
  const range = parseAddressRange(entry.keyword.text);
  if (typeof range === "string") {
    diag.error(entry.keyword, range);
    return undefined;
  }
  if (range.crossesLastPart)
    diag.warn(
      entry.keyword,
      `keepalived 2.2.7 steps only the last ${range.first.family === 4 ? "octet" : "16-bit group"} of a range, so it does not program ${entry.keyword.text} as written (it wraps within the first ${range.first.family === 4 ? "/24" : "/112"})`,
    );
  const portTok = entry.args[0];
  // "0", "00": no port, as keepalived reads them since 2.0.7.
  const port = portTok ? parseInteger(portTok, "virtual_server_group port", 0, 65535, diag) : 0;
  if (port === undefined) return undefined;
  warnExtraArgs(entry, 1, diag);
  // A literal, not a spread: a group may have tens of thousands of lines.
  return { kind: "range", first: range.first, last: range.last, port, location };
}

export interface AddressRange {
  first: IpAddress;
  last: IpAddress;
  /** first and last differ beyond the last octet (v4) or 16-bit group (v6). */
  crossesLastPart: boolean;
}

/**
 * 192.168.200.1, 192.168.200.3-10, 192.168.200.250-192.168.201.10, 192.168.202.8/29, and the same
 * for IPv6 (ae00::2-a: the end is hex, the last group). Kept as first..last, never expanded, so
 * 1.0.0.0-223.255.255.255 is one entry. A string: what is wrong, as a message.
 */
export function parseAddressRange(text: string): AddressRange | string {
  const dash = text.indexOf("-");
  const slash = text.indexOf("/");
  // As keepalived: the address ends at the first '-', else at the first '/'.
  const cut = dash >= 0 ? dash : slash;
  const baseText = cut < 0 ? text : text.slice(0, cut);
  if (slash >= 0 && dash >= 0) return parseIpAddress(baseText) ? `${text}: a range and a prefix cannot be combined` : notAnEntry(text);
  // IPv4 in numbers: a group may have tens of thousands of lines.
  if (!baseText.includes(":")) {
    const base = parseIpv4(baseText);
    return base === undefined ? notAnEntry(text) : ipv4Range(base, baseText, text, dash, slash);
  }
  const first = parseIpAddress(baseText);
  if (!first) return notAnEntry(text);
  if (slash >= 0) return maskedRange(first, text.slice(slash + 1), text);
  if (dash < 0) return { first, last: first, crossesLastPart: false };
  const endText = text.slice(dash + 1);
  if (endText.includes(":")) return fullRange(first, endText, text);
  // keepalived's inet_stor: the new last group, in hex.
  if (!/^[0-9a-fA-F]+$/.test(endText)) return `${text}: the range's end must be a hex group 0..ffff or a whole address`;
  const end = parseInt(endText, 16);
  const bytes = ipAddressBytes(first);
  if (end > 0xffff) return `${text}: the range's end ${endText} is too large (at most ffff)`;
  if (end <= ((bytes[14]! << 8) | bytes[15]!)) return notGreater(text);
  [bytes[14], bytes[15]] = [end >> 8, end & 0xff];
  return { first, last: ipAddressFromBytes(6, bytes), crossesLastPart: false };
}

function ipv4Range(base: number, baseText: string, text: string, dash: number, slash: number): AddressRange | string {
  const canonical = !LEADING_ZERO.test(baseText);
  const first: IpAddress = canonical ? { family: 4, text: baseText } : ipv4Address(base);
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1);
    const prefix = /^\d+$/.test(prefixText) ? Number(prefixText) : NaN;
    if (!(prefix >= 1 && prefix <= 32)) return `${text}: the prefix length must be 1..32`;
    const hostBits = prefix === 32 ? 0 : 0xffffffff >>> prefix;
    if ((base & hostBits) !== 0) return hostBitsSet(text, prefix);
    const last = (base | hostBits) >>> 0;
    return { first, last: last === base ? first : ipv4Address(last), crossesLastPart: last >>> 8 !== base >>> 8 };
  }
  if (dash < 0) return { first, last: first, crossesLastPart: false };
  const endText = text.slice(dash + 1);
  if (endText.includes(".")) {
    const nextDash = endText.indexOf("-");
    const last = parseIpv4(nextDash < 0 ? endText : endText.slice(0, nextDash));
    if (last === undefined)
      return endText.includes(":") ? `${text}: the range's ends are of different address families` : `${text}: invalid range end ${endText}`;
    if (last < base) return `${text}: the range ends before it starts`;
    return { first, last: ipv4Address(last), crossesLastPart: last >>> 8 !== base >>> 8 };
  }
  // keepalived's inet_stor: the new last octet, in decimal.
  if (!/^\d+$/.test(endText)) return `${text}: the range's end must be a decimal octet 0..255 or a whole address`;
  const end = Number(endText);
  if (end > 0xff) return `${text}: the range's end ${endText} is too large (at most 255)`;
  if (end <= (base & 0xff)) return notGreater(text);
  const last: IpAddress = canonical
    ? { family: 4, text: `${baseText.slice(0, baseText.lastIndexOf(".") + 1)}${end}` }
    : ipv4Address(((base & 0xffffff00) | end) >>> 0);
  return { first, last, crossesLastPart: false };
}

/** A dotted quad is canonical unless an octet has a leading zero; then its text is the address's, with no formatting. */
const LEADING_ZERO = /(^|\.)0\d/;

const notAnEntry = (text: string): string => `virtual_server_group entry must be IP, IP-LAST, IP-IP, IP/PREFIX or 'fwmark N', got ${text}`;
const notGreater = (text: string): string => `${text}: the range must end after it starts (keepalived refuses an end that is not greater)`;
const hostBitsSet = (text: string, prefix: number): string =>
  `${text} has bits set after its /${prefix} prefix; keepalived skips it (write the network address)`;

function fullRange(first: IpAddress, endText: string, text: string): AddressRange | string {
  const nextDash = endText.indexOf("-");
  const last = parseIpAddress(nextDash < 0 ? endText : endText.slice(0, nextDash));
  if (!last) return `${text}: invalid range end ${endText}`;
  if (last.family !== first.family) return `${text}: the range's ends are of different address families`;
  const a = ipAddressBytes(first);
  const b = ipAddressBytes(last);
  let order = 0;
  for (let i = 0; i < a.length && order === 0; i++) order = b[i]! - a[i]!;
  if (order < 0) return `${text}: the range ends before it starts`;
  return { first, last, crossesLastPart: !sameButLast(a, b) };
}

function maskedRange(first: IpAddress, prefixText: string, text: string): AddressRange | string {
  const bits = first.family === 4 ? 32 : 128;
  const prefix = /^\d+$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 1 && prefix <= bits)) return `${text}: the prefix length must be 1..${bits}`;
  const bytes = ipAddressBytes(first);
  const end = bytes.slice();
  for (let bit = prefix; bit < bits; bit++) {
    const i = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if (bytes[i]! & mask) return hostBitsSet(text, prefix);
    end[i] = end[i]! | mask;
  }
  return { first, last: ipAddressFromBytes(first.family, end), crossesLastPart: !sameButLast(bytes, end) };
}

/** Equal but for the last octet (4 bytes) or the last group (16 bytes). */
function sameButLast(a: Uint8Array, b: Uint8Array): boolean {
  const keep = a.length === 4 ? 3 : 14;
  for (let i = 0; i < keep; i++) if (a[i] !== b[i]) return false;
  return true;
}
