// The names of the ICMP and ICMPv6 errors a UDP_CHECK's socket is told of: every destination
// unreachable reads as unreachable (or as the "connection refused" of a port unreachable),
// with its sender when the kernel gave one; the MTU of a fragmentation needed or a packet too
// big; the other errors by type and code.
import { describe, expect, test } from "bun:test";
import { failureClass } from "../../../src/check/check-stats.ts";
import { describeIcmpError, isDestinationUnreachable, type IcmpError } from "../../../src/check/icmp-errors.ts";

const v4 = (type: number, code: number, extra: Partial<IcmpError> = {}): IcmpError => ({ version: 4, type, code, info: 0, from: "10.0.0.1", ...extra });
const v6 = (type: number, code: number, extra: Partial<IcmpError> = {}): IcmpError => ({ version: 6, type, code, info: 0, from: "fd00::1", ...extra });

describe("describeIcmpError", () => {
  test("ICMP destination unreachable, codes 0-15 (RFC 792, RFC 1812)", () => {
    expect(Array.from({ length: 17 }, (_, code) => describeIcmpError(v4(3, code)))).toEqual([
      "network unreachable (ICMP from 10.0.0.1)",
      "host unreachable (ICMP from 10.0.0.1)",
      "protocol unreachable (ICMP from 10.0.0.1)",
      "connection refused (ICMP port unreachable from 10.0.0.1)",
      "fragmentation needed and DF set (ICMP destination unreachable from 10.0.0.1)",
      "source route failed (ICMP destination unreachable from 10.0.0.1)",
      "destination network unknown (ICMP destination unreachable from 10.0.0.1)",
      "destination host unknown (ICMP destination unreachable from 10.0.0.1)",
      "source host isolated (ICMP destination unreachable from 10.0.0.1)",
      "destination network administratively prohibited (ICMP destination unreachable from 10.0.0.1)",
      "destination host administratively prohibited (ICMP destination unreachable from 10.0.0.1)",
      "network unreachable for the type of service (ICMP from 10.0.0.1)",
      "host unreachable for the type of service (ICMP from 10.0.0.1)",
      "communication administratively prohibited (ICMP destination unreachable from 10.0.0.1)",
      "host precedence violation (ICMP destination unreachable from 10.0.0.1)",
      "precedence cutoff in effect (ICMP destination unreachable from 10.0.0.1)",
      "destination unreachable, code 16 (ICMP from 10.0.0.1)",
    ]);
  });

  test("ICMPv6 destination unreachable, codes 0-8 (RFC 4443)", () => {
    expect(Array.from({ length: 9 }, (_, code) => describeIcmpError(v6(1, code)))).toEqual([
      "no route to destination (ICMPv6 destination unreachable from fd00::1)",
      "communication administratively prohibited (ICMPv6 destination unreachable from fd00::1)",
      "beyond the scope of the source address (ICMPv6 destination unreachable from fd00::1)",
      "address unreachable (ICMPv6 from fd00::1)",
      "connection refused (ICMPv6 port unreachable from fd00::1)",
      "source address failed ingress/egress policy (ICMPv6 destination unreachable from fd00::1)",
      "reject route to destination (ICMPv6 destination unreachable from fd00::1)",
      "error in the source routing header (ICMPv6 destination unreachable from fd00::1)",
      "headers too long (ICMPv6 destination unreachable from fd00::1)",
    ]);
  });

  test("the MTU of a fragmentation needed and of a packet too big; no sender, none said", () => {
    expect(describeIcmpError(v4(3, 4, { info: 1400 }))).toBe(
      "fragmentation needed and DF set (next-hop MTU 1400) (ICMP destination unreachable from 10.0.0.1)",
    );
    expect(describeIcmpError(v6(2, 0, { info: 1280, from: undefined }))).toBe("packet too big (next-hop MTU 1280) (ICMPv6 code 0)");
    expect(describeIcmpError(v4(3, 1, { from: undefined }))).toBe("host unreachable (ICMP)");
  });

  test("the other errors: time exceeded, parameter problem, and any other type by its numbers", () => {
    expect(describeIcmpError(v4(11, 1))).toBe("time exceeded (ICMP code 1 from 10.0.0.1)");
    expect(describeIcmpError(v4(12, 0))).toBe("parameter problem (ICMP code 0 from 10.0.0.1)");
    expect(describeIcmpError(v6(3, 0))).toBe("time exceeded (ICMPv6 code 0 from fd00::1)");
    expect(describeIcmpError(v6(4, 1))).toBe("parameter problem (ICMPv6 code 1 from fd00::1)");
    expect(describeIcmpError(v4(5, 1))).toBe("ICMP type 5 code 1 from 10.0.0.1");
  });

  test("every destination unreachable is counted as unreachable (or refused), nothing else is", () => {
    for (const error of [...Array.from({ length: 16 }, (_, code) => v4(3, code)), ...Array.from({ length: 9 }, (_, code) => v6(1, code))]) {
      const port = (error.version === 4 && error.code === 3) || (error.version === 6 && error.code === 4);
      expect([describeIcmpError(error), failureClass(describeIcmpError(error))]).toEqual([describeIcmpError(error), port ? "refused" : "unreachable"]);
    }
    expect([v4(3, 0), v6(1, 0)].every(isDestinationUnreachable)).toBe(true);
    expect([v4(11, 0), v6(3, 0), v6(2, 0), v4(1, 0)].some(isDestinationUnreachable)).toBe(false);
  });
});
