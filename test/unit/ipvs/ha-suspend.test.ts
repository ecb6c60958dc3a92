// ha_suspend: which virtual servers' checks run, given the addresses on this box
// (check_api.c update_checker_activity, addr_matches).
import { describe, expect, test } from "bun:test";
import { checkActivity } from "../../../src/ipvs/ha-suspend.ts";
import { resolvePlans } from "../../../src/ipvs/resolve-plan.ts";
import { ip, realServer, virtualServer } from "./support/plans.ts";

const rs = [realServer("10.0.0.2", 80)];

describe("ha_suspend (check_api.c update_checker_activity)", () => {
  test("ha_suspend: checks run only while the virtual server's address is present; without it always", () => {
    const { virtualServers } = resolvePlans([virtualServer("10.0.0.1", 80, rs, { haSuspend: true }), virtualServer("10.0.0.5", 80, rs)]);
    expect(checkActivity(virtualServers, [])).toEqual([
      { virtualServer: "TCP 10.0.0.1:80", run: false, suspended: true },
      { virtualServer: "TCP 10.0.0.5:80", run: true, suspended: false },
    ]);
    expect(checkActivity(virtualServers, [ip("10.0.0.9"), ip("10.0.0.1")])[0]).toEqual({ virtualServer: "TCP 10.0.0.1:80", run: true, suspended: false });
  });

  test("the address must be of the virtual server's family and equal (addr_matches)", () => {
    const { virtualServers } = resolvePlans([virtualServer("2001:db8::1", 80, [realServer("2001:db8::2", 80)], { haSuspend: true })]);
    expect(checkActivity(virtualServers, [ip("2001:db8::2")])[0]!.run).toBe(false);
    expect(checkActivity(virtualServers, [ip("2001:db8:0::1")])[0]!.run).toBe(true);
  });

  test("a group's checks run while any address of its ranges is present (tandem; keepalived 2.2.7 never matches a group)", () => {
    const { virtualServers } = resolvePlans([
      virtualServer("0.0.0.0", 0, rs, {
        key: { kind: "group", name: "g", entries: [{ kind: "range", first: ip("10.0.0.10"), last: ip("10.0.0.12"), port: 80 }] },
        haSuspend: true,
      }),
    ]);
    expect(checkActivity(virtualServers, [ip("10.0.0.13")])[0]!.run).toBe(false);
    expect(checkActivity(virtualServers, [ip("10.0.0.12")])[0]!.run).toBe(true);
  });
});
