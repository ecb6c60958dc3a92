// `virtual_server IP [PORT] | fwmark N | group NAME { }`: keepalived 2.2.7's virtual server keywords
// (check_parser.c), read in order as keepalived reads them: a real server takes the forwarding
// method the block has so far, and the address family is settled by the first line that implies one.

import type { IpFamily } from "../common/ip-address.ts";
import { parseIpv4 } from "../common/ipv4.ts";
import { checkDefaultKeywords, UINT_MAX } from "./check-defaults.ts";
import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import { locationOf } from "./diagnostics.ts";
import {
  bareFlag,
  commandField,
  defineBlock,
  ignored,
  intField,
  keyword,
  nestedBlock,
  setField,
  stringField,
  type Keyword,
  type KeywordBlock,
  type Located,
} from "./keyword-table.ts";
import type { Forwarding } from "./lvs-method.ts";
import { parseForwarding } from "./lvs-method.ts";
import type { CheckerDefaults, LbProtocol, PersistenceGranularity, SchedulerFlags, VirtualServerKey } from "./model.ts";
import { forwardingKeyword, realServerBlock, slowStartKeyword, WEIGHT_MAX, type RealServerDraft } from "./real-server.ts";
import { parseServerAddress, type ServerAddress } from "./server-address.ts";
import type { Statement } from "./statement-tree.ts";
import { parseInteger, requireArg, warnExtraArgs } from "./values.ts";

export interface SorryServerDraft extends ServerAddress {
  /** The virtual server's method when sorry_server was read, or sorry_server_lvs_method's. */
  forwarding?: Forwarding;
  inhibitOnFailure?: boolean;
  location: SourceLocation;
}

export interface VirtualServerDraft extends CheckerDefaults, Located {
  key: VirtualServerKey;
  location: SourceLocation;
  /** keepalived's vs->af as the block is read; undefined until something implies it. */
  family?: IpFamily;
  lbAlgo?: string;
  schedulerFlags: SchedulerFlags;
  onePacket?: boolean;
  forwarding?: Forwarding;
  persistenceTimeoutS?: number;
  persistenceGranularity?: PersistenceGranularity;
  persistenceEngine?: string;
  protocol?: LbProtocol;
  sorryServer?: SorryServerDraft;
  quorum?: number;
  hysteresis?: number;
  quorumUp?: string;
  quorumDown?: string;
  omega?: boolean;
  haSuspend?: boolean;
  inhibitOnFailure?: boolean;
  weight?: number;
  slowStartS?: number;
  virtualhost?: string;
  realServers: RealServerDraft[];
}

/** ipvsadm(8) schedulers keepalived 2.2.7 accepts, in its order. */
const SCHEDULERS = new Set(["rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos"]);
const SCHEDULER_LIST = [...SCHEDULERS].join("|");
/** keepalived's IPVS_SVC_PERSISTENT_TIMEOUT: persistence_timeout without a value, or implied. */
export const DEFAULT_PERSISTENCE_S = 360;
/** keepalived's LVS_MAX_TIMEOUT: 31 days. */
export const LVS_MAX_TIMEOUT_S = 2678400;
/** IP_VS_PENAME_MAXLEN less the NUL. */
const PERSISTENCE_ENGINE_MAX_CHARS = 15;
const PROTOCOLS: ReadonlySet<string> = new Set(["TCP", "UDP", "SCTP"]);

/** `note` marks the classic synonym; keepalived 2.2.7 accepts those silently, and so do we. */
function schedulerKeyword(name: string, note?: string): Keyword<VirtualServerDraft> {
  return keyword(
    name,
    (stmt, target, diag) => {
      const tok = requireArg(stmt, 0, "a scheduler (rr, wrr, lc, wlc, ...)", diag);
      if (!tok) return;
      if (!SCHEDULERS.has(tok.text)) {
        diag.error(tok, `${name} must be one of ${SCHEDULER_LIST}, got ${tok.text}`);
        return;
      }
      warnExtraArgs(stmt, 1, diag);
      setField(target, "lbAlgo", tok.text, stmt);
    },
    note ? { note } : {},
  );
}

/**
 * keepalived's lbflags_handler: ops and flag-1..3 anywhere; sh-* and mh-* (and `hashed`) only after
 * `lvs_sched sh` or `mh`, since it looks at the scheduler set so far.
 */
function flagKeyword(name: string, note?: string): Keyword<VirtualServerDraft> {
  return keyword(
    name,
    (stmt, target, diag) => {
      warnExtraArgs(stmt, 0, diag);
      const set = (flag: keyof SchedulerFlags) => setField(target, "schedulerFlags", { ...target.schedulerFlags, [flag]: true }, stmt);
      if (name === "ops") return setField(target, "onePacket", true, stmt);
      if (name === "flag-1" || name === "flag-2" || name === "flag-3") return set(`flag${name.slice(5)}` as keyof SchedulerFlags);
      const scheduler = target.lbAlgo;
      if (scheduler !== "sh" && scheduler !== "mh") {
        const wanted = name.startsWith("mh-") ? "mh" : "sh";
        return diag.error(
          stmt.keyword,
          `${name} applies only after 'lvs_sched ${wanted}' (keepalived reads the block in order); without it keepalived ignores ${name}`,
        );
      }
      const own = name === `${scheduler}-port` ? "flag2" : name === `${scheduler}-fallback` ? "flag1" : undefined;
      if (own) return set(own);
      diag.warn(stmt.keyword, `${name} has no effect with lvs_sched ${scheduler}; keepalived ignores it`);
    },
    note ? { note } : {},
  );
}

const keywords: Keyword<VirtualServerDraft>[] = [
  keyword("ip_family", (stmt, target, diag) => {
    const tok = requireArg(stmt, 0, "inet or inet6", diag);
    if (!tok) return;
    const family: IpFamily | undefined = tok.text === "inet" ? 4 : tok.text === "inet6" ? 6 : undefined;
    if (family === undefined) return diag.error(tok, `ip_family must be inet or inet6, got ${tok.text}`);
    if (target.family !== undefined && target.family !== family)
      return diag.error(tok, `ip_family ${tok.text} conflicts with the virtual server's family, already IPv${target.family} from an earlier line`);
    warnExtraArgs(stmt, 1, diag);
    setField(target, "family", family, stmt);
  }),
  ...checkDefaultKeywords<VirtualServerDraft>(),
  bareFlag("inhibit_on_failure", "inhibitOnFailure"),
  schedulerKeyword("lvs_sched"),
  schedulerKeyword("lb_algo", "synonym of lvs_sched"),
  flagKeyword("hashed", "no effect in keepalived 2.2.7; an error unless after lvs_sched sh or mh, as there"),
  ...["ops", "flag-1", "flag-2", "flag-3", "sh-port", "sh-fallback", "mh-port", "mh-fallback"].map((n) => flagKeyword(n)),
  forwardingKeyword("lb_kind", "forwarding", "synonym of lvs_method"),
  forwardingKeyword("lvs_method", "forwarding"),
  keyword("persistence_engine", (stmt, target, diag) => {
    const tok = requireArg(stmt, 0, "a persistence engine name (sip)", diag);
    if (!tok) return;
    if (tok.text.length > PERSISTENCE_ENGINE_MAX_CHARS)
      return diag.error(tok, `persistence_engine name is longer than ${PERSISTENCE_ENGINE_MAX_CHARS} characters (keepalived cuts it): ${tok.text}`);
    warnExtraArgs(stmt, 1, diag);
    setField(target, "persistenceEngine", tok.text, stmt);
  }),
  keyword("persistence_timeout", (stmt, target, diag) => {
    const tok = stmt.args[0];
    const value = tok ? parseInteger(tok, "persistence_timeout", 1, LVS_MAX_TIMEOUT_S, diag) : DEFAULT_PERSISTENCE_S;
    if (value === undefined) return;
    warnExtraArgs(stmt, 1, diag);
    setField(target, "persistenceTimeoutS", value, stmt);
  }),
  keyword("persistence_granularity", (stmt, target, diag) => {
    const tok = requireArg(stmt, 0, "a netmask (IPv4) or a prefix length (IPv6)", diag);
    if (!tok) return;
    // Without a family yet, keepalived takes a dotted value for IPv4 and anything else for IPv6.
    const family = target.family ?? (tok.text.includes(".") ? 4 : 6);
    let granularity: PersistenceGranularity;
    if (family === 6) {
      const prefixLength = parseInteger(tok, "persistence_granularity for IPv6 (a prefix length)", 1, 128, diag);
      if (prefixLength === undefined) return;
      granularity = { kind: "prefix", prefixLength };
    } else {
      const netmask = parseIpv4(tok.text);
      if (netmask === undefined) return diag.error(tok, `persistence_granularity for IPv4 must be a netmask such as 255.255.255.0, got ${tok.text}`);
      granularity = { kind: "netmask", netmask };
    }
    warnExtraArgs(stmt, 1, diag);
    setField(target, "persistenceGranularity", granularity, stmt);
    if (target.family === undefined) setField(target, "family", family, stmt);
    // A granularity makes the service persistent, with the default timeout until one is given.
    if (target.persistenceTimeoutS === undefined) setField(target, "persistenceTimeoutS", DEFAULT_PERSISTENCE_S, stmt);
  }),
  keyword("protocol", (stmt, target, diag) => {
    const tok = requireArg(stmt, 0, "TCP, UDP or SCTP", diag);
    if (!tok) return;
    // keepalived compares without case.
    const protocol = tok.text.toUpperCase();
    if (!PROTOCOLS.has(protocol)) return diag.error(tok, `protocol must be TCP, UDP or SCTP, got ${tok.text}`);
    warnExtraArgs(stmt, 1, diag);
    setField(target, "protocol", protocol, stmt);
  }),
  bareFlag("ha_suspend", "haSuspend"),
  stringField("virtualhost", "virtualhost", "a host name"),
  bareFlag("alpha", "alpha"),
  bareFlag("omega", "omega"),
  commandField("quorum_up", "quorumUp", true),
  commandField("quorum_down", "quorumDown", true),
  intField("quorum", "quorum", 1, UINT_MAX),
  intField("hysteresis", "hysteresis", 0, UINT_MAX),
  intField("weight", "weight", 1, WEIGHT_MAX),
  slowStartKeyword(),
  keyword("sorry_server", (stmt, target, diag) => {
    const server = parseServerAddress(stmt, diag);
    if (!server) return;
    const previous = target.fieldLocations.sorryServer;
    if (previous) diag.warn(stmt.keyword, `sorry_server replaces the one at ${previous.file}:${previous.line}:${previous.col}, as in keepalived`);
    const sorry: SorryServerDraft = { ...server, location: locationOf(stmt.keyword) };
    if (target.forwarding) sorry.forwarding = target.forwarding;
    setField(target, "sorryServer", sorry, stmt);
  }),
  keyword("sorry_server_inhibit", (stmt, target, diag) => {
    if (!target.sorryServer) return diag.error(stmt.keyword, "sorry_server_inhibit needs a sorry_server before it; keepalived ignores it");
    warnExtraArgs(stmt, 0, diag);
    target.sorryServer.inhibitOnFailure = true;
  }),
  keyword("sorry_server_lvs_method", (stmt, target, diag) => {
    if (!target.sorryServer) return diag.error(stmt.keyword, "sorry_server_lvs_method needs a sorry_server before it; keepalived ignores it");
    const forwarding = parseForwarding(stmt, diag);
    if (forwarding) target.sorryServer.forwarding = forwarding;
  }),
  nestedBlock(
    "real_server",
    realServerBlock,
    (stmt, target, diag) => {
      const server = parseServerAddress(stmt, diag);
      if (!server) return undefined;
      const rs: RealServerDraft = { address: server.address, port: server.port, location: locationOf(stmt.keyword), checkers: [], fieldLocations: {} };
      if (target.forwarding) rs.forwarding = target.forwarding;
      return rs;
    },
    (rs, target, _stmt, diag) => {
      // keepalived's rs_end_handler: a tunnelled real server may be of the other family; any other settles it.
      if (rs.forwarding?.lbKind !== "TUN") {
        if (target.family === undefined) target.family = rs.address.family;
        else if (target.family !== rs.address.family)
          return diag.error(
            rs.location,
            `real_server ${rs.address.text} is IPv${rs.address.family} but the virtual server is IPv${target.family}; keepalived skips it (only a TUN real server may differ)`,
          );
      }
      target.realServers.push(rs);
    },
  ),
  ...["smtp_alert", "snmp_name"].map((n) => ignored<VirtualServerDraft>(n)),
];

export const virtualServerBlock: KeywordBlock<VirtualServerDraft> = defineBlock("virtual_server", keywords);

/** The header `virtual_server IP [PORT]`, `virtual_server fwmark N` or `virtual_server group NAME`. */
export function parseVirtualServerKey(stmt: Statement, diag: Diagnostics): VirtualServerKey | undefined {
  const first = requireArg(stmt, 0, "IP [PORT], 'fwmark N' or 'group NAME'", diag);
  if (!first) return undefined;
  if (first.text === "fwmark" || first.text === "group") {
    const tok = requireArg(stmt, 1, first.text === "fwmark" ? "a firewall mark number" : "a virtual_server_group name", diag);
    if (!tok) return undefined;
    warnExtraArgs(stmt, 2, diag);
    if (first.text === "group") return { kind: "group", group: tok.text };
    // keepalived takes 0 too, and then treats the service as the unset address 0.0.0.0: refused here.
    const fwmark = parseInteger(tok, "fwmark", 1, 4294967295, diag);
    return fwmark === undefined ? undefined : { kind: "fwmark", fwmark };
  }
  const server = parseServerAddress(stmt, diag);
  return server && { kind: "address", address: server.address, port: server.port };
}

export function newVirtualServerDraft(key: VirtualServerKey, location: SourceLocation): VirtualServerDraft {
  const draft: VirtualServerDraft = { key, location, schedulerFlags: { flag1: false, flag2: false, flag3: false }, realServers: [], fieldLocations: {} };
  if (key.kind === "address") draft.family = key.address.family;
  return draft;
}
