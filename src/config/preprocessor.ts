// Preprocessor: include (with globs), @config-id conditionals, $NAME definitions and
// substitution, ~SEQ; yields logical lines that still know their original file:line:col.
// Every way a file can grow here is bounded by ConfigLimits (limits.ts): what is read,
// how deep includes and expansions go, how long a line may become, and the total work.

import { posix } from "node:path";
import { ColumnMapBuilder } from "./column-map.ts";
import { PARAMETER_NAME, substitute } from "./definitions.ts";
import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import { globAll, type FilePort, type ReadResult } from "./file-port.ts";
import { commentStart, locationAt, logicalLine, sliceLine, type LogicalLine } from "./lexer.ts";
import { DEFAULT_CONFIG_LIMITS, formatBytes, type ConfigLimits } from "./limits.ts";
import { isTrimmed, PhysicalLines } from "./physical-lines.ts";
import { parseSequence } from "./sequence.ts";

export interface PreprocessOptions {
  files: FilePort;
  /** keepalived's `-i` config id; when undefined no `@id` line matches (and every `@^id` line does). */
  configId?: string;
  /** Defaults to limits.includeDepth. */
  maxIncludeDepth?: number;
  limits?: ConfigLimits;
}

const INCLUDE_KEYWORDS = new Set(["include", "includer", "includem", "includew", "includeb", "includea"]);

interface FileFrame {
  path: string;
  /** Files currently open, outermost first, for cycle detection. */
  stack: string[];
  /** Parameter values as seen from this file (`_PWD` is its directory). */
  lookup: (name: string) => string | undefined;
}

/** Thrown inside the preprocessor when a whole-parse limit is hit; caught in preprocessInto(). */
class LimitReached extends Error {}

/**
 * Run the preprocessor over the entry file and everything it includes, handing each line
 * to `emit` as it is made: the parser builds statements from them at once, so a large
 * file's lines are never all held at the same time.
 */
export function preprocessInto(entryPath: string, options: PreprocessOptions, diag: Diagnostics, emit: (line: LogicalLine) => void): void {
  const limits = options.limits ?? DEFAULT_CONFIG_LIMITS;
  const definitions = new Map<string, string>();
  const maxDepth = options.maxIncludeDepth ?? limits.includeDepth;
  let bytesRead = 0;
  let filesRead = 0;
  let work = 0;
  const substituteLimits = { passes: limits.substitutionPasses, lineChars: limits.lineChars };

  /** A limit that ends the whole parse: report it once, where it was hit, and stop. */
  const stop = (at: SourceLocation, message: string): never => {
    diag.error(at, message);
    throw new LimitReached(message);
  };

  /** Charge `chars` of work done at `l`; past the budget the parse ends. */
  const charge = (l: LogicalLine, chars = l.text.length + 1): void => {
    work += chars;
    const budget = Math.floor(limits.expansionFloorChars + limits.expansionFactor * bytesRead);
    if (work > budget) {
      stop(
        locationAt(l, 0),
        `the configuration expands to more than ${budget} characters of lines (${formatBytes(limits.expansionFloorChars)} plus ${limits.expansionFactor} x the ${bytesRead} bytes read): parameter substitution, multi-line definitions or ~SEQ repeat too much; nothing after this point was read`,
      );
    }
  };

  /** Read a file within the per-file and the total limits; the total one ends the parse. */
  const readFile = (path: string, where: SourceLocation): ReadResult => {
    if (++filesRead > limits.includedFiles) stop(where, `more than ${limits.includedFiles} files read (includes, repeats counted); stopping at ${path}`);
    const room = Math.max(0, Math.min(limits.fileBytes, limits.totalBytes - bytesRead));
    const read = options.files.readFile(path, room);
    if ("error" in read && read.tooLarge && room < limits.fileBytes)
      stop(where, `the files read add up to more than ${formatBytes(limits.totalBytes)}; stopping at ${path}`);
    return read;
  };

  const readInto = (path: string, stack: string[], includedAt?: SourceLocation, alreadyRead?: ReadResult): void => {
    const where = includedAt ?? { file: path, line: 1, col: 1 };
    const read = alreadyRead ?? readFile(path, where);
    if ("error" in read) {
      diag.error(where, `cannot read configuration file ${path}: ${read.error}`);
      return;
    }
    bytesRead += read.text.length;
    const nul = read.text.indexOf("\u0000");
    if (nul >= 0) {
      const line = countLines(read.text, nul);
      diag.error(
        { file: path, line, col: nul - read.text.lastIndexOf("\n", nul) },
        `${path} holds a NUL byte: it is not a text file (UTF-16 or binary?); the file is skipped`,
      );
      return;
    }
    const directory = posix.dirname(path);
    const lookup = (name: string): string | undefined => {
      if (name === "_PWD") return directory;
      if (name === "_INSTANCE") return options.configId;
      if (name === "_HASH") return "#";
      if (name === "_BANG") return "!";
      return definitions.get(name);
    };
    const frame: FileFrame = { path, stack: [...stack, path], lookup };
    const lines = new PhysicalLines(path, read.text);
    while (lines.advance()) {
      let l = physicalLine(lines);
      if (!l) continue;
      // A physical line is already stripped and trimmed: doing it again would change nothing.
      if (!isDefinitionStart(l.text)) {
        charge(l);
        if (isPlainLine(l.text)) emit(l);
        else processCleanLine(l, frame, 0);
        continue;
      }
      // Multi-line definition: `$NAME= \` and each following line ending in a backslash.
      while (l.text.endsWith("\\") && lines.advance()) {
        const next = physicalLine(lines) ?? logicalLine(path, lines.line, "");
        const head = trim(sliceLine(l, 0, l.text.length - 1));
        if (head.text.length + 1 + next.text.length > limits.lineChars) {
          diag.error(locationAt(next, 0), `a multi-line definition longer than ${formatBytes(limits.lineChars)}; the definition is dropped`);
          while (lines.raw().trimEnd().endsWith("\\") && lines.advance());
          l = logicalLine(path, lines.line, "");
          break;
        }
        const cols = new ColumnMapBuilder();
        cols.copy(head.cols, 0, head.text.length);
        cols.fixed(0, 1);
        cols.copy(next.cols, 0, next.text.length);
        l = { ...head, text: `${head.text}\n${next.text}`, cols: cols.build() };
      }
      processLine(l, frame, 0);
    }
  };

  /** The current line, comment stripped and trimmed; undefined (and an error) when over the length limit. */
  const physicalLine = (lines: PhysicalLines): LogicalLine | undefined => {
    const length = lines.length;
    if (length > limits.lineChars) {
      diag.error(
        { file: lines.file, line: lines.line, col: limits.lineChars + 1 },
        `line longer than ${formatBytes(limits.lineChars)} (${length} characters); the line is skipped`,
      );
      return undefined;
    }
    return lines.clean();
  };

  const processLine = (input: LogicalLine, frame: FileFrame, expansionDepth: number): void => {
    charge(input);
    processCleanLine(trim(stripComment(input)), frame, expansionDepth);
  };

  /** processLine after its charge, for a line with no comment and nothing to trim. */
  const processCleanLine = (clean: LogicalLine, frame: FileFrame, expansionDepth: number): void => {
    let l = clean;
    if (l.text === "") return;

    if (l.text.charCodeAt(0) === 64 /* @ */) {
      const m = /^@(\^?)([^\s]*)/.exec(l.text) as RegExpExecArray;
      const [, negate, id] = m;
      if (!id) {
        diag.error(locationAt(l, 0), "'@' must be followed by a config id, e.g. '@main router_id main'");
        return;
      }
      const matches = id === options.configId;
      if (negate ? matches : !matches) return;
      l = trim(sliceLine(l, m[0].length));
      if (l.text === "") return;
    }

    if (l.text.startsWith("~SEQ")) {
      const seq = parseSequence(l.text, limits.sequenceValues);
      if (!seq || "error" in seq) {
        diag.error(locationAt(l, 0), seq?.error ?? "malformed ~SEQ");
        return;
      }
      const rest = sliceLine(l, seq.restStart);
      for (const value of seq.values) {
        definitions.set(seq.variable, value);
        processLine(rest, frame, expansionDepth);
      }
      return;
    }

    if (l.text.charCodeAt(0) === 36 /* $ */) {
      const def = /^\$([^=\s]*)=/.exec(l.text);
      if (def) {
        const name = def[1] as string;
        if (PARAMETER_NAME.exec(name)?.[0] !== name)
          diag.error(locationAt(l, 1), `'${name}' is not a valid parameter name (letters, digits and _, not starting with a digit)`);
        else definitions.set(name, l.text.slice(def[0].length).trim());
        return;
      }
    }

    const sub = substitute(l, frame.lookup, substituteLimits);
    charge(l, sub.work);
    if (sub.kind === "runaway") {
      diag.error(
        locationAt(l, 0),
        `parameter substitution does not terminate after ${limits.substitutionPasses} rounds (a definition refers to itself); the line is skipped`,
      );
      return;
    }
    if (sub.kind === "too-long") {
      diag.error(
        locationAt(l, 0),
        `parameter substitution makes this line longer than ${formatBytes(limits.lineChars)} (a definition that refers to itself?); the line is skipped`,
      );
      return;
    }
    if (sub.kind === "changed") {
      if (needsReprocessing(sub.line.text)) {
        if (expansionDepth >= limits.expansionDepth) {
          diag.error(locationAt(l, 0), `parameter expansion nested deeper than ${limits.expansionDepth} levels`);
          return;
        }
        for (const part of splitLines(sub.line)) processLine(part, frame, expansionDepth + 1);
        return;
      }
      l = sub.line;
    }

    // The include argument is read raw: `{a,b}` there is a brace expansion, not a block.
    if (l.text.charCodeAt(0) === 105 /* i */) {
      const inc = /^(\S+)(\s*)/.exec(l.text) as RegExpExecArray;
      const keyword = inc[1] as string;
      if (INCLUDE_KEYWORDS.has(keyword)) {
        const argStart = inc[0].length;
        const raw = l.text.slice(argStart);
        if (raw === "") diag.error(locationAt(l, 0), `${keyword} needs a file name or pattern`);
        else include(keyword, unquote(raw), locationAt(l, argStart), frame);
        return;
      }
    }
    emit(l);
  };

  const include = (keyword: string, pattern: string, at: SourceLocation, frame: FileFrame): void => {
    // keepalived resolves relative names against the directory of the including file.
    const absolute = posix.isAbsolute(pattern) ? posix.normalize(pattern) : posix.join(posix.dirname(frame.path), pattern);
    const globbed = globAll(options.files, absolute, limits);
    if ("error" in globbed) {
      diag.error(at, `${keyword} ${pattern}: ${globbed.error}`);
      return;
    }
    const { paths, wildcard } = globbed;
    // A plain name is read once here: missing is "no file matches", other failures are reported by readInto.
    const single = wildcard || paths.length !== 1 || frame.stack.includes(paths[0] as string) ? undefined : readFile(paths[0] as string, at);
    const existing = single && "error" in single && single.missing ? [] : paths;
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
      readInto(path, frame.stack, at, single);
    }
  };

  try {
    readInto(entryPath, []);
  } catch (error) {
    if (!(error instanceof LimitReached)) throw error;
  }
}

function countLines(text: string, end: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < end; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

function unquote(text: string): string {
  const m = /^(["'])(.*)\1$/.exec(text);
  return m ? (m[2] as string) : text;
}

function isDefinitionStart(text: string): boolean {
  return (text.charCodeAt(0) === 36 || text.charCodeAt(0) === 64) && /^(@\^?\S+\s+)?\$[^=\s]*=/.test(text);
}

/** A line processCleanLine() would emit as it is: no conditional, ~SEQ, definition, parameter or include. */
function isPlainLine(text: string): boolean {
  if (text === "") return false;
  const first = text.charCodeAt(0);
  // Any line starting with 'i' may be an include, and with '~' a ~SEQ: those take the long way.
  return first !== 64 /* @ */ && first !== 126 /* ~ */ && first !== 36 /* $ */ && first !== 105 /* i */ && text.indexOf("$") < 0;
}

/** A substituted line is processed again if it became several lines, a conditional or a definition. */
function needsReprocessing(text: string): boolean {
  return text.includes("\n") || text.startsWith("@") || /^\s*\$[^=\s]*=/.test(text) || /^\s*~SEQ/.test(text);
}

function splitLines(l: LogicalLine): LogicalLine[] {
  const parts: LogicalLine[] = [];
  let start = 0;
  for (let i = l.text.indexOf("\n"); ; i = l.text.indexOf("\n", start)) {
    const end = i < 0 ? l.text.length : i;
    parts.push(sliceLine(l, start, end));
    if (i < 0) break;
    start = i + 1;
  }
  return parts;
}

function stripComment(l: LogicalLine): LogicalLine {
  return sliceLine(l, 0, commentStart(l.text));
}

function trim(l: LogicalLine): LogicalLine {
  const text = l.text;
  let start = 0;
  let end = text.length;
  while (start < end && isTrimmed(text.charCodeAt(start))) start++;
  while (end > start && isTrimmed(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? l : sliceLine(l, start, end);
}
