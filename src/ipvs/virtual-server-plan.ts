// The director's view of one keepalived `virtual_server` block, as values and independent of
// src/config: the daemon maps the config model into it (as vrrp/instance-plan.ts does for
// VRRP). Fields left undefined take keepalived 2.2.7's defaults in resolve-plan.ts. Pure.
import type { IpAddress, IpFamily } from "../common/ip-address.ts";
import type { CheckSpec } from "../check/check-spec.ts";
import type { IpvsProtocol } from "./types.ts";

/** One line of a `virtual_server_group`: an address or range with its port, or a fwmark. */
export type GroupEntryPlan =
  /** `10.0.0.1 80`, `10.0.0.1-9 80`, `10.0.0.0/29 80`, `ae00::2-9 80`: first..last inclusive (first = last for one address); port 0 = none. */
  | { kind: "range"; first: IpAddress; last: IpAddress; port: number }
  /** `fwmark 7 [inet|inet6]`. */
  | { kind: "fwmark"; fwmark: number; family?: IpFamily };

/** What the `virtual_server` line names. */
export type VirtualServerKeyPlan =
  /** `virtual_server 10.0.0.1 80`; port 0 = none (only valid for persistent services). */
  | { kind: "address"; address: IpAddress; port: number }
  /** `virtual_server fwmark 7`; family from `ip_family` (else resolved as keepalived does). */
  | { kind: "fwmark"; fwmark: number; family?: IpFamily }
  /** `virtual_server group NAME` with that group's entries. */
  | { kind: "group"; name: string; entries: readonly GroupEntryPlan[]; family?: IpFamily };

/** `lb_kind` / `lvs_method` / `sorry_server_lvs_method`: NAT, DR, or TUN with its encapsulation. */
export type ForwardingPlan =
  { method: "NAT" } | { method: "DR" } | { method: "TUN"; type?: "ipip" | "gue" | "gre"; port?: number; checksum?: "nocsum" | "csum" | "remcsum" };

/** The scheduler-flag keywords as written; which bits they become depends on the scheduler. */
export interface SchedulerFlagsPlan {
  ops?: boolean;
  flag1?: boolean;
  flag2?: boolean;
  flag3?: boolean;
  shPort?: boolean;
  shFallback?: boolean;
  mhPort?: boolean;
  mhFallback?: boolean;
}

/** `persistence_granularity`: a dotted netmask for IPv4, a prefix length for IPv6 (keepalived's two forms). */
export type GranularityPlan = { family: 4; netmask: IpAddress } | { family: 6; prefixLength: number };

export interface PersistencePlan {
  /** `persistence_timeout N`: N; `persistence_timeout` with no value: "default" (360 s); absent: undefined. */
  timeoutS?: number | "default";
  granularity?: GranularityPlan;
  /** `persistence_engine` ("sip"). */
  engine?: string;
}

/**
 * One health checker of a real server: an id stable across reloads, its own `alpha` if set,
 * and what the checkers run (check/check-spec.ts), which the director only carries.
 */
export interface CheckerPlan {
  id: string;
  alpha?: boolean;
  check?: CheckSpec;
}

export interface RealServerPlan {
  address: IpAddress;
  /** 0 = none given. */
  port: number;
  /** undefined = the virtual server's `weight` (default 1). */
  weight?: number;
  forwarding?: ForwardingPlan;
  upperThreshold?: number;
  lowerThreshold?: number;
  /** undefined = the virtual server's `inhibit_on_failure`. */
  inhibitOnFailure?: boolean;
  /** undefined = the virtual server's `alpha`. */
  alpha?: boolean;
  /** tandem's `slowstart` in whole milliseconds; undefined = the virtual server's (0: off). */
  slowStartMs?: number;
  notifyUp?: string;
  notifyDown?: string;
  /** Empty: no checker, so always alive (keepalived). */
  checkers: readonly CheckerPlan[];
}

export interface SorryServerPlan {
  address: IpAddress;
  /** 0 = none given. */
  port: number;
  /** `sorry_server_lvs_method`; undefined = the virtual server's. */
  forwarding?: ForwardingPlan;
  /** `sorry_server_inhibit`. */
  inhibit: boolean;
}

export interface VirtualServerPlan {
  key: VirtualServerKeyPlan;
  /** undefined: UDP for an address or group with addresses (keepalived warns); ignored for fwmarks. */
  protocol?: IpvsProtocol;
  /** `lb_algo` / `lvs_sched`; undefined = "wlc". */
  scheduler?: string;
  flags: SchedulerFlagsPlan;
  persistence: PersistencePlan;
  /** The virtual server's `lb_kind`, the default of its real and sorry servers; undefined = NAT. */
  forwarding?: ForwardingPlan;
  /** `weight`: the default weight of its real servers (1). */
  defaultWeight?: number;
  /** tandem's `slowstart` in whole milliseconds: the default of its real servers (0: off). */
  slowStartMs?: number;
  /** undefined = 1. */
  quorum?: number;
  hysteresis?: number;
  quorumUp?: string;
  quorumDown?: string;
  sorryServer?: SorryServerPlan;
  inhibitOnFailure: boolean;
  alpha: boolean;
  omega: boolean;
  haSuspend: boolean;
  realServers: readonly RealServerPlan[];
}
