// Preprocessor: include (with globs), @config-id conditionals, $NAME definitions and
// substitution, ~SEQ; yields logical lines that still know their original file:line:col.

import { posix } from "node:path";
import { PARAMETER_NAME, substitute } from "./definitions.ts";
import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import { globAll, type FilePort } from "./file-port.ts";
import { commentStart, logicalLine, sliceLine, type LogicalLine } from "./lexer.ts";
import { parseSequence } from "./sequence.ts";

export interface PreprocessOptions {
  files: FilePort;
  /** keepalived's `-i` config id; when undefined no `@id` line matches (and every `@^id` line does). */
  configId?: string;
  /** Defaults to MAX_INCLUDE_DEPTH. */
  maxIncludeDepth?: number;
}

export const MAX_INCLUDE_DEPTH = 32;
/** A multi-line definition may expand to lines that expand again; bound the nesting. */
const MAX_EXPANSION_DEPTH = 32;
const INCLUDE_KEYWORDS = new Set(["include", "includer", "includem", "includew", "includeb", "includea"]);

interface FileFrame {
  path: string;
  /** Files currently open, outermost first, for cycle detection. */
  stack: string[];
}

/** Run the preprocessor over the entry file and everything it includes. */
export function preprocess(entryPath: string, options: PreprocessOptions, diag: Diagnostics): LogicalLine[] {
  const definitions = new Map<string, string>();
  const out: LogicalLine[] = [];
  const maxDepth = options.maxIncludeDepth ?? MAX_INCLUDE_DEPTH;

  const readInto = (path: string, stack: string[], includedAt?: SourceLocation): void => {
    const read = options.files.readFile(path);
    if ("error" in read) {
      diag.error(includedAt ?? { file: path, line: 1, col: 1 }, `cannot read configuration file ${path}: ${read.error}`);
      return;
    }
    const frame: FileFrame = { path, stack: [...stack, path] };
    const raw = read.text.split(/\r?\n/);
    for (let i = 0; i < raw.length; i++) {
      let l = trim(stripComment(logicalLine(path, i + 1, raw[i] as string)));
      // Multi-line definition: `$NAME= \` and each following line ending in a backslash.
      if (isDefinitionStart(l.text)) {
        while (l.text.endsWith("\\") && i + 1 < raw.length) {
          const next = trim(stripComment(logicalLine(path, i + 2, raw[++i] as string)));
          const head = trim(sliceLine(l, 0, l.text.length - 1));
          l = { ...head, text: `${head.text}\n${next.text}`, cols: [...head.cols, 0, ...next.cols] };
        }
      }
      processLine(l, frame, 0);
    }
  };

  const processLine = (input: LogicalLine, frame: FileFrame, expansionDepth: number): void => {
    let l = trim(stripComment(input));
    if (l.text === "") return;
    const at = (k = 0): SourceLocation => ({ file: l.file, line: l.line, col: l.cols[k] ?? 1 });

    if (l.text.startsWith("@")) {
      const m = /^@(\^?)([^\s]*)/.exec(l.text) as RegExpExecArray;
      const [, negate, id] = m;
      if (!id) {
        diag.error(at(), "'@' must be followed by a config id, e.g. '@main router_id main'");
        return;
      }
      const matches = id === options.configId;
      if (negate ? matches : !matches) return;
      l = trim(sliceLine(l, m[0].length));
      if (l.text === "") return;
    }

    const seq = parseSequence(l.text);
    if (seq && "error" in seq) {
      diag.error(at(), seq.error);
      return;
    }
    if (seq) {
      const rest = sliceLine(l, seq.restStart);
      for (const value of seq.values) {
        definitions.set(seq.variable, value);
        processLine(rest, frame, expansionDepth);
      }
      return;
    }

    const def = /^\$([^=\s]*)=/.exec(l.text);
    if (def) {
      const name = def[1] as string;
      if (PARAMETER_NAME.exec(name)?.[0] !== name) diag.error(at(1), `'${name}' is not a valid parameter name (letters, digits and _, not starting with a digit)`);
      else definitions.set(name, l.text.slice(def[0].length).trim());
      return;
    }

    const lookup = (name: string): string | undefined => {
      if (name === "_PWD") return posix.dirname(frame.path);
      if (name === "_INSTANCE") return options.configId;
      if (name === "_HASH") return "#";
      if (name === "_BANG") return "!";
      return definitions.get(name);
    };
    const sub = substitute(l, lookup);
    if (sub.runaway) {
      diag.error(at(), "parameter substitution does not terminate (a definition refers to itself)");
      return;
    }
    if (sub.changed && needsReprocessing(sub.line.text)) {
      if (expansionDepth >= MAX_EXPANSION_DEPTH) {
        diag.error(at(), `parameter expansion nested deeper than ${MAX_EXPANSION_DEPTH} levels`);
        return;
      }
      for (const part of splitLines(sub.line)) processLine(part, frame, expansionDepth + 1);
      return;
    }
    l = sub.line;

    // The include argument is read raw: `{a,b}` there is a brace expansion, not a block.
    const inc = /^(\S+)(\s*)(.*)$/.exec(l.text);
    if (inc && INCLUDE_KEYWORDS.has(inc[1] as string)) {
      const keyword = inc[1] as string;
      const argStart = keyword.length + (inc[2] as string).length;
      const raw = inc[3] as string;
      if (raw === "") diag.error(at(), `${keyword} needs a file name or pattern`);
      else include(keyword, unquote(raw), at(argStart), frame);
      return;
    }
    out.push(l);
  };

  const include = (keyword: string, pattern: string, at: SourceLocation, frame: FileFrame): void => {
    // keepalived resolves relative names against the directory of the including file.
    const absolute = posix.isAbsolute(pattern) ? posix.normalize(pattern) : posix.join(posix.dirname(frame.path), pattern);
    const { paths, wildcard } = globAll(options.files, absolute);
    const existing = wildcard ? paths : paths.filter((p) => !("error" in options.files.readFile(p)));
    if (existing.length === 0) {
      // Plain `include` tolerates a missing file (keepalived keeps it for backward compatibility).
      const message = `${keyword} ${pattern}: no file matches ${absolute}`;
      if (keyword === "include" || keyword === "includer") diag.warn(at, message);
      else diag.error(at, message);
      return;
    }
    for (const path of existing) {
      if (frame.stack.includes(path)) {
        diag.error(at, `include cycle: ${[...frame.stack, path].join(" -> ")}`);
        continue;
      }
      if (frame.stack.length >= maxDepth) {
        diag.error(at, `includes nested deeper than ${maxDepth} files; stopping at ${path}`);
        continue;
      }
      readInto(path, frame.stack, at);
    }
  };

  readInto(entryPath, []);
  return out;
}

function unquote(text: string): string {
  const m = /^(["'])(.*)\1$/.exec(text);
  return m ? (m[2] as string) : text;
}

function isDefinitionStart(text: string): boolean {
  return /^(@\^?\S+\s+)?\$[^=\s]*=/.test(text);
}

/** A substituted line is processed again if it became several lines, a conditional or a definition. */
function needsReprocessing(text: string): boolean {
  return text.includes("\n") || text.startsWith("@") || /^\s*\$[^=\s]*=/.test(text) || /^\s*~SEQ/.test(text);
}

function splitLines(l: LogicalLine): LogicalLine[] {
  const parts: LogicalLine[] = [];
  let start = 0;
  for (let i = 0; i <= l.text.length; i++) {
    if (i === l.text.length || l.text[i] === "\n") {
      parts.push(sliceLine(l, start, i));
      start = i + 1;
    }
  }
  // A character from an expansion carries the column of the `$`; that is where we point.
  return parts.map((p) => ({ ...p, cols: p.cols.map((c) => c || (l.cols.find((x) => x > 0) ?? 1)) }));
}

function stripComment(l: LogicalLine): LogicalLine {
  return sliceLine(l, 0, commentStart(l.text));
}

function trim(l: LogicalLine): LogicalLine {
  const start = l.text.length - l.text.trimStart().length;
  const end = l.text.trimEnd().length;
  return start >= end ? sliceLine(l, 0, 0) : sliceLine(l, start, end);
}
