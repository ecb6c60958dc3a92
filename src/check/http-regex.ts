// An HTTP_GET url's `regex`, as keepalived 2.2.7 applies it (check_http.c check_regex, with
// PCRE2): the body must match (or, with regex_no_match, must not), the match starting at or
// after regex_min_offset and at or before regex_max_offset. keepalived's PCRE2 options map to
// JavaScript's flags where one exists; an option that would change what matches and has no
// flag here is refused rather than silently dropped. Offsets count UTF-16 units, which are
// bytes for the ASCII pages health checks read. Pure.

/** PCRE2 options with a JavaScript flag. */
const FLAGS: Readonly<Record<string, string>> = { caseless: "i", multiline: "m", dotall: "s", utf: "u", ucp: "u" };

/** PCRE2 options that change nothing a check can see (optimisations, captures, defaults). */
const NO_EFFECT = new Set([
  "no_auto_capture",
  "no_auto_possess",
  "no_start_optimize",
  "no_dotstar_anchor",
  "auto_callout",
  "use_offset_limit",
  "never_ucp",
  "never_utf",
  "never_backslash_c",
  "dupnames",
  // JavaScript's $ without the m flag already matches only at the very end.
  "dollar_endonly",
]);

/** The flags for keepalived's option names, or why one cannot be honoured. */
export function regexFlags(options: readonly string[]): { ok: true; flags: string } | { ok: false; problem: string } {
  let flags = "";
  for (const option of options) {
    const flag = FLAGS[option];
    if (flag !== undefined) {
      if (!flags.includes(flag)) flags += flag;
      continue;
    }
    if (NO_EFFECT.has(option)) continue;
    return { ok: false, problem: `regex_options ${option} has no equivalent in this regex engine` };
  }
  return { ok: true, flags };
}

export interface RegexExpectation {
  /** Compiled with the "g" flag (its lastIndex is where the search starts). */
  regex: RegExp;
  noMatch?: boolean;
  minOffset?: number;
  maxOffset?: number;
}

/** Whether the body passes, and why not. */
export function regexVerdict(expectation: RegexExpectation, body: string): { ok: true; detail: string } | { ok: false; reason: string } {
  const { regex, noMatch, minOffset, maxOffset } = expectation;
  regex.lastIndex = minOffset ?? 0;
  const found = regex.exec(body);
  regex.lastIndex = 0;
  const at = found && (maxOffset === undefined || found.index <= maxOffset) ? found.index : undefined;
  const window = minOffset !== undefined || maxOffset !== undefined ? ` between offsets ${minOffset ?? 0} and ${maxOffset ?? "the end"}` : "";
  if (noMatch) {
    return at === undefined
      ? { ok: true, detail: `regex did not match${window} (regex_no_match)` }
      : { ok: false, reason: `regex ${regex.source} matched at offset ${at}; regex_no_match` };
  }
  return at === undefined ? { ok: false, reason: `regex ${regex.source} did not match${window}` } : { ok: true, detail: "regex matched" };
}
