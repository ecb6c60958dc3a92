// virtual_server_group ranges as keepalived 2.2.7's ipvs_group_range_cmd walks them.
import { describe, expect, test } from "bun:test";
import { expandAddressRange, MAX_SERVICES_PER_GROUP_ENTRY } from "../../../src/ipvs/group-expansion.ts";
import { ip } from "./support/plans.ts";

const texts = (first: string, last: string) => {
  const result = expandAddressRange(ip(first), ip(last));
  return result.ok ? result.addresses.map((a) => a.text) : result.reason;
};

describe("group ranges (ipvswrapper.c ipvs_group_range_cmd)", () => {
  test("an IPv4 range counts the whole address, across octets", () => {
    expect(texts("192.168.200.254", "192.168.201.1")).toEqual(["192.168.200.254", "192.168.200.255", "192.168.201.0", "192.168.201.1"]);
    expect(texts("10.0.0.8", "10.0.0.8")).toEqual(["10.0.0.8"]);
  });

  test("an IPv6 range counts only the last 16-bit group", () => {
    expect(texts("ae00::2", "ae00::5")).toEqual(["ae00::2", "ae00::3", "ae00::4", "ae00::5"]);
    // The upper groups stay the first address's even where the end's differ, as keepalived steps s6_addr16[7] alone.
    expect(texts("2001:db8::1:5", "2001:db8::2:6")).toEqual(["2001:db8::1:5", "2001:db8::1:6"]);
  });

  test("an IPv6 start above the end's last group wraps through 0, as keepalived's loop does", () => {
    expect(texts("2001:db8::1:ffff", "2001:db8::2:1")).toEqual(["2001:db8::1:ffff", "2001:db8::1:0", "2001:db8::1:1"]);
  });

  test("reversed, mixed or oversized ranges are refused with a reason", () => {
    expect(texts("10.0.0.9", "10.0.0.1")).toContain("below its start");
    expect(texts("10.0.0.1", "2001:db8::1")).toContain("mixes IPv4 and IPv6");
    expect(texts("10.0.0.0", "10.1.0.0")).toContain(`at most ${MAX_SERVICES_PER_GROUP_ENTRY}`);
    expect(expandAddressRange(ip("10.0.0.0"), ip("10.0.255.255")).ok).toBe(true);
  });
});
