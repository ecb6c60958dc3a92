// The director's preflight rules: which kernel settings (sysctls) the configured virtual
// servers depend on, the value each should have and why, and how the values read compare.
// The kernel's own account of each is Documentation/networking/ipvs-sysctl.rst. Pure: the
// director process reads and writes /proc/sys (daemon/ipvs/proc-host.ts).
import type { IpFamily } from "../common/ip-address.ts";
import type { ResolvedVirtualServer } from "./resolved-plan.ts";

/** What the rules need to know of the configuration. */
export interface PreflightPlan {
  /** Address families with a NAT (masquerade) real or sorry server: the director is their gateway. */
  natFamilies: IpFamily[];
  /** A persistent service exists (persistence_timeout). */
  persistent: boolean;
  /** Any virtual server at all: without one nothing here matters. */
  virtualServers: number;
}

export function preflightPlan(resolved: readonly ResolvedVirtualServer[]): PreflightPlan {
  const nat = new Set<IpFamily>();
  for (const vs of resolved) {
    for (const server of [...vs.realServers, ...(vs.sorryServer ? [vs.sorryServer] : [])]) {
      if (server.forward === "masquerade") nat.add(server.address.family);
    }
  }
  return {
    natFamilies: [...nat].sort(),
    persistent: resolved.some((vs) => vs.services.some((s) => s.flags.persistent)),
    virtualServers: resolved.length,
  };
}

/**
 * Kernel modules whose presence says the box filters on connection-tracking state: the
 * iptables matches `-m conntrack` / `-m state` and nftables' `ct` expression. nf_conntrack
 * alone says nothing, since ip_vs itself pulls it in.
 */
export const STATEFUL_FILTER_MODULES: readonly string[] = Object.freeze(["xt_conntrack", "xt_state", "nft_ct"]);

/** A sysctl the configuration depends on, and the value it should have. */
export interface SysctlWant {
  /** As sysctl(8) names it: "net.ipv4.vs.expire_nodest_conn". */
  name: string;
  wanted: number;
  /** Why, in a sentence an operator reads. */
  reason: string;
}

/** The sysctls that matter for this configuration, given the stateful-filter modules loaded. */
export function wantedSysctls(plan: PreflightPlan, statefulFilterModules: readonly string[]): SysctlWant[] {
  if (plan.virtualServers === 0) return [];
  const wants: SysctlWant[] = [];
  const gateway = "NAT real servers reply through the director (their gateway), so it must forward their packets";
  if (plan.natFamilies.includes(4)) wants.push({ name: "net.ipv4.ip_forward", wanted: 1, reason: `${gateway} (IPv4)` });
  if (plan.natFamilies.includes(6))
    wants.push({
      name: "net.ipv6.conf.all.forwarding",
      wanted: 1,
      reason: `${gateway} (IPv6; a forwarding host ignores router advertisements unless accept_ra is 2)`,
    });
  wants.push({
    name: "net.ipv4.vs.expire_nodest_conn",
    wanted: 1,
    reason:
      "a deleted real server's connections are expired (at once since Linux 5.9) instead of their packets being dropped until the timeout, so clients reconnect elsewhere; tandem's drain holds a server at weight 0 until its connections end, then deletes it",
  });
  if (plan.persistent)
    wants.push({
      name: "net.ipv4.vs.expire_quiescent_template",
      wanted: 1,
      reason: "a drained (weight 0) real server's persistence templates expire, so its persistent clients' new connections go to another",
    });
  if (plan.natFamilies.length > 0 && statefulFilterModules.length > 0)
    wants.push({
      name: "net.ipv4.vs.conntrack",
      wanted: 1,
      reason: `the firewall filters on connection state (${statefulFilterModules.join(", ")} loaded): IPVS must keep conntrack entries for its NAT connections, or stateful rules see their packets as untracked or invalid`,
    });
  return wants;
}

/** A sysctl as read against what it should be. */
export interface SysctlFinding extends SysctlWant {
  /** undefined: not in this kernel (no such file: IPVS not loaded, IPv6 off, built without the option). */
  value?: number;
  ok: boolean;
}

export function sysctlFindings(wants: readonly SysctlWant[], values: ReadonlyMap<string, number | undefined>): SysctlFinding[] {
  return wants.map((want) => {
    const value = values.get(want.name);
    return { ...want, ...(value === undefined ? {} : { value }), ok: value === want.wanted };
  });
}

/** The writes that would put the findings right: only sysctls the kernel has (a missing file cannot be created). */
export function sysctlWrites(findings: readonly SysctlFinding[]): { name: string; from: number; to: number }[] {
  return findings.flatMap((f) => (f.ok || f.value === undefined ? [] : [{ name: f.name, from: f.value, to: f.wanted }]));
}

/** One log line for a finding. */
export function findingLine(finding: SysctlFinding): string {
  if (finding.ok) return `preflight: ${finding.name} = ${finding.value}, as it should be (${finding.reason})`;
  const now = finding.value === undefined ? "is not in this kernel" : `is ${finding.value}`;
  return `preflight: ${finding.name} ${now}; it should be ${finding.wanted}: ${finding.reason}`;
}

/** Findings that differ from the previous pass's (new, gone from ok, back to ok, another value): what a reload logs. */
export function changedFindings(previous: readonly SysctlFinding[], next: readonly SysctlFinding[]): SysctlFinding[] {
  const before = new Map(previous.map((f) => [f.name, f]));
  return next.filter((f) => {
    const b = before.get(f.name);
    return !b || b.ok !== f.ok || b.value !== f.value || b.wanted !== f.wanted;
  });
}
