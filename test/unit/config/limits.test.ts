// Every bound of the config front end (src/config/limits.ts), one test each: the input that
// hits it, the error and where it points, and that the parse ends quickly with a bounded result.
import { describe, expect, test } from "bun:test";
import { DEFAULT_CONFIG_LIMITS, formatDiagnostic, memoryFiles, parseConfig, type ConfigLimits } from "../../../src/config/index.ts";
import { matchSegment } from "../../../src/config/glob-pattern.ts";

const MAIN = "/etc/keepalived/keepalived.conf";

function parse(files: Record<string, string>, limits: Partial<ConfigLimits> = {}) {
  const started = performance.now();
  const r = parseConfig(MAIN, { ...memoryFiles(files), limits: { ...DEFAULT_CONFIG_LIMITS, ...limits } });
  return {
    ms: performance.now() - started,
    ok: r.config !== undefined,
    config: r.config,
    diag: r.diagnostics.map((d) => formatDiagnostic(d).replace(/\/etc\/keepalived\//g, "")),
  };
}

const one = (text: string, limits: Partial<ConfigLimits> = {}) => parse({ [MAIN]: text }, limits);

describe("parameter substitution", () => {
  test("the issue's 48-byte body: an error at the use, in milliseconds, not a daemon growing to 18 GB", () => {
    const r = one("$X=$X=${X}${X}\nglobal_defs {\n  router_id ${X}\n}\n");
    expect(r.diag).toEqual([
      "keepalived.conf:3:3: error: parameter substitution makes this line longer than 64 KiB (a definition that refers to itself?); the line is skipped",
    ]);
    expect(r.ms).toBeLessThan(200);
  });

  test("a definition that grows by a constant every round is a runaway after the round limit", () => {
    expect(one("$X=a${X}\nrouter_id $X\n").diag).toEqual([
      "keepalived.conf:2:1: error: parameter substitution does not terminate after 32 rounds (a definition refers to itself); the line is skipped",
    ]);
  });

  test("two definitions that refer to each other", () => {
    expect(one("$A=${B}\n$B=${A}\nx ${A}\n").diag).toEqual([
      "keepalived.conf:3:1: error: parameter substitution does not terminate after 32 rounds (a definition refers to itself); the line is skipped",
    ]);
  });

  test("the line length bound applies to what substitution produces, whatever the source's length", () => {
    const r = one(`$X=${"a".repeat(100)}\nrouter_id \${X}\${X}\n`, { lineChars: 150 });
    expect(r.diag).toEqual([
      "keepalived.conf:2:1: error: parameter substitution makes this line longer than 150 bytes (a definition that refers to itself?); the line is skipped",
    ]);
  });

  test("multi-line definitions that double at every level stop at the work budget", () => {
    const levels = Array.from({ length: 40 }, (_, i) => `$A${i + 1}=\${A${i}} \\\n\${A${i}}`).join("\n");
    const r = one(`$A0=vrrp_script s \\\n}\n${levels}\n\${A40}\n`);
    expect(r.ok).toBe(false);
    expect(r.diag.some((d) => /expands to more than|longer than 64 KiB/.test(d))).toBe(true);
    expect(r.ms).toBeLessThan(500);
  });
});

describe("~SEQ", () => {
  test("a ~SEQ inside a ~SEQ stops at the work budget, with the place and the budget named", () => {
    const r = one("~SEQ(a,1,10000) ~SEQ(b,1,10000) vrrp_script s${a}_${b} {\n");
    expect(r.diag.find((d) => d.includes("expands to more than"))).toMatch(
      /^keepalived\.conf:1:\d+: error: the configuration expands to more than 1048\d+ characters of lines \(1 MiB plus 1\.5 x the 57 bytes read\)/,
    );
    expect(r.ms).toBeLessThan(1000);
  });

  test("one ~SEQ is bounded in values and in its numbers", () => {
    expect(one("~SEQ(a,1,20000) x\n").diag).toEqual(["keepalived.conf:1:1: error: ~SEQ would repeat the line more than 10000 times"]);
    expect(one("~SEQ(a,1,99999999999999999999) x\n").diag).toEqual(["keepalived.conf:1:1: error: ~SEQ numbers must lie within +/-9007199254740991"]);
  });

  test("a legitimate ~SEQ of 254 real servers is well inside the budget", () => {
    const r = one("virtual_server 10.0.0.1 80 {\n  ~SEQ(i,1,254) real_server 10.1.0.$i 80 { weight 1 }\n  protocol TCP\n  lvs_sched rr\n  lvs_method NAT\n}\n");
    expect(r.diag).toEqual([]);
    expect(r.config?.virtualServers[0]?.realServers.length).toBe(254);
  });
});

describe("files and includes", () => {
  test("a file over the size limit is refused without being read", () => {
    expect(one("x".repeat(2000), { fileBytes: 1000 }).diag).toEqual([
      "keepalived.conf:1:1: error: cannot read configuration file keepalived.conf: larger than 1000 bytes",
    ]);
  });

  test("the bytes read by all includes together are bounded, repeats counted", () => {
    const files = { [MAIN]: "include a.conf\n".repeat(20), "/etc/keepalived/a.conf": "# " + "x".repeat(100) };
    const r = parse(files, { totalBytes: 1000 });
    expect(r.diag).toEqual(["keepalived.conf:7:9: error: the files read add up to more than 1000 bytes; stopping at a.conf"]);
  });

  test("the number of files read is bounded: a diamond of includes cannot fan out", () => {
    const files: Record<string, string> = { [MAIN]: "include l1.conf\ninclude l1.conf\n" };
    for (let i = 1; i < 30; i++) files[`/etc/keepalived/l${i}.conf`] = `include l${i + 1}.conf\ninclude l${i + 1}.conf\n`;
    files["/etc/keepalived/l30.conf"] = "# the bottom\n";
    const r = parse(files);
    expect(r.diag.length).toBe(1);
    expect(r.diag[0]).toMatch(/error: more than 1024 files read \(includes, repeats counted\); stopping at l\d+\.conf$/);
    expect(r.ms).toBeLessThan(500);
  });

  test("brace alternatives of an include are bounded", () => {
    expect(one(`include ${"{a,b}".repeat(10)}\n`).diag).toEqual([
      `keepalived.conf:1:9: error: include ${"{a,b}".repeat(10)}: the pattern expands to more than 256 alternatives`,
    ]);
  });

  test("a glob may examine a bounded number of directory entries", () => {
    const files: Record<string, string> = { [MAIN]: "include conf.d/*.conf\n" };
    for (let i = 0; i < 20; i++) files[`/etc/keepalived/conf.d/${i}.conf`] = "";
    expect(parse(files, { globEntries: 10 }).diag).toEqual([
      "keepalived.conf:1:9: error: include conf.d/*.conf: more than 10 files to examine (the limit is 10 directory entries per include)",
    ]);
  });

  test("glob matching takes linear-ish time on patterns that make a RegExp backtrack, and odd classes do not throw", () => {
    const started = performance.now();
    expect(matchSegment("*a*a*a*a*a*a*a*a*a*a*a*b", "a".repeat(255))).toBe(false);
    expect(performance.now() - started).toBeLessThan(50);
    expect(matchSegment("[z-a]x", "x")).toBe(false);
    expect(matchSegment("[", "[")).toBe(true);
    expect(matchSegment("[]]", "]")).toBe(true);
    expect(matchSegment("a\\*", "a*")).toBe(true);
    expect(matchSegment("a\\*", "ab")).toBe(false);
    expect(matchSegment("*.conf", "x.conf")).toBe(true);
  });

  test("a file holding NUL bytes (UTF-16, binary) is refused with one error", () => {
    expect(one("\uFEFFr\u0000o\u0000u\u0000t\u0000e\u0000r\u0000").diag).toEqual([
      "keepalived.conf:1:3: error: keepalived.conf holds a NUL byte: it is not a text file (UTF-16 or binary?); the file is skipped",
    ]);
  });
});

describe("lines, blocks and diagnostics", () => {
  test("an over-long physical line is skipped with an error at the column where it goes over", () => {
    expect(one(`router_id ${"x".repeat(200)}\n`, { lineChars: 100 }).diag).toEqual([
      "keepalived.conf:1:101: error: line longer than 100 bytes (210 characters); the line is skipped",
    ]);
  });

  test("blocks nested too deep are skipped as a whole, and later blocks still parse", () => {
    const r = one(`${"a {\n".repeat(40)}${"}\n".repeat(40)}global_defs {\n  vrrp_version 9\n}\n`, { blockDepth: 8 });
    expect(r.diag.filter((d) => d.includes("error"))).toEqual([
      "keepalived.conf:9:3: error: blocks nested deeper than 8 levels; this block and everything in it are skipped",
      "keepalived.conf:82:16: error: vrrp_version must be 2..3, got 9",
    ]);
  });

  test("900,000 stray braces: a few hundred diagnostics and one line counting the rest", () => {
    const r = one("{\n".repeat(450_000));
    expect(r.diag.length).toBeLessThanOrEqual(2 * DEFAULT_CONFIG_LIMITS.diagnosticsPerSeverity + 1);
    const r2 = one("}\n".repeat(450_000));
    expect(r2.diag.length).toBe(DEFAULT_CONFIG_LIMITS.diagnosticsPerSeverity + 1);
    expect(r2.diag.at(-1)).toBe(
      `keepalived.conf:${DEFAULT_CONFIG_LIMITS.diagnosticsPerSeverity + 1}:1: error: ${450_000 - DEFAULT_CONFIG_LIMITS.diagnosticsPerSeverity} more error(s) not shown (only the first 200 of each kind are kept); the first of them is here`,
    );
  });

  test("errors are kept even when warnings filled their share first", () => {
    const r = one(`${"unknown_keyword\n".repeat(300)}global_defs {\n  vrrp_version 9\n}\n`);
    expect(r.diag.filter((d) => d.includes(": error: "))).toEqual(["keepalived.conf:302:16: error: vrrp_version must be 2..3, got 9"]);
    expect(r.diag.at(-1)).toContain("100 more warning(s) not shown");
  });

  test("a message quoting a huge token is cut", () => {
    const r = one(`global_defs {\n  vrrp_version ${"9".repeat(60_000)}\n}\n`);
    expect(r.diag[0]!.length).toBeLessThan(DEFAULT_CONFIG_LIMITS.messageChars + 120);
    expect(r.diag[0]).toEndWith("... (message cut at 400 characters)");
  });
});
