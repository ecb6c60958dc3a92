import { describe, expect, test } from "bun:test";
import { formatIpv4 } from "../../../src/common/ipv4.ts";
import { parseText } from "./helpers.ts";

const vips = (lines: string) => {
  const r = parseText(`vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n${lines}\n  }\n}`);
  return { ...r, vips: r.config?.vrrpInstances[0]?.virtualIps ?? [] };
};

describe("virtual_ipaddress entries", () => {
  test("address with and without a prefix (default /32)", () => {
    const r = vips("    192.168.200.16\n    192.168.200.18/25");
    expect(r.messages).toEqual([]);
    expect(r.vips.map((v) => [formatIpv4(v.address), v.prefixLength])).toEqual([
      ["192.168.200.16", 32],
      ["192.168.200.18", 25],
    ]);
    expect(r.vips[1]?.location).toEqual({ file: "/etc/keepalived/keepalived.conf", line: 6, col: 5 });
  });

  test("brd, dev, scope and label (seed article syntax)", () => {
    const r = vips("    172.16.11.91/24 brd 172.16.11.255 dev eth2 scope link label eth2:1\n    10.0.0.1/24 scope 7");
    expect(r.messages).toEqual([]);
    const [a, b] = r.vips;
    expect(a && formatIpv4(a.broadcast!)).toBe("172.16.11.255");
    expect(a).toMatchObject({ device: "eth2", scope: "link", label: "eth2:1" });
    expect(b?.scope).toBe(7);
  });

  test("brd + and brd - set and clear the host bits, as ip(8) does (keepalived -d shows brd 10.0.0.255)", () => {
    const r = vips("    10.0.0.1/24 brd +\n    10.0.0.1/24 brd -");
    expect(r.vips.map((v) => formatIpv4(v.broadcast!))).toEqual(["10.0.0.255", "10.0.0.0"]);
    // keepalived: "Address prefix length 32 too long for broadcast".
    expect(vips("    10.0.0.2 brd -").warnings).toEqual(["keepalived.conf:5:18: warning: prefix length 32 is too long for a broadcast address; brd - ignored"]);
  });

  test("invalid address, prefix and scope are errors; unknown options warn (keepalived -t agrees on each)", () => {
    expect(vips("    10.0.0.300").errors).toEqual([
      "keepalived.conf:5:5: error: virtual address must be an IPv4 address with an optional /prefix (e.g. 10.0.0.1/24), got 10.0.0.300",
    ]);
    expect(vips("    10.0.0.1/33").errors).toEqual(["keepalived.conf:5:14: error: prefix length must be 0..32, got 33"]);
    expect(vips("    10.0.0.1 scope bogus").errors).toEqual([
      "keepalived.conf:5:20: error: scope must be global, site, link, host, nowhere or 0..255, got bogus",
    ]);
    expect(vips("    10.0.0.1 dev").errors).toEqual(["keepalived.conf:5:14: error: dev needs an interface name in virtual address 10.0.0.1"]);
    const r = vips("    10.0.0.1 foo");
    expect(r.config).toBeDefined();
    expect(r.warnings).toEqual(["keepalived.conf:5:14: warning: unknown option 'foo' for virtual address 10.0.0.1; ignored"]);
  });

  test("ip-address options tandem does not implement warn and are skipped with their values", () => {
    const r = vips("    10.0.0.1/24 peer 10.0.0.9 no_track dev eth1");
    expect(r.vips[0]?.device).toBe("eth1");
    expect(r.warnings).toEqual([
      "keepalived.conf:5:17: warning: parsed but not implemented: peer (virtual address 10.0.0.1/24)",
      "keepalived.conf:5:31: warning: parsed but not implemented: no_track (virtual address 10.0.0.1/24)",
    ]);
  });

  test("IPv6 addresses parse without error, warn and are skipped", () => {
    const r = vips("    10.0.0.1\n    2001:db8::1/64 dev eth0");
    expect(r.config).toBeDefined();
    expect(r.vips.length).toBe(1);
    expect(r.warnings).toEqual(["keepalived.conf:6:5: warning: IPv6 virtual addresses are not supported yet; 2001:db8::1/64 skipped"]);
  });

  test("virtual_ipaddress_excluded uses the same syntax", () => {
    const r = parseText(
      `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n 10.0.0.1\n }\n virtual_ipaddress_excluded {\n 10.0.1.1/24 dev eth1\n }\n}`,
    );
    expect(r.config?.vrrpInstances[0]?.virtualIpsExcluded.map((v) => [formatIpv4(v.address), v.prefixLength, v.device])).toEqual([["10.0.1.1", 24, "eth1"]]);
  });
});
