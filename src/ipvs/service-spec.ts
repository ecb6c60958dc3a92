// A virtual server's settings as the kernel's service attributes, as keepalived 2.2.7 fills
// ip_vs_service_user (ipvswrapper.c ipvs_set_srule, ipvs_group_cmd; check_parser.c
// lbflags_handler): scheduler flags by scheduler, persistence flag/timeout/netmask/engine. Pure.
import type { IpFamily } from "../common/ip-address.ts";
import { ipv4Value } from "../common/ip-address.ts";
import type { ServiceFlags, ServiceKey, ServiceSpec } from "./types.ts";
import type { GranularityPlan, SchedulerFlagsPlan } from "./virtual-server-plan.ts";

/** libipvs.h IPVS_SVC_PERSISTENT_TIMEOUT: `persistence_timeout` with no value, or implied. */
export const DEFAULT_PERSISTENCE_TIMEOUT_S = 360;
/** ipvswrapper.h IPVS_DEF_SCHED. */
export const DEFAULT_SCHEDULER = "wlc";

/** The one-client netmask the kernel keeps when nothing else is set: /32 as a mask, /128 as a prefix. */
export function fullNetmask(family: IpFamily): number {
  return family === 6 ? 128 : 0xffffffff;
}

/**
 * lbflags_handler: flag-1..3 are the raw bits; sh-fallback / mh-fallback are SCHED1 and
 * sh-port / mh-port SCHED2, and count only under their own scheduler (keepalived ignores
 * them otherwise, with an error). `ops` has been cleared already where keepalived clears it.
 */
export function schedulerFlagBits(scheduler: string, flags: SchedulerFlagsPlan): { sched1: boolean; sched2: boolean; sched3: boolean; ignored: string[] } {
  const sh = scheduler === "sh";
  const mh = scheduler === "mh";
  const ignored: string[] = [];
  if (!sh && flags.shPort) ignored.push("sh-port");
  if (!sh && flags.shFallback) ignored.push("sh-fallback");
  if (!mh && flags.mhPort) ignored.push("mh-port");
  if (!mh && flags.mhFallback) ignored.push("mh-fallback");
  return {
    sched1: Boolean(flags.flag1 || (sh && flags.shFallback) || (mh && flags.mhFallback)),
    sched2: Boolean(flags.flag2 || (sh && flags.shPort) || (mh && flags.mhPort)),
    sched3: Boolean(flags.flag3),
    ignored,
  };
}

/** The netmask a granularity gives, as the kernel keeps it: the v4 mask as a number, the v6 prefix length. */
export function granularityNetmask(granularity: GranularityPlan): number {
  return granularity.family === 4 ? ipv4Value(granularity.netmask) : granularity.prefixLength;
}

export interface ServiceSettings {
  scheduler: string;
  onePacket: boolean;
  sched1: boolean;
  sched2: boolean;
  sched3: boolean;
  /** 0 = not persistent. */
  persistenceTimeoutS: number;
  /**
   * From persistence_granularity, checked against the family; undefined = one client. Never
   * set for a virtual_server_group: keepalived 2.2.7 writes the full netmask for every group
   * entry (ipvs_group_range_cmd, the fwmark loop of ipvs_group_cmd), and tandem mirrors it.
   */
  netmask?: number;
  persistenceEngine?: string;
}

export function serviceSpec(key: ServiceKey, family: IpFamily, settings: ServiceSettings): ServiceSpec {
  const persistent = settings.persistenceTimeoutS > 0;
  const flags: ServiceFlags = {
    persistent,
    onePacket: settings.onePacket,
    sched1: settings.sched1,
    sched2: settings.sched2,
    sched3: settings.sched3,
  };
  const netmask = persistent && settings.netmask !== undefined ? settings.netmask : fullNetmask(family);
  const spec: ServiceSpec = { key, scheduler: settings.scheduler, flags, timeoutS: persistent ? settings.persistenceTimeoutS : 0, netmask };
  // ipvs_set_srule copies pe_name only for a persistent service.
  if (persistent && settings.persistenceEngine) spec.persistenceEngine = settings.persistenceEngine;
  return spec;
}
