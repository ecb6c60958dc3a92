// `vrrp_script NAME { }`: a periodic check whose exit status adjusts instance priority.

import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import { decimalField, defineBlock, flagField, intField, keyword, setField, type Keyword, type KeywordBlock, type Located } from "./keyword-table.ts";
import type { ScriptUser, VrrpScript } from "./model.ts";
import { joinCommand, parseWeight, requireArg, warnExtraArgs } from "./values.ts";

export interface VrrpScriptDraft extends Located {
  name: string;
  location: SourceLocation;
  script?: string;
  intervalS?: number;
  timeoutS?: number;
  weight?: number;
  weightReverse?: boolean;
  rise?: number;
  fall?: number;
  user?: ScriptUser;
  initFail?: boolean;
}

export function userKeyword<T extends Located>(name: string, field: string): Keyword<T> {
  return keyword(name, (stmt, target, diag) => {
    const user = requireArg(stmt, 0, "a user name", diag);
    if (!user) return;
    warnExtraArgs(stmt, 2, diag);
    setField(target, field, stmt.args[1] ? { user: user.text, group: stmt.args[1].text } : { user: user.text }, stmt);
  });
}

const keywords: Keyword<VrrpScriptDraft>[] = [
  keyword("script", (stmt, target, diag) => {
    if (!requireArg(stmt, 0, "a command (quote it if it has arguments)", diag)) return;
    setField(target, "script", joinCommand(stmt.args), stmt);
  }),
  decimalField("interval", "intervalS", 0.001, 86400),
  decimalField("timeout", "timeoutS", 0.001, 86400),
  keyword("weight", (stmt, target, diag) => {
    const parsed = parseWeight([stmt.keyword, ...stmt.args], `vrrp_script ${target.name}`, -253, 253, diag);
    if (!parsed || parsed.weight === undefined) return;
    warnExtraArgs(stmt, parsed.used - 1, diag);
    setField(target, "weight", parsed.weight, stmt);
    setField(target, "weightReverse", parsed.weightReverse ?? false, stmt);
  }),
  intField("rise", "rise", 1, 1_000_000),
  intField("fall", "fall", 1, 1_000_000),
  userKeyword("user", "user"),
  flagField("init_fail", "initFail"),
];

export const vrrpScriptBlock: KeywordBlock<VrrpScriptDraft> = defineBlock("vrrp_script", keywords);

export function finishVrrpScript(d: VrrpScriptDraft, diag: Diagnostics): VrrpScript | undefined {
  if (d.script === undefined) {
    diag.error(d.location, `vrrp_script ${d.name} has no 'script' line`);
    return undefined;
  }
  const intervalS = d.intervalS ?? 1;
  return {
    name: d.name,
    script: d.script,
    intervalS,
    // keepalived 2.2.7 kills a script still running after `interval` when no timeout is set (checked with a sleeping script).
    timeoutS: d.timeoutS ?? intervalS,
    weight: d.weight ?? 0,
    weightReverse: d.weightReverse ?? false,
    rise: d.rise ?? 1,
    fall: d.fall ?? 1,
    ...(d.user ? { user: d.user } : {}),
    initFail: d.initFail ?? false,
    location: d.location,
    fieldLocations: d.fieldLocations,
  };
}
