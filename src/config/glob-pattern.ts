// Pure glob helpers for `include`: csh brace expansion and per-segment wildcard matching.

/** Expand `{a,b}` alternatives (nested allowed), as glob(3) with GLOB_BRACE does. */
export function expandBraces(pattern: string): string[] {
  const open = findBraceOpen(pattern);
  if (open < 0) return [pattern];
  let depth = 0;
  const commas: number[] = [];
  let close = -1;
  for (let i = open; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") i++;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) {
      close = i;
      break;
    } else if (c === "," && depth === 1) commas.push(i);
  }
  // An unbalanced or comma-less brace is literal, like glob(3).
  if (close < 0 || commas.length === 0) return [pattern];
  const head = pattern.slice(0, open);
  const tail = pattern.slice(close + 1);
  const bounds = [open, ...commas, close];
  const out: string[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const alt = pattern.slice((bounds[k] as number) + 1, bounds[k + 1]);
    out.push(...expandBraces(head + alt + tail));
  }
  return out;
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

/** A RegExp matching one path segment against a glob segment (`*`, `?`, `[...]`). */
export function segmentRegExp(segment: string): RegExp {
  let re = "^";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = segment.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        let body = segment.slice(i + 1, end);
        if (body.startsWith("!")) body = "^" + body.slice(1);
        re += "[" + body.replace(/\\/g, "\\\\") + "]";
        i = end;
      }
    } else if (c === "\\" && i + 1 < segment.length) {
      re += escapeRegExp(segment[++i] as string);
    } else re += escapeRegExp(c);
  }
  // Like the shell, a wildcard does not match a leading dot.
  if (!segment.startsWith(".")) re = "^(?!\\.)" + re.slice(1);
  return new RegExp(re + "$");
}

function escapeRegExp(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? "\\" + c : c;
}

/** Does `path` match `pattern` (both absolute, braces already expanded)? */
export function matchPath(pattern: string, path: string): boolean {
  const p = pattern.split("/");
  const s = path.split("/");
  if (p.length !== s.length) return false;
  return p.every((seg, i) => (hasWildcard(seg) ? segmentRegExp(seg).test(s[i] as string) : seg === s[i]));
}
