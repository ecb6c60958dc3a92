// Graceful removal of real servers, as a state machine on injected time: one removed from
// the config, or drained by the operator, is held at weight 0 (no new connections, the
// established ones carry on) until the kernel counts no connection on it or the drain
// timeout passes, and only then leaves the desired table, so reconcile deletes it. UDP and
// `ops` services have no connections to wait for: removed at once. Pure:
// stepDrain(state, input) -> { state, desired, effects }; the state is plain data that the
// operator-intent store keeps across reloads and restarts (drain-state-json.ts).
import { destinationSpecOf, serviceSpecOf } from "./spec-diff.ts";
import {
  destinationText,
  serviceKeyText,
  type DesiredService,
  type DestinationAddress,
  type DestinationSpec,
  type IpvsTable,
  type ObservedDestination,
  type ObservedService,
  type ServiceKey,
  type ServiceSpec,
} from "./types.ts";

/**
 * The default of tandem's `drain_timeout` keyword. 300 s is what operators know from cloud
 * load balancers' connection draining (AWS's deregistration delay), ends well before the
 * kernel's 900 s TCP idle timeout would (an idle keep-alive still counts as active), and
 * covers IPVS's 120 s TIME_WAIT (such connections count as inactive) after the last close.
 */
export const DEFAULT_DRAIN_TIMEOUT_S = 300;

export type DrainCause = "removed" | "operator";

export interface DrainEntry {
  service: ServiceKey;
  destination: DestinationAddress;
  cause: DrainCause;
  /** Wall-clock ms (drains outlive the process, a monotonic clock does not). */
  startedAtMs: number;
  deadlineMs: number;
  /** "draining": held at weight 0. "removing": finished, out of the desired table until the dump no longer has it. */
  phase: "draining" | "removing";
}

export interface DrainState {
  /** Sorted by drainKey. */
  entries: DrainEntry[];
}

export const NO_DRAINS: DrainState = Object.freeze({ entries: [] });

export interface DrainInput {
  /** The table the config, the checks and quorum ask for (the desired-table builder's output). */
  desired: IpvsTable;
  /**
   * drainKey()s of every real server the config names, alive or not: one the desired table
   * lacks but the config names (failed, or quorum lost) is removed at once, as keepalived
   * does; only one the config no longer names is drained.
   */
  configured: ReadonlySet<string>;
  /** The kernel's latest dump: the connection counts, and what is still there to drain. */
  observed: IpvsTable<ObservedService>;
  /** The reconcile scope's owned services: a foreign service's destinations are never drained. */
  owned: ReadonlySet<string>;
  /** drainKey()s the operator drained (the operator-intent store). */
  operatorDrains: ReadonlySet<string>;
  /** Wall-clock ms. */
  nowMs: number;
  drainTimeoutMs: number;
}

interface EffectBase {
  service: string;
  destination: string;
  cause: DrainCause;
}

export type DrainEffect =
  | (EffectBase & { kind: "drain-started"; deadlineMs: number })
  | (EffectBase & { kind: "drain-finished"; how: "connections-zero" | "timeout" | "immediate" | "gone" })
  | (EffectBase & { kind: "drain-cancelled"; why: "undrained" | "back-in-config" | "not-desired" });

export interface DrainStep {
  state: DrainState;
  /** input.desired with the draining servers (weight 0) kept and the drained ones left out: reconcile's input. */
  desired: IpvsTable;
  effects: DrainEffect[];
  /** When a drain times out: dump and step again then at the latest. */
  wakeAtMs?: number;
}

/** "TCP 10.0.0.1:80 -> 192.168.1.2:80": a real server within its service, as drain intents name it. */
export function drainKey(service: ServiceKey, destination: DestinationAddress): string {
  return joinDrainKey(serviceKeyText(service), destinationText(destination));
}

const joinDrainKey = (serviceText: string, destinationText: string) => `${serviceText} -> ${destinationText}`;

export function stepDrain(state: DrainState, input: DrainInput): DrainStep {
  const desired = new Map(input.desired.services.map((s) => [serviceKeyText(s.key), s]));
  const observed = new Map(input.observed.services.map((s) => [serviceKeyText(s.key), s]));
  const entriesByService = new Map<string, Map<string, DrainEntry>>();
  for (const entry of state.entries) {
    const service = serviceKeyText(entry.service);
    const byDestination = entriesByService.get(service) ?? new Map<string, DrainEntry>();
    byDestination.set(destinationText(entry.destination), entry);
    entriesByService.set(service, byDestination);
  }
  const inScope = new Set([...desired.keys(), ...input.owned, ...entriesByService.keys()]);

  const next: DrainEntry[] = [];
  const effects: DrainEffect[] = [];
  const keptByService = new Map<string, DestinationSpec[]>();
  const extra: DesiredService[] = [];
  for (const text of [...inScope].sort(compareText)) {
    const want = desired.get(text);
    const have = observed.get(text);
    const spec = want ?? have;
    const drains = entriesByService.get(text) ?? new Map<string, DrainEntry>();
    if (!spec) {
      for (const entry of drains.values()) finishGone(entry, effects);
      continue;
    }
    const kept = stepService(spec, want, have, drains, input, next, effects);
    if (want) keptByService.set(text, kept);
    else if (have && kept.length > 0) extra.push({ ...serviceSpecOf(have), destinations: kept });
  }

  next.sort((a, b) => compareText(drainKey(a.service, a.destination), drainKey(b.service, b.destination)));
  let wakeAtMs: number | undefined;
  for (const e of next) if (e.phase === "draining" && (wakeAtMs === undefined || e.deadlineMs < wakeAtMs)) wakeAtMs = e.deadlineMs;
  const services = [...input.desired.services.map((s) => ({ ...s, destinations: keptByService.get(serviceKeyText(s.key))! })), ...extra];
  const step: DrainStep = { state: { entries: next }, desired: { services }, effects };
  if (wakeAtMs !== undefined) step.wakeAtMs = wakeAtMs;
  return step;
}

/** One service's destinations: the desired ones that stay, then the draining ones at weight 0, by destination text. */
function stepService(
  spec: ServiceSpec,
  want: DesiredService | undefined,
  have: ObservedService | undefined,
  drains: ReadonlyMap<string, DrainEntry>,
  input: DrainInput,
  next: DrainEntry[],
  effects: DrainEffect[],
): DestinationSpec[] {
  const wanted = new Map((want?.destinations ?? []).map((d) => [destinationText(d), d]));
  const held = new Map((have?.destinations ?? []).map((d) => [destinationText(d), d]));
  const kept: DestinationSpec[] = [];
  for (const text of [...new Set([...wanted.keys(), ...held.keys(), ...drains.keys()])].sort(compareText)) {
    const destination = stepDestination(spec, wanted.get(text), held.get(text), text, drains.get(text), input, next, effects);
    if (destination) kept.push(destination);
  }
  return kept;
}

/** The destination to keep in the desired table, or undefined to let reconcile delete (or not add) it. */
function stepDestination(
  spec: ServiceSpec,
  wanted: DestinationSpec | undefined,
  held: ObservedDestination | undefined,
  destination: string,
  entry: DrainEntry | undefined,
  input: DrainInput,
  next: DrainEntry[],
  effects: DrainEffect[],
): DestinationSpec | undefined {
  const service = serviceKeyText(spec.key);
  const key = joinDrainKey(service, destination);
  const intent = input.operatorDrains.has(key);
  const needsDrain = wanted ? intent : !input.configured.has(key) && (held !== undefined || entry !== undefined);

  if (!needsDrain) {
    if (entry?.phase === "draining") {
      const why = !wanted ? "not-desired" : entry.cause === "operator" ? "undrained" : "back-in-config";
      effects.push({ kind: "drain-cancelled", service, destination, cause: entry.cause, why });
    }
    return wanted;
  }
  if (!held) {
    if (entry) finishGone(entry, effects);
    return undefined;
  }
  if (entry?.phase === "removing") {
    next.push(entry);
    return undefined;
  }
  const cause = entry?.cause ?? (wanted ? "operator" : "removed");
  const startedAtMs = entry?.startedAtMs ?? input.nowMs;
  const deadlineMs = entry?.deadlineMs ?? input.nowMs + input.drainTimeoutMs;
  const connections = held.stats.activeConnections + held.stats.inactiveConnections;
  const how = hasNoConnectionsToWaitFor(spec) ? "immediate" : connections === 0 ? "connections-zero" : input.nowMs >= deadlineMs ? "timeout" : undefined;
  const base = { service: spec.key, destination: { address: held.address, port: held.port }, cause, startedAtMs, deadlineMs };
  if (how) {
    effects.push({ kind: "drain-finished", service, destination, cause, how });
    next.push({ ...base, phase: "removing" });
    return undefined;
  }
  if (!entry) effects.push({ kind: "drain-started", service, destination, cause, deadlineMs });
  next.push({ ...base, phase: "draining" });
  return { ...(wanted ?? destinationSpecOf(held)), weight: 0 };
}

/**
 * UDP has no connection end to wait for, and `ops` schedules each datagram on its own. A
 * firewall-mark service may carry either; it is drained like TCP unless it is `ops`.
 */
function hasNoConnectionsToWaitFor(spec: ServiceSpec): boolean {
  return spec.flags.onePacket || (spec.key.kind === "address" && spec.key.protocol === "UDP");
}

/** A draining destination the kernel no longer has (deleted behind tandem's back, or with its service): the drain is over. */
function finishGone(entry: DrainEntry, effects: DrainEffect[]): void {
  if (entry.phase !== "draining") return;
  effects.push({
    kind: "drain-finished",
    service: serviceKeyText(entry.service),
    destination: destinationText(entry.destination),
    cause: entry.cause,
    how: "gone",
  });
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
