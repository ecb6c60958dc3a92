// `$NAME` / `${NAME}` parameter substitution (keepalived.conf(5) "Parameter substitution"),
// keeping each output character's original column so diagnostics point into the source.

import type { LogicalLine } from "./lexer.ts";

export const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
/** Substitution is recursive; a definition that refers to itself would never end. */
const MAX_PASSES = 32;

export type Lookup = (name: string) => string | undefined;

export interface SubstituteResult {
  line: LogicalLine;
  changed: boolean;
  /** Set when substitution was still changing the line after MAX_PASSES (a self-reference). */
  runaway: boolean;
}

/** Replace defined parameters until nothing changes; undefined ones stay as written. */
export function substitute(l: LogicalLine, lookup: Lookup): SubstituteResult {
  let current = l;
  let changed = false;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const next = substituteOnce(current, lookup);
    if (!next) return { line: current, changed, runaway: false };
    current = next;
    changed = true;
  }
  return { line: current, changed, runaway: true };
}

function substituteOnce(l: LogicalLine, lookup: Lookup): LogicalLine | undefined {
  const { text, cols } = l;
  let out = "";
  const outCols: number[] = [];
  let replaced = false;
  let i = 0;
  while (i < text.length) {
    if (text[i] === "$") {
      const found = reference(text, i);
      const value = found ? lookup(found.name) : undefined;
      if (found && value !== undefined) {
        const col = cols[i] ?? 0;
        out += value;
        for (let k = 0; k < value.length; k++) outCols.push(col);
        i = found.end;
        replaced = true;
        continue;
      }
    }
    out += text[i];
    outCols.push(cols[i] ?? 0);
    i++;
  }
  return replaced ? { file: l.file, line: l.line, text: out, cols: outCols } : undefined;
}

/** `${NAME}` anywhere, or `$NAME` followed by whitespace or the end of the line. */
function reference(text: string, dollar: number): { name: string; end: number } | undefined {
  if (text[dollar + 1] === "{") {
    const close = text.indexOf("}", dollar + 2);
    if (close < 0) return undefined;
    const name = text.slice(dollar + 2, close);
    return PARAMETER_NAME.exec(name)?.[0] === name ? { name, end: close + 1 } : undefined;
  }
  const m = PARAMETER_NAME.exec(text.slice(dollar + 1));
  if (!m) return undefined;
  const end = dollar + 1 + m[0].length;
  const after = text[end];
  return after === undefined || /\s/.test(after) ? { name: m[0], end } : undefined;
}
