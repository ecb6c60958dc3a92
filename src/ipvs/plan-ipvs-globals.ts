// The director's global settings from keepalived.conf's global_defs: lvs_sync_daemon,
// lvs_timeouts, lvs_flush, lvs_flush_on_stop and tandem's real_server_drain_timeout and ipvs_set_sysctls, as
// keepalived 2.2.7 applies them (check_daemon.c start_check, ipvswrapper.c ipvs_syncd_cmd). Pure.
import type { GlobalDefs } from "../config/model.ts";
import type { IpvsTimeouts, SyncDaemonSpec } from "./settings-types.ts";

/** The sync daemon to run: a SyncDaemonSpec for each state it runs in. */
export interface SyncDaemonPlan extends Omit<SyncDaemonSpec, "state"> {
  /** The VRRP instance it follows: master while MASTER, backup otherwise; undefined: master and backup both run always (start_check, IPVS_MASTER_BACKUP). */
  instance?: string;
}

export interface IpvsGlobalPlan {
  syncDaemon?: SyncDaemonPlan;
  /**
   * The connection timeouts to set; a missing one (or one written 0) is left as the kernel has
   * it, as in a SET_CONFIG. Undefined when none is set: keepalived then sets nothing either.
   */
  timeouts?: Partial<IpvsTimeouts>;
  /** lvs_flush: empty the whole table at start (not at reload). */
  flushAtStart: boolean;
  /** lvs_flush_on_stop: "full" flushes the whole table, "vs" deletes the virtual services without their real servers one by one, "none" removes each as configured. */
  flushOnStop: "none" | "vs" | "full";
  drainTimeoutMs: number;
  /** ipvs_set_sysctls: the preflight sets the sysctls it finds wrong instead of only warning. */
  setSysctls: boolean;
  /** rs_init_notifies: notify_up for the real servers up at start, and those new at a reload. */
  rsInitNotifies: boolean;
}

export function planIpvsGlobals(globalDefs: GlobalDefs): IpvsGlobalPlan {
  const plan: IpvsGlobalPlan = {
    flushAtStart: globalDefs.lvsFlush,
    flushOnStop: globalDefs.lvsFlushOnStop ?? "none",
    drainTimeoutMs: globalDefs.realServerDrainTimeoutS * 1000,
    setSysctls: globalDefs.ipvsSetSysctls,
    rsInitNotifies: globalDefs.rsInitNotifies,
  };
  const daemon = globalDefs.lvsSyncDaemon;
  if (daemon) {
    const sync: SyncDaemonPlan = { interfaceName: daemon.interface, syncId: daemon.syncId };
    if (daemon.instance !== undefined) sync.instance = daemon.instance;
    // ipvs_syncd_cmd passes maxlen, port and ttl only when non-zero: the kernel fills in the rest.
    if (daemon.maxLen) sync.maxLength = daemon.maxLen;
    if (daemon.port) sync.port = daemon.port;
    if (daemon.ttl) sync.ttl = daemon.ttl;
    if (daemon.group) sync.group = daemon.group;
    plan.syncDaemon = sync;
  }
  // lvs_timeouts 0 is keepalived's "unset" (ipvs_set_timeouts skips a set of zeros; libipvs keeps the kernel's value for a 0).
  const timeouts: Partial<IpvsTimeouts> = {};
  const written = globalDefs.lvsTimeouts ?? {};
  if (written.tcpS) timeouts.tcpS = written.tcpS;
  if (written.tcpFinS) timeouts.tcpFinS = written.tcpFinS;
  if (written.udpS) timeouts.udpS = written.udpS;
  if (Object.keys(timeouts).length > 0) plan.timeouts = timeouts;
  return plan;
}
