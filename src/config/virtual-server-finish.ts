// A virtual server's draft into the model, with keepalived 2.2.7's end-of-block and validation rules
// (check_parser.c vs_end_handler, ipwrapper.c link_vsg_to_vs, check_data.c validate_check_config):
// its family, defaults, inheritance, ports and quorum. Where keepalived repairs a setting and says
// so, tandem warns and makes the same repair; where it drops what was written, tandem reports an error.

import type { IpAddress, IpFamily } from "../common/ip-address.ts";
import { parseIpv4 } from "../common/ipv4.ts";
import { mergeCheckDefaults } from "./check-defaults.ts";
import { finishChecker } from "./checkers.ts";
import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import type { Forwarding } from "./lvs-method.ts";
import type { CheckerDefaults, LbKind, RealServer, SorryServer, TunnelOptions, VirtualServer, VirtualServerGroup } from "./model.ts";
import type { RealServerDraft } from "./real-server.ts";
import { DEFAULT_PERSISTENCE_S, type VirtualServerDraft } from "./virtual-server.ts";
import { groupFamilies, type GroupFamilies } from "./virtual-server-group.ts";
import { serverPort, warnGroupPorts } from "./virtual-server-ports.ts";

/** keepalived's connect_timeout when none is set: 5 s. */
const DEFAULT_CONNECT_TIMEOUT_S = 5;
/** KEEPALIVED_DEFAULT_DELAY. */
const DEFAULT_DELAY_LOOP_S = 60;

/** The validated virtual server, or undefined when keepalived would ignore it (with the diagnostic saying so). */
export function finishVirtualServer(d: VirtualServerDraft, groups: ReadonlyMap<string, VirtualServerGroup>, diag: Diagnostics): VirtualServer | undefined {
  const name = describe(d);
  let family = d.family;
  let sorry = d.sorryServer;
  // vs_end_handler: a non-tunnelled sorry server settles the family, or is dropped for the wrong one.
  if (sorry && sorry.forwarding?.lbKind !== "TUN") {
    if (family === undefined) family = sorry.address.family;
    else if (family !== sorry.address.family) {
      diag.error(
        sorry.location,
        `sorry_server ${sorry.address.text} is IPv${sorry.address.family} but ${name} is IPv${family}; keepalived skips the sorry server`,
      );
      sorry = undefined;
    }
  }
  if (family === undefined && d.key.kind === "fwmark") family = tunnelledFamily(d);

  let group: GroupFamilies | undefined;
  if (d.key.kind === "group") {
    const found = groups.get(d.key.group);
    if (!found) {
      diag.error(d.location, `virtual_server group ${d.key.group}: there is no virtual_server_group ${d.key.group}`);
      return undefined;
    }
    group = groupFamilies(found);
    const linked = linkGroupFamily(family, group, d, diag);
    if (linked === "ignored") return undefined;
    family = linked;
  }

  if (d.realServers.length === 0) {
    diag.warn(d.location, `${name} has no real_server; keepalived ignores it, and so does tandem`);
    return undefined;
  }

  const isFwmarkOnly = d.key.kind === "fwmark" || (group !== undefined && !group.hasRanges && group.hasFwmarks);
  const hasAddresses = d.key.kind === "address" || group?.hasRanges === true;
  let haSuspend = d.haSuspend ?? false;
  if (haSuspend && (d.key.kind === "fwmark" || group?.hasFwmarks)) {
    diag.warn(d.fieldLocations.haSuspend ?? d.location, `${name}: ha_suspend cannot be used with fwmarks; keepalived clears it`);
    haSuspend = false;
  }
  let protocol = d.protocol;
  let onePacket = d.onePacket ?? false;
  let persistenceTimeoutS = d.persistenceTimeoutS;
  if (hasAddresses) {
    if (!protocol) {
      diag.warn(d.location, "virtual_server has no protocol; keepalived 2.2.7 defaults to UDP - add 'protocol TCP' if that is what you mean");
      protocol = "UDP";
    }
    if (onePacket && protocol !== "UDP") {
      diag.warn(d.fieldLocations.onePacket ?? d.location, `${name}: ops (one-packet scheduling) needs protocol UDP; keepalived clears it`);
      onePacket = false;
    }
  }
  const groupEntries = d.key.kind === "group" ? groups.get(d.key.group)!.entries : [];
  const portless = d.key.kind === "address" ? d.key.port === 0 : groupEntries.some((e) => e.kind === "range" && e.port === 0);
  if (persistenceTimeoutS === undefined && portless) {
    diag.warn(d.location, `${name}: only a persistent service may have no port; keepalived sets persistence_timeout ${DEFAULT_PERSISTENCE_S}`);
    persistenceTimeoutS = DEFAULT_PERSISTENCE_S;
  }
  if (protocol && isFwmarkOnly) {
    diag.warn(d.fieldLocations.protocol ?? d.location, "protocol specified for a fwmark virtual server is ignored (as in keepalived)");
    protocol = undefined;
  }
  let lbAlgo = d.lbAlgo;
  if (!lbAlgo) {
    diag.warn(d.location, `${name} has no lvs_sched; keepalived uses wlc`);
    lbAlgo = "wlc";
  }

  // The default forwarding method, made NAT (with keepalived's message) the first time a server needs it.
  let defaultForwarding = d.forwarding;
  const forwardingFor = (own: Forwarding | undefined): Forwarding => {
    if (own) return own;
    if (!defaultForwarding) {
      diag.warn(d.location, `${name} has no lvs_method; keepalived uses NAT`);
      defaultForwarding = { lbKind: "NAT" };
    }
    return defaultForwarding;
  };

  const vsDefaults: CheckerDefaults = mergeCheckDefaults(
    { connectTimeoutS: DEFAULT_CONNECT_TIMEOUT_S, delayLoopS: DEFAULT_DELAY_LOOP_S, alpha: d.alpha ?? false },
    { ...d, alpha: undefined },
  );
  const inhibitOnFailure = d.inhibitOnFailure ?? false;
  const vsWeight = d.weight ?? 1;
  const vsPort = d.key.kind === "address" ? d.key.port : 0;

  const realServers: RealServer[] = [];
  const inherited: Inherited = { vsDefaults, inhibitOnFailure, vsWeight };
  if (d.slowStartS !== undefined) inherited.slowStartS = d.slowStartS;
  // keepalived removes a real server written twice (address and port as written); tandem also
  // refuses two that become one once their ports are filled in, which the kernel would refuse.
  const written = new Map<DestinationKey, SourceLocation>();
  const programmed = new Map<DestinationKey, SourceLocation>();
  for (const rs of d.realServers) {
    const asWritten = destinationKey(rs.address, rs.port);
    const twin = written.get(asWritten);
    if (twin) {
      diag.error(
        rs.location,
        `real_server ${rs.address.text}${rs.port ? ` ${rs.port}` : ""} is already in ${name} at ${where(twin)}; keepalived removes the second`,
      );
      continue;
    }
    written.set(asWritten, rs.location);
    const forwarding = forwardingFor(rs.forwarding);
    const port =
      d.key.kind === "group"
        ? rs.port
        : serverPort(forwarding.lbKind, rs.port, d.key.kind === "fwmark", vsPort, `real_server ${rs.address.text}`, rs.location, name, diag);
    const asProgrammed = port === rs.port ? asWritten : destinationKey(rs.address, port);
    const same = programmed.get(asProgrammed);
    if (same) {
      diag.error(
        rs.location,
        `real_server ${rs.address.text} becomes port ${port}, the same destination as the real server at ${where(same)}; the kernel takes it once`,
      );
      continue;
    }
    programmed.set(asProgrammed, rs.location);
    realServers.push(finishRealServer(rs, port, forwarding, inherited, diag));
  }

  let sorryServer: SorryServer | undefined;
  if (sorry) {
    const forwarding = forwardingFor(sorry.forwarding);
    // validate_check_config fills in a NAT real server's missing port, never a NAT sorry server's: ipvs_cmd gives it port 0.
    const port =
      d.key.kind === "group" || forwarding.lbKind === "NAT"
        ? sorry.port
        : serverPort(forwarding.lbKind, sorry.port, d.key.kind === "fwmark", vsPort, "sorry_server", sorry.location, name, diag);
    sorryServer = { address: sorry.address, port, ...withTunnel(forwarding), inhibitOnFailure: sorry.inhibitOnFailure ?? false, location: sorry.location };
    const twin = realServers.find((rs) => rs.address.text === sorry!.address.text && rs.port === port);
    if (twin && twin.inhibitOnFailure !== sorryServer.inhibitOnFailure) {
      diag.warn(
        sorry.location,
        `${name}: the sorry server is also real_server ${twin.address.text} but their inhibit_on_failure differ; keepalived uses the real server's (${twin.inhibitOnFailure ? "on" : "off"})`,
      );
      sorryServer.inhibitOnFailure = twin.inhibitOnFailure;
    }
  }
  if (d.key.kind === "group") warnGroupPorts(groupEntries, realServers, sorryServer, name, diag);

  const weightSum = realServers.reduce((sum, rs) => sum + rs.weight, 0);
  let quorum = d.quorum ?? 1;
  if (quorum > weightSum) {
    diag.warn(
      d.fieldLocations.quorum ?? d.location,
      `${name}: quorum ${quorum} exceeds the real servers' total weight ${weightSum}; keepalived lowers it to ${weightSum}`,
    );
    quorum = weightSum;
  }
  let hysteresis = d.hysteresis ?? 0;
  if (hysteresis >= quorum && (quorum > 0 || hysteresis > 0)) {
    // keepalived sets quorum - 1, which for a quorum of 0 wraps to 4294967295; 0 is what it means.
    const lowered = Math.max(quorum - 1, 0);
    diag.warn(d.fieldLocations.hysteresis ?? d.location, `${name}: hysteresis ${hysteresis} is not below quorum ${quorum}; keepalived lowers it to ${lowered}`);
    hysteresis = lowered;
  }

  const vs: VirtualServer = {
    key: d.key,
    delayLoopS: vsDefaults.delayLoopS!,
    lbAlgo,
    schedulerFlags: d.schedulerFlags,
    onePacket,
    ...withTunnel(defaultForwarding ?? { lbKind: "NAT" }),
    quorum,
    hysteresis,
    alpha: d.alpha ?? false,
    omega: d.omega ?? false,
    haSuspend,
    inhibitOnFailure,
    weight: vsWeight,
    checkDefaults: vsDefaults,
    realServers,
    location: d.location,
    fieldLocations: d.fieldLocations as VirtualServer["fieldLocations"],
  };
  if (family !== undefined) vs.family = family;
  if (persistenceTimeoutS !== undefined) vs.persistenceTimeoutS = persistenceTimeoutS;
  if (protocol !== undefined) vs.protocol = protocol;
  if (sorryServer) vs.sorryServer = sorryServer;
  for (const k of ["persistenceGranularity", "persistenceEngine", "quorumUp", "quorumDown", "slowStartS", "virtualhost"] as const) {
    if (d[k] !== undefined) (vs as unknown as Record<string, unknown>)[k] = d[k];
  }
  return vs;
}

/** An address and port as a Map key: a number for IPv4 (no string built per server), else text. */
type DestinationKey = number | string;

function destinationKey(address: IpAddress, port: number): DestinationKey {
  const v4 = address.family === 4 ? parseIpv4(address.text) : undefined;
  // Below 2^48, so exact; a port is 0..65535, so no two pairs share a number.
  return v4 === undefined ? `${address.text} ${port}` : v4 * 65536 + port;
}

interface Inherited {
  vsDefaults: CheckerDefaults;
  inhibitOnFailure: boolean;
  vsWeight: number;
  slowStartS?: number;
}

function finishRealServer(d: RealServerDraft, port: number, forwarding: Forwarding, from: Inherited, diag: Diagnostics): RealServer {
  const { address, location } = d;
  const weight = d.weight ?? from.vsWeight;
  const inhibitOnFailure = d.inhibitOnFailure ?? from.inhibitOnFailure;
  const lbKind = forwarding.lbKind;
  const uthreshold = d.uthreshold ?? 0;
  const lthreshold = d.lthreshold ?? 0;
  const checkDefaults = mergeCheckDefaults(from.vsDefaults, d);
  const checkers = finishCheckers(d, diag);
  const fieldLocations = d.fieldLocations as RealServer["fieldLocations"];
  // Two literals rather than a spread of withTunnel(): this runs for every real server, and the tunnel keeps its place after lbKind.
  const rs: RealServer =
    lbKind === "TUN" && forwarding.tunnel
      ? {
          address,
          port,
          weight,
          inhibitOnFailure,
          lbKind,
          tunnel: forwarding.tunnel,
          uthreshold,
          lthreshold,
          checkDefaults,
          checkers,
          location,
          fieldLocations,
        }
      : { address, port, weight, inhibitOnFailure, lbKind, uthreshold, lthreshold, checkDefaults, checkers, location, fieldLocations };
  const slowStartS = d.slowStartS ?? from.slowStartS;
  if (slowStartS !== undefined) rs.slowStartS = slowStartS;
  if (d.notifyUp !== undefined) rs.notifyUp = d.notifyUp;
  if (d.notifyDown !== undefined) rs.notifyDown = d.notifyDown;
  if (d.virtualhost !== undefined) rs.virtualhost = d.virtualhost;
  return rs;
}

function finishCheckers(d: RealServerDraft, diag: Diagnostics): RealServer["checkers"] {
  const checkers: RealServer["checkers"] = [];
  for (const c of d.checkers) {
    const checker = finishChecker(c, d.address, diag);
    if (checker) checkers.push(checker);
  }
  return checkers;
}

/** lbKind, and the tunnel only for TUN. */
function withTunnel(f: Forwarding): { lbKind: LbKind; tunnel?: TunnelOptions } {
  return f.lbKind === "TUN" && f.tunnel ? { lbKind: f.lbKind, tunnel: f.tunnel } : { lbKind: f.lbKind };
}

/** vs_end_handler for a fwmark: the tunnelled servers' family when they all agree, else IPv4. */
function tunnelledFamily(d: VirtualServerDraft): IpFamily {
  const families = new Set<IpFamily>([...(d.sorryServer ? [d.sorryServer.address.family] : []), ...d.realServers.map((rs) => rs.address.family)]);
  return families.size === 1 ? [...families][0]! : 4;
}

/** link_vsg_to_vs: the virtual server's family against its group's. */
function linkGroupFamily(family: IpFamily | undefined, group: GroupFamilies, d: VirtualServerDraft, diag: Diagnostics): IpFamily | undefined | "ignored" {
  const name = describe(d);
  if (group.has4 && group.has6) {
    if (family === undefined) return undefined;
    diag.error(
      d.location,
      `${name}: the group has IPv4 and IPv6 entries, which only a virtual server whose real servers are all TUN can use (this one is IPv${family}); keepalived ignores it`,
    );
    return "ignored";
  }
  const groupFamily: IpFamily | undefined = group.has4 ? 4 : group.has6 ? 6 : undefined;
  if (groupFamily !== undefined && family !== undefined && groupFamily !== family) {
    diag.error(d.location, `${name}: the group is IPv${groupFamily} but the virtual server is IPv${family}; keepalived ignores it`);
    return "ignored";
  }
  if (groupFamily !== undefined) return groupFamily;
  if (family === undefined) {
    diag.warn(d.location, `${name}: the address family cannot be told (fwmarks without inet/inet6, TUN real servers); keepalived uses IPv4`);
    return 4;
  }
  return family;
}

const where = (l: SourceLocation): string => `${l.file}:${l.line}:${l.col}`;

function describe(d: VirtualServerDraft): string {
  const k = d.key;
  if (k.kind === "fwmark") return `virtual_server fwmark ${k.fwmark}`;
  if (k.kind === "group") return `virtual_server group ${k.group}`;
  return `virtual_server ${k.address.text}${k.port ? ` ${k.port}` : ""}`;
}
