// Enforces ../shared/DESIGN.md's dependency rules over the real import graph of src/:
// who may import whom, and who may touch bun:ffi, bun:sqlite, Bun.serve and the real clock.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../../../src");

interface ImportEdge {
  file: string; // relative to src/
  specifier: string;
  typeOnly: boolean;
  target: string; // module name ("common", "vrrp", ...) or the bare specifier
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/** Top-level module of a path under src/: "vrrp" for src/vrrp/x.ts, "main" for src/main.ts. */
function moduleOf(relativePath: string): string {
  const [first] = relativePath.split("/");
  return relativePath.includes("/") ? first! : relativePath.replace(/\.ts$/, "");
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

function importsOf(path: string): ImportEdge[] {
  const file = relative(SRC, path);
  const text = stripComments(readFileSync(path, "utf8"));
  const edges: ImportEdge[] = [];
  const pattern = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  for (const match of text.matchAll(pattern)) {
    const specifier = (match[3] ?? match[4])!;
    const typeOnly = Boolean(match[2]);
    const target = specifier.startsWith(".") ? moduleOf(relative(SRC, resolve(dirname(path), specifier))) : specifier;
    edges.push({ file, specifier, typeOnly, target });
  }
  return edges;
}

const files = sourceFiles(SRC);
const edges = files.flatMap(importsOf);
const texts = new Map(files.map((f) => [relative(SRC, f), stripComments(readFileSync(f, "utf8"))]));

/** For each module: which other src modules and which external packages it may import at run time. */
const allowed: Record<string, { modules: string[]; external: RegExp }> = {
  common: { modules: [], external: /^$/ },
  vrrp: { modules: ["common"], external: /^$/ },
  check: { modules: ["common"], external: /^$/ },
  config: { modules: ["common"], external: /^node:(fs|path)$/ },
  netlink: { modules: ["common"], external: /^$/ },
  ipvs: { modules: ["common", "netlink"], external: /^$/ },
  net: { modules: ["common", "netlink"], external: /^(bun:ffi|node:fs)$/ },
  store: { modules: ["common"], external: /^bun:sqlite$/ },
  api: { modules: ["common"], external: /^hono(\/.*)?$/ },
  tls: { modules: ["common"], external: /^node:crypto$/ },
  daemon: { modules: ["*"], external: /.*/ },
  main: { modules: ["daemon", "config", "common"], external: /^$/ },
};

describe("module dependency rules (DESIGN.md)", () => {
  test("the import graph was read", () => {
    expect(files.length).toBeGreaterThan(5);
    expect(edges.length).toBeGreaterThan(5);
  });

  test("every module imports only what it may", () => {
    const violations: string[] = [];
    for (const edge of edges) {
      const from = moduleOf(edge.file);
      const rule = allowed[from];
      if (!rule) {
        violations.push(`${edge.file}: module "${from}" has no dependency rule; add one to this test`);
        continue;
      }
      const isSrcModule = edge.specifier.startsWith(".");
      if (isSrcModule) {
        if (edge.target === from || rule.modules.includes("*") || rule.modules.includes(edge.target)) continue;
        // Type-only imports carry no code: api (and others) may name other modules' types.
        if (edge.typeOnly) continue;
        violations.push(`${edge.file} imports ${edge.specifier} (module ${edge.target}); ${from} may import ${rule.modules.join(", ") || "nothing"}`);
      } else if (!rule.external.test(edge.specifier)) {
        violations.push(`${edge.file} imports "${edge.specifier}"; not allowed in ${from}`);
      }
    }
    expect(violations).toEqual([]);
  });

  test("check/ (probes, their scheduler, verdicts) is pure logic over common/: no other module even for types, no Bun or process API", () => {
    const checkFiles = [...texts.keys()].filter((f) => f.startsWith("check/"));
    expect(checkFiles).toContain("check/probe-scheduler.ts");
    const imports = edges.filter((e) => e.file.startsWith("check/") && !(e.specifier.startsWith(".") && (e.target === "check" || e.target === "common")));
    expect(imports.map((e) => `${e.file} imports ${e.specifier}`)).toEqual([]);
    const runtime = /\b(Bun|process)\.|\bimport\.meta\.main\b/;
    const offenders = checkFiles.filter((f) => runtime.test(texts.get(f)!)).map((f) => `${f}: ${texts.get(f)!.match(runtime)![0]}`);
    expect(offenders).toEqual([]);
  });

  test("only net/ uses bun:ffi, only store/ uses bun:sqlite", () => {
    const ffi = edges.filter((e) => e.specifier === "bun:ffi").map((e) => e.file);
    const sqlite = edges.filter((e) => e.specifier === "bun:sqlite").map((e) => e.file);
    expect(ffi.filter((f) => !f.startsWith("net/"))).toEqual([]);
    expect(sqlite.filter((f) => !f.startsWith("store/"))).toEqual([]);
  });

  test("only daemon/ calls Bun.serve or Bun.spawn", () => {
    const offenders = [...texts].filter(([f, t]) => /\bBun\.(serve|spawn|spawnSync)\s*\(/.test(t) && !f.startsWith("daemon/")).map(([f]) => f);
    expect(offenders).toEqual([]);
  });

  test("only common/clock.ts reads the real clock or arms real timers", () => {
    const clockUse = /\b(setTimeout|setInterval|Date\.now|performance\.now|new Date\(\s*\))/;
    const offenders = [...texts].filter(([f, t]) => clockUse.test(t) && f !== "common/clock.ts").map(([f, t]) => `${f}: ${t.match(clockUse)![0]}`);
    expect(offenders).toEqual([]);
  });

  test("src/daemon is split by role: its top holds only the composition root", () => {
    const top = readdirSync(join(SRC, "daemon")).filter((name) => name.endsWith(".ts"));
    expect(top).toEqual(["run-command.ts"]);
  });

  test("the processes share no code with state: the engine and the observer never import each other, nor the supervisor", () => {
    const roleOf = (file: string) => file.match(/^daemon\/(engine|vrrp|observe|supervisor)\//)?.[1];
    const engineSide = new Set(["engine", "vrrp"]);
    const offenders = edges.filter((e) => {
      const from = roleOf(e.file);
      const to = e.specifier.startsWith(".") ? roleOf(relative(SRC, resolve(SRC, dirname(e.file), e.specifier))) : undefined;
      if (!from || !to || e.typeOnly) return false;
      if (engineSide.has(from)) return to === "observe" || to === "supervisor";
      if (from === "observe") return engineSide.has(to) || to === "supervisor";
      return from === "supervisor" && (engineSide.has(to) || to === "observe");
    });
    expect(offenders.map((e) => `${e.file} -> ${e.specifier}`)).toEqual([]);
  });
});
