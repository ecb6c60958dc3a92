// `real_server IP [PORT] { weight ...; CHECKER { } ... }` inside a virtual_server: keepalived
// 2.2.7's real server keywords (check_parser.c), v4 or v6.

import type { IpAddress } from "../common/ip-address.ts";
import { checkDefaultKeywords, UINT_MAX } from "./check-defaults.ts";
import type { SourceLocation } from "./diagnostics.ts";
import { locationOf } from "./diagnostics.ts";
import { CHECKER_KINDS, checkerBlocks, newCheckerDraft, type CheckerDraft } from "./checkers.ts";
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
import { parseForwarding, type Forwarding } from "./lvs-method.ts";
import type { CheckerDefaults } from "./model.ts";
import { parseDecimal, requireArg, warnExtraArgs } from "./values.ts";

/** keepalived's IPVS_WEIGHT_LIMIT: the kernel takes 0..INT32_MAX. */
export const WEIGHT_MAX = 2147483647;

/** A real_server while its block is read; what is unset inherits from the virtual server when it is finished. */
export interface RealServerDraft extends CheckerDefaults, Located {
  address: IpAddress;
  /** As written; 0 if none. */
  port: number;
  location: SourceLocation;
  /** Its lvs_method, or the virtual server's as it was when this block began (keepalived copies it then). */
  forwarding?: Forwarding;
  weight?: number;
  inhibitOnFailure?: boolean;
  /** tandem's slowstart; unset: the virtual server's. */
  slowStartS?: number;
  notifyUp?: string;
  notifyDown?: string;
  uthreshold?: number;
  lthreshold?: number;
  virtualhost?: string;
  checkers: CheckerDraft[];
}

/** `lvs_method ...` into `field` (keepalived's real server block has no lb_kind; its virtual server has both). */
export function forwardingKeyword<T extends Located>(name: string, field: string, note?: string): Keyword<T> {
  return keyword(
    name,
    (stmt, target, diag) => {
      const forwarding = parseForwarding(stmt, diag);
      if (forwarding) setField(target, field, forwarding, stmt);
    },
    note ? { note } : {},
  );
}

/** The longest `slowstart`: a day. */
export const SLOW_START_MAX_S = 86400;

/**
 * tandem's `slowstart SECONDS` (HAProxy's slowstart, nginx's slow_start), in virtual_server
 * (its real servers' default) and real_server: 0 is off, keepalived's jump to full weight; else
 * at least a millisecond, the unit the director ramps in.
 */
export function slowStartKeyword<T extends Located>(): Keyword<T> {
  return keyword(
    "slowstart",
    (stmt, target, diag) => {
      const tok = requireArg(stmt, 0, `a number of seconds 0..${SLOW_START_MAX_S} (0: off)`, diag);
      const value = tok && parseDecimal(tok, "slowstart", 0, SLOW_START_MAX_S, diag);
      if (value === undefined) return;
      if (value > 0 && value < 0.001)
        return diag.error(tok!, `slowstart must be 0 (off) or at least 0.001 (seconds; the ramp counts milliseconds), got ${tok!.text}`);
      warnExtraArgs(stmt, 1, diag);
      setField(target, "slowStartS", value, stmt);
    },
    {
      note: "keepalived has none (HAProxy's slowstart, nginx's slow_start): seconds (fractions allowed; 0, the default, is off) over which a real server back from a failed check takes its weight in steps; a real server's overrides its virtual server's",
    },
  );
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
  intField("weight", "weight", 0, WEIGHT_MAX),
  slowStartKeyword(),
  forwardingKeyword("lvs_method", "forwarding"),
  intField("uthreshold", "uthreshold", 0, UINT_MAX),
  intField("lthreshold", "lthreshold", 0, UINT_MAX),
  flagField("inhibit_on_failure", "inhibitOnFailure"),
  commandField("notify_up", "notifyUp", true),
  commandField("notify_down", "notifyDown", true),
  flagField("alpha", "alpha"),
  ...checkDefaultKeywords<RealServerDraft>(),
  stringField("virtualhost", "virtualhost", "a host name"),
  ...checkerKeywords,
  ...["smtp_alert", "snmp_name", "BFD_CHECK"].map((n) => ignored<RealServerDraft>(n)),
];

export const realServerBlock: KeywordBlock<RealServerDraft> = defineBlock("real_server", keywords);
