// /proc/net/ip_vs_stats as the appliance kernel (Debian 6.1) printed it in a qemu guest, after
// five HTTP requests through a NAT service and the estimator's next 2 s tick; and the format
// of ip_vs_ctl.c ip_vs_stats_show at its widest (%8LX ... %16LX).
import { describe, expect, test } from "bun:test";
import { parseIpVsStats } from "../../../src/ipvs/ip-vs-stats.ts";

const HEADER = "   Total Incoming Outgoing         Incoming         Outgoing\n   Conns  Packets  Packets            Bytes            Bytes\n";
const RATES = " Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n";

/** Captured: `cat /proc/net/ip_vs_stats` in the guest. */
const CAPTURED = `${HEADER}       5       22       1A              873              999\n\n${RATES}       0        3        2               CB               E6\n`;
/** Captured at boot, before any connection. */
const CAPTURED_IDLE = `${HEADER}       0        0        0                0                0\n\n${RATES}       0        0        0                0                0\n`;

describe("parseIpVsStats", () => {
  test("the totals line, in hex: connections, packets and bytes in and out (the rates are not totals)", () => {
    expect(parseIpVsStats(CAPTURED)).toEqual({ connections: 5, incomingPackets: 34, outgoingPackets: 26, incomingBytes: 2163, outgoingBytes: 2457 });
    expect(parseIpVsStats(CAPTURED_IDLE)).toEqual({ connections: 0, incomingPackets: 0, outgoingPackets: 0, incomingBytes: 0, outgoingBytes: 0 });
  });

  test("fields at their full width: 8 and 16 hex digits", () => {
    const wide = `${HEADER}FFFFFFFF 7FFFFFFF ABCDEF01 00000001DEADBEEF 001FFFFFFFFFFFFF\n\n${RATES}       0        0        0                0                0\n`;
    expect(parseIpVsStats(wide)).toEqual({
      connections: 0xffffffff,
      incomingPackets: 0x7fffffff,
      outgoingPackets: 0xabcdef01,
      incomingBytes: 0x1deadbeef,
      outgoingBytes: Number.MAX_SAFE_INTEGER,
    });
  });

  test("anything else is not the kernel's format: undefined, never a guess", () => {
    expect(parseIpVsStats("")).toBeUndefined();
    expect(parseIpVsStats(HEADER)).toBeUndefined();
    expect(parseIpVsStats(`${HEADER}       5       22       1A              873\n`)).toBeUndefined();
    expect(parseIpVsStats(`${HEADER}       5       22       1A              873              99G\n`)).toBeUndefined();
    expect(parseIpVsStats(`IP Virtual Server version 1.2.1 (size=4096)\n${HEADER}`)).toBeUndefined();
  });
});
