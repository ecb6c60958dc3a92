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

/** Statements without arguments share this (never written: only buildStatements adds arguments). */
const NO_ARGS: Token[] = [];

/**
 * A statement ends at the end of its line, at `{` (which opens its block) or at `}`.
 * So `virtual_ipaddress { 10.0.0.1 }` on one line and `10.0.0.2 }` both work, as in keepalived.
 */
export function buildStatements(lines: LogicalLine[], diag: Diagnostics, maxDepth = DEFAULT_CONFIG_LIMITS.blockDepth): Statement[] {
  const root: Frame = { statements: [] };
  const stack: Frame[] = [root];
  let top = root;
  // Braces opened beyond maxDepth: counted, not built, until they close again.
  let skippedDepth = 0;
  let skippedAt: SourceLocation | undefined;
  let current: Statement | undefined;

  const visit = (token: Token): void => {
    if (skippedDepth > 0) {
      if (token.kind === "open") skippedDepth++;
      else if (token.kind === "close") skippedDepth--;
      return;
    }
    if (token.kind === "word") {
      if (!current) {
        current = { keyword: token, args: NO_ARGS };
        top.statements.push(current);
      } else if (current.args === NO_ARGS) current.args = [token];
      else current.args.push(token);
      return;
    }
    if (token.kind === "open") {
      const owner = current ?? lastWithoutBlock(top);
      current = undefined;
      if (stack.length > maxDepth) {
        diag.error(token, `blocks nested deeper than ${maxDepth} levels; this block and everything in it are skipped`);
        skippedDepth = 1;
        skippedAt = token;
        return;
      }
      // `keyword` on one line and `{` alone on the next is accepted by keepalived too.
      if (!owner || owner.children) {
        diag.error(token, "'{' must follow a keyword, e.g. 'virtual_ipaddress {'");
        top = { statements: [] };
      } else {
        owner.children = [];
        owner.open = token;
        top = { statements: owner.children, owner };
      }
      stack.push(top);
      return;
    }
    current = undefined;
    if (stack.length === 1) diag.error(token, "'}' without a matching '{'");
    else {
      stack.pop();
      top = stack[stack.length - 1] as Frame;
    }
  };

  for (const line of lines) {
    current = undefined;
    forEachToken(line, diag, false, visit);
  }
  if (skippedDepth > 0 && skippedAt) diag.error(skippedAt, "this too deeply nested block is never closed with '}'");
  for (const frame of stack.slice(1).reverse()) {
    const where: SourceLocation | undefined = frame.owner?.open;
    if (where) diag.error(where, `'{' of '${frame.owner?.keyword.text}' is never closed with '}'`);
  }
  return root.statements;
}

function lastWithoutBlock(frame: Frame): Statement | undefined {
  const last = frame.statements[frame.statements.length - 1];
  return last && !last.children ? last : undefined;
}
