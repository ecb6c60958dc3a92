// IP address text to the network-order bytes a subjectAltName iPAddress holds (RFC 5280
// §4.2.1.6: 4 octets for IPv4, 16 for IPv6). IPv6 text as RFC 4291 §2.2 writes it.
import { ipv4ToBytes, parseIpv4 } from "../common/ipv4.ts";

/** The address's bytes, or undefined when the text is neither IPv4 nor IPv6. */
export function ipAddressBytes(text: string): Uint8Array | undefined {
  if (!text.includes(":")) {
    const v4 = parseIpv4(text);
    return v4 === undefined ? undefined : ipv4ToBytes(v4);
  }
  return ipv6Bytes(text.replace(/^\[(.*)\]$/, "$1"));
}

function ipv6Bytes(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  const total = head.length + tail.length;
  // "::" stands for at least one zero group; without it there must be exactly eight.
  if (halves.length === 2 ? total > 7 : total !== 8) return undefined;
  const words = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const out = new Uint8Array(16);
  words.forEach((word, i) => {
    out[2 * i] = word >> 8;
    out[2 * i + 1] = word & 0xff;
  });
  return out;
}

/** 16-bit groups of one side of "::"; an embedded IPv4 (::ffff:1.2.3.4) may end the address. */
function groupsOf(part: string, mayEndInIpv4: boolean): number[] | undefined {
  if (part === "") return [];
  const pieces = part.split(":");
  const words: number[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (mayEndInIpv4 && i === pieces.length - 1 && piece.includes(".")) {
      const v4 = parseIpv4(piece);
      if (v4 === undefined) return undefined;
      words.push(v4 >>> 16, v4 & 0xffff);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) words.push(parseInt(piece, 16));
    else return undefined;
  }
  return words;
}
