// Lexer for one logical keepalived.conf line: words, quoted strings, braces and comments.
// keepalived is line oriented: a keyword and its arguments share a line, so we lex per line.
// One pass over the characters, words taken as slices: linear in the line's length.

import { columnAt, identityColumns, sliceColumns, type ColumnMap } from "./column-map.ts";
import type { Diagnostics, SourceLocation } from "./diagnostics.ts";

/** A line after preprocessing; `cols` maps each character back to its source column. */
export interface LogicalLine {
  file: string;
  line: number;
  text: string;
  cols: ColumnMap;
}

export interface Token extends SourceLocation {
  kind: "word" | "open" | "close";
  text: string;
  /** True if any part of the word was quoted: a quoted "{" is a word, not a brace. */
  quoted: boolean;
}

export function logicalLine(file: string, line: number, text: string): LogicalLine {
  return { file, line, text, cols: identityColumns() };
}

/** Slice a logical line, keeping its column map. */
export function sliceLine(l: LogicalLine, start: number, end = l.text.length): LogicalLine {
  if (start === 0 && end >= l.text.length) return l;
  return { file: l.file, line: l.line, text: l.text.slice(start, end), cols: sliceColumns(l.cols, start, end) };
}

/** The source location of text index i of a line. */
export function locationAt(l: LogicalLine, i: number): SourceLocation {
  return { file: l.file, line: l.line, col: columnAt(l.cols, i) };
}

const HASH = 35; // #
const BANG = 33; // !
const DQUOTE = 34; // "
const SQUOTE = 39; // '
const BACKSLASH = 92;
const OPEN = 123; // {
const CLOSE = 125; // }

/** Index where a `#` or `!` comment starts outside quotes, or the text length. */
export function commentStart(text: string): number {
  // Most lines have no comment character at all: skip the quote-aware scan for them.
  if (text.indexOf("#") < 0 && text.indexOf("!") < 0) return text.length;
  return scanForComment(text, 0, text.length);
}

/** commentStart(text.slice(from, to)) + from, without the slice. */
export function scanForComment(text: string, from: number, to: number): number {
  let quote = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (quote) {
      if (c === BACKSLASH && quote === DQUOTE) i++;
      else if (c === quote) quote = 0;
    } else if (c === DQUOTE || c === SQUOTE) quote = c;
    else if (c === HASH || c === BANG) return i;
  }
  return to;
}

/** Space, tab, CR, VT, FF: what keepalived's parser skips between words. */
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 11 || c === 12;
}

// What each ASCII character is to the lexer; everything else (and every non-ASCII one) is PLAIN.
// Ordered so that `kind <= PLAIN_OR_COMMENT` means "continues a word" when comments are off.
const PLAIN = 0;
const COMMENT = 1;
const PLAIN_OR_COMMENT = COMMENT;
const SPACE = 2;
const BRACE = 3;
const QUOTE = 4;
const CHAR_KIND = new Uint8Array(128);
for (const c of [32, 9, 13, 11, 12]) CHAR_KIND[c] = SPACE;
CHAR_KIND[OPEN] = BRACE;
CHAR_KIND[CLOSE] = BRACE;
CHAR_KIND[DQUOTE] = QUOTE;
CHAR_KIND[SQUOTE] = QUOTE;
CHAR_KIND[HASH] = COMMENT;
CHAR_KIND[BANG] = COMMENT;

function charKind(c: number): number {
  return c < 128 ? (CHAR_KIND[c] as number) : PLAIN;
}

/** What lexLine() finds, by index in the line's text: the consumer makes only the tokens it keeps. */
export interface TokenSink {
  word(text: string, quoted: boolean, index: number): void;
  brace(open: boolean, index: number): void;
}

/**
 * Split a line into tokens, handed to `visit` as they come. Quoting is shell-like, as
 * keepalived's man page describes:
 * `"..."` and `'...'` may be glued to unquoted text and the quotes are removed. Inside
 * double quotes `\"` and `\\` are unescaped; other backslash sequences are kept for the
 * script runner, which interprets them when it splits a command line.
 */
export function forEachToken(l: LogicalLine, diag: Diagnostics, comments: boolean, visit: (token: Token) => void): void {
  lexLine(l, diag, comments, {
    word: (text, quoted, i) => visit(tokenAt(l, "word", text, quoted, i)),
    brace: (open, i) => visit(open ? tokenAt(l, "open", "{", false, i) : tokenAt(l, "close", "}", false, i)),
  });
}

/** forEachToken's lexing, reported by position (the statement tree takes tokens so). */
export function lexLine(l: LogicalLine, diag: Diagnostics, comments: boolean, sink: TokenSink): void {
  // The preprocessor strips comments before substitution so `${_HASH}` can yield a literal '#'.
  const text = l.text;
  const n = text.length;
  const plain = comments ? PLAIN : PLAIN_OR_COMMENT;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const kind = charKind(c);
    if (kind === SPACE) {
      i++;
      continue;
    }
    if (comments && kind === COMMENT) break;
    if (kind === BRACE) {
      sink.brace(c === OPEN, i);
      i++;
      continue;
    }
    const start = i;
    // Most words have no quotes: one slice, found with one table lookup per character.
    while (i < n && charKind(text.charCodeAt(i)) <= plain) i++;
    if (i === n || charKind(text.charCodeAt(i)) !== QUOTE) {
      sink.word(text.slice(start, i), false, start);
      continue;
    }
    i = quotedWord(l, diag, comments, start, sink);
  }
}

/** A word with quotes in it, from `start`, handed to the sink; returns the index after it. */
function quotedWord(l: LogicalLine, diag: Diagnostics, comments: boolean, start: number, sink: TokenSink): number {
  const text = l.text;
  const n = text.length;
  let i = start;
  // Unquoted stretches are appended as slices, never character by character.
  let word = "";
  let quoted = false;
  let stretch = i;
  while (i < n) {
    const ch = text.charCodeAt(i);
    if (endsWord(ch, comments)) break;
    if (ch !== DQUOTE && ch !== SQUOTE) {
      i++;
      continue;
    }
    word += text.slice(stretch, i);
    quoted = true;
    const open = i++;
    let part = i;
    let closed = false;
    while (i < n) {
      const q = text.charCodeAt(i);
      if (q === ch) {
        closed = true;
        break;
      }
      if (ch === DQUOTE && q === BACKSLASH) {
        const next = text.charCodeAt(i + 1);
        if (next === DQUOTE || next === BACKSLASH) {
          word += text.slice(part, i) + text[i + 1];
          i += 2;
          part = i;
          continue;
        }
      }
      i++;
    }
    word += text.slice(part, i);
    if (closed) i++;
    else diag.error(locationAt(l, open), `unterminated quoted string (missing closing ${String.fromCharCode(ch)})`);
    stretch = i;
  }
  word += text.slice(stretch, i);
  sink.word(word, quoted, start);
  return i;
}

/** The token at text index i of a line. */
export function tokenAt(l: LogicalLine, kind: Token["kind"], text: string, quoted: boolean, i: number): Token {
  return { kind, text, quoted, file: l.file, line: l.line, col: columnAt(l.cols, i) };
}

function endsWord(c: number, comments: boolean): boolean {
  return isSpace(c) || c === OPEN || c === CLOSE || (comments && (c === HASH || c === BANG));
}
