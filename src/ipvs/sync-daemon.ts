// Which connection-sync daemons the kernel should run (lvs_sync_daemon): following a VRRP
// instance, the master daemon while it is MASTER (it sends the connection table) and the
// backup daemon otherwise (it receives it), so established connections survive a failover;
// without an instance, both always, as keepalived starts them. Pure.
import type { SyncDaemonPlan } from "./plan-ipvs-globals.ts";
import type { SyncDaemonSpec, SyncDaemonState } from "./settings-types.ts";

export function wantedSyncDaemons(plan: SyncDaemonPlan | undefined, vrrpStates: Readonly<Record<string, string>>): SyncDaemonState[] {
  if (!plan) return [];
  if (plan.instance === undefined) return ["master", "backup"];
  return vrrpStates[plan.instance] === "MASTER" ? ["master"] : ["backup"];
}

/** The kernel's request for one daemon of the plan. */
export function syncDaemonSpec(plan: SyncDaemonPlan, state: SyncDaemonState): SyncDaemonSpec {
  const { instance: _, ...spec } = plan;
  return { ...spec, state };
}
