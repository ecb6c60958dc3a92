// virtual_server: its header and every keyword of keepalived 2.2.7's block, with their errors.
// The expected diagnostics were checked against `keepalived -t` 2.2.7 where keepalived reports one.

import { describe, expect, test } from "bun:test";
import type { IpAddress } from "../../../src/common/ip-address.ts";
import { parseIpv4 } from "../../../src/common/ipv4.ts";
import { parseText } from "./helpers.ts";

const RS = "  real_server 10.0.0.2 80 {\n  }\n";
/** A virtual server whose 5th line is `line` (after protocol, lvs_sched and lvs_method), with one real server after it. */
const withLine = (line: string, header = "10.0.0.1 80", rs = RS) =>
  parseText(`virtual_server ${header} {\n  protocol TCP\n  lvs_sched rr\n  lvs_method NAT\n  ${line}\n${rs}}\n`);
const vsOf = (r: ReturnType<typeof parseText>) => r.config?.virtualServers[0];
const v4 = (text: string): IpAddress => ({ family: 4, text });
const v6 = (text: string): IpAddress => ({ family: 6, text });

describe("virtual_server header", () => {
  test("IPv4 address and port", () => {
    const r = withLine("");
    expect(r.messages).toEqual([]);
    expect(vsOf(r)).toMatchObject({ key: { kind: "address", address: v4("10.0.0.1"), port: 80 }, family: 4 });
  });

  test("IPv6 address, kept in RFC 5952 form; its real servers IPv6 too", () => {
    const r = withLine("", "2001:DB8:0:0::1 443", "  real_server 2001:db8::0:2 443 {\n  }\n");
    expect(r.messages).toEqual([]);
    expect(vsOf(r)).toMatchObject({ key: { kind: "address", address: v6("2001:db8::1"), port: 443 }, family: 6 });
    expect(vsOf(r)?.realServers[0]?.address).toEqual(v6("2001:db8::2"));
  });

  test("no port (or port 0): only a persistent service may do that, so keepalived makes it persistent", () => {
    for (const header of ["10.0.0.1", "10.0.0.1 0"]) {
      const r = withLine("", header, "  real_server 10.0.0.2 {\n  }\n");
      expect(r.warnings).toEqual([
        `keepalived.conf:1:1: warning: virtual_server 10.0.0.1: only a persistent service may have no port; keepalived sets persistence_timeout 360`,
      ]);
      expect(vsOf(r)).toMatchObject({ key: { port: 0 }, persistenceTimeoutS: 360 });
    }
    expect(withLine("persistence_timeout 60", "10.0.0.1", "  real_server 10.0.0.2 {\n  }\n").messages).toEqual([]);
  });

  test("fwmark N and group NAME", () => {
    expect(vsOf(withLine("", "fwmark 7"))?.key).toEqual({ kind: "fwmark", fwmark: 7 });
    const r = parseText(`virtual_server_group G {\n  10.0.0.1 80\n}\nvirtual_server group G {\n  protocol TCP\n  lvs_sched rr\n  lvs_method NAT\n${RS}}\n`);
    expect(r.messages).toEqual([]);
    expect(vsOf(r)).toMatchObject({ key: { kind: "group", group: "G" }, family: 4 });
  });

  test("a range or mask after virtual_server: keepalived reads the address before it, with a warning here", () => {
    const r = withLine("", "10.0.0.1-9 80");
    expect(r.warnings).toEqual([
      "keepalived.conf:1:16: warning: virtual_server takes one address, not a range or mask: keepalived reads 10.0.0.1-9 as 10.0.0.1, and so does tandem",
    ]);
    expect(vsOf(r)?.key).toMatchObject({ address: v4("10.0.0.1") });
  });

  test("errors: a bad address, a bracketed IPv6 address (keepalived has no such form), a bad port, fwmark 0 or none", () => {
    expect(withLine("", "10.0.0.999 80").errors).toEqual([
      "keepalived.conf:1:16: error: virtual_server address must be an IPv4 or IPv6 address, got 10.0.0.999",
    ]);
    expect(withLine("", "[2001:db8::1] 80").errors).toEqual([
      "keepalived.conf:1:16: error: virtual_server address must be an IPv4 or IPv6 address, got [2001:db8::1]",
    ]);
    expect(withLine("", "10.0.0.1 99999").errors).toEqual(["keepalived.conf:1:25: error: virtual_server port must be 0..65535, got 99999"]);
    expect(withLine("", "fwmark 0").errors).toEqual(["keepalived.conf:1:23: error: fwmark must be 1..4294967295, got 0"]);
    expect(withLine("", "fwmark").errors).toEqual(["keepalived.conf:1:1: error: virtual_server needs a firewall mark number"]);
    expect(parseText("virtual_server group NOPE {\n  protocol TCP\n}").errors).toEqual([
      "keepalived.conf:1:1: error: virtual_server group NOPE: there is no virtual_server_group NOPE",
    ]);
  });
});

describe("defaults and the repairs keepalived reports", () => {
  test("keepalived's defaults: delay_loop 60, connect_timeout 5, quorum 1, weight 1; no lvs_sched is wlc and no lvs_method NAT, each with its warning", () => {
    const r = parseText(`virtual_server 10.0.0.1 81 {\n  protocol TCP\n${RS}}\n`);
    expect(r.warnings).toEqual([
      "keepalived.conf:1:1: warning: virtual_server 10.0.0.1 81 has no lvs_sched; keepalived uses wlc",
      "keepalived.conf:1:1: warning: virtual_server 10.0.0.1 81 has no lvs_method; keepalived uses NAT",
    ]);
    expect(vsOf(r)).toMatchObject({
      delayLoopS: 60,
      lbAlgo: "wlc",
      lbKind: "NAT",
      quorum: 1,
      hysteresis: 0,
      weight: 1,
      alpha: false,
      omega: false,
      haSuspend: false,
      onePacket: false,
      schedulerFlags: { flag1: false, flag2: false, flag3: false },
      checkDefaults: { connectTimeoutS: 5, delayLoopS: 60, alpha: false },
    });
    expect(vsOf(r)?.realServers[0]).toMatchObject({ port: 80, weight: 1, inhibitOnFailure: false, lbKind: "NAT", uthreshold: 0, lthreshold: 0, checkers: [] });
  });

  test("no protocol: keepalived 2.2.7 uses UDP (seen in keepalived -d) and says so", () => {
    const r = parseText(`virtual_server 10.0.0.1 81 {\n  lvs_sched rr\n  lvs_method NAT\n${RS}}\n`);
    expect(r.warnings).toEqual([
      "keepalived.conf:1:1: warning: virtual_server has no protocol; keepalived 2.2.7 defaults to UDP - add 'protocol TCP' if that is what you mean",
    ]);
    expect(vsOf(r)?.protocol).toBe("UDP");
  });

  test("a virtual server without real servers is ignored, as keepalived ignores it, even with a sorry server", () => {
    const r = parseText("virtual_server 10.0.0.1 80 {\n  protocol TCP\n  sorry_server 10.0.0.9 80\n}\n");
    expect(r.warnings).toEqual(["keepalived.conf:1:1: warning: virtual_server 10.0.0.1 80 has no real_server; keepalived ignores it, and so does tandem"]);
    expect(r.config?.virtualServers).toEqual([]);
  });

  test("keywords keepalived 2.2.7's virtual_server does not have are unknown, as there (connect_port, bindto, fwmark, nat_mask)", () => {
    for (const line of ["connect_port 80", "bindto 10.0.0.3", "fwmark 3", "nat_mask 255.255.255.0"]) {
      const r = withLine(line);
      expect(r.warnings).toEqual([`keepalived.conf:5:3: warning: unknown keyword '${line.split(" ")[0]}' in virtual_server; ignored`]);
    }
  });

  test("smtp_alert and snmp_name are parsed and ignored with a warning", () => {
    expect(withLine("smtp_alert").warnings).toEqual(["keepalived.conf:5:3: warning: parsed but not implemented: smtp_alert"]);
    expect(withLine("snmp_name web").warnings).toEqual(["keepalived.conf:5:3: warning: parsed but not implemented: snmp_name"]);
  });
});

describe("lvs_sched / lb_algo", () => {
  for (const scheduler of ["rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos"]) {
    test(`lvs_sched ${scheduler}`, () => {
      const r = parseText(`virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lvs_sched ${scheduler}\n  lvs_method NAT\n${RS}}\n`);
      expect(r.messages).toEqual([]);
      expect(vsOf(r)?.lbAlgo).toBe(scheduler);
    });
  }

  test("lb_algo is its synonym; an unknown scheduler is an error", () => {
    expect(vsOf(withLine("lb_algo wrr"))?.lbAlgo).toBe("wrr");
    expect(withLine("lvs_sched bogus").errors).toEqual([
      "keepalived.conf:5:13: error: lvs_sched must be one of rr|wrr|lc|wlc|lblc|sh|mh|dh|fo|ovf|lblcr|sed|nq|twos, got bogus",
    ]);
  });
});

describe("scheduler flags and ops", () => {
  const flags = (lines: string, scheduler = "rr") =>
    parseText(`virtual_server 10.0.0.1 80 {\n  protocol UDP\n  lvs_sched ${scheduler}\n  lvs_method NAT\n${lines}\n${RS}}\n`);

  test("flag-1, flag-2, flag-3 with any scheduler", () => {
    const r = flags("  flag-1\n  flag-2\n  flag-3");
    expect(r.messages).toEqual([]);
    expect(vsOf(r)?.schedulerFlags).toEqual({ flag1: true, flag2: true, flag3: true });
  });

  test("sh-port is flag 2 and sh-fallback flag 1, after lvs_sched sh", () => {
    expect(vsOf(flags("  sh-port", "sh"))?.schedulerFlags).toEqual({ flag1: false, flag2: true, flag3: false });
    expect(vsOf(flags("  sh-fallback", "sh"))?.schedulerFlags).toEqual({ flag1: true, flag2: false, flag3: false });
  });

  test("mh-port is flag 2 and mh-fallback flag 1, after lvs_sched mh", () => {
    expect(vsOf(flags("  mh-port", "mh"))?.schedulerFlags).toEqual({ flag1: false, flag2: true, flag3: false });
    expect(vsOf(flags("  mh-fallback", "mh"))?.schedulerFlags).toEqual({ flag1: true, flag2: false, flag3: false });
  });

  test("sh-port before lvs_sched sh, or with another scheduler, is an error, as keepalived reads the block in order", () => {
    expect(flags("  sh-port").errors).toEqual([
      "keepalived.conf:5:3: error: sh-port applies only after 'lvs_sched sh' (keepalived reads the block in order); without it keepalived ignores sh-port",
    ]);
    expect(flags("  mh-fallback").errors).toEqual([
      "keepalived.conf:5:3: error: mh-fallback applies only after 'lvs_sched mh' (keepalived reads the block in order); without it keepalived ignores mh-fallback",
    ]);
  });

  test("an sh flag with lvs_sched mh (and the reverse) has no effect, as in keepalived", () => {
    const r = flags("  sh-port", "mh");
    expect(r.warnings).toEqual(["keepalived.conf:5:3: warning: sh-port has no effect with lvs_sched mh; keepalived ignores it"]);
    expect(vsOf(r)?.schedulerFlags).toEqual({ flag1: false, flag2: false, flag3: false });
  });

  test("hashed: no effect after sh or mh, an error otherwise (keepalived's own rule)", () => {
    expect(flags("  hashed", "sh").warnings).toEqual(["keepalived.conf:5:3: warning: hashed has no effect with lvs_sched sh; keepalived ignores it"]);
    expect(flags("  hashed").errors).toEqual([
      "keepalived.conf:5:3: error: hashed applies only after 'lvs_sched sh' (keepalived reads the block in order); without it keepalived ignores hashed",
    ]);
  });

  test("ops on UDP and on a fwmark service; on TCP keepalived clears it and says so", () => {
    expect(vsOf(flags("  ops"))?.onePacket).toBe(true);
    expect(vsOf(withLine("ops", "fwmark 3", "  real_server 10.0.0.2 {\n  }\n"))?.onePacket).toBe(true);
    const r = withLine("ops");
    expect(r.warnings).toEqual([
      "keepalived.conf:5:3: warning: virtual_server 10.0.0.1 80: ops (one-packet scheduling) needs protocol UDP; keepalived clears it",
    ]);
    expect(vsOf(r)?.onePacket).toBe(false);
  });
});

describe("protocol", () => {
  test("TCP, UDP, SCTP, any case", () => {
    for (const [written, protocol] of [
      ["TCP", "TCP"],
      ["UDP", "UDP"],
      ["SCTP", "SCTP"],
      ["udp", "UDP"],
      ["Sctp", "SCTP"],
    ]) {
      const r = parseText(`virtual_server 10.0.0.1 80 {\n  protocol ${written}\n  lvs_sched rr\n  lvs_method NAT\n${RS}}\n`);
      expect(r.messages).toEqual([]);
      expect(vsOf(r)?.protocol).toBe(protocol as "TCP");
    }
  });

  test("an unknown protocol is an error; on a fwmark service keepalived ignores it, with a warning", () => {
    expect(withLine("protocol ICMP").errors).toEqual(["keepalived.conf:5:12: error: protocol must be TCP, UDP or SCTP, got ICMP"]);
    const r = withLine("", "fwmark 3", "  real_server 10.0.0.2 {\n  }\n");
    expect(r.warnings).toEqual(["keepalived.conf:2:3: warning: protocol specified for a fwmark virtual server is ignored (as in keepalived)"]);
    expect(vsOf(r)?.protocol).toBeUndefined();
  });
});

describe("persistence", () => {
  test("persistence_timeout N, and 360 s without a value", () => {
    expect(vsOf(withLine("persistence_timeout 900"))?.persistenceTimeoutS).toBe(900);
    expect(vsOf(withLine("persistence_timeout"))?.persistenceTimeoutS).toBe(360);
  });

  test("persistence_timeout errors: 0 and more than 31 days (LVS_MAX_TIMEOUT)", () => {
    expect(withLine("persistence_timeout 0").errors).toEqual(["keepalived.conf:5:23: error: persistence_timeout must be 1..2678400, got 0"]);
    expect(withLine("persistence_timeout 2678401").errors).toEqual(["keepalived.conf:5:23: error: persistence_timeout must be 1..2678400, got 2678401"]);
  });

  test("persistence_granularity: a netmask for IPv4, which makes the service persistent (360 s) unless a timeout is given", () => {
    const r = withLine("persistence_granularity 255.255.255.0");
    expect(r.messages).toEqual([]);
    expect(vsOf(r)).toMatchObject({ persistenceGranularity: { kind: "netmask", netmask: parseIpv4("255.255.255.0") }, persistenceTimeoutS: 360 });
    expect(vsOf(withLine("persistence_granularity 255.255.0.0\n  persistence_timeout 50"))?.persistenceTimeoutS).toBe(50);
  });

  test("persistence_granularity: a prefix length for IPv6", () => {
    const r = withLine("persistence_granularity 64", "2001:db8::1 80", "  real_server 2001:db8::2 80 {\n  }\n");
    expect(r.messages).toEqual([]);
    expect(vsOf(r)?.persistenceGranularity).toEqual({ kind: "prefix", prefixLength: 64 });
  });

  test("on a fwmark service with no family yet, the granularity's form decides it, as in keepalived", () => {
    const a = withLine("persistence_granularity 255.255.255.0", "fwmark 3", "  real_server 10.0.0.2 {\n  }\n");
    expect(vsOf(a)?.family).toBe(4);
    const b = withLine("persistence_granularity 96", "fwmark 3", "  real_server 2001:db8::2 {\n  }\n");
    expect(vsOf(b)).toMatchObject({ family: 6, persistenceGranularity: { kind: "prefix", prefixLength: 96 } });
    // The family is settled: a non-tunnelled IPv4 real server no longer fits.
    expect(withLine("persistence_granularity 96", "fwmark 3", "  real_server 10.0.0.2 {\n  }\n").errors).toEqual([
      "keepalived.conf:6:3: error: real_server 10.0.0.2 is IPv4 but the virtual server is IPv6; keepalived skips it (only a TUN real server may differ)",
    ]);
  });

  test("persistence_granularity errors: a v4 service needs a netmask (keepalived would read 64 as 0.0.0.64), a v6 one 1..128", () => {
    expect(withLine("persistence_granularity 64").errors).toEqual([
      "keepalived.conf:5:27: error: persistence_granularity for IPv4 must be a netmask such as 255.255.255.0, got 64",
    ]);
    expect(withLine("persistence_granularity 129", "2001:db8::1 80", "  real_server 2001:db8::2 80 {\n  }\n").errors).toEqual([
      "keepalived.conf:5:27: error: persistence_granularity for IPv6 (a prefix length) must be 1..128, got 129",
    ]);
  });

  test("persistence_engine NAME; longer than 15 characters is an error (keepalived cuts it)", () => {
    expect(vsOf(withLine("persistence_engine sip"))?.persistenceEngine).toBe("sip");
    expect(withLine("persistence_engine abcdefghijklmnop").errors).toEqual([
      "keepalived.conf:5:22: error: persistence_engine name is longer than 15 characters (keepalived cuts it): abcdefghijklmnop",
    ]);
  });
});

describe("lvs_method / lb_kind on the virtual server", () => {
  test("NAT, DR, TUN; lb_kind is its synonym", () => {
    const kinds = (line: string) => vsOf(parseText(`virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lvs_sched rr\n  ${line}\n${RS}}\n`));
    expect(kinds("lvs_method DR")).toMatchObject({ lbKind: "DR", realServers: [{ lbKind: "DR" }] });
    expect(kinds("lb_kind DR")).toMatchObject({ lbKind: "DR" });
    expect(kinds("lvs_method TUN")).toMatchObject({ lbKind: "TUN", tunnel: { type: "ipip", port: 0, checksum: "nocsum" } });
    expect(kinds("lvs_method TUN type gue port 6080 remcsum")?.realServers[0]).toMatchObject({
      lbKind: "TUN",
      tunnel: { type: "gue", port: 6080, checksum: "remcsum" },
    });
    expect(kinds("lvs_method NAT")?.tunnel).toBeUndefined();
  });

  test("a real server takes the method the block has when the real server starts, as keepalived copies it then", () => {
    const r = parseText(
      `virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lvs_sched rr\n  lvs_method DR\n  real_server 10.0.0.2 80 {\n  }\n  lvs_method TUN\n  real_server 10.0.0.3 80 {\n  }\n}\n`,
    );
    expect(vsOf(r)?.realServers.map((rs) => rs.lbKind)).toEqual(["DR", "TUN"]);
    // With none before it, the real server takes the block's final method.
    const late = parseText(`virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lvs_sched rr\n${RS}  lvs_method DR\n}\n`);
    expect(vsOf(late)?.realServers[0]?.lbKind).toBe("DR");
  });
});

describe("flags without a value: alpha, omega, ha_suspend, inhibit_on_failure", () => {
  for (const [keyword, field] of [
    ["alpha", "alpha"],
    ["omega", "omega"],
    ["ha_suspend", "haSuspend"],
    ["inhibit_on_failure", "inhibitOnFailure"],
  ] as const) {
    test(keyword, () => {
      const r = withLine(keyword);
      expect(r.messages).toEqual([]);
      expect(vsOf(r)?.[field]).toBe(true);
    });

    test(`${keyword} off: keepalived sets it anyway, and a warning says so`, () => {
      const r = withLine(`${keyword} off`);
      expect(r.warnings).toEqual([
        `keepalived.conf:5:${4 + keyword.length}: warning: ${keyword} takes no value here; keepalived sets it whatever follows, and so does tandem`,
      ]);
      expect(vsOf(r)?.[field]).toBe(true);
    });
  }

  test("ha_suspend with a fwmark: keepalived clears it, with a warning", () => {
    const r = withLine("ha_suspend", "fwmark 3", "  real_server 10.0.0.2 {\n  }\n");
    expect(r.warnings).toContain("keepalived.conf:5:3: warning: virtual_server fwmark 3: ha_suspend cannot be used with fwmarks; keepalived clears it");
    expect(vsOf(r)?.haSuspend).toBe(false);
  });

  test("alpha and inhibit_on_failure are the defaults of the real servers", () => {
    const r = withLine("alpha\n  inhibit_on_failure");
    expect(vsOf(r)?.realServers[0]).toMatchObject({ inhibitOnFailure: true, checkDefaults: { alpha: true } });
  });
});

describe("quorum, hysteresis, weight", () => {
  const pool = (lines: string) =>
    parseText(
      `virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lvs_sched wrr\n  lvs_method NAT\n${lines}\n  real_server 10.0.0.2 80 {\n    weight 3\n  }\n  real_server 10.0.0.3 80 {\n    weight 4\n  }\n}\n`,
    );

  test("quorum and hysteresis within the total weight", () => {
    const r = pool("  quorum 7\n  hysteresis 2");
    expect(r.messages).toEqual([]);
    expect(vsOf(r)).toMatchObject({ quorum: 7, hysteresis: 2 });
  });

  test("a quorum above the total weight is lowered to it, and the hysteresis below the quorum, with keepalived's warnings", () => {
    const r = pool("  quorum 10\n  hysteresis 20");
    expect(r.warnings).toEqual([
      "keepalived.conf:5:3: warning: virtual_server 10.0.0.1 80: quorum 10 exceeds the real servers' total weight 7; keepalived lowers it to 7",
      "keepalived.conf:6:3: warning: virtual_server 10.0.0.1 80: hysteresis 20 is not below quorum 7; keepalived lowers it to 6",
    ]);
    expect(vsOf(r)).toMatchObject({ quorum: 7, hysteresis: 6 });
  });

  test("quorum 0 and a non-number hysteresis are errors", () => {
    expect(withLine("quorum 0").errors).toEqual(["keepalived.conf:5:10: error: quorum must be 1..4294967295, got 0"]);
    expect(withLine("hysteresis x").errors).toEqual(["keepalived.conf:5:14: error: hysteresis must be an integer 0..4294967295, got x"]);
  });

  test("weight N is the weight of real servers that set none", () => {
    const r = parseText(
      `virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lvs_sched wrr\n  lvs_method NAT\n  weight 5\n  real_server 10.0.0.2 80 {\n  }\n  real_server 10.0.0.3 80 {\n    weight 2\n  }\n}\n`,
    );
    expect(vsOf(r)?.realServers.map((rs) => rs.weight)).toEqual([5, 2]);
    expect(vsOf(r)?.weight).toBe(5);
    expect(withLine("weight 0").errors).toEqual(["keepalived.conf:5:10: error: weight must be 1..2147483647, got 0"]);
  });

  test("quorum_up and quorum_down; a second one is an error (keepalived keeps the first)", () => {
    const r = withLine('quorum_up "/usr/local/sbin/quorum-up.sh up"\n  quorum_down /usr/local/sbin/quorum-down.sh');
    expect(vsOf(r)).toMatchObject({ quorumUp: "/usr/local/sbin/quorum-up.sh up", quorumDown: "/usr/local/sbin/quorum-down.sh" });
    expect(withLine("quorum_up /a\n  quorum_up /b").errors).toEqual([
      "keepalived.conf:6:3: error: quorum_up is already set at /etc/keepalived/keepalived.conf:5:3; keepalived keeps the first and ignores this one",
    ]);
  });
});

describe("sorry_server", () => {
  test("address and port, IPv4 or IPv6; NAT keeps its own port", () => {
    expect(vsOf(withLine("sorry_server 192.168.200.200 1358"))?.sorryServer).toMatchObject({
      address: v4("192.168.200.200"),
      port: 1358,
      lbKind: "NAT",
      inhibitOnFailure: false,
    });
    const r = withLine("sorry_server 2001:db8::9 8080", "2001:db8::1 80", "  real_server 2001:db8::2 80 {\n  }\n");
    expect(vsOf(r)?.sorryServer).toMatchObject({ address: v6("2001:db8::9"), port: 8080 });
  });

  test("a NAT sorry server without a port keeps none: keepalived fills in only real servers' ports (validate_check_config), so ipvs_cmd gives it port 0", () => {
    const r = withLine("sorry_server 10.0.0.9", "10.0.0.1 80", "  real_server 10.0.0.2 {\n  }\n");
    expect(r.messages).toEqual([]);
    expect(vsOf(r)?.sorryServer).toMatchObject({ port: 0, lbKind: "NAT" });
    expect(vsOf(r)?.realServers[0]?.port).toBe(80);
  });

  test("sorry_server_inhibit and sorry_server_lvs_method after it", () => {
    const r = withLine("sorry_server 10.0.0.9\n  sorry_server_inhibit\n  sorry_server_lvs_method TUN type gre csum");
    expect(r.messages).toEqual([]);
    expect(vsOf(r)?.sorryServer).toMatchObject({ port: 80, lbKind: "TUN", tunnel: { type: "gre", port: 0, checksum: "csum" }, inhibitOnFailure: true });
  });

  test("sorry_server_inhibit or sorry_server_lvs_method before any sorry_server is an error", () => {
    expect(withLine("sorry_server_inhibit").errors).toEqual([
      "keepalived.conf:5:3: error: sorry_server_inhibit needs a sorry_server before it; keepalived ignores it",
    ]);
    expect(withLine("sorry_server_lvs_method DR").errors).toEqual([
      "keepalived.conf:5:3: error: sorry_server_lvs_method needs a sorry_server before it; keepalived ignores it",
    ]);
  });

  test("a sorry server of the other family is dropped with an error, unless it is tunnelled", () => {
    expect(withLine("sorry_server 2001:db8::9 80").errors).toEqual([
      "keepalived.conf:5:3: error: sorry_server 2001:db8::9 is IPv6 but virtual_server 10.0.0.1 80 is IPv4; keepalived skips the sorry server",
    ]);
    expect(withLine("sorry_server 2001:db8::9 80\n  sorry_server_lvs_method TUN").messages).toEqual([]);
  });

  test("a non-NAT sorry server uses the service's port (keepalived resets it, with a warning); for fwmark none", () => {
    const r = withLine("sorry_server 10.0.0.9 81\n  sorry_server_lvs_method DR");
    expect(r.warnings).toEqual([
      "keepalived.conf:5:3: warning: sorry_server port 81 differs from virtual_server 10.0.0.1 80's port 80, which DR cannot change; keepalived uses 80",
    ]);
    expect(vsOf(r)?.sorryServer?.port).toBe(80);
    const f = withLine("sorry_server 10.0.0.9 81\n  sorry_server_lvs_method DR", "fwmark 3", "  real_server 10.0.0.2 {\n  }\n");
    expect(f.warnings).toContain(
      "keepalived.conf:5:3: warning: virtual_server fwmark 3 is a fwmark service, so sorry_server's port 81 is not used (DR); keepalived clears it",
    );
    expect(vsOf(f)?.sorryServer?.port).toBe(0);
  });

  test("a sorry server that is also a real server takes the real server's inhibit_on_failure, with keepalived's warning", () => {
    const r = withLine("sorry_server 10.0.0.2 80\n  sorry_server_inhibit");
    expect(r.warnings).toEqual([
      "keepalived.conf:5:3: warning: virtual_server 10.0.0.1 80: the sorry server is also real_server 10.0.0.2 but their inhibit_on_failure differ; keepalived uses the real server's (off)",
    ]);
    expect(vsOf(r)?.sorryServer?.inhibitOnFailure).toBe(false);
  });

  test("a second sorry_server replaces the first, with a warning", () => {
    const r = withLine("sorry_server 10.0.0.8 80\n  sorry_server 10.0.0.9 80");
    expect(r.warnings).toEqual(["keepalived.conf:6:3: warning: sorry_server replaces the one at /etc/keepalived/keepalived.conf:5:3, as in keepalived"]);
    expect(vsOf(r)?.sorryServer?.address).toEqual(v4("10.0.0.9"));
  });
});

describe("ip_family", () => {
  test("inet6 on a fwmark service whose real servers are all tunnelled", () => {
    const r = parseText(`virtual_server fwmark 3 {\n  lvs_sched rr\n  lvs_method TUN\n  ip_family inet6\n  real_server 10.0.0.2 {\n  }\n}\n`);
    expect(r.messages).toEqual([]);
    expect(vsOf(r)?.family).toBe(6);
  });

  test("without ip_family, a fwmark service of tunnelled servers takes their family when they agree, else IPv4", () => {
    const tunnelled = (a: string, b: string) =>
      vsOf(parseText(`virtual_server fwmark 3 {\n  lvs_sched rr\n  lvs_method TUN\n  real_server ${a} {\n  }\n  real_server ${b} {\n  }\n}\n`))?.family;
    expect(tunnelled("2001:db8::2", "2001:db8::3")).toBe(6);
    expect(tunnelled("2001:db8::2", "10.0.0.3")).toBe(4);
  });

  test("errors: a family that conflicts with the address, and an unknown one", () => {
    expect(withLine("ip_family inet6").errors).toEqual([
      "keepalived.conf:5:13: error: ip_family inet6 conflicts with the virtual server's family, already IPv4 from an earlier line",
    ]);
    expect(withLine("ip_family ipx").errors).toEqual(["keepalived.conf:5:13: error: ip_family must be inet or inet6, got ipx"]);
  });
});

describe("checker defaults on the virtual server", () => {
  test("delay_loop, connect_timeout, retry, delay_before_retry, warmup; real servers inherit them", () => {
    const r = withLine("delay_loop 6\n  connect_timeout 4\n  retry 2\n  delay_before_retry 1.5\n  warmup 0");
    expect(r.messages).toEqual([]);
    const expected = { delayLoopS: 6, connectTimeoutS: 4, retry: 2, delayBeforeRetryS: 1.5, warmupS: 0, alpha: false };
    expect(vsOf(r)).toMatchObject({ delayLoopS: 6, checkDefaults: expected });
    expect(vsOf(r)?.realServers[0]?.checkDefaults).toEqual(expected);
  });

  test("keepalived's bounds: delay_loop and connect_timeout above 0 (microseconds), connect_timeout at most 4294.967295 s, retry at least 1", () => {
    expect(withLine("delay_loop 0").errors).toEqual(["keepalived.conf:5:14: error: delay_loop must be 0.000001..18446744073709.55, got 0"]);
    expect(withLine("connect_timeout 4295").errors).toEqual(["keepalived.conf:5:19: error: connect_timeout must be 0.000001..4294.967295, got 4295"]);
    expect(withLine("retry 0").errors).toEqual(["keepalived.conf:5:9: error: retry must be 1..4294967295, got 0"]);
    expect(withLine("warmup -1").errors).toEqual(["keepalived.conf:5:10: error: warmup must be 0..18446744073709.55, got -1"]);
  });

  test("virtualhost", () => {
    expect(vsOf(withLine("virtualhost www.example.com"))?.virtualhost).toBe("www.example.com");
    expect(withLine("virtualhost").errors).toEqual(["keepalived.conf:5:3: error: virtualhost needs a host name"]);
  });
});
