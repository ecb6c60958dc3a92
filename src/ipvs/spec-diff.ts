// Which attributes of a service or a destination differ between what the director wants and
// what the kernel holds, after the forms the kernel treats as one are made one (no engine
// and an empty engine name; a tunnel spec on a non-tunnel destination). Pure.
import type { DestinationAttribute, ServiceAttribute } from "./ops.ts";
import type { DestinationSpec, ServiceFlags, ServiceSpec, TunnelSpec } from "./types.ts";

/**
 * What the kernel holds for a destination that names no tunnel: __ip_vs_update_dest copies
 * tun_type, tun_port and tun_flags from the request, zeroed when absent (IPIP, port 0, NOCSUM).
 */
export const DEFAULT_TUNNEL: TunnelSpec = Object.freeze({ type: "ipip", port: 0, checksum: "nocsum" });

/** The attributes of `desired` that SET_SERVICE must change on `actual`, in ServiceSpec's order; empty if none. */
export function serviceChanges(desired: ServiceSpec, actual: ServiceSpec): ServiceAttribute[] {
  const changed: ServiceAttribute[] = [];
  if (desired.scheduler !== actual.scheduler) changed.push("scheduler");
  if (!sameFlags(desired.flags, actual.flags)) changed.push("flags");
  if (desired.timeoutS !== actual.timeoutS) changed.push("timeoutS");
  if (desired.netmask !== actual.netmask) changed.push("netmask");
  if ((desired.persistenceEngine || undefined) !== (actual.persistenceEngine || undefined)) changed.push("persistenceEngine");
  return changed;
}

/** The attributes of `desired` that SET_DEST must change on `actual`; empty if none. */
export function destinationChanges(desired: DestinationSpec, actual: DestinationSpec): DestinationAttribute[] {
  const changed: DestinationAttribute[] = [];
  if (desired.forward !== actual.forward) changed.push("forward");
  if (desired.weight !== actual.weight) changed.push("weight");
  if (desired.upperThreshold !== actual.upperThreshold) changed.push("upperThreshold");
  if (desired.lowerThreshold !== actual.lowerThreshold) changed.push("lowerThreshold");
  if (!sameTunnel(effectiveTunnel(desired), effectiveTunnel(actual))) changed.push("tunnel");
  return changed;
}

/**
 * The tunnel that matters: only a tunnelling destination uses one (ip_vs_xmit picks the
 * encapsulation from it), so any other's leftover tun_* fields are not a difference.
 */
export function effectiveTunnel(destination: DestinationSpec): TunnelSpec {
  if (destination.forward !== "tunnel") return DEFAULT_TUNNEL;
  return destination.tunnel ?? DEFAULT_TUNNEL;
}

/** A service's attributes without its destinations, as SET_SERVICE and NEW_SERVICE carry them. */
export function serviceSpecOf(service: ServiceSpec): ServiceSpec {
  const spec: ServiceSpec = { key: service.key, scheduler: service.scheduler, flags: service.flags, timeoutS: service.timeoutS, netmask: service.netmask };
  if (service.persistenceEngine) spec.persistenceEngine = service.persistenceEngine;
  return spec;
}

/** A destination's spec without the kernel's stats, as NEW_DEST and SET_DEST carry it. */
export function destinationSpecOf(destination: DestinationSpec): DestinationSpec {
  const spec: DestinationSpec = {
    address: destination.address,
    port: destination.port,
    forward: destination.forward,
    weight: destination.weight,
    upperThreshold: destination.upperThreshold,
    lowerThreshold: destination.lowerThreshold,
  };
  if (destination.tunnel) spec.tunnel = destination.tunnel;
  return spec;
}

function sameFlags(a: ServiceFlags, b: ServiceFlags): boolean {
  return a.persistent === b.persistent && a.onePacket === b.onePacket && a.sched1 === b.sched1 && a.sched2 === b.sched2 && a.sched3 === b.sched3;
}

function sameTunnel(a: TunnelSpec, b: TunnelSpec): boolean {
  return a.type === b.type && a.port === b.port && a.checksum === b.checksum;
}
