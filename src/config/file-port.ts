// The file-system port the parser reads through, and an in-memory implementation for tests.

import { expandBraces, hasWildcard, matchPath } from "./glob-pattern.ts";

/** `missing`: no such file; `tooLarge`: over the caller's byte limit. */
export type ReadResult = { text: string } | { error: string; missing?: boolean; tooLarge?: boolean };

/** `examined`: directory entries looked at, counted against the caller's budget. */
export type GlobResult = { paths: string[]; examined: number } | { error: string };

export interface FilePort {
  /** Read a whole regular file of at most maxBytes; never throws: failures come back as `{ error }`. */
  readFile(path: string, maxBytes: number): ReadResult;
  /**
   * Absolute paths of existing files matching an absolute glob pattern (braces expanded by
   * the caller), sorted; an error when more than maxEntries directory entries would be examined.
   */
  glob(pattern: string, maxEntries: number): GlobResult;
}

/** A FilePort over a path -> contents record; paths are absolute. */
export function memoryFiles(files: Record<string, string>): FilePort {
  const paths = Object.keys(files);
  return {
    readFile(path, maxBytes) {
      if (!Object.hasOwn(files, path)) return { error: "No such file or directory", missing: true };
      const text = files[path] as string;
      return Buffer.byteLength(text) > maxBytes ? { error: `larger than ${maxBytes} bytes`, tooLarge: true } : { text };
    },
    glob(pattern, maxEntries) {
      if (paths.length > maxEntries) return { error: `more than ${maxEntries} files to examine` };
      return { paths: paths.filter((p) => matchPath(pattern, p)).sort(), examined: paths.length };
    },
  };
}

export interface GlobLimits {
  braceAlternatives: number;
  globEntries: number;
}

/** Expand braces, then glob each alternative; a pattern without wildcards is returned as is. */
export function globAll(port: FilePort, pattern: string, limits: GlobLimits): { paths: string[]; wildcard: boolean } | { error: string } {
  const alternatives = expandBraces(pattern, limits.braceAlternatives);
  if (!alternatives) return { error: `the pattern expands to more than ${limits.braceAlternatives} alternatives` };
  const wildcard = alternatives.length > 1 || alternatives.some((a) => a.split("/").some(hasWildcard));
  const paths: string[] = [];
  const seen = new Set<string>();
  // One budget for the whole pattern, however many alternatives its braces give.
  let entriesLeft = limits.globEntries;
  for (const alt of alternatives) {
    let found = [alt];
    if (alt.split("/").some(hasWildcard)) {
      const result = port.glob(alt, entriesLeft);
      if ("error" in result) return { error: `${result.error} (the limit is ${limits.globEntries} directory entries per include)` };
      entriesLeft -= result.examined;
      found = result.paths;
    }
    for (const p of found) {
      if (seen.has(p)) continue;
      seen.add(p);
      paths.push(p);
    }
  }
  return { paths, wildcard };
}
