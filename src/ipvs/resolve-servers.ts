// The real and sorry servers of one virtual server after keepalived 2.2.7's corrections
// (check_parser.c rs_end_handler / vs_end_handler, check_data.c validate_check_config):
// address families, duplicates, inherited lb_kind / weight / inhibit / alpha, and the ports
// keepalived rewrites for DR and TUN and fwmarks. Each correction leaves a note. Pure.
import type { IpAddress, IpFamily } from "../common/ip-address.ts";
import { keepalivedTrio } from "./keepalived-names.ts";
import type { ResolvedRealServer, ResolvedSorryServer } from "./resolved-plan.ts";
import { destinationText, type ForwardMethod, type IpvsProtocol, type TunnelSpec } from "./types.ts";
import type { ForwardingPlan, RealServerPlan, SorryServerPlan, VirtualServerKeyPlan, VirtualServerPlan } from "./virtual-server-plan.ts";

// One each, not one per real server: the callers copy the fields out.
const MASQUERADE = Object.freeze({ forward: "masquerade" as const });
const DIRECT_ROUTE = Object.freeze({ forward: "direct-route" as const });

/** lb_kind as the kernel's forwarding method; TUN defaults to ipip, no port, nocsum (svr_forwarding_handler). */
export function forwardingSpec(forwarding: ForwardingPlan): { readonly forward: ForwardMethod; readonly tunnel?: TunnelSpec } {
  if (forwarding.method === "NAT") return MASQUERADE;
  if (forwarding.method === "DR") return DIRECT_ROUTE;
  return { forward: "tunnel", tunnel: { type: forwarding.type ?? "ipip", port: forwarding.port ?? 0, checksum: forwarding.checksum ?? "nocsum" } };
}

const NAT: ForwardingPlan = { method: "NAT" };

/**
 * Drops the non-tunnelled servers whose family differs from the virtual server's, which the
 * first of them decides when the key does not (rs_end_handler, then vs_end_handler for the
 * sorry server); tunnelled ones may differ (IPVS_DEST_ATTR_ADDR_FAMILY).
 */
export function filterFamilies(
  plan: VirtualServerPlan,
  label: string,
  notes: string[],
): { family: IpFamily | undefined; realServers: RealServerPlan[]; sorryServer: SorryServerPlan | undefined } {
  const key = plan.key;
  let family: IpFamily | undefined = key.kind === "address" ? key.address.family : key.family;
  const tunnelled = (own: ForwardingPlan | undefined) => (own ?? plan.forwarding ?? NAT).method === "TUN";
  const realServers: RealServerPlan[] = [];
  for (const rs of plan.realServers) {
    if (!tunnelled(rs.forwarding)) {
      if (family === undefined) family = rs.address.family;
      else if (family !== rs.address.family) {
        notes.push(
          `${label}: real server ${rs.address.text} is IPv${rs.address.family} but the virtual server is IPv${family}; skipped (keepalived does the same)`,
        );
        continue;
      }
    }
    realServers.push(rs);
  }
  let sorryServer = plan.sorryServer;
  if (sorryServer && !tunnelled(sorryServer.forwarding)) {
    if (family === undefined) family = sorryServer.address.family;
    else if (family !== sorryServer.address.family) {
      notes.push(
        `${label}: sorry server ${sorryServer.address.text} is IPv${sorryServer.address.family} but the virtual server is IPv${family}; skipped (keepalived does the same)`,
      );
      sorryServer = undefined;
    }
  }
  if (key.kind === "fwmark" && family === undefined) {
    // vs_end_handler: every server tunnelled; their family if they all share one, else IPv4.
    let mixed = false;
    if (sorryServer) family = sorryServer.address.family;
    for (const rs of realServers) {
      if (family === undefined) family = rs.address.family;
      else if (family !== rs.address.family) mixed = true;
    }
    if (mixed || family === undefined) family = 4;
  }
  return { family, realServers, sorryServer };
}

/**
 * validate_check_config's port rules outside groups: NAT keeps its own port (a real server
 * the VS port if none, a sorry server none: keepalived only fills in real servers'); DR and
 * TUN use the VS port (a fwmark's is 0). Groups keep ports as written; the desired table gives
 * DR/TUN each entry's port there, as ipvs_group_cmd does.
 */
function correctedPort(
  key: VirtualServerKeyPlan,
  forwarding: ForwardingPlan,
  port: number,
  /** The real server's address; undefined for the sorry server. */
  realServer: IpAddress | undefined,
  label: string,
  notes: string[],
): number {
  if (key.kind === "group") return port;
  if (forwarding.method === "NAT") return key.kind === "address" && port === 0 && realServer ? key.port : port;
  // Named only when a note needs it: the text for each of ten thousand servers that need none cost more than the rule.
  const what = (): string => (realServer ? `real server ${realServer.text}` : "sorry server");
  if (key.kind === "fwmark") {
    if (port !== 0) notes.push(`${label}: fwmark virtual server, ${what()} has port ${port} specified; cleared (keepalived does the same)`);
    return 0;
  }
  if (port !== 0 && port !== key.port)
    notes.push(`${label}: ${what()} port ${port} differs from the virtual server's ${key.port}; reset to ${key.port} (keepalived does the same)`);
  return key.port;
}

/** How resolveServers has seen a text (bits): as a server was written, as a kept server's id, or both. */
const WRITTEN = 1;
const KEPT_ID = 2;

export interface ResolvedServers {
  realServers: ResolvedRealServer[];
  sorryServer?: ResolvedSorryServer;
  /** Sum of the configured weights, which keepalived caps the quorum at. */
  configuredWeightSum: number;
}

export function resolveServers(
  plan: VirtualServerPlan,
  kept: { realServers: RealServerPlan[]; sorryServer: SorryServerPlan | undefined },
  protocol: IpvsProtocol | undefined,
  label: string,
  notes: string[],
): ResolvedServers {
  const forwardingOf = (own: ForwardingPlan | undefined) => own ?? plan.forwarding ?? NAT;
  if (!plan.forwarding && (kept.realServers.some((rs) => !rs.forwarding) || (kept.sorryServer && !kept.sorryServer.forwarding)))
    notes.push(`${label}: no forwarding method set, setting default NAT (as keepalived does)`);
  const realServers: ResolvedRealServer[] = [];
  // Every text seen, with what it was seen as: a server as written (keepalived's rs_iseq
  // compares them so, before it rewrites ports), a kept server's id, or both. One map, and one
  // look-up for most servers, whose id is the text as written: two Sets per virtual server were
  // a third of resolving a thousand of them.
  const seen = new Map<string, number>();
  let configuredWeightSum = 0;
  for (const rs of kept.realServers) {
    const written = destinationText(rs);
    const asWritten = seen.get(written) ?? 0;
    if (asWritten & WRITTEN) {
      notes.push(`${label}: real server ${written} is duplicated; the second is removed (keepalived does the same)`);
      continue;
    }
    const forwarding = forwardingOf(rs.forwarding);
    const port = correctedPort(plan.key, forwarding, rs.port, rs.address, label, notes);
    // Most ports stay as written, and so does the text: one string less per server.
    const id = port === rs.port ? written : destinationText({ address: rs.address, port });
    const asId = id === written ? asWritten : (seen.get(id) ?? 0);
    if (asId & KEPT_ID) {
      seen.set(written, asWritten | WRITTEN); // a server refused for its id still counts as written
      notes.push(`${label}: real server ${written} becomes ${id} like an earlier one once its port is corrected; the second is removed`);
      continue;
    }
    if (id === written) seen.set(written, asWritten | WRITTEN | KEPT_ID);
    else {
      seen.set(written, asWritten | WRITTEN);
      seen.set(id, asId | KEPT_ID);
    }
    const weight = rs.weight ?? plan.defaultWeight ?? 1;
    const alpha = rs.alpha ?? plan.alpha;
    configuredWeightSum += weight;
    const { forward, tunnel } = forwardingSpec(forwarding);
    // The fields one by one, not spread from a ResolvedDestination: copying properties by name made up a third of this loop.
    const server: ResolvedRealServer = {
      address: rs.address,
      port,
      forward,
      id,
      keepalivedName: keepalivedTrio(rs.address, protocol, port),
      weight,
      upperThreshold: rs.upperThreshold ?? 0,
      lowerThreshold: rs.lowerThreshold ?? 0,
      inhibitOnFailure: rs.inhibitOnFailure ?? plan.inhibitOnFailure,
      slowStartMs: Math.max(0, Math.round(rs.slowStartMs ?? plan.slowStartMs ?? 0)),
      checkers: rs.checkers.map((checker) =>
        checker.check ? { id: checker.id, alpha: checker.alpha ?? alpha, check: checker.check } : { id: checker.id, alpha: checker.alpha ?? alpha },
      ),
    };
    if (tunnel) server.tunnel = tunnel;
    if (rs.notifyUp !== undefined) server.notifyUp = rs.notifyUp;
    if (rs.notifyDown !== undefined) server.notifyDown = rs.notifyDown;
    realServers.push(server);
  }

  const result: ResolvedServers = { realServers, configuredWeightSum };
  const sorry = kept.sorryServer;
  if (sorry) {
    const written = destinationText(sorry);
    const twin = kept.realServers.find((rs) => destinationText(rs) === written);
    let inhibit = sorry.inhibit;
    if (twin) {
      // validate_check_config: a sorry server that is also a real server takes its inhibit setting.
      const twinInhibit = twin.inhibitOnFailure ?? plan.inhibitOnFailure;
      if (twinInhibit !== inhibit)
        notes.push(
          `${label}: real server ${written} matches the sorry server, but inhibit setting differs; ${twinInhibit ? "setting" : "clearing"} it on the sorry server (as keepalived does)`,
        );
      inhibit = twinInhibit;
    }
    const forwarding = forwardingOf(sorry.forwarding);
    const port = correctedPort(plan.key, forwarding, sorry.port, undefined, label, notes);
    result.sorryServer = {
      address: sorry.address,
      port,
      ...forwardingSpec(forwarding),
      keepalivedName: keepalivedTrio(sorry.address, protocol, port),
      inhibit,
      duplicatesRealServer: twin !== undefined,
    };
  }
  return result;
}
