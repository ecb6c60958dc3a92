// `$NAME` / `${NAME}` parameter substitution (keepalived.conf(5) "Parameter substitution"),
// keeping each output character's original column so diagnostics point into the source.
// Bounded twice: in rounds (substitution is recursive) and in the length a line may reach,
// so `$X=${X}${X}` costs a few kilobytes of work instead of doubling forever.

import { ColumnMapBuilder, columnAt } from "./column-map.ts";
import type { LogicalLine } from "./lexer.ts";

export const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export type Lookup = (name: string) => string | undefined;

export interface SubstituteLimits {
  /** Rounds of substitution before a still-changing line is called a runaway. */
  passes: number;
  /** The longest line substitution may produce. */
  lineChars: number;
}

/** `work`: characters produced over all rounds, charged to the parse's budget by the caller. */
export type SubstituteResult = { work: number } & (
  | { kind: "unchanged" }
  | { kind: "changed"; line: LogicalLine }
  /** Still changing after `passes` rounds: a definition that refers to itself. */
  | { kind: "runaway" }
  /** The line would grow past `lineChars`. */
  | { kind: "too-long" }
);

/** What substitute() says of a line without a `$`: shared, since nearly every line is one. */
const NOTHING_TO_SUBSTITUTE: SubstituteResult = { kind: "unchanged", work: 0 };

/** Replace defined parameters until nothing changes; undefined ones stay as written. */
export function substitute(l: LogicalLine, lookup: Lookup, limits: SubstituteLimits): SubstituteResult {
  if (l.text.indexOf("$") < 0) return NOTHING_TO_SUBSTITUTE;
  let current = l;
  let work = 0;
  for (let pass = 0; pass < limits.passes; pass++) {
    const next = substituteOnce(current, lookup, limits.lineChars);
    if (next === "too-long") return { kind: "too-long", work: work + limits.lineChars };
    if (!next) return current === l ? { kind: "unchanged", work } : { kind: "changed", line: current, work };
    work += next.text.length;
    current = next;
  }
  return { kind: "runaway", work };
}

function substituteOnce(l: LogicalLine, lookup: Lookup, maxChars: number): LogicalLine | "too-long" | undefined {
  const { text } = l;
  let out = "";
  const cols = new ColumnMapBuilder();
  let copiedFrom = 0;
  let replaced = false;
  for (let i = text.indexOf("$"); i >= 0; i = text.indexOf("$", i + 1)) {
    const found = reference(text, i);
    const value = found ? lookup(found.name) : undefined;
    if (!found || value === undefined) continue;
    if (out.length + (i - copiedFrom) + value.length > maxChars) return "too-long";
    out += text.slice(copiedFrom, i) + value;
    cols.copy(l.cols, copiedFrom, i - copiedFrom);
    cols.fixed(columnAt(l.cols, i), value.length);
    copiedFrom = found.end;
    i = found.end - 1;
    replaced = true;
  }
  if (!replaced) return undefined;
  if (out.length + (text.length - copiedFrom) > maxChars) return "too-long";
  out += text.slice(copiedFrom);
  cols.copy(l.cols, copiedFrom, text.length - copiedFrom);
  return { file: l.file, line: l.line, text: out, cols: cols.build() };
}

/** `${NAME}` anywhere, or `$NAME` followed by whitespace or the end of the line. */
function reference(text: string, dollar: number): { name: string; end: number } | undefined {
  if (text.charCodeAt(dollar + 1) === 123 /* { */) {
    // A name is short: look for the closing brace only as far as a name could reach.
    let close = dollar + 2;
    while (close < text.length && isNameChar(text.charCodeAt(close))) close++;
    if (text.charCodeAt(close) !== 125 /* } */) return undefined;
    const name = text.slice(dollar + 2, close);
    return PARAMETER_NAME.exec(name)?.[0] === name ? { name, end: close + 1 } : undefined;
  }
  let end = dollar + 1;
  if (end >= text.length || !isNameStart(text.charCodeAt(end))) return undefined;
  while (end < text.length && isNameChar(text.charCodeAt(end))) end++;
  const after = text.charCodeAt(end);
  return end === text.length || after === 32 || after === 9 || after === 10 || after === 13 || after === 11 || after === 12
    ? { name: text.slice(dollar + 1, end), end }
    : undefined;
}

function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}
