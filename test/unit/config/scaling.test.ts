// Parse time is linear in the input, table driven: every block and keyword of the keyword tables, repeated to
// ~1 MB with unique values, one repeated value and hostile values, parses within a per-MB bound and never throws.

import { afterAll, describe, expect, test } from "bun:test";
import { Diagnostics } from "../../../src/config/diagnostics.ts";
import { memoryFiles, parseConfig } from "../../../src/config/index.ts";
import { buildModel } from "../../../src/config/parse-config.ts";
import { keywordPlaces, type KeywordPlace } from "../../../src/config/keyword-support.ts";
import type { Keyword, KeywordBlock } from "../../../src/config/keyword-table.ts";
import type { Token } from "../../../src/config/lexer.ts";
import type { Statement } from "../../../src/config/statement-tree.ts";
import { buildStatements, preprocess } from "./support/collect.ts";

const PATH = "/etc/keepalived/keepalived.conf";
const KiB = 1024;
const MiB = 1024 * KiB;
/** TANDEM_SCALING_FULL=1 runs every case at 1 MiB (about a minute); the default keeps the file under ~20 s. */
const FULL = process.env.TANDEM_SCALING_FULL === "1";
/** TANDEM_SCALING_VERBOSE=1 prints one row per keyword case, not only the worst of each block. */
const VERBOSE = process.env.TANDEM_SCALING_VERBOSE === "1";
const TOP_BLOCK_BYTES = MiB;
const NESTED_BLOCK_BYTES = FULL ? MiB : 256 * KiB;
const KEYWORD_BYTES = FULL ? MiB : 48 * KiB;
const CROSS_BYTES = MiB;

/**
 * Bounds that catch anything super-linear (a quadratic spot at 1 MiB takes seconds) while a
 * busy CI machine stays well inside them. The product's speed, about 100 ms/MB for the
 * whole parse, is measured by test/bench/config-parse.ts beside keepalived, not here.
 */
const WHOLE_MS_PER_MB = 400;
const SEMANTIC_MS_PER_MB = 150;
/** Fixed cost of one parse, not proportional to size: matters only for the smallest cases. */
const SLACK_MS = 1;

type Variant = "unique" | "same" | "invalid" | "bare";

// ---------------------------------------------------------------- the stage under test, timed alone

/** The semantic stage alone (everything after buildStatements), so it can be timed without the lexer. */
function semanticStage(statements: Statement[], diag: Diagnostics): void {
  buildModel(statements, diag);
}

interface Row {
  group: string;
  name: string;
  mb: number;
  wholeMsPerMb: number;
  semanticMsPerMb: number;
}

const rows: Row[] = [];

/** Best of `attempts` timings of `run`, stopping once one is within `limitMs`; a full GC before each retry. */
function bestOf(attempts: number, limitMs: number, run: () => number): number {
  let best = run();
  for (let attempt = 1; attempt < attempts && best > limitMs; attempt++) {
    Bun.gc(true);
    best = Math.min(best, run());
  }
  return best;
}

function timed(run: () => void): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

/**
 * Times a case. Over a bound it tries again and keeps the best, since a GC pause or another
 * process on this 2-core machine is not the parser's doing. The semantic stage is re-timed on
 * the same statements (it does not change them), so its retries are cheap. Throws if the parser throws.
 */
function measure(group: string, name: string, text: string, viaParseConfig: boolean): Row {
  const mb = text.length / MiB;
  const files = memoryFiles({ [PATH]: text });
  const front = () => {
    const diag = new Diagnostics();
    return buildStatements(preprocess(PATH, { files }, diag), diag);
  };
  let statements: Statement[] = [];
  const frontMs = timed(() => (statements = front()));
  // Right after its own front end, as inside parseConfig.
  const semantic = bestOf(5, SEMANTIC_MS_PER_MB * mb + SLACK_MS, () => timed(() => semanticStage(statements, new Diagnostics())));
  // Without parseConfig, the whole parse is the same functions, timed in two parts.
  const whole = viaParseConfig
    ? bestOf(3, WHOLE_MS_PER_MB * mb + SLACK_MS, () => timed(() => parseConfig(PATH, files)))
    : Math.min(frontMs, frontMs > WHOLE_MS_PER_MB * mb ? timed(front) : Infinity) + semantic;
  const row = { group, name, mb, wholeMsPerMb: whole / mb, semanticMsPerMb: semantic / mb };
  rows.push(row);
  return row;
}

function expectWithinBounds(row: Row): void {
  const slack = SLACK_MS / row.mb;
  expect(row.wholeMsPerMb).toBeLessThan(WHOLE_MS_PER_MB + slack);
  expect(row.semanticMsPerMb).toBeLessThan(SEMANTIC_MS_PER_MB + slack);
}

// ---------------------------------------------------------------- values, derived from the tables

const ip = (i: number): string => `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;

/** Values no keyword accepts, or that trip number parsing, object keys and ranges. */
const HOSTILE = [
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "1e999",
  "0x10",
  "-0",
  "9".repeat(400),
  "-1",
  "+7",
  "1.5.",
  "10.0.0.300",
  "10.0.0.9-10.0.0.1",
  "0.0.0.0/0",
  "10.0.0.1-255",
  "1.0.0.0-223.255.255.255",
  "10.0.0.1/33",
  "::1",
  "a/b/c",
  "-",
  ".",
  "NaN",
  "Infinity",
  "1-2-3",
  "200-",
  "-299",
];
const hostile = (i: number): string => (i < HOSTILE.length ? (HOSTILE[i] as string) : `${HOSTILE[i % HOSTILE.length]}${i}`);

type Gen = (i: number) => string;

/** Tried in order for each keyword's argument; the first that gives no error on its line is the keyword's value. */
const VALUE_CANDIDATES: Gen[] = [
  (i) => `w${i}`,
  (i) => `${1 + (i % 200)}`,
  (i) => `${2 + (i % 2)}`,
  (i) => `${100 + (i % 900)}`,
  (i) => `${1000 + i}`,
  (i) => ip(i),
  (i) => `${ip(i)} ${1 + (i % 65000)}`,
  ...["on", "MASTER", "PASS", "TCP", "rr", "NAT", "224.0.0.18"].map((v) => () => v),
];
/** Same, for the lines of a value block (virtual_ipaddress, unicast_peer, track_script, group, ...). */
const ENTRY_CANDIDATES: Gen[] = [(i) => ip(i), (i) => `${ip(i)}/32`, (i) => `n${i}`];
const ENTRIES_PER_BLOCK = 4;

/** Block headers the tables do not describe: which blocks take a name and which an address. */
const HEADER_KIND = new Map<string, "name" | "address">([
  ["vrrp_script", "name"],
  ["track_file", "name"],
  ["vrrp_track_file", "name"],
  ["vrrp_instance", "name"],
  ["vrrp_sync_group", "name"],
  ["virtual_server_group", "name"],
  ["virtual_server", "address"],
  ["real_server", "address"],
]);

function header(name: string, i: number, variant: Variant): string {
  const kind = HEADER_KIND.get(name);
  if (!kind) return "";
  if (variant === "invalid") return hostile(i);
  const n = variant === "same" ? 0 : i;
  return kind === "name" ? `${name}_${n}` : `${ip(n)} 80`;
}

const opening = (k: Keyword<never>, i: number, variant: Variant): string => `${k.name} ${header(k.name, i, variant)} {`.replace("  {", " {");

function wrap(parents: Keyword<never>[], inner: string[]): string {
  return [...parents.map((p) => opening(p, 0, "unique")), ...inner, ...parents.map(() => "}"), ""].join("\n");
}

const places = keywordPlaces();
const isActive = (k: Keyword<never>): boolean => k.status === "supported";
const valueOf = new Map<Keyword<never>, Gen>();
const entryOf = new Map<Keyword<never>, Gen>();

function errorLines(text: string): Set<number> {
  return new Set(
    parseConfig(PATH, memoryFiles({ [PATH]: text }))
      .diagnostics.filter((d) => d.severity === "error")
      .map((d) => d.line),
  );
}

/** The first candidate accepted for i = 0, 1, 2, 199 and 12345; the first candidate if none is. */
function calibrate(place: KeywordPlace): void {
  const k = place.keyword;
  if (!isActive(k) || k.block || valueOf.has(k) || entryOf.has(k)) return;
  const samples = [0, 1, 2, 199, 12345];
  const first = place.parents.length + 1;
  if (k.takesBlock === "values") {
    const fits = (g: Gen) => {
      const lines = samples.map((i) => `  ${g(i)}`);
      const bad = errorLines(wrap(place.parents, [opening(k, 0, "unique"), ...lines, "}"]));
      return samples.every((_, n) => !bad.has(first + 1 + n));
    };
    entryOf.set(k, ENTRY_CANDIDATES.find(fits) ?? (ENTRY_CANDIDATES[0] as Gen));
    return;
  }
  const fits = (g: Gen) => {
    const bad = errorLines(
      wrap(
        place.parents,
        samples.map((i) => `${k.name} ${g(i)}`),
      ),
    );
    return samples.every((_, n) => !bad.has(first + n));
  };
  valueOf.set(k, VALUE_CANDIDATES.find(fits) ?? (VALUE_CANDIDATES[0] as Gen));
}

function argument(k: Keyword<never>, i: number, variant: Variant): string {
  if (variant === "invalid") return hostile(i);
  return (valueOf.get(k) ?? (VALUE_CANDIDATES[0] as Gen))(variant === "same" ? 0 : i);
}

/** One repetition of keyword `k`: a line, a value block, or a block with one line per keyword of its table. */
function unit(k: Keyword<never>, i: number, variant: Variant): string[] {
  if (k.block) {
    if (variant === "bare") return [opening(k, i, "unique"), "}"];
    return [opening(k, i, variant), ...body(k.block, i, variant), "}"];
  }
  if (k.takesBlock === "values") {
    const entry = entryOf.get(k) ?? (ENTRY_CANDIDATES[0] as Gen);
    const lines: string[] = [];
    for (let j = 0; j < ENTRIES_PER_BLOCK; j++) {
      const n = i * ENTRIES_PER_BLOCK + j;
      lines.push(`  ${variant === "invalid" ? hostile(n) : entry(variant === "same" ? 0 : n)}`);
    }
    return [opening(k, i, variant), ...lines, "}"];
  }
  return [`${k.name} ${argument(k, i, variant)}`];
}

function body(table: KeywordBlock<never>, i: number, variant: Variant): string[] {
  const out: string[] = [];
  for (const k of table.keywords) {
    if (!isActive(k)) continue;
    // A nested block appears empty here: it has its own case, repeated inside one of these.
    out.push(...(k.block ? [opening(k, i, variant === "invalid" ? "invalid" : "unique"), "}"] : unit(k, i, variant)));
  }
  return out;
}

/** Repetitions of `next(i)` until about `bytes` characters, inside the parent blocks. */
function repeatTo(bytes: number, parents: Keyword<never>[], next: (i: number) => string[]): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    for (const line of next(i)) {
      lines.push(line);
      size += line.length + 1;
    }
  }
  return wrap(parents, lines);
}

// ---------------------------------------------------------------- cases from the tables

for (const place of places) calibrate(place);

const blockPlaces = places.filter((p) => isActive(p.keyword) && (p.keyword.block || (p.block === "top" && p.keyword.takesBlock === "values")));
const keywordCases = places.filter((p) => isActive(p.keyword) && !blockPlaces.includes(p));
const inactiveByBlock = new Map<string, KeywordPlace[]>();
for (const p of places) if (!isActive(p.keyword)) inactiveByBlock.set(p.block, [...(inactiveByBlock.get(p.block) ?? []), p]);

const label = (p: KeywordPlace): string => (p.block === "top" ? p.keyword.name : `${p.block} > ${p.keyword.name}`);

describe("every block kind, repeated to ~1 MB (parseConfig)", () => {
  // Warm the JIT on one small case so the first measured case is not charged for compiling the parser.
  for (const p of blockPlaces) parseConfig(PATH, memoryFiles({ [PATH]: repeatTo(16 * KiB, p.parents, (i) => unit(p.keyword, i, "unique")) }));
  for (const p of blockPlaces) {
    const bytes = p.parents.length === 0 ? TOP_BLOCK_BYTES : NESTED_BLOCK_BYTES;
    const variants: Variant[] = p.parents.length === 0 ? ["unique", "same", "invalid", "bare"] : ["unique", "same", "invalid"];
    for (const variant of variants) {
      test(`${label(p)} (${variant})`, () => {
        const text = repeatTo(bytes, p.parents, (i) => unit(p.keyword, i, variant));
        expectWithinBounds(measure("blocks", `${label(p)} (${variant})`, text, true));
      });
    }
  }
});

describe("every supported keyword, repeated inside its block", () => {
  for (const p of keywordCases) {
    for (const variant of ["unique", "same", "invalid"] as const) {
      test(`${label(p)} (${variant})`, () => {
        const text = repeatTo(KEYWORD_BYTES, p.parents, (i) => unit(p.keyword, i, variant));
        expectWithinBounds(measure(p.block, `${p.keyword.name} (${variant})`, text, false));
      });
    }
  }
});

describe("the ignored and rejected keywords of each block, in turn", () => {
  for (const [block, group] of inactiveByBlock) {
    const parents = (group[0] as KeywordPlace).parents;
    for (const variant of ["unique", "same", "invalid"] as const) {
      test(`${block}: ${group.length} keywords (${variant})`, () => {
        const text = repeatTo(NESTED_BLOCK_BYTES, parents, (i) => {
          const k = (group[i % group.length] as KeywordPlace).keyword;
          return [`${k.name} ${variant === "invalid" ? hostile(i) : variant === "same" ? "w" : `w${i}`}`];
        });
        expectWithinBounds(measure("ignored", `${block} (${variant})`, text, true));
      });
    }
  }
});

// ---------------------------------------------------------------- references across blocks

/** Lines until about `bytes` characters. */
function linesTo(bytes: number, next: (i: number) => string): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = next(i);
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join("\n") + "\n";
}

const instanceWith = (i: number, extra: string) => `vrrp_instance I${i} { \ninterface eth0\nvirtual_router_id 7\nvirtual_ipaddress {\n${ip(i)}\n}\n${extra}\n}`;

const CROSS_CASES: [string, () => string][] = [
  // checkDuplicateVrids: each instance must be compared against the earlier ones without scanning them.
  ["one VRID, disjoint unicast peers", () => linesTo(CROSS_BYTES, (i) => instanceWith(i, `unicast_peer {\n${ip(i + 1_000_000)}\n}`))],
  ["one VRID, one shared unicast peer", () => linesTo(CROSS_BYTES, (i) => instanceWith(i, `unicast_peer {\n${ip(i + 1_000_000)}\n10.200.0.1\n}`))],
  ["one VRID, multicast", () => linesTo(CROSS_BYTES, (i) => instanceWith(i, ""))],
  [
    "two instances with 30,000 unicast peers each",
    () => {
      const peers = (from: number) => Array.from({ length: 30_000 }, (_, j) => ip(from + j)).join("\n");
      return `${instanceWith(0, `unicast_peer {\n${peers(1_000_000)}\n}`)}\n${instanceWith(1, `unicast_peer {\n${peers(2_000_000)}\n}`)}\n`;
    },
  ],
  [
    "sync groups: every instance in two groups",
    () => {
      const n = 8000;
      const instances = Array.from({ length: n }, (_, i) => `vrrp_instance I${i} {\ninterface eth0\nvirtual_router_id ${1 + (i % 255)}\n}`).join("\n");
      const groups = linesTo(CROSS_BYTES / 2, (g) => `vrrp_sync_group G${g} {\ngroup {\nI${g % n}\nI${(g + 1) % n}\nnone${g}\n}\n}`);
      return `${instances}\n${groups}`;
    },
  ],
  ["sync group listing 100,000 instances", () => `vrrp_sync_group G {\ngroup {\n${linesTo(CROSS_BYTES, (i) => `I${i}`)}}\n}\n`],
  [
    "virtual servers referencing groups, half of them missing",
    () => linesTo(CROSS_BYTES, (i) => (i % 2 ? `virtual_server group G${i - 1} {\nprotocol TCP\n}` : `virtual_server_group G${i} {\n${ip(i)} 80\n}`)),
  ],
  [
    "virtual_server_group of huge ranges",
    () =>
      `virtual_server_group G {\n${linesTo(CROSS_BYTES, (i) => ["0.0.0.0/0 80", "1.0.0.0-223.255.255.255 80", "10.0.0.1-255", `${ip(i)}-${ip(i + 9)}`][i % 4] as string)}}\n`,
  ],
  [
    "FILE_CHECK and track_file references",
    () =>
      linesTo(CROSS_BYTES, (i) =>
        i % 2
          ? `virtual_server ${ip(i)} 80 {\nprotocol TCP\nreal_server ${ip(i)} 80 {\nFILE_CHECK {\ntrack_file T${i - 1}\n}\n}\n}`
          : `track_file T${i} {\nfile /f${i}\n}`,
      ),
  ],
  [
    "track_script references to many scripts",
    () => linesTo(CROSS_BYTES, (i) => (i % 2 ? instanceWith(i, `track_script {\nS${i - 1}\nS${i}\nmissing${i}\n}`) : `vrrp_script S${i} {\nscript /s${i}\n}`)),
  ],
  [
    "one line with 150,000 arguments (the front end refuses it)",
    () => `global_defs {\nrouter_id ${Array.from({ length: 150_000 }, (_, i) => `a${i}`).join(" ")}\n}\n`,
  ],
  ["values nested inside value lines", () => `vrrp_instance I {\nvirtual_ipaddress {\n${linesTo(CROSS_BYTES, (i) => `${ip(i)} { { } } }`)}}\n}\n`],
  [
    "deep braces inside a value block (the front end bounds them)",
    () => `vrrp_instance I {\nvirtual_ipaddress {\n10.0.0.1 ${"{ ".repeat(100_000)}${"} ".repeat(100_000)}\n}\n}\n`,
  ],
];

describe("references across blocks and hostile shapes (parseConfig, ~1 MB)", () => {
  for (const [name, make] of CROSS_CASES) {
    test(name, () => {
      expectWithinBounds(measure("cross", name, make(), true));
    });
  }

  test("a range is kept as a range, however large", () => {
    const text = "virtual_server_group G {\n0.0.0.0/1 80\n1.0.0.0-223.255.255.255\n10.0.0.1-255\nae00::/16\n}\n";
    const result = parseConfig(PATH, memoryFiles({ [PATH]: text }));
    const entries = result.config?.virtualServerGroups[0]?.entries ?? [];
    expect(entries.map((e) => (e.kind === "range" ? [e.first.text, e.last.text] : []))).toEqual([
      ["0.0.0.0", "127.255.255.255"],
      ["1.0.0.0", "223.255.255.255"],
      ["10.0.0.1", "10.0.0.255"],
      ["ae00::", "ae00:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
    ]);
  });
});

// ---------------------------------------------------------------- statement trees the front end would refuse

// The front end bounds line length and nesting, so text cannot carry a 64 KiB token or a
// 100,000-deep block this far; the semantic stage must cope anyway, so these trees are built directly.

/** Builds statements with one line per statement, as the front end would number them. */
function treeBuilder() {
  let line = 0;
  const word = (text: string, at = ++line): Token => ({ kind: "word", text, quoted: false, file: PATH, line: at, col: 1 });
  const statement = (keyword: string, args: string[] = [], children?: Statement[]): Statement => {
    const at = ++line;
    return { keyword: word(keyword, at), args: args.map((a) => word(a, at)), ...(children ? { children } : {}) };
  };
  /** `inner` inside one of each parent block. */
  const inside = (parents: Keyword<never>[], inner: Statement[]): Statement[] =>
    parents.reduceRight((children, p) => [statement(p.name, header(p.name, 0, "unique").split(" ").filter(Boolean), children)], inner);
  return { statement, inside };
}

/** Times the semantic stage alone on `statements`, `bytes` being the size of the text they stand for. */
function measureTree(group: string, name: string, make: () => Statement[], bytes: number): Row {
  const mb = bytes / MiB;
  const statements = make();
  const best = bestOf(5, SEMANTIC_MS_PER_MB * mb + SLACK_MS, () => timed(() => semanticStage(statements, new Diagnostics())));
  const row = { group, name, mb, wholeMsPerMb: NaN, semanticMsPerMb: best / mb };
  rows.push(row);
  return row;
}

function expectSemanticWithinBound(row: Row): void {
  expect(row.semanticMsPerMb).toBeLessThan(SEMANTIC_MS_PER_MB + SLACK_MS / row.mb);
}

describe("64 KiB adversarial tokens in every keyword (every regex, split and message)", () => {
  const TOKENS = [
    "1".repeat(64 * KiB) + "x",
    "1.".repeat(32 * KiB) + "x",
    "1-".repeat(32 * KiB),
    "1/".repeat(32 * KiB),
    `${"9".repeat(64 * KiB)}.${"9".repeat(10)}x`,
    `10.0.0.1-${"2".repeat(64 * KiB)}`,
    `10.0.0.0/${"3".repeat(64 * KiB)}`,
    " \t".repeat(32 * KiB) + "x",
  ];
  const byBlock = new Map<string, KeywordPlace[]>();
  for (const p of places) byBlock.set(p.block, [...(byBlock.get(p.block) ?? []), p]);
  for (const [block, group] of byBlock) {
    test(`${block}: ${group.length} keywords`, () => {
      let bytes = 0;
      const make = () => {
        const { statement, inside } = treeBuilder();
        const inner: Statement[] = [];
        bytes = 0;
        for (const p of group) {
          const k = p.keyword;
          for (const token of TOKENS) {
            bytes += 3 * token.length;
            if (k.takesBlock === "values")
              inner.push(statement(k.name, header(k.name, 0, "unique").split(" ").filter(Boolean), [statement(token, [token, token])]));
            else if (k.block) inner.push(statement(k.name, [token, token], []));
            else inner.push(statement(k.name, [token, token, token]));
          }
        }
        return inside(group[0]?.parents ?? [], inner);
      };
      const statements = make();
      expectSemanticWithinBound(measureTree("64KiB", block, () => statements, bytes));
    });
  }
});

describe("shapes the front end bounds, handed to the semantic stage anyway", () => {
  const ARGS = 150_000;
  const many = (prefix: string) => Array.from({ length: ARGS }, (_, i) => `${prefix}${i}`);
  const argBytes = ARGS * 8;
  const cases: [string, number, (b: ReturnType<typeof treeBuilder>) => Statement[]][] = [
    ["a keyword with 150,000 arguments", argBytes, (b) => [b.statement("global_defs", [], [b.statement("router_id", many("a"))])]],
    [
      "a virtual address with 150,000 options",
      argBytes,
      (b) => [b.statement("vrrp_instance", ["I"], [b.statement("virtual_ipaddress", [], [b.statement("10.0.0.1", many("o"))])])],
    ],
    // Every option's warning quotes the (valid) 32 KiB address: bounded because only the kept diagnostics are ever cut.
    [
      "a 32 KiB virtual address with 150,000 options",
      argBytes,
      (b) => [b.statement("vrrp_instance", ["I"], [b.statement("virtual_ipaddress", [], [b.statement(`10.0.0.1/${"0".repeat(32 * KiB)}24`, many("o"))])])],
    ],
    [
      "a unicast peer with 150,000 options",
      argBytes,
      (b) => [b.statement("vrrp_instance", ["I"], [b.statement("unicast_peer", [], [b.statement("10.0.0.1", many("o"))])])],
    ],
    [
      "status_code with 150,000 ranges",
      argBytes,
      (b) =>
        b.inside(places.find((p) => p.block.endsWith("HTTP_GET > url"))?.parents ?? [], [b.statement("url", [], [b.statement("status_code", many("200-"))])]),
    ],
    [
      "blocks nested 100,000 deep under a value line, an unknown keyword, an ignored one and a flag",
      100_000 * 4 * 4,
      (b) => {
        const deep = () => {
          let s: Statement = b.statement("x");
          for (let d = 0; d < 100_000; d++) s = b.statement("x", [], [s]);
          return [s];
        };
        return [
          b.statement(
            "vrrp_instance",
            ["I"],
            [
              b.statement("virtual_ipaddress", [], [b.statement("10.0.0.1", [], deep())]),
              b.statement("no_such_keyword", [], deep()),
              b.statement("debug", [], deep()),
              b.statement("nopreempt", [], deep()),
            ],
          ),
        ];
      },
    ],
  ];
  for (const [name, bytes, make] of cases) {
    test(name, () => {
      expectSemanticWithinBound(measureTree("shapes", name, () => make(treeBuilder()), bytes));
    });
  }
});

// ---------------------------------------------------------------- the table for whoever tightens the bounds

afterAll(() => {
  const fmt = (r: Row) =>
    `| ${r.group} | ${r.name} | ${r.mb.toFixed(2)} | ${Number.isNaN(r.wholeMsPerMb) ? "-" : r.wholeMsPerMb.toFixed(1)} | ${r.semanticMsPerMb.toFixed(1)} |`;
  const head = ["", "| group | case | MB | whole ms/MB | semantic ms/MB |", "|---|---|---|---|---|"];
  const shown = ["blocks", "ignored", "cross", "64KiB", "shapes"];
  const out = [...head, ...rows.filter((r) => shown.includes(r.group)).map(fmt)];
  const keywordRows = rows.filter((r) => !shown.includes(r.group));
  if (VERBOSE) out.push(...keywordRows.map(fmt));
  else {
    // One row per block: its slowest keyword case (TANDEM_SCALING_VERBOSE=1 lists them all).
    const worst = new Map<string, Row>();
    for (const r of keywordRows) if ((worst.get(r.group)?.wholeMsPerMb ?? -1) < r.wholeMsPerMb) worst.set(r.group, r);
    out.push(...[...worst.values()].map((r) => fmt({ ...r, group: `${r.group} (slowest of ${keywordRows.filter((k) => k.group === r.group).length})` })));
  }
  const max = (f: (r: Row) => number) => Math.max(0, ...rows.map(f).filter((x) => !Number.isNaN(x))).toFixed(1);
  out.push("", `${rows.length} cases; worst whole ${max((r) => r.wholeMsPerMb)} ms/MB, worst semantic ${max((r) => r.semanticMsPerMb)} ms/MB`);
  process.stdout.write(out.join("\n") + "\n");
});
