// Lexer for one logical keepalived.conf line: words, quoted strings, braces and comments.
// keepalived is line oriented: a keyword and its arguments share a line, so we lex per line.

import type { Diagnostics, SourceLocation } from "./diagnostics.ts";

/** A line after preprocessing; cols[i] is the original 1-based column of text[i]. */
export interface LogicalLine {
  file: string;
  line: number;
  text: string;
  cols: number[];
}

export interface Token extends SourceLocation {
  kind: "word" | "open" | "close";
  text: string;
  /** True if any part of the word was quoted: a quoted "{" is a word, not a brace. */
  quoted: boolean;
}

export function logicalLine(file: string, line: number, text: string): LogicalLine {
  return { file, line, text, cols: Array.from(text, (_, i) => i + 1) };
}

/** Slice a logical line, keeping its column map. */
export function sliceLine(l: LogicalLine, start: number, end = l.text.length): LogicalLine {
  return { file: l.file, line: l.line, text: l.text.slice(start, end), cols: l.cols.slice(start, end) };
}

/** Index where a `#` or `!` comment starts outside quotes, or the text length. */
export function commentStart(text: string): number {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#" || c === "!") return i;
  }
  return text.length;
}

const isSpace = (c: string | undefined): boolean => c === " " || c === "\t" || c === "\r" || c === "\v" || c === "\f";

/**
 * Split a line into tokens. Quoting is shell-like, as keepalived's man page describes:
 * `"..."` and `'...'` may be glued to unquoted text and the quotes are removed. Inside
 * double quotes `\"` and `\\` are unescaped; other backslash sequences are kept for the
 * script runner, which interprets them when it splits a command line.
 */
export function tokenizeLine(l: LogicalLine, diag: Diagnostics, options: { comments?: boolean } = {}): Token[] {
  // The preprocessor strips comments before substitution so `${_HASH}` can yield a literal '#'.
  const comments = options.comments ?? true;
  const isComment = (ch: string | undefined): boolean => comments && (ch === "#" || ch === "!");
  const tokens: Token[] = [];
  const text = l.text;
  const at = (i: number): SourceLocation => ({ file: l.file, line: l.line, col: l.cols[i] ?? (l.cols[l.cols.length - 1] ?? 0) + 1 });
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (isComment(c)) break;
    if (c === "{" || c === "}") {
      tokens.push({ kind: c === "{" ? "open" : "close", text: c, quoted: false, ...at(i) });
      i++;
      continue;
    }
    const start = i;
    let word = "";
    let quoted = false;
    while (i < text.length) {
      const ch = text[i] as string;
      if (isSpace(ch) || ch === "{" || ch === "}" || isComment(ch)) break;
      if (ch === '"' || ch === "'") {
        quoted = true;
        const open = i++;
        let closed = false;
        while (i < text.length) {
          const q = text[i] as string;
          if (q === ch) {
            closed = true;
            i++;
            break;
          }
          if (ch === '"' && q === "\\" && (text[i + 1] === '"' || text[i + 1] === "\\")) {
            word += text[i + 1];
            i += 2;
            continue;
          }
          word += q;
          i++;
        }
        if (!closed) diag.error(at(open), `unterminated quoted string (missing closing ${ch})`);
        continue;
      }
      word += ch;
      i++;
    }
    tokens.push({ kind: "word", text: word, quoted, ...at(start) });
  }
  return tokens;
}
