// The preflight's rules: which sysctls a configuration depends on (NAT wants forwarding in
// its family, any director expire_nodest_conn, persistence expire_quiescent_template, NAT
// behind a stateful filter conntrack), how read values compare, what would be written, and
// what a reload logs.
import { describe, expect, test } from "bun:test";
import {
  changedFindings,
  findingLine,
  preflightPlan,
  sysctlFindings,
  sysctlWrites,
  wantedSysctls,
  type PreflightPlan,
  type SysctlFinding,
} from "../../../src/ipvs/preflight.ts";
import { resolvePlans } from "../../../src/ipvs/resolve-plan.ts";
import type { VirtualServerPlan } from "../../../src/ipvs/virtual-server-plan.ts";
import { ip, realServer, virtualServer } from "./support/plans.ts";

const planOf = (plans: VirtualServerPlan[]) => preflightPlan(resolvePlans(plans).virtualServers);
const names = (plan: PreflightPlan, modules: string[] = []) => wantedSysctls(plan, modules).map((w) => `${w.name}=${w.wanted}`);

describe("preflightPlan", () => {
  test("NAT families come from the real and sorry servers' forwarding; persistence from the services", () => {
    expect(planOf([virtualServer("10.0.0.1", 80, [realServer("10.0.1.2", 80)])])).toEqual({ natFamilies: [4], persistent: false, virtualServers: 1 });
    const dr = virtualServer("10.0.0.1", 80, [realServer("10.0.1.2", 80)], { forwarding: { method: "DR" }, persistence: { timeoutS: 300 } });
    expect(planOf([dr])).toEqual({ natFamilies: [], persistent: true, virtualServers: 1 });
    // A DR service whose sorry server is NAT (sorry_server_lvs_method) still makes the director a gateway.
    const sorryNat = { ...dr, sorryServer: { address: ip("10.0.9.9"), port: 80, forwarding: { method: "NAT" as const }, inhibit: false } };
    expect(planOf([sorryNat]).natFamilies).toEqual([4]);
    const v6 = virtualServer("2001:db8::1", 443, [realServer("2001:db8::2", 443)]);
    expect(planOf([v6, virtualServer("10.0.0.1", 80, [realServer("10.0.1.2", 80)])]).natFamilies).toEqual([4, 6]);
  });
});

describe("wantedSysctls", () => {
  const nat4: PreflightPlan = { natFamilies: [4], persistent: false, virtualServers: 2 };

  test("no virtual server: nothing matters", () => {
    expect(wantedSysctls({ natFamilies: [], persistent: false, virtualServers: 0 }, ["nft_ct"])).toEqual([]);
  });

  test("DR or TUN alone: only expire_nodest_conn (the director forwards nothing it routes)", () => {
    expect(names({ natFamilies: [], persistent: false, virtualServers: 1 })).toEqual(["net.ipv4.vs.expire_nodest_conn=1"]);
  });

  test("NAT: ip_forward, and the v6 forwarding switch for a v6 NAT service", () => {
    expect(names(nat4)).toEqual(["net.ipv4.ip_forward=1", "net.ipv4.vs.expire_nodest_conn=1"]);
    expect(names({ ...nat4, natFamilies: [6] })).toEqual(["net.ipv6.conf.all.forwarding=1", "net.ipv4.vs.expire_nodest_conn=1"]);
  });

  test("persistence: expire_quiescent_template", () => {
    expect(names({ ...nat4, natFamilies: [], persistent: true })).toEqual(["net.ipv4.vs.expire_nodest_conn=1", "net.ipv4.vs.expire_quiescent_template=1"]);
  });

  test("conntrack only for NAT behind a stateful filter, and the reason names the modules seen", () => {
    expect(names({ ...nat4, natFamilies: [] }, ["nft_ct"])).not.toContain("net.ipv4.vs.conntrack=1");
    expect(names(nat4, [])).not.toContain("net.ipv4.vs.conntrack=1");
    const conntrack = wantedSysctls(nat4, ["xt_conntrack", "nft_ct"]).find((w) => w.name === "net.ipv4.vs.conntrack")!;
    expect(conntrack.wanted).toBe(1);
    expect(conntrack.reason).toContain("(xt_conntrack, nft_ct loaded)");
  });
});

describe("findings", () => {
  const wants = wantedSysctls({ natFamilies: [4, 6], persistent: true, virtualServers: 1 }, []);
  const values = new Map<string, number | undefined>([
    ["net.ipv4.ip_forward", 1],
    ["net.ipv4.vs.expire_nodest_conn", 0],
    ["net.ipv4.vs.expire_quiescent_template", 2],
  ]);
  const findings = sysctlFindings(wants, values);

  test("ok only at the wanted value; a sysctl the kernel lacks has no value and is not ok", () => {
    expect(findings.map((f) => [f.name, f.value, f.ok])).toEqual([
      ["net.ipv4.ip_forward", 1, true],
      ["net.ipv6.conf.all.forwarding", undefined, false],
      ["net.ipv4.vs.expire_nodest_conn", 0, false],
      ["net.ipv4.vs.expire_quiescent_template", 2, false],
    ]);
    expect("value" in findings[1]!).toBe(false);
  });

  test("writes: the wrong ones the kernel has, from what was read to what is wanted", () => {
    expect(sysctlWrites(findings)).toEqual([
      { name: "net.ipv4.vs.expire_nodest_conn", from: 0, to: 1 },
      { name: "net.ipv4.vs.expire_quiescent_template", from: 2, to: 1 },
    ]);
  });

  test("log lines say the value, what it should be and why", () => {
    expect(findingLine(findings[0]!)).toStartWith("preflight: net.ipv4.ip_forward = 1, as it should be (NAT real servers reply through the director");
    expect(findingLine(findings[1]!)).toStartWith("preflight: net.ipv6.conf.all.forwarding is not in this kernel; it should be 1: ");
    expect(findingLine(findings[2]!)).toStartWith(
      "preflight: net.ipv4.vs.expire_nodest_conn is 0; it should be 1: a deleted real server's connections are expired",
    );
  });

  test("a reload logs the findings that are new or differ from the last pass's", () => {
    const before: SysctlFinding[] = findings.slice(0, 3);
    const after = sysctlFindings(wants, new Map([...values, ["net.ipv4.vs.expire_nodest_conn", 1]]));
    expect(changedFindings(before, after).map((f) => f.name)).toEqual(["net.ipv4.vs.expire_nodest_conn", "net.ipv4.vs.expire_quiescent_template"]);
    expect(changedFindings(after, after)).toEqual([]);
  });
});
