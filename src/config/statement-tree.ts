// Builds the keyword tree: one Statement per keyword line, with the statements of its `{ }` block.

import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import { tokenizeLine, type LogicalLine, type Token } from "./lexer.ts";

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

/**
 * A statement ends at the end of its line, at `{` (which opens its block) or at `}`.
 * So `virtual_ipaddress { 10.0.0.1 }` on one line and `10.0.0.2 }` both work, as in keepalived.
 */
export function buildStatements(lines: LogicalLine[], diag: Diagnostics): Statement[] {
  const root: Frame = { statements: [] };
  const stack: Frame[] = [root];
  const top = (): Frame => stack[stack.length - 1] as Frame;
  for (const line of lines) {
    let current: Statement | undefined;
    for (const token of tokenizeLine(line, diag, { comments: false })) {
      if (token.kind === "word") {
        if (current) current.args.push(token);
        else {
          current = { keyword: token, args: [] };
          top().statements.push(current);
        }
        continue;
      }
      if (token.kind === "open") {
        // `keyword` on one line and `{` alone on the next is accepted by keepalived too.
        const owner = current ?? lastWithoutBlock(top());
        if (!owner || owner.children) {
          diag.error(token, "'{' must follow a keyword, e.g. 'virtual_ipaddress {'");
          stack.push({ statements: [] });
        } else {
          owner.children = [];
          owner.open = token;
          stack.push({ statements: owner.children, owner });
        }
        current = undefined;
        continue;
      }
      current = undefined;
      if (stack.length === 1) diag.error(token, "'}' without a matching '{'");
      else stack.pop();
    }
  }
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
