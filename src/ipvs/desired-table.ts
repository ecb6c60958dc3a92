// The IPVS table the director wants, from the plans, the checkers' health, the operator's
// intent and the quorum machine's memory, by keepalived 2.2.7's rules (ipwrapper.c,
// ipvswrapper.c ipvs_cmd / ipvs_set_drule / ipvs_group_cmd): which real servers are in each
// service and at what weight, and the sorry server. Pure; call it after step() saw the same health.
import { drainedByVirtualServer, drainedKeys, operatorDrainKey, type DirectorIntent, type DirectorState, type VirtualServerMemory } from "./director-types.ts";
import { effectiveWeight, isAlive, realServerHealth, type HealthTable } from "./real-server-health.ts";
import type { ResolvedDestination, ResolvedVirtualServer } from "./resolved-plan.ts";
import { rampedWeight, type RampStart, type SlowStartState } from "./slow-start.ts";
import { destinationText, serviceKeyText, type DesiredService, type DestinationSpec, type IpvsTable, type ServiceKey } from "./types.ts";

/** Why a real server has the weight it has (or is not in the table). */
export type WeightReason =
  /** Alive: its configured weight plus its checkers' dynamic weights, clamped. */
  | "alive"
  /** Alive but drained by the operator: weight 0 until undrained. */
  | "drained"
  /** Failed with inhibit_on_failure: kept at weight 0. */
  | "inhibited"
  /** Failed: removed. */
  | "failed"
  /** Alive again after a failure, its weight ramping up over its slowstart (tandem's; slow-start.ts). */
  | "slow-start"
  /** The quorum is down and the sorry server is in: removed, or weight 0 with inhibit_on_failure. */
  | "sorry-server-active";

export interface RealServerView {
  virtualServer: string;
  realServer: string;
  alive: boolean;
  drained: boolean;
  /** Configured weight plus dynamic weights, clamped (real_weight). */
  effectiveWeight: number;
  /** The weight in every service of the virtual server; undefined = not in the table. */
  desiredWeight: number | undefined;
  reason: WeightReason;
  /** While its weight ramps ("slow-start"): when the ramp began and when it reaches effectiveWeight (wall-clock ms). */
  slowStart?: { sinceMs: number; untilMs: number };
}

export interface VirtualServerView {
  virtualServer: string;
  quorumUp: boolean;
  sorryServerActive: boolean;
}

export interface DesiredTableResult {
  table: IpvsTable;
  virtualServers: VirtualServerView[];
  realServers: RealServerView[];
  notes: string[];
  /** Each virtual server's share, by id: the next call reuses those whose inputs are the same objects. */
  parts: ReadonlyMap<string, VirtualServerPart>;
  /**
   * Key texts of the services whose desired destinations may differ from the previous call's:
   * those of the virtual servers worked out again (before and after) and of those gone. All of
   * them without a previous call.
   */
  changedServices: ReadonlySet<string>;
}

/** The slowstart ramps under way (slow-start.ts), and the time to weigh them at (the clock's monotonic ms). */
export interface SlowStartInput {
  ramps: SlowStartState["ramps"];
  nowMs: number;
}

/** One virtual server's share of the desired table, and the inputs it came from. */
export interface VirtualServerPart {
  inputs: {
    vs: ResolvedVirtualServer;
    memory: VirtualServerMemory;
    health: HealthTable[string] | undefined;
    drained: string;
    /** Its ramps under way, and the time they were weighed at: a virtual server with none is not worked out again as time passes. */
    ramps: Readonly<Record<string, RampStart>> | undefined;
    nowMs: number | undefined;
  };
  view: VirtualServerView;
  realServers: RealServerView[];
  services: DesiredService[];
  notes: string[];
}

/** The sorry server's weight: keepalived never changes its initial effective_weight of 1 (alloc_ssvr). */
export const SORRY_SERVER_WEIGHT = 1;

/**
 * The table; with `previous` (the last call's result), a virtual server whose plan, memory,
 * health entry and drained servers are the same objects and names as then keeps its share
 * as it was, so a pass after a reload or a check's verdict works out only what it touched.
 * `slowStart`: the ramps under way; only virtual servers with one are worked out again when
 * only the time changed.
 */
export function desiredTable(
  virtualServers: readonly ResolvedVirtualServer[],
  health: HealthTable,
  intent: DirectorIntent,
  state: DirectorState,
  previous?: DesiredTableResult,
  slowStart?: SlowStartInput,
): DesiredTableResult {
  const parts = new Map<string, VirtualServerPart>();
  const changedServices = new Set<string>();
  const result: DesiredTableResult = { table: { services: [] }, virtualServers: [], realServers: [], notes: [], parts, changedServices };
  const drained = drainedKeys(intent);
  const drainedByVs = drainedByVirtualServer(intent);
  const changed = (part: VirtualServerPart | undefined) => {
    for (const service of part?.services ?? []) changedServices.add(serviceKeyText(service.key));
  };
  if (state.phase === "running") {
    for (const vs of virtualServers) {
      const memory = state.virtualServers[vs.id];
      if (!memory) continue;
      const ramps = slowStart?.ramps[vs.id];
      const inputs = { vs, memory, health: health[vs.id], drained: drainedByVs.get(vs.id) ?? "", ramps, nowMs: ramps ? slowStart!.nowMs : undefined };
      const before = previous?.parts.get(vs.id);
      let part = before;
      if (!before || !sameInputs(before.inputs, inputs)) {
        part = virtualServerPart(inputs, health, drained);
        changed(before);
        changed(part);
      }
      parts.set(vs.id, part!);
      result.virtualServers.push(part!.view);
      for (const rs of part!.realServers) result.realServers.push(rs);
      for (const service of part!.services) result.table.services.push(service);
      for (const note of part!.notes) result.notes.push(note);
    }
  }
  for (const [id, part] of previous?.parts ?? []) if (!parts.has(id)) changed(part);
  return result;
}

function sameInputs(a: VirtualServerPart["inputs"], b: VirtualServerPart["inputs"]): boolean {
  return a.vs === b.vs && a.memory === b.memory && a.health === b.health && a.drained === b.drained && a.ramps === b.ramps && a.nowMs === b.nowMs;
}

function virtualServerPart(inputs: VirtualServerPart["inputs"], health: HealthTable, drained: ReadonlySet<string>): VirtualServerPart {
  const { vs, memory } = inputs;
  const sorry = vs.sorryServer;
  const sorryActive = sorry !== undefined && memory.sorryServerIn === destinationText(sorry);
  const part: VirtualServerPart = {
    inputs,
    view: { virtualServer: vs.id, quorumUp: memory.quorumUp, sorryServerActive: sorryActive },
    realServers: [],
    services: [],
    notes: [],
  };

  const members: { server: ResolvedDestination & { upperThreshold: number; lowerThreshold: number }; weight: number; sorry: boolean }[] = [];
  for (const rs of vs.realServers) {
    const rsHealth = realServerHealth(health, vs.id, rs);
    const alive = isAlive(rsHealth);
    const weight = effectiveWeight(rs.weight, rsHealth);
    // No key to build when nothing is drained (the usual case, and a string per real server per pass).
    const isDrained = inputs.drained !== "" && drained.has(operatorDrainKey(vs.id, rs.id));
    const ramp = inputs.ramps?.[rs.id];
    const ramped = ramp && rampedWeight(ramp, rs.slowStartMs, weight, inputs.nowMs!);
    const { desiredWeight, reason } = decide(alive, isDrained, rs.inhibitOnFailure, sorryActive, weight, ramped);
    const view: RealServerView = { virtualServer: vs.id, realServer: rs.id, alive, drained: isDrained, effectiveWeight: weight, desiredWeight, reason };
    if (reason === "slow-start") view.slowStart = { sinceMs: ramp!.atWallMs, untilMs: ramp!.atWallMs + rs.slowStartMs };
    part.realServers.push(view);
    if (desiredWeight !== undefined) members.push({ server: rs, weight: desiredWeight, sorry: false });
  }
  // The sorry server takes its twin real server's place while in; out, an inhibited one stays at weight 0 (init_service_vs).
  if (sorry && sorryActive) members.push({ server: { ...sorry, upperThreshold: 0, lowerThreshold: 0 }, weight: SORRY_SERVER_WEIGHT, sorry: true });
  else if (sorry?.inhibit && !sorry.duplicatesRealServer) members.push({ server: { ...sorry, upperThreshold: 0, lowerThreshold: 0 }, weight: 0, sorry: true });

  for (const spec of vs.services) {
    const destinations = new Map<string, DestinationSpec>();
    for (const { server, weight, sorry: isSorry } of members) {
      const destination = destinationSpec(server, spec.key, weight);
      const text = destinationText(destination);
      if (destinations.has(text) && !(isSorry && sorryActive)) {
        part.notes.push(`${vs.id}: ${serviceKeyText(spec.key)} -> ${text} is given twice; the first is kept`);
        continue;
      }
      destinations.set(text, destination);
    }
    part.services.push({ ...spec, destinations: [...destinations.values()] });
  }
  return part;
}

/**
 * perform_svr_state / perform_quorum_state / ipvs_cmd: while the sorry server is in, real
 * servers are out (weight 0 with inhibit); otherwise an alive one has its weight (0 when
 * drained; its ramp's while it slow-starts, tandem's) and a failed one is out (weight 0 with
 * inhibit).
 */
function decide(
  alive: boolean,
  drained: boolean,
  inhibit: boolean,
  sorryActive: boolean,
  weight: number,
  ramped: number | undefined,
): { desiredWeight: number | undefined; reason: WeightReason } {
  if (sorryActive) return { desiredWeight: inhibit ? 0 : undefined, reason: "sorry-server-active" };
  if (alive) {
    if (drained) return { desiredWeight: 0, reason: "drained" };
    return ramped === undefined ? { desiredWeight: weight, reason: "alive" } : { desiredWeight: ramped, reason: "slow-start" };
  }
  return inhibit ? { desiredWeight: 0, reason: "inhibited" } : { desiredWeight: undefined, reason: "failed" };
}

/**
 * ipvs_set_drule and ipvs_cmd: NAT keeps the server's port; DR and TUN use the service's
 * port, 0 for a fwmark (per group entry in ipvs_group_cmd).
 */
function destinationSpec(server: ResolvedDestination & { upperThreshold: number; lowerThreshold: number }, key: ServiceKey, weight: number): DestinationSpec {
  const port = server.forward === "masquerade" ? server.port : key.kind === "address" ? key.port : 0;
  const destination: DestinationSpec = {
    address: server.address,
    port,
    forward: server.forward,
    weight,
    upperThreshold: server.upperThreshold,
    lowerThreshold: server.lowerThreshold,
  };
  if (server.tunnel) destination.tunnel = { ...server.tunnel };
  return destination;
}
