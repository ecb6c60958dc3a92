// `real_server IP [PORT] { weight ...; CHECKER { } ... }` inside a virtual_server.

import { parseIpv4 } from "../common/ipv4.ts";
import type { Diagnostics } from "./diagnostics.ts";
import { locationOf } from "./diagnostics.ts";
import { CHECKER_KINDS, checkerBlocks, commonCheckKeywords, finishChecker, newCheckerDraft, type CheckerDraft } from "./checkers.ts";
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
import type { CheckerCommon, RealServer } from "./model.ts";
import type { Statement } from "./statement-tree.ts";
import { parsePort, requireArg, warnExtraArgs } from "./values.ts";

/** A real_server while its block is read: the model's fields, optional until validated. */
export type RealServerDraft = CheckerCommon &
  Located &
  Partial<Omit<RealServer, "address" | "port" | "location" | "fieldLocations" | "checkDefaults" | "checkers">> &
  Pick<RealServer, "address" | "port" | "location"> & {
    checkers: CheckerDraft[];
  };

const LB_KINDS = new Set(["NAT", "DR", "TUN"]);

/** `lvs_method NAT|DR|TUN [type ...]` (and its old name lb_kind). */
export function lbKindKeyword<T extends Located>(name: string, field: string, note?: string): Keyword<T> {
  return keyword(
    name,
    (stmt, target, diag) => {
      const tok = requireArg(stmt, 0, "NAT, DR or TUN", diag);
      if (!tok) return;
      if (!LB_KINDS.has(tok.text)) {
        diag.error(tok, `${name} must be NAT, DR or TUN, got ${tok.text}`);
        return;
      }
      if (stmt.args[1])
        diag.warn(
          stmt.args[1],
          `parsed but not implemented: tunnel options '${stmt.args
            .slice(1)
            .map((t) => t.text)
            .join(" ")}'`,
        );
      setField(target, field, tok.text, stmt);
    },
    note ? { note } : {},
  );
}

/** `real_server` / `sorry_server` address: `IP [PORT]`. */
export function parseServerAddress(stmt: Statement, diag: Diagnostics): { address: number; port?: number } | undefined {
  const tok = requireArg(stmt, 0, "an IPv4 address and optional port", diag);
  if (!tok) return undefined;
  const address = parseIpv4(tok.text);
  if (address === undefined) {
    diag.error(tok, `${stmt.keyword.text} address must be IPv4${tok.text.includes(":") ? " (IPv6 is not supported yet)" : ""}, got ${tok.text}`);
    return undefined;
  }
  const portTok = stmt.args[1];
  if (!portTok) return { address };
  const port = parsePort(portTok, stmt.keyword.text, diag);
  if (port === undefined) return undefined;
  warnExtraArgs(stmt, 2, diag);
  return { address, port };
}

const checkerKeywords: Keyword<RealServerDraft>[] = CHECKER_KINDS.map((kind) =>
  nestedBlock(
    kind,
    checkerBlocks[kind],
    (stmt) => newCheckerDraft(kind, locationOf(stmt.keyword)),
    (checker, target) => target.checkers.push(checker),
  ),
);

const keywords: Keyword<RealServerDraft>[] = [
  intField("weight", "weight", 0, 65535),
  flagField("inhibit_on_failure", "inhibitOnFailure"),
  commandField("notify_up", "notifyUp"),
  commandField("notify_down", "notifyDown"),
  lbKindKeyword("lvs_method", "lbKind"),
  lbKindKeyword("lb_kind", "lbKind", "synonym of lvs_method"),
  intField("uthreshold", "uthreshold", 0, 4294967295),
  intField("lthreshold", "lthreshold", 0, 4294967295),
  stringField("virtualhost", "virtualhost", "a host name"),
  ...commonCheckKeywords<RealServerDraft>(),
  ...checkerKeywords,
  ...["smtp_alert", "snmp_name", "BFD_CHECK", "track_file"].map((n) => ignored<RealServerDraft>(n)),
];

export const realServerBlock: KeywordBlock<RealServerDraft> = defineBlock("real_server", keywords);

const COMMON_FIELDS = [
  "connectIp",
  "connectPort",
  "bindTo",
  "bindPort",
  "bindInterface",
  "connectTimeoutS",
  "retry",
  "delayBeforeRetryS",
  "delayLoopS",
  "warmupS",
  "alpha",
  "fwmark",
] as const;

export function splitCheckDefaults(d: CheckerCommon): CheckerCommon {
  const out: CheckerCommon = {};
  for (const k of COMMON_FIELDS) if (d[k] !== undefined) (out as Record<string, unknown>)[k] = d[k];
  return out;
}

export function finishRealServer(d: RealServerDraft, diag: Diagnostics): RealServer {
  const checkers = d.checkers.flatMap((c) => finishChecker(c, diag) ?? []);
  const rs: RealServer = {
    address: d.address,
    weight: d.weight ?? 1,
    inhibitOnFailure: d.inhibitOnFailure ?? false,
    checkDefaults: splitCheckDefaults(d),
    checkers,
    location: d.location,
    fieldLocations: d.fieldLocations as RealServer["fieldLocations"],
  };
  for (const k of ["port", "notifyUp", "notifyDown", "lbKind", "uthreshold", "lthreshold", "virtualhost"] as const) {
    if (d[k] !== undefined) (rs as unknown as Record<string, unknown>)[k] = d[k];
  }
  return rs;
}
