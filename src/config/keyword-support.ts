// The machine-readable keyword support table, derived from the keyword tables themselves,
// and its markdown renderings. Regenerate docs/config-keywords.md with
//   node_modules/.bin/bun src/config/keyword-support.ts > docs/config-keywords.md
// and the README's table with `--summary` (tests fail while either is stale).

import { TANDEM_GLOBAL_EXTENSIONS } from "./global-defs.ts";
import type { Keyword, KeywordBlock, KeywordStatus } from "./keyword-table.ts";
import { topLevelBlock } from "./top-level.ts";

export interface KeywordSupport {
  keyword: string;
  /** Path of enclosing blocks, e.g. "virtual_server > real_server > HTTP_GET". */
  block: string;
  status: KeywordStatus;
  note?: string;
}

/** Keywords that are ours, not keepalived's. */
const TANDEM_EXTENSIONS = new Set([
  ...TANDEM_GLOBAL_EXTENSIONS,
  "fast_preempt",
  "no_fast_preempt",
  "require_answer",
  "tls_verify",
  "tls_expiry_warn",
  "slowstart",
]);
/** tandem's in a checker block, keepalived's elsewhere (vrrp_script has its own rise and fall). */
const TANDEM_CHECKER_EXTENSIONS = new Set(["rise", "fall", "delay_jitter"]);
const CHECKER_BLOCK = /(HTTP_GET|SSL_GET|TCP_CHECK|SMTP_CHECK|DNS_CHECK|UDP_CHECK|PING_CHECK)$/;

function isTandemExtension(block: string, name: string): boolean {
  return TANDEM_EXTENSIONS.has(name) || (TANDEM_CHECKER_EXTENSIONS.has(name) && CHECKER_BLOCK.test(block));
}

/** One keyword of the tables with the chain of block keywords that encloses it (outermost first). */
export interface KeywordPlace {
  /** As in KeywordSupport: "top", or "virtual_server > real_server > HTTP_GET". */
  block: string;
  keyword: Keyword<never>;
  parents: Keyword<never>[];
}

/** Every (block, keyword) of the tables once, depth first in table order (the order the docs list them). */
export function keywordPlaces(): KeywordPlace[] {
  const out: KeywordPlace[] = [];
  // Recursion follows the static tables (a handful deep), never the input.
  const walk = (table: KeywordBlock<never>, block: string, parents: Keyword<never>[], seen: Set<string>): void => {
    for (const k of table.keywords) {
      const key = `${block}|${k.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ block, keyword: k, parents });
      if (k.block) walk(k.block, block === "top" ? k.name : `${block} > ${k.name}`, [...parents, k], seen);
    }
  };
  walk(topLevelBlock as KeywordBlock<never>, "top", [], new Set());
  return out;
}

export function keywordSupport(): KeywordSupport[] {
  return keywordPlaces().map(({ block, keyword: k }) => {
    const notes = [
      isTandemExtension(block, k.name) ? "tandem extension" : undefined,
      k.deprecatedFor ? `deprecated, use ${k.deprecatedFor}` : undefined,
      k.note,
    ];
    const note = notes.filter(Boolean).join("; ");
    return { keyword: k.name, block, status: k.status, ...(note ? { note } : {}) };
  });
}

const STATUS_TITLE: Record<KeywordStatus, string> = {
  supported: "Supported",
  "parsed-ignored": "Parsed but ignored (a warning is printed)",
  rejected: "Rejected (an error is printed)",
};

export function renderKeywordMarkdown(entries: KeywordSupport[] = keywordSupport()): string {
  const lines = [
    "# keepalived.conf keywords in tandem",
    "",
    "Generated from `src/config/keyword-support.ts`; do not edit by hand.",
    "Keywords not listed are unknown: tandem warns (with file:line:col) and ignores them, as keepalived does.",
    "Values inside value blocks (virtual_ipaddress, track_script, unicast_peer, group, ...) are documented in keepalived.conf(5).",
  ];
  for (const status of ["supported", "parsed-ignored", "rejected"] as KeywordStatus[]) {
    lines.push("", `## ${STATUS_TITLE[status]}`, "", "| block | keyword | note |", "|---|---|---|");
    for (const e of entries.filter((x) => x.status === status)) lines.push(`| ${e.block} | \`${e.keyword}\` | ${e.note ?? ""} |`);
  }
  return lines.join("\n") + "\n";
}

/**
 * One row per block, keywords grouped by status: the README's table (between its
 * "keywords:start" and "keywords:end" markers). docs/config-keywords.md has the notes.
 */
export function renderKeywordSummary(entries: KeywordSupport[] = keywordSupport()): string {
  const blocks = [...new Set(entries.map((e) => e.block))];
  const cell = (block: string, status: KeywordStatus) =>
    entries
      .filter((e) => e.block === block && e.status === status)
      .map((e) => `\`${e.keyword}\``)
      .join(" ");
  const lines = ["| block | supported | parsed, ignored with a warning | rejected with an error |", "|---|---|---|---|"];
  for (const block of blocks) lines.push(`| ${block} | ${cell(block, "supported")} | ${cell(block, "parsed-ignored")} | ${cell(block, "rejected")} |`);
  return lines.join("\n") + "\n";
}

if (import.meta.main) process.stdout.write(process.argv.includes("--summary") ? renderKeywordSummary() : renderKeywordMarkdown());
