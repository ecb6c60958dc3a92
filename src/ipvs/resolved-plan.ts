// A virtual server plan after keepalived 2.2.7's defaults and corrections (resolve-plan.ts):
// every setting decided, its services expanded, its real servers named. What the quorum
// machine, the health table and the desired table read. Types only.
import type { CheckSpec } from "../check/check-spec.ts";
import type { IpAddress, IpFamily } from "../common/ip-address.ts";
import type { ForwardMethod, IpvsProtocol, ServiceSpec, TunnelSpec } from "./types.ts";

export interface ResolvedChecker {
  id: string;
  /** checker `alpha`, else the real server's, else the virtual server's. */
  alpha: boolean;
  /** What the checkers run (absent where the plan had none: a test's, or a verdict source of its own). */
  check?: CheckSpec;
}

/** What a real or sorry server puts in each of its virtual server's services. */
export interface ResolvedDestination {
  address: IpAddress;
  /** After keepalived's port corrections (validate_check_config); 0 = none. */
  port: number;
  forward: ForwardMethod;
  tunnel?: TunnelSpec;
}

export interface ResolvedRealServer extends ResolvedDestination {
  /** "10.0.0.2:80": unique within its virtual server, stable across reloads (keepalived's rs_iseq). */
  id: string;
  /** format_rs: "[10.0.0.2]:tcp:80". */
  keepalivedName: string;
  /** The configured weight (`weight`, else the virtual server's, else 1). */
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  inhibitOnFailure: boolean;
  /** tandem's `slowstart` in whole ms (its own, else the virtual server's; 0: off): how long its weight ramps after a recovery (slow-start.ts). */
  slowStartMs: number;
  notifyUp?: string;
  notifyDown?: string;
  checkers: ResolvedChecker[];
}

export interface ResolvedSorryServer extends ResolvedDestination {
  keepalivedName: string;
  inhibit: boolean;
  /** Same address and port as one of the real servers (keepalived's s_svr_duplicates_rs). */
  duplicatesRealServer: boolean;
}

export interface ResolvedVirtualServer {
  /** "TCP 10.0.0.1:80", "FWM 7 IPv4", "group web TCP": unique, stable across reloads (keepalived's vs_iseq). */
  id: string;
  /** format_vs: "[10.0.0.1]:tcp:80", "FWM 7", "[web]:0". */
  keepalivedName: string;
  /** undefined for a fwmark service (keepalived clears the protocol). */
  protocol?: IpvsProtocol;
  /** undefined only for a group holding both IPv4 and IPv6 entries (all real servers tunnelled). */
  family?: IpFamily;
  /** One per kernel service: an address VS has one, a group one per address and fwmark. */
  services: ServiceSpec[];
  quorum: number;
  hysteresis: number;
  quorumUp?: string;
  quorumDown?: string;
  omega: boolean;
  haSuspend: boolean;
  /** The addresses whose presence lets ha_suspend's checks run (the VS address, or every group address). */
  haSuspendAddresses: IpAddress[];
  realServers: ResolvedRealServer[];
  sorryServer?: ResolvedSorryServer;
}

export interface ResolvedPlans {
  virtualServers: ResolvedVirtualServer[];
  /** What keepalived would have warned about, corrected or ignored; one line each. */
  notes: string[];
  /** Each plan's own resolution by its fingerprint, for the next configuration's to reuse (resolve-plan.ts). */
  resolutions?: ReadonlyMap<string, PlanResolution>;
}

/** One plan's resolution and its notes (undefined: keepalived would ignore it). */
export interface PlanResolution {
  resolved: ResolvedVirtualServer | undefined;
  notes: string[];
}
