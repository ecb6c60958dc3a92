import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeFiles, parseConfig } from "../../../src/config/index.ts";
import { expandBraces, matchPath } from "../../../src/config/glob-pattern.ts";

const root = mkdtempSync(join(tmpdir(), "tandem-config-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("glob patterns", () => {
  test("brace expansion, nested, and literal braces without commas", () => {
    expect(expandBraces("{foo/{,cat,dog},bar}")).toEqual(["foo/", "foo/cat", "foo/dog", "bar"]);
    expect(expandBraces("a{b}c")).toEqual(["a{b}c"]);
  });
  test("wildcards match within one segment and not leading dots", () => {
    expect(matchPath("/e/*.conf", "/e/a.conf")).toBe(true);
    expect(matchPath("/e/*.conf", "/e/d/a.conf")).toBe(false);
    expect(matchPath("/e/*.conf", "/e/.hidden.conf")).toBe(false);
    expect(matchPath("/e/[ab]?.conf", "/e/b1.conf")).toBe(true);
    expect(matchPath("/e/[!ab]?.conf", "/e/b1.conf")).toBe(false);
  });
});

describe("nodeFiles (real file system)", () => {
  test("reads files, globs sorted, reports unreadable files without throwing", () => {
    mkdirSync(join(root, "conf.d"));
    writeFileSync(join(root, "conf.d", "b.conf"), "vrrp_script b {\n  script true\n}\n");
    writeFileSync(join(root, "conf.d", "a.conf"), "vrrp_script a {\n  script true\n}\n");
    writeFileSync(join(root, "keepalived.conf"), "include conf.d/*.conf\n");
    expect(nodeFiles.glob(join(root, "conf.d", "*.conf"))).toEqual([join(root, "conf.d", "a.conf"), join(root, "conf.d", "b.conf")]);
    expect(nodeFiles.readFile(join(root, "nope"))).toEqual({ error: "No such file or directory" });
    const r = parseConfig(join(root, "keepalived.conf"), nodeFiles);
    expect(r.diagnostics).toEqual([]);
    expect(r.config?.vrrpScripts.map((s) => s.name)).toEqual(["a", "b"]);
  });
});
