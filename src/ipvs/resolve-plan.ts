// keepalived 2.2.7's defaults and corrections applied to virtual server plans (check_parser.c
// pto_handler / pgr_handler / lbflags_handler, check_data.c validate_check_config,
// ipwrapper.c link_vsg_to_vs): protocol, scheduler, flags, persistence, quorum, families,
// and each plan's kernel services (a group expanded per address and fwmark). Pure.
import type { IpAddress, IpFamily } from "../common/ip-address.ts";
import { expandAddressRange } from "./group-expansion.ts";
import { keepalivedVirtualServerName } from "./keepalived-names.ts";
import type { PlanResolution, ResolvedPlans, ResolvedVirtualServer } from "./resolved-plan.ts";
import { filterFamilies, resolveServers } from "./resolve-servers.ts";
import { DEFAULT_PERSISTENCE_TIMEOUT_S, DEFAULT_SCHEDULER, granularityNetmask, schedulerFlagBits, serviceSpec, type ServiceSettings } from "./service-spec.ts";
import { serviceKeyText, type IpvsProtocol, type ServiceSpec } from "./types.ts";
import type { VirtualServerKeyPlan, VirtualServerPlan } from "./virtual-server-plan.ts";

/**
 * The plans resolved; with `reuse` (the resolution of the configuration before), a plan equal
 * to one resolved there (the same JSON, at the same group ordinal) takes that resolution and
 * its notes again, and a virtual server that comes out as it was is the previous object
 * itself. A reload that changes a few virtual servers of thousands therefore leaves the others
 * identical, and the steps after (health, quorum, the desired table) pass over them.
 */
export function resolvePlans(plans: readonly VirtualServerPlan[], reuse?: ResolvedPlans): ResolvedPlans {
  const notes: string[] = [];
  const groupOrdinals = new Map<string, number>();
  const ids = new Set<string>();
  const serviceOwner = new Map<string, string>();
  const virtualServers: ResolvedVirtualServer[] = [];
  const resolutions = new Map<string, PlanResolution>();
  const previousById = new Map((reuse?.virtualServers ?? []).map((vs) => [vs.id, vs]));
  for (const plan of plans) {
    let ordinal = 0;
    if (plan.key.kind === "group") {
      // link_vsg_to_vs numbers the virtual servers of a group; format_vs shows the number as the port.
      ordinal = groupOrdinals.get(plan.key.name) ?? 0;
      groupOrdinals.set(plan.key.name, ordinal + 1);
    }
    const fingerprint = planFingerprint(plan, ordinal);
    let resolution = reuse?.resolutions?.get(fingerprint);
    if (!resolution) {
      const planNotes: string[] = [];
      resolution = { resolved: resolveVirtualServer(plan, ordinal, planNotes), notes: planNotes };
    }
    resolutions.set(fingerprint, resolution);
    notes.push(...resolution.notes);
    const resolved = resolution.resolved;
    if (!resolved) continue;
    if (ids.has(resolved.id)) {
      notes.push(`${resolved.id}: declared twice; the second declaration is ignored`);
      continue;
    }
    // Two declarations of one kernel service would fight over its destinations; the first keeps it.
    const services = resolved.services.filter((service) => {
      const text = serviceKeyText(service.key);
      const owner = serviceOwner.get(text);
      if (owner) notes.push(`${resolved.id}: service ${text} already belongs to ${owner}; left to it`);
      else serviceOwner.set(text, resolved.id);
      return owner === undefined;
    });
    if (services.length === 0) continue;
    ids.add(resolved.id);
    const before = previousById.get(resolved.id);
    const kept = services.length === resolved.services.length ? resolved : { ...resolved, services };
    virtualServers.push(before !== undefined && sameResolution(before, kept) ? before : kept);
  }
  return { virtualServers, notes, resolutions };
}

/**
 * A plan's identity for reuse: its ordinal, and its JSON's length and 64-bit hash (the JSON
 * itself would keep megabytes of text alive at thousands of plans; two different plans of the
 * same length colliding is a 1 in 2^64 chance).
 */
function planFingerprint(plan: VirtualServerPlan, ordinal: number): string {
  const json = JSON.stringify(plan);
  return `${ordinal}:${json.length}:${Bun.hash(json).toString(36)}`;
}

/** The same resolution: the one object, or the same one with the same services left to it. */
function sameResolution(before: ResolvedVirtualServer, after: ResolvedVirtualServer): boolean {
  if (before === after) return true;
  const { services: beforeServices, ...beforeRest } = before;
  const { services: afterServices, ...afterRest } = after;
  if (beforeServices.length !== afterServices.length || beforeServices.some((service, i) => service !== afterServices[i])) return false;
  return (
    Object.keys(beforeRest).length === Object.keys(afterRest).length &&
    Object.entries(beforeRest).every(([k, v]) => afterRest[k as keyof typeof afterRest] === v)
  );
}

function describe(key: VirtualServerKeyPlan): string {
  if (key.kind === "address") return `virtual_server ${key.address.text} ${key.port}`;
  if (key.kind === "fwmark") return `virtual_server fwmark ${key.fwmark}`;
  return `virtual_server group ${key.name}`;
}

function resolveVirtualServer(plan: VirtualServerPlan, ordinal: number, notes: string[]): ResolvedVirtualServer | undefined {
  const key = plan.key;
  const label = describe(key);
  const kept = filterFamilies(plan, label, notes);
  let family = kept.family;

  const ranges = key.kind === "group" ? key.entries.flatMap((e) => (e.kind === "range" ? [e] : [])) : [];
  const marks = key.kind === "group" ? key.entries.flatMap((e) => (e.kind === "fwmark" ? [e] : [])) : [];
  if (key.kind === "group") {
    const hasV4 = ranges.some((r) => r.first.family === 4) || marks.some((m) => m.family === 4);
    const hasV6 = ranges.some((r) => r.first.family === 6) || marks.some((m) => m.family === 6);
    const markWithoutFamily = marks.some((m) => m.family === undefined);
    if (ranges.length + marks.length === 0) return drop(notes, `${label}: virtual server group ${key.name} has no entries; ignored`);
    if (hasV4 && hasV6 && markWithoutFamily) return drop(notes, `${label}: group ${key.name} cannot have IPv4, IPv6 and fwmark without family; ignored`);
    if (hasV4 && hasV6 && family !== undefined)
      return drop(notes, `${label}: group ${key.name} holds IPv4 and IPv6 but the real servers are IPv${family} and not tunnelled; ignored`);
    if ((hasV4 && family === 6) || (hasV6 && family === 4))
      return drop(notes, `${label}: group ${key.name}'s address family doesn't match the virtual server's; ignored`);
    if (hasV4 !== hasV6) family ??= hasV4 ? 4 : 6;
    else if (family === undefined && markWithoutFamily) notes.push(`${label}: address family cannot be determined, defaulting to IPv4 (as keepalived does)`);
  }
  if (kept.realServers.length === 0) return drop(notes, `${label}: has no real servers; ignored`);

  const hasAddresses = key.kind === "address" || ranges.length > 0;
  const fwmarkOnly = key.kind === "fwmark" || (key.kind === "group" && ranges.length === 0);
  let haSuspend = plan.haSuspend;
  if (haSuspend && (key.kind === "fwmark" || marks.length > 0)) {
    notes.push(`${label}: cannot use ha_suspend with fwmarks; cleared (as keepalived does)`);
    haSuspend = false;
  }

  const persistence = plan.persistence;
  let timeoutS = persistence.timeoutS === "default" ? DEFAULT_PERSISTENCE_TIMEOUT_S : (persistence.timeoutS ?? 0);
  // pgr_handler: a granularity without a timeout makes the service persistent for the default time.
  if (timeoutS === 0 && persistence.granularity) timeoutS = DEFAULT_PERSISTENCE_TIMEOUT_S;
  let protocol: IpvsProtocol | undefined = plan.protocol;
  let onePacket = Boolean(plan.flags.ops);
  if (hasAddresses) {
    if (!protocol) {
      notes.push(`${label}: no protocol set, defaulting to UDP (as keepalived does; the kernel would too)`);
      protocol = "UDP";
    }
    if (onePacket && protocol !== "UDP") {
      notes.push(`${label}: one packet scheduling (ops) requires UDP; reset (as keepalived does)`);
      onePacket = false;
    }
    if (key.kind === "address" && key.port === 0 && timeoutS === 0) {
      notes.push(`${label}: zero port only valid for persistent services; persistence_timeout set to ${DEFAULT_PERSISTENCE_TIMEOUT_S} (as keepalived does)`);
      timeoutS = DEFAULT_PERSISTENCE_TIMEOUT_S;
    }
  }
  if (timeoutS === 0 && ranges.some((r) => r.port === 0)) {
    notes.push(
      `${label}: a group entry has no port, only valid for persistent services; persistence_timeout set to ${DEFAULT_PERSISTENCE_TIMEOUT_S} (as keepalived does)`,
    );
    timeoutS = DEFAULT_PERSISTENCE_TIMEOUT_S;
  }
  if (protocol && fwmarkOnly) {
    notes.push(`${label}: protocol specified for fwmark; ignored (as keepalived does)`);
    protocol = undefined;
  }

  let scheduler = plan.scheduler;
  if (!scheduler) {
    notes.push(`${label}: no scheduler set, setting default '${DEFAULT_SCHEDULER}' (as keepalived does)`);
    scheduler = DEFAULT_SCHEDULER;
  }
  const bits = schedulerFlagBits(scheduler, plan.flags);
  for (const flag of bits.ignored)
    notes.push(`${label}: ${flag} only applies to the ${flag.slice(0, 2)} scheduler, not ${scheduler}; ignored (as keepalived does)`);

  let netmask: number | undefined;
  const granularity = persistence.granularity;
  if (granularity && key.kind === "group")
    notes.push(
      `${label}: persistence_granularity is not applied to group services; keepalived 2.2.7 gives every group entry a full netmask, and so does tandem`,
    );
  else if (granularity && granularity.family !== family)
    notes.push(`${label}: persistence_granularity is an IPv${granularity.family} form but the virtual server is IPv${family}; ignored`);
  else if (granularity) netmask = granularityNetmask(granularity);
  if (persistence.engine && timeoutS === 0)
    notes.push(`${label}: persistence_engine ${persistence.engine} applies only to a persistent service; ignored (as keepalived does)`);

  const settings: ServiceSettings = { scheduler, onePacket, sched1: bits.sched1, sched2: bits.sched2, sched3: bits.sched3, persistenceTimeoutS: timeoutS };
  if (netmask !== undefined) settings.netmask = netmask;
  if (persistence.engine) settings.persistenceEngine = persistence.engine;
  const services: ServiceSpec[] = [];
  const haSuspendAddresses: IpAddress[] = [];
  if (key.kind === "address") {
    services.push(serviceSpec({ kind: "address", protocol: protocol!, address: key.address, port: key.port }, key.address.family, settings));
    haSuspendAddresses.push(key.address);
  } else if (key.kind === "fwmark") {
    services.push(serviceSpec({ kind: "fwmark", family: family!, fwmark: key.fwmark }, family!, settings));
  } else {
    // ipvs_group_cmd walks the address ranges first, then the fwmarks.
    for (const range of ranges) {
      const expansion = expandAddressRange(range.first, range.last);
      if (!expansion.ok) {
        notes.push(`${label}: ${expansion.reason}; entry skipped`);
        continue;
      }
      for (const address of expansion.addresses) {
        services.push(serviceSpec({ kind: "address", protocol: protocol!, address, port: range.port }, address.family, settings));
        haSuspendAddresses.push(address);
      }
    }
    for (const mark of marks) {
      const markFamily: IpFamily = mark.family ?? family ?? 4;
      services.push(serviceSpec({ kind: "fwmark", family: markFamily, fwmark: mark.fwmark }, markFamily, settings));
    }
  }

  const servers = resolveServers(plan, kept, protocol, label, notes);
  let quorum = plan.quorum ?? 1;
  if (quorum > servers.configuredWeightSum) {
    notes.push(
      `${label}: quorum ${quorum} exceeds total weight of real servers ${servers.configuredWeightSum}, reducing quorum to ${servers.configuredWeightSum} (as keepalived does)`,
    );
    quorum = servers.configuredWeightSum;
  }
  let hysteresis = plan.hysteresis ?? 0;
  if (hysteresis > 0 && hysteresis >= quorum) {
    // keepalived sets quorum - 1, which for a quorum of 0 wraps to 4294967295 and the quorum never comes up; tandem keeps 0.
    const corrected = Math.max(0, quorum - 1);
    notes.push(`${label}: hysteresis ${hysteresis} >= quorum ${quorum}; setting hysteresis to ${corrected}`);
    hysteresis = corrected;
  }

  const resolved: ResolvedVirtualServer = {
    id: virtualServerId(key, protocol, family),
    keepalivedName: keepalivedVirtualServerName(key.kind === "group" ? { kind: "group", name: key.name, ordinal } : key, protocol),
    services,
    quorum,
    hysteresis,
    omega: plan.omega,
    haSuspend,
    haSuspendAddresses: haSuspend ? haSuspendAddresses : [],
    realServers: servers.realServers,
  };
  if (protocol) resolved.protocol = protocol;
  if (family) resolved.family = family;
  if (plan.quorumUp !== undefined) resolved.quorumUp = plan.quorumUp;
  if (plan.quorumDown !== undefined) resolved.quorumDown = plan.quorumDown;
  if (servers.sorryServer) resolved.sorryServer = servers.sorryServer;
  return resolved;
}

/** "TCP 10.0.0.1:80", "FWM 7 IPv4", "group web TCP" / "group marks FWM IPv6": keepalived's vs_iseq identity as text. */
export function virtualServerId(key: VirtualServerKeyPlan, protocol: IpvsProtocol | undefined, family: IpFamily | undefined): string {
  if (key.kind === "address") return serviceKeyText({ kind: "address", protocol: protocol ?? "UDP", address: key.address, port: key.port });
  if (key.kind === "fwmark") return `FWM ${key.fwmark} IPv${family ?? 4}`;
  return `group ${key.name} ${protocol ?? `FWM IPv${family ?? 4}`}`;
}

function drop(notes: string[], note: string): undefined {
  notes.push(note);
  return undefined;
}
