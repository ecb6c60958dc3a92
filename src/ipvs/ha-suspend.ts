// ha_suspend: a virtual server's checks run only while its address is on this box (the VIP
// of the VRRP master), as keepalived 2.2.7 does (check_api.c update_checker_activity,
// addr_matches, register_checkers_thread). The daemon gives the addresses present. Pure.
import type { IpAddress } from "../common/ip-address.ts";
import type { ResolvedVirtualServer } from "./resolved-plan.ts";

export interface CheckActivity {
  virtualServer: string;
  /** Its real servers' checkers should run. */
  run: boolean;
  /** Suspended by ha_suspend until one of its addresses appears. */
  suspended: boolean;
}

/**
 * One entry per virtual server. Without ha_suspend its checks always run. With it, they run
 * while any of its addresses is present: the virtual server's own, or (tandem's choice) any
 * address of its group's ranges. keepalived 2.2.7's addr_matches returns false for every
 * group before looking, so a group's checks stay suspended forever there.
 */
export function checkActivity(virtualServers: readonly ResolvedVirtualServer[], present: readonly IpAddress[]): CheckActivity[] {
  const here = new Set(present.map((address) => `${address.family} ${address.text}`));
  return virtualServers.map((vs) => {
    if (!vs.haSuspend) return { virtualServer: vs.id, run: true, suspended: false };
    const run = vs.haSuspendAddresses.some((address) => here.has(`${address.family} ${address.text}`));
    return { virtualServer: vs.id, run, suspended: !run };
  });
}
