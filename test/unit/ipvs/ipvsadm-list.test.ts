// `ipvsadm -L -n` as ipvsadm 1.31 prints it: held byte for byte against ipvsadm's own printouts
// of the appliance kernel's table (test/fixtures/ipvs), from the dump it read; then the listings
// and corners the captures do not reach, from ipvsadm.c's format strings.
import { describe, expect, test } from "bun:test";
import { ipvsadmList, largeNumber, type ExtraColumn } from "../../../src/ipvs/ipvsadm-list.ts";
import type { PrintableService } from "../../../src/ipvs/ipvsadm-text.ts";
import { ZERO_COUNTERS } from "../../../src/ipvs/ipvs-stats-attributes.ts";
import { destinationText } from "../../../src/ipvs/types.ts";
import { loadExchange } from "./support/captures.ts";
import { dumpedInfo, dumpedServices, printedText } from "./support/dumped-table.ts";
import { destination, flags, fwmark, ip, service, tcp, udp } from "./support/table-values.ts";

describe("ipvsadm's own printouts of the captured kernel table", () => {
  for (const [name, listing] of [
    ["list-numeric", "connections"],
    ["list-stats", "stats"],
    ["list-rates", "rate"],
  ] as const) {
    test(`${loadExchange(name).command}`, () => {
      const exchange = loadExchange(name);
      const info = dumpedInfo(exchange)!;
      expect(ipvsadmList({ services: dumpedServices(exchange) }, { listing, info })).toBe(printedText(exchange));
    });
  }

  test("ipvsadm -L -n -t 10.0.0.7:443: one service, no version line (list_service)", () => {
    const exchange = loadExchange("get-service-one");
    expect(ipvsadmList({ services: dumpedServices(exchange) })).toBe(printedText(exchange));
  });

  test("the kernel dumps in hash order; ipvsadm sorts (v4 before v6 before fwmarks, TCP before UDP), --nosort does not", () => {
    const services = dumpedServices(loadExchange("list-numeric"));
    const sorted = ipvsadmList({ services })
      .split("\n")
      .filter((l) => /^(TCP|UDP|FWM)/.test(l));
    expect(sorted.map((l) => l.split(" ").filter(Boolean).slice(0, 2).join(" "))).toEqual([
      "TCP 10.0.0.1:80",
      "TCP 10.0.0.7:443",
      "TCP 10.0.0.100:80",
      "UDP 10.0.0.1:53",
      "TCP [2001:db8::1]:80",
      "FWM 7",
      "FWM 9",
    ]);
    const reversed = [...services].reverse();
    const unsorted = ipvsadmList({ services: reversed }, { noSort: true })
      .split("\n")
      .filter((l) => /^(TCP|UDP|FWM)/.test(l));
    expect(unsorted[0]!.startsWith(reversed[0]!.key.kind === "fwmark" ? "FWM" : reversed[0]!.key.protocol)).toBe(true);
    expect(unsorted).not.toEqual(sorted);
  });
});

const web = (extra: Partial<PrintableService> = {}): PrintableService => ({
  ...service(tcp("10.0.0.1", 80), "wrr"),
  destinations: [destination("10.0.0.3", 80, "direct-route", 2, { upperThreshold: 100, lowerThreshold: 10 }), destination("10.0.0.2", 80, "masquerade", 1)],
  ...extra,
});

describe("the other listings, from ipvsadm.c's format strings", () => {
  test("--thresholds and --persistent-conn", () => {
    expect(ipvsadmList({ services: [web()] }, { listing: "thresholds" })).toBe(
      [
        "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn ",
        "  -> RemoteAddress:Port",
        "TCP  10.0.0.1:80 wrr",
        "  -> 10.0.0.2:80                  0          0          0          0         ",
        "  -> 10.0.0.3:80                  100        10         0          0         ",
        "",
      ].join("\n"),
    );
    const stats = { ...ZERO_COUNTERS, activeConnections: 4, inactiveConnections: 5, persistentConnections: 3 };
    const persistent = web({ destinations: [{ ...destination("10.0.0.2", 80, "masquerade", 7), stats }] });
    expect(
      ipvsadmList({ services: [persistent] }, { listing: "persistent-conn" })
        .split("\n")
        .slice(0, 4),
    ).toEqual([
      "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn ",
      "  -> RemoteAddress:Port",
      "TCP  10.0.0.1:80 wrr",
      "  -> 10.0.0.2:80                  7         3           4          5         ",
    ]);
  });

  test("--tun-info: ipip, gue:port:csum and gre:csum for tunnels, n/a for the rest", () => {
    const tunnels = web({
      destinations: [
        destination("10.0.0.4", 80, "tunnel", 1, { tunnel: { type: "ipip", port: 0, checksum: "nocsum" } }),
        destination("10.0.0.5", 80, "tunnel", 2, { tunnel: { type: "gue", port: 6080, checksum: "remcsum" } }),
        destination("10.0.0.6", 80, "tunnel", 2, { tunnel: { type: "gre", port: 0, checksum: "csum" } }),
        destination("10.0.0.2", 80, "masquerade", 1),
      ],
    });
    expect(ipvsadmList({ services: [tunnels] }, { listing: "tun-info" })).toBe(
      [
        "Prot LocalAddress:Port Scheduler Flags",
        "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn",
        "TCP  10.0.0.1:80 wrr",
        "  -> 10.0.0.2:80                  Masq    n/a           1      0          0         ",
        "  -> 10.0.0.4:80                  Tunnel  ipip          1      0          0         ",
        "  -> 10.0.0.5:80                  Tunnel  gue:6080:r+c  2      0          0         ",
        "  -> 10.0.0.6:80                  Tunnel  gre:+c        2      0          0         ",
        "",
      ].join("\n"),
    );
  });

  test("service flags: flag-1..3 by name except under sh and mh; pe only when persistent; ops after; SCTP and a negative fwmark", () => {
    const line = (s: PrintableService) => ipvsadmList({ services: [s] }).split("\n")[2];
    expect(line({ ...service(tcp("10.0.0.1", 80), "rr", { flags: flags({ sched1: true, sched3: true }) }), destinations: [] })).toBe(
      "TCP  10.0.0.1:80 rr (flag-1,flag-3)",
    );
    expect(line({ ...service(tcp("10.0.0.1", 80), "mh", { flags: flags({ sched1: true, sched2: true }) }), destinations: [] })).toBe(
      "TCP  10.0.0.1:80 mh (mh-fallback,mh-port)",
    );
    expect(line({ ...service(tcp("10.0.0.1", 80), "sh", { flags: flags({ sched3: true }) }), destinations: [] })).toBe("TCP  10.0.0.1:80 sh ()");
    expect(
      line({
        ...service(udp("10.0.0.8", 5060), "rr", { flags: flags({ persistent: true, onePacket: true }), timeoutS: 60, persistenceEngine: "sip" }),
        destinations: [],
      }),
    ).toBe("UDP  10.0.0.8:5060 rr persistent 60 pe sip ops");
    expect(line({ ...service(udp("10.0.0.8", 5060), "rr", { persistenceEngine: "sip" }), destinations: [] })).toBe("UDP  10.0.0.8:5060 rr");
    expect(line({ ...service({ kind: "address", protocol: "SCTP", address: ip("2001:db8::1"), port: 9 }, "rr"), destinations: [] })).toBe(
      "SCTP [2001:db8::1]:9 rr",
    );
    expect(line({ ...service(fwmark(4294967295, 6), "rr"), destinations: [] })).toBe("FWM  -1 IPv6 rr");
  });

  test("print_largenum: nine columns, K/M/G/T past 100 million (truncated), --exact widens", () => {
    expect(largeNumber(99_999_999, false)).toBe(" 99999999");
    expect(largeNumber(100_000_000, false)).toBe("  100000K");
    expect(largeNumber(999_999_999, false)).toBe("  999999K");
    expect(largeNumber(1_000_000_000, false)).toBe("    1000M");
    expect(largeNumber(100_000_000_000, false)).toBe("     100G");
    expect(largeNumber(123_456_789_012_345, false)).toBe("     123T");
    expect(largeNumber(12, true)).toBe("       12");
    expect(largeNumber(1_234_567_890, true)).toBe(" 1234567890");
  });
});

describe("extra columns for tandem ipvs", () => {
  const health: Record<string, { desired: number; alive: boolean; drained: boolean }> = {
    "10.0.0.2:80": { desired: 1, alive: true, drained: false },
    "10.0.0.3:80": { desired: 0, alive: true, drained: true },
  };
  const columns: ExtraColumn[] = [
    { title: "Desired", cell: (_s, d) => String(health[destinationText(d)]?.desired ?? "-") },
    { title: "Alive", cell: (_s, d) => (health[destinationText(d)]?.alive ? "yes" : "no") },
    { title: "Drained", width: 7, cell: (_s, d) => (health[destinationText(d)]?.drained ? "yes" : "no") },
  ];

  test("after ipvsadm's columns, titled in line with the cells; service lines untouched", () => {
    expect(ipvsadmList({ services: [web()] }, { extraColumns: columns })).toBe(
      [
        "Prot LocalAddress:Port Scheduler Flags",
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn  Desired Alive Drained",
        "TCP  10.0.0.1:80 wrr",
        "  -> 10.0.0.2:80                  Masq    1      0          0          1       yes   no     ",
        "  -> 10.0.0.3:80                  Route   2      0          0          0       yes   yes    ",
        "",
      ].join("\n"),
    );
  });

  test("with --stats too", () => {
    const text = ipvsadmList({ services: [web()] }, { listing: "stats", extraColumns: columns.slice(0, 1) });
    const [, remote, , first] = text.split("\n");
    expect(remote!.indexOf("Desired")).toBe(first!.lastIndexOf("1"));
  });
});
