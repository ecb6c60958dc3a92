// The ICMP and ICMPv6 errors a checker's socket is told of (IP_RECVERR), and their names as
// a log line says them: the destination unreachable codes of RFC 792, RFC 1122 and RFC 1812
// (<linux/icmp.h> ICMP_NET_UNREACH...), those of RFC 4443 and RFC 6550 for ICMPv6
// (<linux/icmpv6.h> ICMPV6_NOROUTE...), and the few other errors the kernel queues. Pure.

/** One ICMP error about a datagram the checker sent. */
export interface IcmpError {
  /** 4: ICMP (RFC 792); 6: ICMPv6 (RFC 4443). */
  version: 4 | 6;
  type: number;
  code: number;
  /** The next-hop MTU of a fragmentation needed or a packet too big (the kernel's ee_info); 0 otherwise. */
  info: number;
  /** Its sender: the target, a router on the way, or this host (its ARP or ND got no answer). */
  from?: string;
}

export const ICMP_DEST_UNREACH = 3;
export const ICMP_FRAG_NEEDED = 4;
export const ICMP_PORT_UNREACH = 3;
export const ICMPV6_DEST_UNREACH = 1;
export const ICMPV6_PKT_TOOBIG = 2;
export const ICMPV6_PORT_UNREACH = 4;

/** RFC 792 and RFC 1812 5.2.7.1: destination unreachable, by code. */
const ICMP_UNREACHABLE: readonly string[] = [
  "network unreachable",
  "host unreachable",
  "protocol unreachable",
  "port unreachable",
  "fragmentation needed and DF set",
  "source route failed",
  "destination network unknown",
  "destination host unknown",
  "source host isolated",
  "destination network administratively prohibited",
  "destination host administratively prohibited",
  "network unreachable for the type of service",
  "host unreachable for the type of service",
  "communication administratively prohibited",
  "host precedence violation",
  "precedence cutoff in effect",
];

/** RFC 4443 3.1 (and RFC 6550 for 7, RFC 8883 for 8): destination unreachable, by code. */
const ICMPV6_UNREACHABLE: readonly string[] = [
  "no route to destination",
  "communication administratively prohibited",
  "beyond the scope of the source address",
  "address unreachable",
  "port unreachable",
  "source address failed ingress/egress policy",
  "reject route to destination",
  "error in the source routing header",
  "headers too long",
];

/** The other errors the kernel queues for a UDP socket: time exceeded, parameter problem (and ICMPv6's packet too big). */
const ICMP_OTHER: Readonly<Record<number, string>> = { 11: "time exceeded", 12: "parameter problem" };
const ICMPV6_OTHER: Readonly<Record<number, string>> = { 2: "packet too big", 3: "time exceeded", 4: "parameter problem" };

export function isDestinationUnreachable(error: IcmpError): boolean {
  return error.type === (error.version === 4 ? ICMP_DEST_UNREACH : ICMPV6_DEST_UNREACH);
}

function isPortUnreachable(error: IcmpError): boolean {
  return isDestinationUnreachable(error) && error.code === (error.version === 4 ? ICMP_PORT_UNREACH : ICMPV6_PORT_UNREACH);
}

/** "fragmentation needed and DF set", "packet too big": with the MTU the router gave, when it gave one. */
function withMtu(name: string, error: IcmpError): string {
  const carriesMtu = error.version === 4 ? isDestinationUnreachable(error) && error.code === ICMP_FRAG_NEEDED : error.type === ICMPV6_PKT_TOOBIG;
  return carriesMtu && error.info > 0 ? `${name} (next-hop MTU ${error.info})` : name;
}

/**
 * As the log says it: "host unreachable (ICMP from 10.0.0.1)"; a destination unreachable whose
 * name does not say so names the message ("communication administratively prohibited (ICMP
 * destination unreachable from 10.0.0.1)"), so that every one of them reads as unreachable;
 * the port unreachable is a "connection refused", as the socket's error has always said it.
 */
export function describeIcmpError(error: IcmpError): string {
  const protocol = error.version === 4 ? "ICMP" : "ICMPv6";
  const from = error.from !== undefined ? ` from ${error.from}` : "";
  if (isPortUnreachable(error)) return `connection refused (${protocol} port unreachable${from})`;
  if (isDestinationUnreachable(error)) {
    const name = (error.version === 4 ? ICMP_UNREACHABLE : ICMPV6_UNREACHABLE)[error.code];
    if (name === undefined) return `destination unreachable, code ${error.code} (${protocol}${from})`;
    return name.includes("unreachable") ? `${name} (${protocol}${from})` : `${withMtu(name, error)} (${protocol} destination unreachable${from})`;
  }
  const name = (error.version === 4 ? ICMP_OTHER : ICMPV6_OTHER)[error.type];
  if (name === undefined) return `${protocol} type ${error.type} code ${error.code}${from}`;
  return `${withMtu(name, error)} (${protocol} code ${error.code}${from})`;
}
