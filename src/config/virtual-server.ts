// `virtual_server IP [PORT] | fwmark N | group NAME { }` and `virtual_server_group NAME { }`.

import { parseIpv4, prefixToMask, broadcastOf } from "../common/ipv4.ts";
import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import { locationOf } from "./diagnostics.ts";
import { commonCheckKeywords } from "./checkers.ts";
import {
  commandField,
  defineBlock,
  flagField,
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
import type { CheckerCommon, LbKind, LbProtocol, VirtualServer, VirtualServerGroup, VirtualServerGroupEntry, VirtualServerKey } from "./model.ts";
import { finishRealServer, lbKindKeyword, parseServerAddress, realServerBlock, splitCheckDefaults, type RealServerDraft } from "./real-server.ts";
import type { Statement } from "./statement-tree.ts";
import { parseInteger, parsePort, requireArg, warnExtraArgs } from "./values.ts";

export interface VirtualServerDraft extends CheckerCommon, Located {
  key: VirtualServerKey;
  location: SourceLocation;
  lbAlgo?: string;
  lbKind?: LbKind;
  persistenceTimeoutS?: number;
  persistenceGranularity?: number;
  protocol?: LbProtocol;
  sorryServer?: { address: number; port?: number };
  quorum?: number;
  hysteresis?: number;
  quorumUp?: string;
  quorumDown?: string;
  omega?: boolean;
  inhibitOnFailure?: boolean;
  virtualhost?: string;
  realServers: RealServerDraft[];
}

/** ipvsadm(8) schedulers keepalived 2.2.7 accepts. */
const SCHEDULERS = new Set(["rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos"]);
const SCHEDULER_LIST = [...SCHEDULERS].join("|");
/** keepalived's default persistence_timeout when the keyword has no value: 6 minutes. */
const DEFAULT_PERSISTENCE_S = 360;

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

const keywords: Keyword<VirtualServerDraft>[] = [
  schedulerKeyword("lvs_sched"),
  schedulerKeyword("lb_algo", "synonym of lvs_sched"),
  lbKindKeyword("lvs_method", "lbKind"),
  lbKindKeyword("lb_kind", "lbKind", "synonym of lvs_method"),
  keyword("persistence_timeout", (stmt, target, diag) => {
    const tok = stmt.args[0];
    const value = tok ? parseInteger(tok, "persistence_timeout", 1, 4294967295, diag) : DEFAULT_PERSISTENCE_S;
    if (value !== undefined) setField(target, "persistenceTimeoutS", value, stmt);
  }),
  keyword("persistence_granularity", (stmt, target, diag) => {
    const tok = requireArg(stmt, 0, "a netmask", diag);
    const mask = tok && parseIpv4(tok.text);
    if (tok && mask === undefined) diag.error(tok, `persistence_granularity must be a netmask such as 255.255.255.0, got ${tok.text}`);
    else if (mask !== undefined) setField(target, "persistenceGranularity", mask, stmt);
  }),
  keyword("protocol", (stmt, target, diag) => {
    const tok = requireArg(stmt, 0, "TCP, UDP or SCTP", diag);
    if (!tok) return;
    if (tok.text !== "TCP" && tok.text !== "UDP" && tok.text !== "SCTP") diag.error(tok, `protocol must be TCP, UDP or SCTP, got ${tok.text}`);
    else setField(target, "protocol", tok.text, stmt);
  }),
  keyword("sorry_server", (stmt, target, diag) => {
    const server = parseServerAddress(stmt, diag);
    if (server) setField(target, "sorryServer", server, stmt);
  }),
  intField("quorum", "quorum", 1, 4294967295),
  intField("hysteresis", "hysteresis", 0, 4294967295),
  commandField("quorum_up", "quorumUp"),
  commandField("quorum_down", "quorumDown"),
  flagField("omega", "omega"),
  flagField("inhibit_on_failure", "inhibitOnFailure"),
  stringField("virtualhost", "virtualhost", "a host name"),
  ...commonCheckKeywords<VirtualServerDraft>(),
  nestedBlock(
    "real_server",
    realServerBlock,
    (stmt, _target, diag) => {
      const server = parseServerAddress(stmt, diag);
      return server && { ...server, location: locationOf(stmt.keyword), checkers: [], fieldLocations: {} };
    },
    (rs, target) => target.realServers.push(rs),
  ),
  ...[
    "persistence_engine",
    "ha_suspend",
    "smtp_alert",
    "snmp_name",
    "ip_family",
    "sorry_server_inhibit",
    "sorry_server_lvs_method",
    "flag-1",
    "flag-2",
    "flag-3",
    "sh-port",
    "sh-fallback",
    "mh-port",
    "mh-fallback",
    "ops",
    "nat_mask",
  ].map((n) => ignored<VirtualServerDraft>(n)),
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
    const fwmark = parseInteger(tok, "fwmark", 1, 4294967295, diag);
    return fwmark === undefined ? undefined : { kind: "fwmark", fwmark };
  }
  const server = parseServerAddress(stmt, diag);
  return server && { kind: "address", ...server };
}

export function finishVirtualServer(d: VirtualServerDraft, diag: Diagnostics): VirtualServer {
  let protocol = d.protocol;
  if (d.key.kind === "fwmark" && protocol)
    diag.warn(d.fieldLocations.protocol ?? d.location, "protocol specified for a fwmark virtual server is ignored (as in keepalived)");
  if (d.key.kind !== "fwmark" && !protocol)
    diag.warn(d.location, "virtual_server has no protocol; keepalived 2.2.7 defaults to UDP - add 'protocol TCP' if that is what you mean");
  protocol ??= d.key.kind === "fwmark" ? "TCP" : "UDP";
  const vs: VirtualServer = {
    key: d.key,
    delayLoopS: d.delayLoopS ?? 60,
    lbAlgo: d.lbAlgo ?? "wlc",
    lbKind: d.lbKind ?? "NAT",
    protocol,
    quorum: d.quorum ?? 1,
    hysteresis: d.hysteresis ?? 0,
    alpha: d.alpha ?? false,
    omega: d.omega ?? false,
    inhibitOnFailure: d.inhibitOnFailure ?? false,
    checkDefaults: splitCheckDefaults(d),
    realServers: d.realServers.map((rs) => finishRealServer(rs, diag)),
    location: d.location,
    fieldLocations: d.fieldLocations as VirtualServer["fieldLocations"],
  };
  for (const k of ["persistenceTimeoutS", "persistenceGranularity", "sorryServer", "quorumUp", "quorumDown", "virtualhost"] as const) {
    if (d[k] !== undefined) (vs as unknown as Record<string, unknown>)[k] = d[k];
  }
  if (vs.realServers.length === 0 && !vs.sorryServer) diag.warn(d.location, "virtual_server has no real_server");
  return vs;
}

/** `virtual_server_group NAME { IP [PORT] | IP-RANGE [PORT] | fwmark N }`. */
export function parseVirtualServerGroup(name: string, stmt: Statement, diag: Diagnostics): VirtualServerGroup {
  const entries: VirtualServerGroupEntry[] = [];
  for (const entry of stmt.children ?? []) {
    const location = locationOf(entry.keyword);
    if (entry.keyword.text === "fwmark") {
      const tok = requireArg(entry, 0, "a firewall mark number", diag);
      const fwmark = tok && parseInteger(tok, "fwmark", 1, 4294967295, diag);
      if (fwmark !== undefined) entries.push({ kind: "fwmark", fwmark, location });
      continue;
    }
    const range = parseAddressRange(entry.keyword.text);
    if (!range) {
      diag.error(entry.keyword, `virtual_server_group entry must be IP, IP-LAST, IP-IP, IP/PREFIX or 'fwmark N', got ${entry.keyword.text}`);
      continue;
    }
    const portTok = entry.args[0];
    const port = portTok ? parsePort(portTok, "virtual_server_group", diag) : undefined;
    if (portTok && port === undefined) continue;
    warnExtraArgs(entry, 1, diag);
    // Literals, not spreads: a group may have tens of thousands of lines, and spreading was most of their cost.
    entries.push(
      port === undefined
        ? { kind: "range", first: range.first, last: range.last, location }
        : { kind: "range", first: range.first, last: range.last, port, location },
    );
  }
  return { name, entries, location: locationOf(stmt.keyword) };
}

/**
 * 192.168.200.1, 192.168.200.3-10, 192.168.200.250-192.168.201.10 or 192.168.202.8/29. Kept as
 * first..last, never expanded: 0.0.0.0/0 is one entry.
 */
export function parseAddressRange(text: string): { first: number; last: number } | undefined {
  const slash = text.indexOf("/");
  const baseText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (slash >= 0 && /^[\d.]+$/.test(baseText) && /^\d+$/.test(prefixText)) {
    const base = parseIpv4(baseText);
    const prefix = Number(prefixText);
    if (base === undefined || prefix > 32) return undefined;
    const first = (base & prefixToMask(prefix)) >>> 0;
    return { first, last: broadcastOf(first, prefix) };
  }
  // Only the first '-' splits, as split("-", 2) did: "1.2.3.4-5-6" reads its end as "5".
  const dash = text.indexOf("-");
  const first = parseIpv4(dash < 0 ? text : text.slice(0, dash));
  if (first === undefined) return undefined;
  if (dash < 0) return { first, last: first };
  const end = text.slice(dash + 1, nextDash(text, dash + 1));
  const last = /^\d{1,3}$/.test(end) && Number(end) <= 255 ? ((first & 0xffffff00) | Number(end)) >>> 0 : parseIpv4(end);
  return last === undefined || last < first ? undefined : { first, last };
}

function nextDash(text: string, from: number): number {
  const at = text.indexOf("-", from);
  return at < 0 ? text.length : at;
}
