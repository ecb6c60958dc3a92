// The director's state as the API shows it (IpvsView): each virtual server with its quorum
// and sorry server, each real server with the weight the director asks for beside the one
// the kernel has, its health, drain and connections; the preflight's kernel facts and the
// kernel's totals. Built from what the last pass saw. Pure.
import type { CheckStatsTableView, IpvsPreflightView, IpvsView, RealServerCheckerView, RealServerIpvsView, VirtualServerIpvsView } from "../../api/ports.ts";
import type { DirectorSnapshot } from "../../ipvs/director.ts";
import { drainKey } from "../../ipvs/drain.ts";
import type { IpvsTotals } from "../../ipvs/ip-vs-stats.ts";
import type { PreflightResult } from "./preflight-pass.ts";
import type { CheckerStates, CheckerView } from "../check/checker-runner.ts";
import type { ResolvedVirtualServer } from "../../ipvs/resolved-plan.ts";
import { destinationText, serviceKeyText, type ForwardMethod, type ObservedDestination, type ServiceSpec } from "../../ipvs/types.ts";

export interface ApplyRecord {
  atMs: number;
  cause: string;
  writes: number;
  failures: number;
  durationMs: number;
}

export interface IpvsStatusInput {
  available: boolean;
  reason?: string;
  resolved: readonly ResolvedVirtualServer[];
  snapshot: DirectorSnapshot | undefined;
  lastApply?: ApplyRecord;
  driftRepairs: number;
  observedAtMs?: number;
  preflight?: PreflightResult;
  totals?: IpvsTotals;
  /** The health checks' states (absent: none run). */
  checkers?: CheckerStates;
}

export function ipvsStatus(input: IpvsStatusInput): IpvsView {
  const { snapshot } = input;
  const observed = new Map((snapshot?.observed.services ?? []).map((s) => [serviceKeyText(s.key), s]));
  // Each service's destinations by address, built once: a scan per real server is quadratic in a
  // service's size, and the status covers every destination (tens of thousands).
  const byAddress = new Map<string, Map<string, ObservedDestination>>();
  const destinationsOf = (key: string): Map<string, ObservedDestination> => {
    let index = byAddress.get(key);
    if (!index) byAddress.set(key, (index = new Map((observed.get(key)?.destinations ?? []).map((d) => [destinationText(d), d]))));
    return index;
  };
  const configured = new Set(input.resolved.flatMap((vs) => vs.services.map((s) => serviceKeyText(s.key))));
  const views = new Map((snapshot?.desired.realServers ?? []).map((v) => [`${v.virtualServer}|${v.realServer}`, v]));
  const quorum = new Map((snapshot?.desired.virtualServers ?? []).map((v) => [v.virtualServer, v]));
  const drains = new Map((snapshot?.drains.entries ?? []).map((e) => [drainKey(e.service, e.destination), e]));

  const virtualServers = input.resolved.map((vs): VirtualServerIpvsView => {
    const first = vs.services[0];
    const indexes = vs.services.map((s) => destinationsOf(serviceKeyText(s.key)));
    const checkersOf = input.checkers?.get(vs.id);
    // What the quorum is judged on (weigh_live_realservers): full effective weights, not a slowstart ramp's.
    let liveWeight = 0;
    // Tens of thousands of these per status: plain loops and assignments, no spreads or closures per server.
    const realServers = vs.realServers.map((rs) => {
      const view = views.get(`${vs.id}|${rs.id}`);
      const text = destinationText(rs);
      let kernelWeight: number | undefined;
      let active = 0;
      let inactive = 0;
      let cps = 0;
      let bytesIn = 0;
      let bytesOut = 0;
      for (const index of indexes) {
        const d = index.get(text);
        if (!d) continue;
        kernelWeight ??= d.weight;
        active += d.stats.activeConnections;
        inactive += d.stats.inactiveConnections;
        cps += d.stats.connectionsPerSecond;
        bytesIn += d.stats.bytesInPerSecond;
        bytesOut += d.stats.bytesOutPerSecond;
      }
      const drain = first && drains.size > 0 ? drains.get(drainKey(first.key, rs)) : undefined;
      const checks = checkersOf?.get(rs.id);
      // Without a table (no IPVS) the checks alone say whether it is alive.
      const checkedAlive = checks && checks.length > 0 ? checks.every((c) => c.up) : undefined;
      const server: RealServerIpvsView = {
        id: rs.id,
        address: rs.address.text,
        port: rs.port,
        forward: lbKind(rs.forward),
        configuredWeight: rs.weight,
        alive: view?.alive ?? checkedAlive ?? false,
        drained: view?.drained ?? false,
        reason: view?.reason ?? (checkedAlive === undefined ? "not yet evaluated" : checkedAlive ? "alive" : "failed"),
        activeConnections: active,
        inactiveConnections: inactive,
        connectionsPerSecond: cps,
        bytesInPerSecond: bytesIn,
        bytesOutPerSecond: bytesOut,
      };
      if (view?.desiredWeight !== undefined) server.desiredWeight = view.desiredWeight;
      if (kernelWeight !== undefined) server.kernelWeight = kernelWeight;
      if (drain) server.draining = { cause: drain.cause, sinceMs: drain.startedAtMs, deadlineMs: drain.deadlineMs };
      if (view?.slowStart) server.slowStart = { sinceMs: view.slowStart.sinceMs, untilMs: view.slowStart.untilMs, weight: view.effectiveWeight };
      if (view?.alive && !view.drained) liveWeight += view.effectiveWeight;
      if (checks && checks.length > 0) server.checkers = checks.map(checkerView);
      return server;
    });
    const q = quorum.get(vs.id);
    return {
      id: vs.id,
      services: vs.services.map((s) => serviceKeyText(s.key)),
      scheduler: first?.scheduler ?? "",
      flags: first ? flagNames(first) : [],
      persistenceTimeoutS: first?.timeoutS ?? 0,
      quorum: { up: q?.quorumUp ?? false, quorum: vs.quorum, hysteresis: vs.hysteresis, liveWeight },
      ...(vs.sorryServer ? { sorryServer: { address: vs.sorryServer.address.text, port: vs.sorryServer.port, active: q?.sorryServerActive ?? false } } : {}),
      realServers,
    };
  });
  return {
    available: input.available,
    ...(input.reason === undefined ? {} : { reason: input.reason }),
    virtualServers,
    foreignServices: [...observed.keys()].filter((key) => !configured.has(key) && !(snapshot?.owned.has(key) ?? false)).sort(),
    ...(input.lastApply ? { lastApply: input.lastApply } : {}),
    driftRepairs: input.driftRepairs,
    ...(input.totals ? { totals: input.totals } : {}),
    ...(input.preflight ? { preflight: preflightView(input.preflight) } : {}),
    ...(input.observedAtMs === undefined ? {} : { observedAtMs: input.observedAtMs }),
  };
}

/** The view with each checker's stats put in (the observer merges them as they arrive, apart from the status). */
export function withCheckStats(view: IpvsView, table: CheckStatsTableView): IpvsView {
  return {
    ...view,
    virtualServers: view.virtualServers.map((vs) => {
      const servers = table[vs.id];
      if (!servers) return vs;
      return {
        ...vs,
        realServers: vs.realServers.map((rs) => {
          const stats = servers[rs.id];
          if (!stats || !rs.checkers) return rs;
          return { ...rs, checkers: rs.checkers.map((c) => (stats[c.id] ? { ...c, stats: stats[c.id]! } : c)) };
        }),
      };
    }),
  };
}

function checkerView(c: CheckerView): RealServerCheckerView {
  const view: RealServerCheckerView = {
    id: c.target.checker,
    kind: c.kind,
    state: c.problem ? "not run" : !c.hasRun ? "not yet checked" : c.up ? "up" : "down",
    up: c.up,
    retries: c.retryIt,
  };
  if (c.lastChange) view.lastChange = c.lastChange;
  if (c.problem) view.problem = c.problem;
  if (c.dynamicWeight !== undefined && c.up) view.dynamicWeight = c.dynamicWeight;
  if (c.weightDelta !== undefined && c.up) view.weightDelta = c.weightDelta;
  if (c.suspended) view.suspended = true;
  if (c.tls) view.tls = c.tls;
  return view;
}

function preflightView(result: PreflightResult): IpvsPreflightView {
  return {
    ...(result.info ? { version: result.info.version, connectionTableSize: result.info.connectionTableSize } : {}),
    sysctls: result.findings.map((f) => ({ name: f.name, ...(f.value === undefined ? {} : { value: f.value }), wanted: f.wanted, reason: f.reason, ok: f.ok })),
    setSysctls: result.setSysctls,
    checkedAtMs: result.checkedAtMs,
  };
}

function lbKind(forward: ForwardMethod): "NAT" | "DR" | "TUN" {
  return forward === "tunnel" ? "TUN" : forward === "direct-route" ? "DR" : "NAT";
}

function flagNames(service: ServiceSpec): string[] {
  const { flags } = service;
  return [
    ...(flags.persistent ? ["persistent"] : []),
    ...(flags.onePacket ? ["ops"] : []),
    ...(flags.sched1 ? ["flag-1"] : []),
    ...(flags.sched2 ? ["flag-2"] : []),
    ...(flags.sched3 ? ["flag-3"] : []),
  ];
}
