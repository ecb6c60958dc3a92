// A file's physical lines read in place: offsets into the file's text, one line after another,
// so that a line costs one string (its comment-stripped, trimmed text) instead of three
// (a split piece, its comment-stripped copy, its trimmed copy). Linear in the file's length.

import { identityColumns } from "./column-map.ts";
import { scanForComment, type LogicalLine } from "./lexer.ts";

export class PhysicalLines {
  /** The current line: 1-based, and its text is text.slice(start, end) (a final "\r" included). */
  line = 0;
  private start = 0;
  private end = -1;
  /** The next '#' and '!' at or after the current line (Infinity: none), so a line is not searched past its end. */
  private nextHash = -1;
  private nextBang = -1;

  constructor(
    readonly file: string,
    private readonly text: string,
  ) {}

  /** Moves to the next line (the first, at the start); false, staying put, after the last. */
  advance(): boolean {
    if (!this.hasNext()) return false;
    this.start = this.end + 1;
    const newline = this.text.indexOf("\n", this.start);
    this.end = newline < 0 ? this.text.length : newline;
    this.line++;
    return true;
  }

  /** As text.split("\n"): a text ending in "\n" has an empty last line. */
  hasNext(): boolean {
    return this.end < this.text.length;
  }

  /** The current line as written. */
  raw(): string {
    return this.text.slice(this.start, this.end);
  }

  /** The current line's length without a final "\r". */
  get length(): number {
    return this.contentEnd() - this.start;
  }

  /** The current line without a final "\r", its comment stripped and trimmed, as the preprocessor's trim(stripComment()) makes it. */
  clean(): LogicalLine {
    const text = this.text;
    const from = this.start;
    let end = this.contentEnd();
    if (this.nextHash < from) this.nextHash = indexOrInfinity(text, "#", from);
    if (this.nextBang < from) this.nextBang = indexOrInfinity(text, "!", from);
    if (this.nextHash < end || this.nextBang < end) end = scanForComment(text, from, end);
    let start = from;
    while (start < end && isTrimmed(text.charCodeAt(start))) start++;
    while (end > start && isTrimmed(text.charCodeAt(end - 1))) end--;
    const line = start === 0 && end === text.length ? text : text.slice(start, end);
    return { file: this.file, line: this.line, text: line, cols: identityColumns(start - from + 1) };
  }

  private contentEnd(): number {
    return this.end > this.start && this.text.charCodeAt(this.end - 1) === 13 /* \r */ ? this.end - 1 : this.end;
  }
}

function indexOrInfinity(text: string, search: string, from: number): number {
  const at = text.indexOf(search, from);
  return at < 0 ? Infinity : at;
}

/** What trim() removes: the lexer's spaces, newline, no-break space and the byte order mark. */
export function isTrimmed(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 11 || c === 12 || c === 10 || c === 160 || c === 0xfeff;
}
