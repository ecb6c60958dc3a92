// Turns the validated keepalived.conf model's virtual_server blocks (with their groups, real,
// sorry servers and checkers) into the director's plans, field for field. The model has
// already made keepalived 2.2.7's repairs (ports, families, inheritance, quorum), so every
// plan field is given explicitly and resolve-plan.ts finds nothing left to default. Pure.
import { ipv4Address } from "../common/ip-address.ts";
import type {
  Checker,
  CheckerKind,
  Config,
  LbKind,
  PersistenceGranularity,
  RealServer,
  SmtpChecker,
  SorryServer,
  TunnelOptions,
  VirtualServer,
  VirtualServerGroup,
} from "../config/model.ts";
import type { CheckSpec } from "../check/check-spec.ts";
import type {
  CheckerPlan,
  ForwardingPlan,
  GranularityPlan,
  GroupEntryPlan,
  RealServerPlan,
  SorryServerPlan,
  VirtualServerKeyPlan,
  VirtualServerPlan,
} from "./virtual-server-plan.ts";

/** What a checker block runs, worked out by the checkers' own code (the daemon passes check/check-spec.ts's). */
export type CheckSpecOf = (checker: Checker, rs: RealServer, vs: VirtualServer) => CheckSpec;

/** One plan per virtual_server, in the file's order (keepalived numbers a group's virtual servers in it). */
export function planVirtualServers(config: Pick<Config, "virtualServers" | "virtualServerGroups">, checkSpecOf?: CheckSpecOf): VirtualServerPlan[] {
  const groups = new Map(config.virtualServerGroups.map((g) => [g.name, g]));
  return config.virtualServers.flatMap((vs) => {
    const key = keyPlan(vs, groups);
    return key ? [virtualServerPlan(vs, key, checkSpecOf)] : [];
  });
}

function virtualServerPlan(vs: VirtualServer, key: VirtualServerKeyPlan, checkSpecOf: CheckSpecOf | undefined): VirtualServerPlan {
  const plan: VirtualServerPlan = {
    key,
    scheduler: vs.lbAlgo,
    flags: { ops: vs.onePacket, flag1: vs.schedulerFlags.flag1, flag2: vs.schedulerFlags.flag2, flag3: vs.schedulerFlags.flag3 },
    persistence: {},
    forwarding: forwardingPlan(vs.lbKind, vs.tunnel),
    defaultWeight: vs.weight,
    quorum: vs.quorum,
    hysteresis: vs.hysteresis,
    inhibitOnFailure: vs.inhibitOnFailure,
    alpha: vs.alpha,
    omega: vs.omega,
    haSuspend: vs.haSuspend,
    realServers: vs.realServers.map((rs) => realServerPlan(rs, checkSpecOf && ((checker) => checkSpecOf(checker, rs, vs)))),
  };
  if (vs.protocol) plan.protocol = vs.protocol;
  if (vs.persistenceTimeoutS !== undefined) plan.persistence.timeoutS = vs.persistenceTimeoutS;
  if (vs.persistenceGranularity) plan.persistence.granularity = granularityPlan(vs.persistenceGranularity);
  if (vs.persistenceEngine) plan.persistence.engine = vs.persistenceEngine;
  if (vs.quorumUp !== undefined) plan.quorumUp = vs.quorumUp;
  if (vs.quorumDown !== undefined) plan.quorumDown = vs.quorumDown;
  if (vs.sorryServer) plan.sorryServer = sorryServerPlan(vs.sorryServer);
  if (vs.slowStartS) plan.slowStartMs = slowStartMs(vs.slowStartS);
  return plan;
}

/** The group's entries go with the key; a group the model lost (it reported it) gives no plan. */
function keyPlan(vs: VirtualServer, groups: ReadonlyMap<string, VirtualServerGroup>): VirtualServerKeyPlan | undefined {
  const key = vs.key;
  if (key.kind === "address") return { kind: "address", address: key.address, port: key.port };
  if (key.kind === "fwmark") return vs.family ? { kind: "fwmark", fwmark: key.fwmark, family: vs.family } : { kind: "fwmark", fwmark: key.fwmark };
  const group = groups.get(key.group);
  if (!group) return undefined;
  const entries = group.entries.map((e): GroupEntryPlan =>
    e.kind === "range"
      ? { kind: "range", first: e.first, last: e.last, port: e.port }
      : e.family
        ? { kind: "fwmark", fwmark: e.fwmark, family: e.family }
        : { kind: "fwmark", fwmark: e.fwmark },
  );
  return vs.family ? { kind: "group", name: group.name, entries, family: vs.family } : { kind: "group", name: group.name, entries };
}

function realServerPlan(rs: RealServer, checkSpecOf: ((checker: Checker) => CheckSpec) | undefined): RealServerPlan {
  const plan: RealServerPlan = {
    address: rs.address,
    port: rs.port,
    weight: rs.weight,
    forwarding: forwardingPlan(rs.lbKind, rs.tunnel),
    upperThreshold: rs.uthreshold,
    lowerThreshold: rs.lthreshold,
    inhibitOnFailure: rs.inhibitOnFailure,
    checkers: checkerPlans(rs.checkers, checkSpecOf),
  };
  // The real server's own alpha, else the virtual server's: what its checkers inherit.
  if (rs.checkDefaults.alpha !== undefined) plan.alpha = rs.checkDefaults.alpha;
  // Its own or inherited by the model; a real server's own 0 stays, so that it overrides a virtual server's slowstart.
  if (rs.slowStartS !== undefined) plan.slowStartMs = slowStartMs(rs.slowStartS);
  if (rs.notifyUp !== undefined) plan.notifyUp = rs.notifyUp;
  if (rs.notifyDown !== undefined) plan.notifyDown = rs.notifyDown;
  return plan;
}

/** `slowstart` seconds as the whole milliseconds the director ramps in. */
function slowStartMs(seconds: number): number {
  return Math.round(seconds * 1000);
}

function sorryServerPlan(sorry: SorryServer): SorryServerPlan {
  return { address: sorry.address, port: sorry.port, forwarding: forwardingPlan(sorry.lbKind, sorry.tunnel), inhibit: sorry.inhibitOnFailure };
}

/**
 * "TCP_CHECK#0", "HTTP_GET#1": the checker's kind and its place among the real server's
 * checkers of that kind, so a reload that adds or drops a checker of another kind keeps the
 * ids (and the verdicts, which migrate_checkers would keep) of the rest. The checkers use the
 * same ids to report.
 */
export function checkerIds(checkers: readonly { kind: CheckerKind }[]): string[] {
  const seen = new Map<CheckerKind, number>();
  return checkers.map((checker) => {
    const n = seen.get(checker.kind) ?? 0;
    seen.set(checker.kind, n + 1);
    return `${checker.kind}#${n}`;
  });
}

/** The connection options a checker (or an SMTP_CHECK host) may set. */
const CONNECTION_OPTIONS = ["connectIp", "connectPort", "bindTo", "bindPort", "bindInterface", "fwmark", "connectTimeoutS"] as const;
/** Written in a host block, these set the whole SMTP_CHECK's (keepalived's CHECKER_GET_CURRENT): the last one written wins. */
const CHECKER_TIMERS = ["retry", "delayBeforeRetryS", "delayLoopS", "warmupS", "alpha"] as const;

/**
 * check_smtp.c smtp_check_end_handler: each (deprecated) `host` block is a checker of its own,
 * connecting to the real server unless the host says otherwise. The SMTP_CHECK itself is one
 * too when it sets a connection option of its own or has no host; otherwise its first host
 * takes its place. The hosts keep the checker's timers and helo_name. keepalived leaves a
 * host without connect_timeout at 0 (every check times out at once); here it takes the
 * checker's, else the real server's, as a checker does.
 */
export function expandSmtpHosts(checker: Checker): Checker[] {
  if (checker.kind !== "SMTP_CHECK" || checker.hosts.length === 0) return [checker];
  const shared: SmtpChecker = { ...checker, hosts: [] };
  for (const host of checker.hosts) {
    for (const timer of CHECKER_TIMERS) if (host[timer] !== undefined) (shared as unknown as Record<string, unknown>)[timer] = host[timer];
  }
  const bare: SmtpChecker = { ...shared };
  for (const option of CONNECTION_OPTIONS) if (option !== "connectTimeoutS") delete bare[option];
  const hosts = checker.hosts.map((host): SmtpChecker => {
    const own: SmtpChecker = { ...bare };
    for (const option of CONNECTION_OPTIONS) if (host[option] !== undefined) (own as unknown as Record<string, unknown>)[option] = host[option];
    return own;
  });
  const itself = CONNECTION_OPTIONS.some((option) => checker[option] !== undefined);
  return itself ? [shared, ...hosts] : hosts;
}

function checkerPlans(configured: readonly Checker[], checkSpecOf: ((checker: Checker) => CheckSpec) | undefined): CheckerPlan[] {
  const checkers = configured.flatMap(expandSmtpHosts);
  const ids = checkerIds(checkers);
  return checkers.map((checker, i) => {
    const plan: CheckerPlan = { id: ids[i]! };
    if (checker.alpha !== undefined) plan.alpha = checker.alpha;
    if (checkSpecOf) plan.check = checkSpecOf(checker);
    return plan;
  });
}

function forwardingPlan(lbKind: LbKind, tunnel: TunnelOptions | undefined): ForwardingPlan {
  if (lbKind !== "TUN") return { method: lbKind };
  const t = tunnel ?? { type: "ipip", port: 0, checksum: "nocsum" };
  return { method: "TUN", type: t.type, port: t.port, checksum: t.checksum };
}

function granularityPlan(granularity: PersistenceGranularity): GranularityPlan {
  return granularity.kind === "netmask" ? { family: 4, netmask: ipv4Address(granularity.netmask) } : { family: 6, prefixLength: granularity.prefixLength };
}
