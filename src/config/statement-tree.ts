// Builds the keyword tree: one Statement per keyword line, with the statements of its `{ }` block.
// Nesting is bounded (limits.ts blockDepth): what is deeper is skipped with one error, so
// later stages never recurse further than that.

import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import { forEachToken, type LogicalLine, type Token } from "./lexer.ts";
import { DEFAULT_CONFIG_LIMITS } from "./limits.ts";

export interface Statement {
  /** The first word of the line: a keyword, or a value inside a value block (an address, a name). */
  keyword: Token;
  args: Token[];
  /** Present when the statement opens a `{ }` block. */
  children?: Statement[];
  open?: Token;
}

interface Frame {
  statements: Statement[];
  owner?: Statement;
}

/** Statements without arguments share this (never written: the builder swaps in a fresh array for the first argument). */
const NO_ARGS: Token[] = [];

/**
 * Builds the tree line by line, so the preprocessor can hand lines over as it makes them.
 * A statement ends at the end of its line, at `{` (which opens its block) or at `}`.
 * So `virtual_ipaddress { 10.0.0.1 }` on one line and `10.0.0.2 }` both work, as in keepalived.
 */
export class StatementBuilder {
  private readonly root: Frame = { statements: [] };
  private readonly stack: Frame[] = [this.root];
  private top: Frame = this.root;
  /** Braces opened beyond maxDepth: counted, not built, until they close again. */
  private skippedDepth = 0;
  private skippedAt: SourceLocation | undefined;
  private current: Statement | undefined;
  private readonly visit = (token: Token): void => this.token(token);

  constructor(
    private readonly diag: Diagnostics,
    private readonly maxDepth = DEFAULT_CONFIG_LIMITS.blockDepth,
  ) {}

  add(line: LogicalLine): void {
    this.current = undefined;
    forEachToken(line, this.diag, false, this.visit);
  }

  finish(): Statement[] {
    if (this.skippedDepth > 0 && this.skippedAt) this.diag.error(this.skippedAt, "this too deeply nested block is never closed with '}'");
    for (const frame of this.stack.slice(1).reverse()) {
      const where: SourceLocation | undefined = frame.owner?.open;
      if (where) this.diag.error(where, `'{' of '${frame.owner?.keyword.text}' is never closed with '}'`);
    }
    return this.root.statements;
  }

  private token(token: Token): void {
    if (this.skippedDepth > 0) {
      if (token.kind === "open") this.skippedDepth++;
      else if (token.kind === "close") this.skippedDepth--;
      return;
    }
    if (token.kind === "word") {
      const current = this.current;
      if (!current) {
        this.current = { keyword: token, args: NO_ARGS };
        this.top.statements.push(this.current);
      } else if (current.args === NO_ARGS) current.args = [token];
      else current.args.push(token);
      return;
    }
    if (token.kind === "open") {
      const owner = this.current ?? lastWithoutBlock(this.top);
      this.current = undefined;
      if (this.stack.length > this.maxDepth) {
        this.diag.error(token, `blocks nested deeper than ${this.maxDepth} levels; this block and everything in it are skipped`);
        this.skippedDepth = 1;
        this.skippedAt = token;
        return;
      }
      // `keyword` on one line and `{` alone on the next is accepted by keepalived too.
      if (!owner || owner.children) {
        this.diag.error(token, "'{' must follow a keyword, e.g. 'virtual_ipaddress {'");
        this.top = { statements: [] };
      } else {
        owner.children = [];
        owner.open = token;
        this.top = { statements: owner.children, owner };
      }
      this.stack.push(this.top);
      return;
    }
    this.current = undefined;
    if (this.stack.length === 1) this.diag.error(token, "'}' without a matching '{'");
    else {
      this.stack.pop();
      this.top = this.stack[this.stack.length - 1] as Frame;
    }
  }
}

function lastWithoutBlock(frame: Frame): Statement | undefined {
  const last = frame.statements[frame.statements.length - 1];
  return last && !last.children ? last : undefined;
}
