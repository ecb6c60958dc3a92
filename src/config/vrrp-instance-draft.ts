// A vrrp_instance while its block is being read, and its conversion to the validated VrrpInstance.

import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import type { Located } from "./keyword-table.ts";
import type { VrrpInstance } from "./model.ts";

export interface AuthDraft extends Located {
  type?: "PASS" | "AH";
  password?: string;
}

/** Lists start empty and are always present; every other field is set when its keyword is read. */
type DraftLists = "virtualIps" | "virtualIpsExcluded" | "trackInterfaces" | "trackScripts" | "trackFiles" | "unicastPeers";

/**
 * The instance as read so far: the model's fields, optional until validated. Two differ:
 * `advertIntS` (seconds as written; validated into advertIntervalCs) and `auth` (AH is
 * kept so that it can be rejected with its location).
 */
export type VrrpInstanceDraft = Located &
  Partial<Omit<VrrpInstance, "name" | "location" | "fieldLocations" | "advertIntervalCs" | "auth" | DraftLists>> &
  Pick<VrrpInstance, "name" | "location" | DraftLists> & {
    advertIntS?: number;
    auth?: AuthDraft;
  };

export function newInstanceDraft(name: string, location: SourceLocation): VrrpInstanceDraft {
  return {
    name,
    location,
    virtualIps: [],
    virtualIpsExcluded: [],
    trackInterfaces: [],
    trackScripts: [],
    trackFiles: [],
    unicastPeers: [],
    fieldLocations: {},
  };
}

/** RFC 5798 5.2.7: Max Advert Interval is 12 bits of centiseconds. */
const V3_MAX_ADVERT_CS = 4095;

/** Apply defaults and per-instance rules; undefined (with errors reported) if the instance is unusable. */
export function finishInstance(d: VrrpInstanceDraft, globalVersion: 2 | 3, diag: Diagnostics): VrrpInstance | undefined {
  // Counted here rather than read back from diag.list: a scan of the list per instance is quadratic,
  // and the list may be capped.
  let failed = false;
  const error = (at: SourceLocation, message: string): void => {
    failed = true;
    diag.error(at, message);
  };
  const at = (field: string): SourceLocation => d.fieldLocations[field] ?? d.location;
  if (d.interface === undefined) error(d.location, `vrrp_instance ${d.name} needs 'interface NAME'`);
  if (d.vrid === undefined) error(d.location, `vrrp_instance ${d.name} needs 'virtual_router_id 1..255'`);

  const version = d.version ?? globalVersion;
  const advertIntS = d.advertIntS ?? 1;
  let advertIntervalCs = Math.round(advertIntS * 100);
  if (version === 2 && !Number.isInteger(advertIntS)) {
    // keepalived rounds and `keepalived -t` fails; a silent change of timing breaks interop, so refuse.
    error(
      at("advertIntS"),
      `advert_int ${advertIntS} must be a whole number of seconds with VRRP version 2 (keepalived would round it); use 'version 3' for fractions`,
    );
  } else if (version === 3 && advertIntervalCs > V3_MAX_ADVERT_CS) {
    error(at("advertIntS"), `advert_int ${advertIntS} is too long for VRRP version 3; the maximum is 40.95 seconds`);
  } else if (advertIntervalCs < 1) {
    error(at("advertIntS"), `advert_int must be at least 0.01 seconds, got ${advertIntS}`);
  }
  advertIntervalCs = Math.max(1, advertIntervalCs);

  let auth: VrrpInstance["auth"];
  if (d.auth) {
    if (d.auth.type === "AH") error(d.auth.fieldLocations.type ?? at("auth"), "auth_type AH is not supported by tandem; use PASS or no authentication");
    else if (d.auth.type === "PASS") {
      if (d.auth.password === undefined) error(at("auth"), "authentication with auth_type PASS needs auth_pass");
      else auth = { type: "PASS", password: d.auth.password };
    } else error(at("auth"), "authentication block needs auth_type PASS");
    if (auth && version === 3) diag.warn(at("auth"), "VRRP version 3 has no authentication; the authentication block is ignored");
    if (version === 3) auth = undefined;
  }

  const initialState = d.initialState ?? "BACKUP";
  // keepalived 2.2.7: `state MASTER` without a priority makes the instance the address owner (255).
  const priority = d.priority ?? (initialState === "MASTER" ? 255 : 100);
  let preempt = d.preempt ?? true;
  if (!preempt && priority === 255) {
    diag.warn(at("preempt"), `nopreempt is incompatible with priority 255 (the address owner always preempts); keepalived resets it`);
    preempt = true;
  } else if (!preempt && initialState === "MASTER") {
    diag.warn(at("preempt"), "nopreempt only works when the initial state is BACKUP (keepalived.conf(5))");
  }
  if (d.virtualIps.length === 0) diag.warn(d.location, `vrrp_instance ${d.name} has no virtual_ipaddress`);

  if (failed || d.interface === undefined || d.vrid === undefined) return undefined;
  return {
    name: d.name,
    initialState,
    interface: d.interface,
    vrid: d.vrid,
    priority,
    advertIntervalCs,
    version,
    ...(auth ? { auth } : {}),
    virtualIps: d.virtualIps,
    virtualIpsExcluded: d.virtualIpsExcluded,
    trackInterfaces: d.trackInterfaces,
    trackScripts: d.trackScripts,
    trackFiles: d.trackFiles,
    preempt,
    preemptDelayS: d.preemptDelayS ?? 0,
    fastPreempt: d.fastPreempt ?? true,
    unicastPeers: d.unicastPeers,
    ...optionalFields(d),
    dontTrackPrimary: d.dontTrackPrimary ?? false,
    useVmac: d.useVmac ?? false,
    smtpAlert: d.smtpAlert ?? false,
    location: d.location,
    fieldLocations: renameLocation(d.fieldLocations, "advertIntS", "advertIntervalCs") as VrrpInstance["fieldLocations"],
  };
}

/** Fields copied only when set. One object for all of them: a spread per field cost more than the rest of finishing. */
const OPTIONAL_FIELDS = [
  "unicastSrcIp",
  "mcastSrcIp",
  "notify",
  "notifyMaster",
  "notifyBackup",
  "notifyFault",
  "notifyStop",
  "notifyDeleted",
  "garpMasterDelayS",
  "garpMasterRepeat",
  "garpMasterRefreshS",
  "garpMasterRefreshRepeat",
] as const;

function optionalFields(d: VrrpInstanceDraft): Partial<Pick<VrrpInstance, (typeof OPTIONAL_FIELDS)[number]>> {
  const out: Partial<Record<(typeof OPTIONAL_FIELDS)[number], unknown>> = {};
  for (const k of OPTIONAL_FIELDS) if (d[k] !== undefined) out[k] = d[k];
  return out as Partial<Pick<VrrpInstance, (typeof OPTIONAL_FIELDS)[number]>>;
}

/** A copy with `from` renamed to `to` (moved to the end, as before); a loop, not a rest pattern, which is slow here. */
function renameLocation(locations: Located["fieldLocations"], from: string, to: string): Located["fieldLocations"] {
  const out: Located["fieldLocations"] = {};
  for (const key in locations) if (key !== from) out[key] = locations[key];
  const moved = locations[from];
  if (moved) out[to] = moved;
  return out;
}
