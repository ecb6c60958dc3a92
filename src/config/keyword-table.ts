// Declarative keyword tables (like keepalived's), the walker that applies them, and field helpers.

import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import { locationOf } from "./diagnostics.ts";
import type { Statement } from "./statement-tree.ts";
import { parseDecimal, parseInteger, parseIpv4Arg, parseOptionalBool, requireArg, warnExtraArgs } from "./values.ts";

export type KeywordStatus = "supported" | "parsed-ignored" | "rejected";

export interface Keyword<T> {
  name: string;
  status: KeywordStatus;
  /** Shown in docs; for rejected keywords it is the error message. */
  note?: string;
  /** "keywords": children are keyword lines (a sub-table); "values": children are data lines. */
  takesBlock?: "keywords" | "values" | "optional";
  /** Set on deprecated synonyms: the keyword to use instead (a warning says so). */
  deprecatedFor?: string;
  /** The nested table, so the support table can list nested keywords. */
  block?: KeywordBlock<never>;
  apply(stmt: Statement, target: T, diag: Diagnostics): void;
}

export interface KeywordBlock<T> {
  name: string;
  keywords: Keyword<T>[];
  /** The same keywords by name, built once with the table so that reading a block never rebuilds it. */
  byName: ReadonlyMap<string, Keyword<T>>;
}

/** A keyword table; a name listed twice resolves to its last entry (as a Map built from the list would). */
export function defineBlock<T>(name: string, keywords: Keyword<T>[]): KeywordBlock<T> {
  return { name, keywords, byName: new Map(keywords.map((k) => [k.name, k])) };
}

/** Apply each statement of a block through the table; unknown keywords warn, as in keepalived. */
export function runBlock<T>(block: KeywordBlock<T>, statements: Statement[] | undefined, target: T, diag: Diagnostics): void {
  if (!statements) return;
  for (const stmt of statements) {
    const name = stmt.keyword.text;
    const kw = block.byName.get(name);
    if (!kw) {
      diag.warn(stmt.keyword, `unknown keyword '${name}' in ${block.name}; ignored`);
      continue;
    }
    if (kw.status === "rejected") {
      diag.error(stmt.keyword, kw.note ?? `${name} is not supported by tandem`);
      continue;
    }
    if (kw.deprecatedFor) diag.warn(stmt.keyword, `${name} is deprecated; use ${kw.deprecatedFor}`);
    if (kw.status === "parsed-ignored") diag.warn(stmt.keyword, `parsed but not implemented: ${name}${kw.note ? ` (${kw.note})` : ""}`);
    if ((kw.takesBlock === "keywords" || kw.takesBlock === "values") && !stmt.children) {
      diag.error(stmt.keyword, `${name} needs a { ... } block`);
      continue;
    }
    if (!kw.takesBlock && stmt.children) diag.warn(stmt.open ?? stmt.keyword, `${name} does not take a { } block; its contents are ignored`);
    kw.apply(stmt, target, diag);
  }
}

/** Anything with per-field source locations. */
export interface Located {
  fieldLocations: Partial<Record<string, SourceLocation>>;
}

export function setField<T extends Located>(target: T, field: string, value: unknown, stmt: Statement): void {
  (target as Record<string, unknown>)[field] = value;
  target.fieldLocations[field] = locationOf(stmt.keyword);
}

export function keyword<T>(name: string, apply: Keyword<T>["apply"], extra: Partial<Keyword<T>> = {}): Keyword<T> {
  return { name, status: "supported", apply, ...extra };
}

/** Known to keepalived, accepted, but without effect in tandem: a warning says so. */
export function ignored<T>(name: string, note?: string): Keyword<T> {
  return { name, status: "parsed-ignored", note, takesBlock: "optional", apply: () => {} };
}

/** Known to keepalived but refused by tandem, because running without it would behave differently. */
export function rejected<T>(name: string, message: string): Keyword<T> {
  return { name, status: "rejected", note: message, takesBlock: "optional", apply: () => {} };
}

export function intField<T extends Located>(name: string, field: string, min: number, max: number): Keyword<T> {
  return keyword(name, (stmt, target, diag) => {
    const tok = requireArg(stmt, 0, `an integer ${min}..${max}`, diag);
    const value = tok && parseInteger(tok, name, min, max, diag);
    if (value === undefined) return;
    warnExtraArgs(stmt, 1, diag);
    setField(target, field, value, stmt);
  });
}

export function decimalField<T extends Located>(name: string, field: string, min: number, max: number): Keyword<T> {
  return keyword(name, (stmt, target, diag) => {
    const tok = requireArg(stmt, 0, `a number ${min}..${max}`, diag);
    const value = tok && parseDecimal(tok, name, min, max, diag);
    if (value === undefined) return;
    warnExtraArgs(stmt, 1, diag);
    setField(target, field, value, stmt);
  });
}

export function stringField<T extends Located>(name: string, field: string, what = "a value"): Keyword<T> {
  return keyword(name, (stmt, target, diag) => {
    const tok = requireArg(stmt, 0, what, diag);
    if (!tok) return;
    warnExtraArgs(stmt, 1, diag);
    setField(target, field, tok.text, stmt);
  });
}

/** A flag keyword with keepalived's optional <BOOL> argument; `value` is what "on" sets. */
export function flagField<T extends Located>(name: string, field: string, value = true): Keyword<T> {
  return keyword(name, (stmt, target, diag) => {
    const on = parseOptionalBool(stmt.args[0], name, diag);
    if (on === undefined) return;
    warnExtraArgs(stmt, 1, diag);
    setField(target, field, on ? value : !value, stmt);
  });
}

export function ipv4Field<T extends Located>(name: string, field: string): Keyword<T> {
  return keyword(name, (stmt, target, diag) => {
    const tok = requireArg(stmt, 0, "an IPv4 address", diag);
    const value = tok && parseIpv4Arg(tok, name, diag);
    if (value === undefined) return;
    warnExtraArgs(stmt, 1, diag);
    setField(target, field, value, stmt);
  });
}

/** A keepalived flag that takes no value (virtual_server's alpha, omega, ...): set whatever follows, as keepalived does. */
export function bareFlag<T extends Located>(name: string, field: string): Keyword<T> {
  return keyword(name, (stmt, target, diag) => {
    const first = stmt.args[0];
    if (first) diag.warn(first, `${name} takes no value here; keepalived sets it whatever follows, and so does tandem`);
    setField(target, field, true, stmt);
  });
}

/**
 * `notify_* <STRING>|<QUOTED-STRING> [username [groupname]]`: the command; a per-script user warns.
 * `once`: a second one is an error, keepalived keeping the first (quorum_up, notify_up, ...).
 */
export function commandField<T extends Located>(name: string, field: string, once = false): Keyword<T> {
  return keyword(name, (stmt, target, diag) => {
    const tok = requireArg(stmt, 0, "a command (quote it if it has arguments)", diag);
    if (!tok) return;
    const first = once ? target.fieldLocations[field] : undefined;
    if (first) {
      diag.error(stmt.keyword, `${name} is already set at ${first.file}:${first.line}:${first.col}; keepalived keeps the first and ignores this one`);
      return;
    }
    const user = stmt.args[1];
    if (user) diag.warn(user, `parsed but not implemented: per-script user for ${name} (scripts run as script_user)`);
    if (stmt.args.length > 3) warnExtraArgs(stmt, 3, diag);
    setField(target, field, tok.text, stmt);
  });
}

/** `notify_deleted [<STRING>|<QUOTED-STRING> [username [groupname]]]`: the flag, with an optional command. */
export function optionalCommandField<T extends Located>(name: string, field: string): Keyword<T> {
  return keyword(name, (stmt, target, diag) => {
    const tok = stmt.args[0];
    const user = stmt.args[1];
    if (user) diag.warn(user, `parsed but not implemented: per-script user for ${name} (scripts run as script_user)`);
    if (stmt.args.length > 3) warnExtraArgs(stmt, 3, diag);
    setField(target, field, tok ? { command: tok.text } : {}, stmt);
  });
}

/** A nested block of keywords built into a fresh object and handed to `attach`. */
export function nestedBlock<T, C>(
  name: string,
  block: KeywordBlock<C>,
  create: (stmt: Statement, target: T, diag: Diagnostics) => C | undefined,
  attach: (child: C, target: T, stmt: Statement, diag: Diagnostics) => void,
): Keyword<T> {
  return keyword(
    name,
    (stmt, target, diag) => {
      const child = create(stmt, target, diag);
      if (child === undefined) return;
      runBlock(block, stmt.children, child, diag);
      attach(child, target, stmt, diag);
    },
    { takesBlock: "keywords", block: block as KeywordBlock<never> },
  );
}
