// Builds the keyword tree: one Statement per keyword line, with the statements of its `{ }` block.
// Nesting is bounded (limits.ts blockDepth): what is deeper is skipped with one error, so
// later stages never recurse further than that.

import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import { lexLine, locationAt, tokenAt, type LogicalLine, type Token, type TokenSink } from "./lexer.ts";
import { DEFAULT_CONFIG_LIMITS } from "./limits.ts";

export interface Statement {
  /** The first word of the line: a keyword, or a value inside a value block (an address, a name). */
  keyword: Token;
  args: Token[];
  /** Present when the statement opens a `{ }` block. */
  children?: Statement[];
  open?: Token;
}

/** Statements without arguments share this (never written: the builder swaps in a fresh array for the first argument). */
const NO_ARGS: Token[] = [];

/**
 * Builds the tree line by line, so the preprocessor can hand lines over as it makes them.
 * A statement ends at the end of its line, at `{` (which opens its block) or at `}`.
 * So `virtual_ipaddress { 10.0.0.1 }` on one line and `10.0.0.2 }` both work, as in keepalived.
 * Tokens are made for what the tree keeps (words, and the `{` of a block); a `}` is only a position.
 */
export class StatementBuilder implements TokenSink {
  private readonly root: Statement[] = [];
  /** The open blocks, outermost first: their statements and the statement owning each (undefined: the root, or a `{` without one). */
  private readonly blocks: Statement[][] = [this.root];
  private readonly owners: (Statement | undefined)[] = [undefined];
  private top: Statement[] = this.root;
  /** Braces opened beyond maxDepth: counted, not built, until they close again. */
  private skippedDepth = 0;
  private skippedAt: SourceLocation | undefined;
  private current: Statement | undefined;
  private line: LogicalLine | undefined;

  constructor(
    private readonly diag: Diagnostics,
    private readonly maxDepth = DEFAULT_CONFIG_LIMITS.blockDepth,
  ) {}

  add(line: LogicalLine): void {
    this.current = undefined;
    this.line = line;
    lexLine(line, this.diag, false, this);
  }

  finish(): Statement[] {
    if (this.skippedDepth > 0 && this.skippedAt) this.diag.error(this.skippedAt, "this too deeply nested block is never closed with '}'");
    for (let k = this.owners.length - 1; k >= 1; k--) {
      const owner = this.owners[k];
      const where: SourceLocation | undefined = owner?.open;
      if (where) this.diag.error(where, `'{' of '${owner?.keyword.text}' is never closed with '}'`);
    }
    return this.root;
  }

  /** TokenSink: a word of the current line. */
  word(text: string, quoted: boolean, index: number): void {
    if (this.skippedDepth > 0) return;
    const token = tokenAt(this.line as LogicalLine, "word", text, quoted, index);
    const current = this.current;
    if (!current) {
      this.current = { keyword: token, args: NO_ARGS };
      this.top.push(this.current);
    } else if (current.args === NO_ARGS) current.args = [token];
    else current.args.push(token);
  }

  /** TokenSink: a `{` or `}` of the current line. */
  brace(open: boolean, index: number): void {
    const line = this.line as LogicalLine;
    if (this.skippedDepth > 0) {
      this.skippedDepth += open ? 1 : -1;
      return;
    }
    if (open) {
      const owner = this.current ?? lastWithoutBlock(this.top);
      this.current = undefined;
      if (this.blocks.length > this.maxDepth) {
        this.diag.error(locationAt(line, index), `blocks nested deeper than ${this.maxDepth} levels; this block and everything in it are skipped`);
        this.skippedDepth = 1;
        this.skippedAt = locationAt(line, index);
        return;
      }
      // `keyword` on one line and `{` alone on the next is accepted by keepalived too.
      if (!owner || owner.children) {
        this.diag.error(locationAt(line, index), "'{' must follow a keyword, e.g. 'virtual_ipaddress {'");
        this.top = [];
        this.owners.push(undefined);
      } else {
        owner.children = [];
        owner.open = tokenAt(line, "open", "{", false, index);
        this.top = owner.children;
        this.owners.push(owner);
      }
      this.blocks.push(this.top);
      return;
    }
    this.current = undefined;
    if (this.blocks.length === 1) this.diag.error(locationAt(line, index), "'}' without a matching '{'");
    else {
      this.blocks.pop();
      this.owners.pop();
      this.top = this.blocks[this.blocks.length - 1] as Statement[];
    }
  }
}

function lastWithoutBlock(statements: Statement[]): Statement | undefined {
  const last = statements[statements.length - 1];
  return last && !last.children ? last : undefined;
}
