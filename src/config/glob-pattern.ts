// Pure glob helpers for `include`: csh brace expansion (bounded) and per-segment wildcard
// matching. The matcher is a two-pointer scan, never a RegExp built from the pattern: a
// RegExp of `*a*a*a*a*b` backtracks exponentially, and `[z-a]` would throw.

/** Expand `{a,b}` alternatives (nested allowed), as glob(3) with GLOB_BRACE does; undefined past `max`. */
export function expandBraces(pattern: string, max: number): string[] | undefined {
  const out: string[] = [];
  const expand = (p: string): boolean => {
    const open = findBraceOpen(p);
    if (open < 0) {
      out.push(p);
      return out.length <= max;
    }
    let depth = 0;
    const commas: number[] = [];
    let close = -1;
    for (let i = open; i < p.length; i++) {
      const c = p[i];
      if (c === "\\") i++;
      else if (c === "{") depth++;
      else if (c === "}" && --depth === 0) {
        close = i;
        break;
      } else if (c === "," && depth === 1) commas.push(i);
    }
    // An unbalanced or comma-less brace is literal, like glob(3).
    if (close < 0 || commas.length === 0) {
      out.push(p);
      return out.length <= max;
    }
    const head = p.slice(0, open);
    const tail = p.slice(close + 1);
    const bounds = [open, ...commas, close];
    for (let k = 0; k + 1 < bounds.length; k++) {
      if (!expand(head + p.slice((bounds[k] as number) + 1, bounds[k + 1]) + tail)) return false;
    }
    return true;
  };
  return expand(pattern) ? out : undefined;
}

function findBraceOpen(pattern: string): number {
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === "\\") i++;
    else if (pattern[i] === "{") return i;
  }
  return -1;
}

export function hasWildcard(segment: string): boolean {
  return /[*?[]/.test(segment);
}

/**
 * The length of a `[...]` class starting at p[i] === "[" and whether it matches c; undefined
 * when the bracket is not closed (then it is a literal "[", as in fnmatch(3)).
 */
function bracket(p: string, i: number, c: string): { length: number; matches: boolean } | undefined {
  let j = i + 1;
  const negate = p[j] === "!" || p[j] === "^";
  if (negate) j++;
  let matches = false;
  let first = true;
  while (j < p.length && (first || p[j] !== "]")) {
    first = false;
    let lo = p[j] as string;
    if (lo === "\\" && j + 1 < p.length) lo = p[++j] as string;
    j++;
    if (p[j] === "-" && j + 1 < p.length && p[j + 1] !== "]") {
      let hi = p[j + 1] as string;
      j += 2;
      if (hi === "\\" && j < p.length) hi = p[j++] as string;
      if (lo <= c && c <= hi) matches = true;
    } else if (lo === c) matches = true;
  }
  if (j >= p.length) return undefined;
  return { length: j - i + 1, matches: matches !== negate };
}

/** Does one path segment match one glob segment (`*`, `?`, `[...]`, `\x`)? O(pattern x name). */
export function matchSegment(pattern: string, name: string): boolean {
  // Like the shell, a wildcard does not match a leading dot.
  if (name.startsWith(".") && !pattern.startsWith(".")) return false;
  let p = 0;
  let n = 0;
  let starP = -1;
  let starN = 0;
  while (n < name.length) {
    const pc = pattern[p];
    if (pc === "*") {
      starP = ++p;
      starN = n;
      continue;
    }
    if (p < pattern.length) {
      const c = name[n] as string;
      if (pc === "?") {
        p++;
        n++;
        continue;
      }
      if (pc === "[") {
        const cls = bracket(pattern, p, c);
        if (cls ? cls.matches : c === "[") {
          p += cls ? cls.length : 1;
          n++;
          continue;
        }
      } else {
        const literal = pc === "\\" && p + 1 < pattern.length ? pattern[p + 1] : pc;
        if (literal === c) {
          p += pc === "\\" && p + 1 < pattern.length ? 2 : 1;
          n++;
          continue;
        }
      }
    }
    // Mismatch: let the last `*` swallow one more character, or fail.
    if (starP < 0) return false;
    p = starP;
    n = ++starN;
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}

/** Does `path` match `pattern` (both absolute, braces already expanded)? */
export function matchPath(pattern: string, path: string): boolean {
  const p = pattern.split("/");
  const s = path.split("/");
  if (p.length !== s.length) return false;
  return p.every((seg, i) => (hasWildcard(seg) ? matchSegment(seg, s[i] as string) : seg === s[i]));
}
