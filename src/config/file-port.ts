// The file-system port the parser reads through, and an in-memory implementation for tests.

import { expandBraces, hasWildcard, matchPath } from "./glob-pattern.ts";

export type ReadResult = { text: string } | { error: string };

export interface FilePort {
  /** Read a whole file; never throws: failures come back as `{ error }`. */
  readFile(path: string): ReadResult;
  /** Absolute paths of existing files matching an absolute glob pattern (braces expanded by the caller), sorted. */
  glob(pattern: string): string[];
}

/** A FilePort over a path -> contents record; paths are absolute. */
export function memoryFiles(files: Record<string, string>): FilePort {
  return {
    readFile: (path) => (path in files ? { text: files[path] as string } : { error: "No such file or directory" }),
    glob: (pattern) => Object.keys(files).filter((p) => matchPath(pattern, p)).sort(),
  };
}

/** Expand braces, then glob each alternative; a pattern without wildcards is returned as is. */
export function globAll(port: FilePort, pattern: string): { paths: string[]; wildcard: boolean } {
  const alternatives = expandBraces(pattern);
  const wildcard = alternatives.length > 1 || alternatives.some((a) => a.split("/").some(hasWildcard));
  const paths: string[] = [];
  for (const alt of alternatives) {
    const found = alt.split("/").some(hasWildcard) ? port.glob(alt) : [alt];
    for (const p of found) if (!paths.includes(p)) paths.push(p);
  }
  return { paths, wildcard };
}
