// The writes the director makes to the kernel's IPVS table, as values: what reconcile
// returns, what the codec encodes (one IPVS_CMD_* request each) and what the fake kernel
// applies. Never a flush: every op names one service or one destination. Pure.
import type { DestinationAddress, DestinationSpec, ServiceKey, ServiceSpec } from "./types.ts";

/** What SET_SERVICE changes in place (ip_vs_edit_service rebinds scheduler and engine, sets flags, timeout, netmask). */
export type ServiceAttribute = Exclude<keyof ServiceSpec, "key">;

/** What SET_DEST changes in place (ip_vs_edit_dest -> __ip_vs_update_dest). */
export type DestinationAttribute = Exclude<keyof DestinationSpec, keyof DestinationAddress>;

/**
 * A delete paired with an add whose identity differs from it in one part only (the same
 * virtual address on another port or protocol, the same mark in the other family, the same
 * real server on another port): the config most likely changed that identity, which IPVS
 * cannot edit in place. Carried on both ops so the director logs one change, not two.
 */
export interface IdentityChange {
  /** Key text of the entry going away ("TCP 10.0.0.1:80", or "192.168.1.2:80" for a destination). */
  from: string;
  /** Key text of the entry replacing it. */
  to: string;
}

export interface AddServiceOp {
  kind: "add-service";
  service: ServiceSpec;
  identityChange?: IdentityChange;
}

/** Carries the whole spec: IPVS_CMD_SET_SERVICE needs every attribute (ip_vs_genl_parse_service, full_entry). */
export interface SetServiceOp {
  kind: "set-service";
  service: ServiceSpec;
  changed: ServiceAttribute[];
}

/** Deleting a service drops every connection through it: the director must say so. */
export interface DeleteServiceOp {
  kind: "delete-service";
  key: ServiceKey;
  breaksConnections: true;
  identityChange?: IdentityChange;
}

export interface AddDestinationOp {
  kind: "add-destination";
  service: ServiceKey;
  destination: DestinationSpec;
  identityChange?: IdentityChange;
}

/** Carries the whole spec: IPVS_CMD_SET_DEST needs forward, weight and both thresholds (ip_vs_genl_parse_dest). */
export interface SetDestinationOp {
  kind: "set-destination";
  service: ServiceKey;
  destination: DestinationSpec;
  changed: DestinationAttribute[];
}

/**
 * Deleting a destination drops its established flows (with net.ipv4.vs.expire_nodest_conn;
 * without it they stall until they time out), unlike weight 0: draining happens before.
 */
export interface DeleteDestinationOp {
  kind: "delete-destination";
  service: ServiceKey;
  destination: DestinationAddress;
  breaksConnections: true;
  identityChange?: IdentityChange;
}

export type IpvsOp = AddServiceOp | SetServiceOp | DeleteServiceOp | AddDestinationOp | SetDestinationOp | DeleteDestinationOp;

/**
 * The errnos ip_vs_ctl.c answers these requests with. EEXIST (adding what is there), ESRCH
 * (no such service) and ENOENT (no such destination; or no such scheduler or persistence
 * engine module) are reconcile signals: the kernel moved under us, dump and reconcile again.
 */
export type IpvsErrno =
  | "EEXIST"
  | "ESRCH"
  | "ENOENT"
  | "EINVAL"
  | "ERANGE"
  | "EAFNOSUPPORT"
  /** Besides ip_vs_ctl.c's own: no CAP_NET_ADMIN, no memory, an answer lost (ENOBUFS) or never given (ETIMEDOUT). */
  | "EPERM"
  | "ENOMEM"
  | "ENOBUFS"
  | "ETIMEDOUT"
  /** Any other errno: the reason names it. */
  | "EOTHER";

export type IpvsOpResult = { ok: true } | { ok: false; errno: IpvsErrno; reason: string };
