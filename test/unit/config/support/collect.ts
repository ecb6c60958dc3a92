// The config front end's streaming stages collected into arrays, so a test can look at
// one stage's whole output: the parser itself never holds them all at once.
import type { Diagnostics } from "../../../../src/config/diagnostics.ts";
import { forEachToken, type LogicalLine, type Token } from "../../../../src/config/lexer.ts";
import { DEFAULT_CONFIG_LIMITS } from "../../../../src/config/limits.ts";
import { preprocessInto, type PreprocessOptions } from "../../../../src/config/preprocessor.ts";
import { StatementBuilder, type Statement } from "../../../../src/config/statement-tree.ts";

/** One line's tokens; comments end the line unless `comments: false` (the preprocessor has removed them). */
export function tokenizeLine(line: LogicalLine, diag: Diagnostics, options: { comments?: boolean } = {}): Token[] {
  const tokens: Token[] = [];
  forEachToken(line, diag, options.comments ?? true, (token) => tokens.push(token));
  return tokens;
}

/** Every line the preprocessor makes from the entry file and its includes. */
export function preprocess(entryPath: string, options: PreprocessOptions, diag: Diagnostics): LogicalLine[] {
  const lines: LogicalLine[] = [];
  preprocessInto(entryPath, options, diag, (line) => lines.push(line));
  return lines;
}

/** The statement tree of a list of lines. */
export function buildStatements(lines: Iterable<LogicalLine>, diag: Diagnostics, maxDepth = DEFAULT_CONFIG_LIMITS.blockDepth): Statement[] {
  const builder = new StatementBuilder(diag, maxDepth);
  for (const line of lines) builder.add(line);
  return builder.finish();
}
