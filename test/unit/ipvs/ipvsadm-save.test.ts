// `ipvsadm -S -n` as ipvsadm 1.31 prints it, held byte for byte against ipvsadm's own printout
// of a table on the appliance kernel that uses every form it prints (test/fixtures/ipvs,
// capture-tables.ts), from the dump it read; and the normaliser that compares two tables.
import { describe, expect, test } from "bun:test";
import { ipvsadmList } from "../../../src/ipvs/ipvsadm-list.ts";
import { ipvsadmSave, sortedIpvsadmSave } from "../../../src/ipvs/ipvsadm-save.ts";
import { inetNtop, sortAsGlibcQsort, type PrintableService } from "../../../src/ipvs/ipvsadm-text.ts";
import { loadExchange } from "./support/captures.ts";
import { dumpedInfo, dumpedServices, printedText } from "./support/dumped-table.ts";
import { destination, fwmark, ip, service, tcp } from "./support/table-values.ts";

describe("ipvsadm's own printouts of a rich table", () => {
  test("ipvsadm -S -n: every line, in ipvsadm's order (even where its comparison wraps)", () => {
    const exchange = loadExchange("save-numeric");
    expect(ipvsadmSave({ services: dumpedServices(exchange) })).toBe(printedText(exchange));
  });

  test("ipvsadm -L -n --nosort: the kernel's order, as dumped (ipvsadm refuses --nosort with -S)", () => {
    const exchange = loadExchange("list-nosort");
    expect(ipvsadmList({ services: dumpedServices(exchange) }, { noSort: true, info: dumpedInfo(exchange)! })).toBe(printedText(exchange));
    expect(ipvsadmList({ services: dumpedServices(exchange) }, { info: dumpedInfo(exchange)! })).toBe(printedText(loadExchange("list-rich")));
  });

  for (const [name, listing] of [
    ["list-rich", "connections"],
    ["list-thresholds", "thresholds"],
    ["list-tun-info", "tun-info"],
    ["list-persistent-conn", "persistent-conn"],
  ] as const) {
    test(`${loadExchange(name).command}, the same table`, () => {
      const exchange = loadExchange(name);
      expect(ipvsadmList({ services: dumpedServices(exchange) }, { listing, info: dumpedInfo(exchange)! })).toBe(printedText(exchange));
    });
  }

  test("the table the capture built: a tunnel of the other family, port-less services, a fwmark past 2^31", () => {
    const text = printedText(loadExchange("save-numeric"));
    expect(text).toContain("-a -t 10.0.0.1:80 -r [2001:db8::7]:80 -i -w 1 --tun-type ipip\n");
    expect(text).toContain("-A -t 192.168.1.1:0 -s wlc -p 900\n");
    expect(text.split("\n")[0]).toBe("-A -f -1294967296 -s rr");
  });
});

describe("forms and corners", () => {
  test("glibc's inet_ntop: the first longest zero run, dotted IPv4-mapped and -compatible tails", () => {
    expect(inetNtop(ip("2001:db8:0:0:1:0:0:1"))).toBe("2001:db8::1:0:0:1");
    expect(inetNtop(ip("::ffff:10.0.0.1"))).toBe("::ffff:10.0.0.1");
    expect(inetNtop(ip("::10.0.0.1"))).toBe("::10.0.0.1");
    expect(inetNtop(ip("::1"))).toBe("::1");
    expect(inetNtop(ip("::"))).toBe("::");
    expect(inetNtop(ip("2001:db8::"))).toBe("2001:db8::");
    expect(inetNtop(ip("2001:0:1:0:1:0:1:0"))).toBe("2001:0:1:0:1:0:1:0");
  });

  test("a tunnel destination with no encapsulation given is IPIP, as the kernel reports it; bypass has no switch", () => {
    const table = {
      services: [
        {
          ...service(tcp("10.0.0.1", 80), "rr"),
          destinations: [destination("10.0.0.4", 80, "tunnel", 1), destination("10.0.0.5", 80, "bypass", 1), destination("10.0.0.6", 80, "local", 1)],
        },
      ],
    };
    expect(ipvsadmSave(table)).toBe(
      [
        "-A -t 10.0.0.1:80 -s rr",
        "-a -t 10.0.0.1:80 -r 10.0.0.4:80 -i -w 1 --tun-type ipip",
        "-a -t 10.0.0.1:80 -r 10.0.0.5:80 (null) -w 1",
        "-a -t 10.0.0.1:80 -r 10.0.0.6:80 -g -w 1",
        "",
      ].join("\n"),
    );
  });

  test("--pe even without persistence (ipvsadm prints what the kernel holds); an empty table prints nothing", () => {
    expect(ipvsadmSave({ services: [{ ...service(tcp("10.0.0.1", 5060), "rr", { persistenceEngine: "sip" }), destinations: [] }] })).toBe(
      "-A -t 10.0.0.1:5060 -s rr --pe sip\n",
    );
    expect(ipvsadmSave({ services: [] })).toBe("");
    expect(ipvsadmList({ services: [] })).toBe(
      "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n",
    );
  });

  test("sortAsGlibcQsort: halves of n/2, the left taken on ties, so equal items keep their order", () => {
    const items = [3, 1, 2, 1, 3].map((n, i) => ({ n, i }));
    expect(sortAsGlibcQsort(items, (a, b) => a.n - b.n).map((x) => x.i)).toEqual([1, 3, 2, 0, 4]);
  });
});

describe("sortedIpvsadmSave", () => {
  const a: PrintableService = {
    ...service(tcp("10.0.0.1", 80), "rr"),
    destinations: [destination("10.0.0.3", 80, "masquerade", 1), destination("10.0.0.2", 80, "masquerade", 1)],
  };
  const b: PrintableService = { ...service(fwmark(7), "lc"), destinations: [destination("10.0.0.9", 0, "direct-route", 4)] };

  test("equal tables printed in any order normalise to the same text", () => {
    const one = ipvsadmSave({ services: [a, b] });
    const other = ipvsadmSave({ services: [b, { ...a, destinations: [...a.destinations].reverse() }] }, { noSort: true });
    expect(one).not.toBe(other);
    expect(sortedIpvsadmSave(one)).toBe(sortedIpvsadmSave(other));
    expect(sortedIpvsadmSave(one)).toBe(
      [
        "-A -f 7 -s lc",
        "-a -f 7 -r 10.0.0.9:0 -g -w 4",
        "-A -t 10.0.0.1:80 -s rr",
        "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1",
        "-a -t 10.0.0.1:80 -r 10.0.0.3:80 -m -w 1",
        "",
      ].join("\n"),
    );
  });

  test("a different weight, scheduler or destination set is a different text", () => {
    const base = sortedIpvsadmSave(ipvsadmSave({ services: [a] }));
    const reweighted = { ...a, destinations: [a.destinations[0]!, { ...a.destinations[1]!, weight: 2 }] };
    expect(sortedIpvsadmSave(ipvsadmSave({ services: [reweighted] }))).not.toBe(base);
    expect(sortedIpvsadmSave(ipvsadmSave({ services: [{ ...a, scheduler: "wrr" }] }))).not.toBe(base);
    expect(sortedIpvsadmSave(ipvsadmSave({ services: [{ ...a, destinations: a.destinations.slice(1) }] }))).not.toBe(base);
  });

  test("blank lines and trailing spaces do not count; a destination stays with its service", () => {
    expect(sortedIpvsadmSave("\n-A -t 10.0.0.8:443 -s sh -b \n\n-a -t 10.0.0.8:443 -r 10.0.0.2:443 -m -w 1  \n")).toBe(
      "-A -t 10.0.0.8:443 -s sh -b\n-a -t 10.0.0.8:443 -r 10.0.0.2:443 -m -w 1\n",
    );
  });
});
