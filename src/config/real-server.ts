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
