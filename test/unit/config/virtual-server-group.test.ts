// virtual_server_group: every entry form of keepalived 2.2.7 (v4 and v6), its errors, and how a
// virtual server using a group gets its family, protocol, persistence and ports.

import { describe, expect, test } from "bun:test";
import type { IpAddress } from "../../../src/common/ip-address.ts";
import { parseAddressRange } from "../../../src/config/virtual-server-group.ts";
import { parseText } from "./helpers.ts";

/** A group whose 2nd line is `entry`. */
const entry = (line: string) => parseText(`virtual_server_group G {\n  ${line}\n}\n`);
/** The same with a good entry after it, so a bad `line` does not leave the group empty. */
const withGood = (line: string) => parseText(`virtual_server_group G {\n  ${line}\n  10.9.9.9 80\n}\n`);
const entriesOf = (r: ReturnType<typeof parseText>) => r.config?.virtualServerGroups[0]?.entries.map(({ location: _l, ...e }) => e);
const v4 = (text: string): IpAddress => ({ family: 4, text });
const v6 = (text: string): IpAddress => ({ family: 6, text });

describe("virtual_server_group entries", () => {
  const forms: [string, object][] = [
    ["10.0.0.1 8080", { kind: "range", first: v4("10.0.0.1"), last: v4("10.0.0.1"), port: 8080 }],
    ["10.0.0.1", { kind: "range", first: v4("10.0.0.1"), last: v4("10.0.0.1"), port: 0 }],
    ["10.0.0.1 0", { kind: "range", first: v4("10.0.0.1"), last: v4("10.0.0.1"), port: 0 }],
    ["192.168.200.3-10 80", { kind: "range", first: v4("192.168.200.3"), last: v4("192.168.200.10"), port: 80 }],
    ["192.168.200.10-192.168.200.20 80", { kind: "range", first: v4("192.168.200.10"), last: v4("192.168.200.20"), port: 80 }],
    ["192.168.202.8/29 80", { kind: "range", first: v4("192.168.202.8"), last: v4("192.168.202.15"), port: 80 }],
    ["192.168.202.8/32 80", { kind: "range", first: v4("192.168.202.8"), last: v4("192.168.202.8"), port: 80 }],
    ["2001:db8::1 443", { kind: "range", first: v6("2001:db8::1"), last: v6("2001:db8::1"), port: 443 }],
    // The end of a short IPv6 range is hex: the last group, as keepalived's inet_stor reads it.
    ["ae00::2-a 80", { kind: "range", first: v6("ae00::2"), last: v6("ae00::a"), port: 80 }],
    ["ae00::10-ae00::20 80", { kind: "range", first: v6("ae00::10"), last: v6("ae00::20"), port: 80 }],
    ["010.0.0.1-5 80", { kind: "range", first: v4("10.0.0.1"), last: v4("10.0.0.5"), port: 80 }],
    ["2001:db8::/120 80", { kind: "range", first: v6("2001:db8::"), last: v6("2001:db8::ff"), port: 80 }],
    ["fwmark 7", { kind: "fwmark", fwmark: 7 }],
    ["fwmark 7 inet", { kind: "fwmark", fwmark: 7, family: 4 }],
    ["fwmark 7 inet6", { kind: "fwmark", fwmark: 7, family: 6 }],
  ];
  for (const [line, expected] of forms) {
    test(line, () => {
      const r = entry(line);
      expect(r.messages).toEqual([]);
      expect(entriesOf(r)).toEqual([expected as never]);
    });
  }

  test("a range across the last octet (or a block wider than /24): keepalived 2.2.7 steps only the last octet, so a warning says it does not program it as written", () => {
    const r = entry("192.168.200.250-192.168.201.10 80");
    expect(r.warnings).toEqual([
      "keepalived.conf:2:3: warning: keepalived 2.2.7 steps only the last octet of a range, so it does not program 192.168.200.250-192.168.201.10 as written (it wraps within the first /24)",
    ]);
    expect(entriesOf(r)).toEqual([{ kind: "range", first: v4("192.168.200.250"), last: v4("192.168.201.10"), port: 80 }]);
    expect(entry("10.1.0.0/16 80").warnings.length).toBe(1);
    expect(entry("2001:db8::/64 80").warnings).toEqual([
      "keepalived.conf:2:3: warning: keepalived 2.2.7 steps only the last 16-bit group of a range, so it does not program 2001:db8::/64 as written (it wraps within the first /112)",
    ]);
  });
});

describe("virtual_server_group entry errors (each one keepalived -t reports)", () => {
  const errors: [string, string][] = [
    ["bogus 80", "keepalived.conf:2:3: error: virtual_server_group entry must be IP, IP-LAST, IP-IP, IP/PREFIX or 'fwmark N', got bogus"],
    ["10.0.0.1/24 80", "keepalived.conf:2:3: error: 10.0.0.1/24 has bits set after its /24 prefix; keepalived skips it (write the network address)"],
    ["2001:db8::1/64 80", "keepalived.conf:2:3: error: 2001:db8::1/64 has bits set after its /64 prefix; keepalived skips it (write the network address)"],
    ["10.0.0.0/0 80", "keepalived.conf:2:3: error: 10.0.0.0/0: the prefix length must be 1..32"],
    ["10.0.0.0/33 80", "keepalived.conf:2:3: error: 10.0.0.0/33: the prefix length must be 1..32"],
    ["2001:db8::/129 80", "keepalived.conf:2:3: error: 2001:db8::/129: the prefix length must be 1..128"],
    ["10.0.0.5-4 80", "keepalived.conf:2:3: error: 10.0.0.5-4: the range must end after it starts (keepalived refuses an end that is not greater)"],
    ["10.0.0.5-5 80", "keepalived.conf:2:3: error: 10.0.0.5-5: the range must end after it starts (keepalived refuses an end that is not greater)"],
    ["10.0.0.5-300 80", "keepalived.conf:2:3: error: 10.0.0.5-300: the range's end 300 is too large (at most 255)"],
    ["ae00::2-10000 80", "keepalived.conf:2:3: error: ae00::2-10000: the range's end 10000 is too large (at most ffff)"],
    ["10.0.0.5-7x 80", "keepalived.conf:2:3: error: 10.0.0.5-7x: the range's end must be a decimal octet 0..255 or a whole address"],
    ["10.0.0.5-7-9 80", "keepalived.conf:2:3: error: 10.0.0.5-7-9: the range's end must be a decimal octet 0..255 or a whole address"],
    ["ae00::2-g 80", "keepalived.conf:2:3: error: ae00::2-g: the range's end must be a hex group 0..ffff or a whole address"],
    ["10.0.0.9-10.0.0.1 80", "keepalived.conf:2:3: error: 10.0.0.9-10.0.0.1: the range ends before it starts"],
    ["10.0.0.9-10.0.0.300 80", "keepalived.conf:2:3: error: 10.0.0.9-10.0.0.300: invalid range end 10.0.0.300"],
    ["ae00::9-::ffff:1.2.3.4 80", "keepalived.conf:2:3: error: ae00::9-::ffff:1.2.3.4: the range ends before it starts"],
    ["10.0.0.0-5/24 80", "keepalived.conf:2:3: error: 10.0.0.0-5/24: a range and a prefix cannot be combined"],
    ["10.0.0.1 x", "keepalived.conf:2:12: error: virtual_server_group port must be an integer 0..65535, got x"],
    ["10.0.0.1 65536", "keepalived.conf:2:12: error: virtual_server_group port must be 0..65535, got 65536"],
    ["fwmark 0", "keepalived.conf:2:10: error: fwmark must be 1..4294967295, got 0"],
    ["fwmark", "keepalived.conf:2:3: error: fwmark needs a firewall mark number"],
    ["fwmark 8 bogus", "keepalived.conf:2:12: error: fwmark 8: the family must be inet or inet6, got bogus"],
  ];
  for (const [line, message] of errors) {
    test(line, () => {
      expect(withGood(line).errors).toEqual([message]);
    });
  }

  test("extra words after an entry warn", () => {
    expect(entry("10.0.0.1 80 x").warnings).toEqual(["keepalived.conf:2:15: warning: extra arguments after 10.0.0.1 ignored: x"]);
  });

  test("a group without entries is an error (keepalived removes it)", () => {
    expect(parseText("virtual_server_group EMPTY {\n}\n").errors).toEqual([
      "keepalived.conf:1:1: error: virtual_server_group EMPTY has no entries; keepalived removes it",
    ]);
  });

  test("IPv4 and IPv6 together need a family on every fwmark (keepalived removes the group otherwise)", () => {
    expect(parseText("virtual_server_group MIX {\n  10.0.0.1 80\n  ae00::1 80\n  fwmark 3\n}\n").errors).toEqual([
      "keepalived.conf:1:1: error: virtual_server_group MIX has IPv4 and IPv6 entries, so each fwmark entry needs its family ('fwmark N inet' or 'inet6'); keepalived removes the group",
    ]);
    expect(parseText("virtual_server_group MIX {\n  10.0.0.1 80\n  ae00::1 80\n  fwmark 3 inet6\n}\n").errors).toEqual([]);
  });

  test("parseAddressRange keeps a huge range as one entry", () => {
    expect(parseAddressRange("1.0.0.0-223.255.255.255")).toEqual({ first: v4("1.0.0.0"), last: v4("223.255.255.255"), crossesLastPart: true } as never);
  });
});

describe("a virtual server using a group", () => {
  const using = (group: string, body: string, rs = "  real_server 10.0.0.2 80 {\n  }\n") =>
    parseText(`virtual_server_group G {\n${group}\n}\nvirtual_server group G {\n  lvs_sched rr\n${body}\n${rs}}\n`);
  const vsOf = (r: ReturnType<typeof parseText>) => r.config?.virtualServers[0];

  test("takes the group's family", () => {
    const r = using("  ae00::1 80", "  protocol TCP\n  lvs_method NAT", "  real_server ae00::2 80 {\n  }\n");
    expect(r.messages).toEqual([]);
    expect(vsOf(r)?.family).toBe(6);
  });

  test("a group of the other family than the real servers: keepalived ignores the virtual server (an error)", () => {
    expect(using("  10.0.0.1 80", "  protocol TCP\n  lvs_method NAT", "  real_server ae00::2 80 {\n  }\n").errors).toEqual([
      "keepalived.conf:4:1: error: virtual_server group G: the group is IPv4 but the virtual server is IPv6; keepalived ignores it",
    ]);
  });

  test("a group of both families needs every real server tunnelled; then the virtual server has no single family", () => {
    const group = "  10.0.0.1 80\n  ae00::1 80";
    expect(using(group, "  protocol TCP\n  lvs_method NAT").errors).toEqual([
      "keepalived.conf:5:1: error: virtual_server group G: the group has IPv4 and IPv6 entries, which only a virtual server whose real servers are all TUN can use (this one is IPv4); keepalived ignores it",
    ]);
    const r = using(group, "  protocol TCP\n  lvs_method TUN");
    expect(r.errors).toEqual([]);
    expect(vsOf(r)?.family).toBeUndefined();
  });

  test("fwmarks without a family and only tunnelled real servers: keepalived cannot tell and uses IPv4, with a warning", () => {
    const r = using("  fwmark 3", "  lvs_method TUN", "  real_server ae00::2 {\n  }\n");
    expect(r.warnings).toEqual([
      "keepalived.conf:4:1: warning: virtual_server group G: the address family cannot be told (fwmarks without inet/inet6, TUN real servers); keepalived uses IPv4",
    ]);
    expect(vsOf(r)?.family).toBe(4);
  });

  test("a group of fwmarks only: the protocol is ignored, as for a fwmark service", () => {
    const r = using("  fwmark 3", "  protocol TCP\n  lvs_method NAT");
    expect(r.warnings).toEqual(["keepalived.conf:6:3: warning: protocol specified for a fwmark virtual server is ignored (as in keepalived)"]);
    expect(vsOf(r)?.protocol).toBeUndefined();
  });

  test("an entry without a port makes the service persistent, as keepalived does", () => {
    const r = using("  10.0.0.1", "  protocol TCP\n  lvs_method NAT");
    expect(r.warnings).toEqual([
      "keepalived.conf:4:1: warning: virtual_server group G: only a persistent service may have no port; keepalived sets persistence_timeout 360",
    ]);
    expect(vsOf(r)?.persistenceTimeoutS).toBe(360);
  });

  test("ports are left as written; keepalived warns where a DR real server's port cannot be used", () => {
    const r = using("  10.0.0.1 80\n  fwmark 4", "  protocol TCP\n  lvs_method DR", "  real_server 10.0.0.2 8080 {\n  }\n");
    expect(r.warnings).toEqual([
      "keepalived.conf:9:3: warning: virtual_server group G: the group's fwmark entries do not use real_server 10.0.0.2's port 8080 (DR); keepalived ignores it there",
      "keepalived.conf:9:3: warning: virtual_server group G: real_server 10.0.0.2's port 8080 differs from the group entry port 80; DR uses the entry's port",
    ]);
    expect(vsOf(r)?.realServers[0]?.port).toBe(8080);
  });
});
