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
    expect(expandBraces("{foo/{,cat,dog},bar}", 16)).toEqual(["foo/", "foo/cat", "foo/dog", "bar"]);
    expect(expandBraces("a{b}c", 16)).toEqual(["a{b}c"]);
    expect(expandBraces("{a,b}{c,d}{e,f}", 7)).toBeUndefined();
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
    expect(nodeFiles.glob(join(root, "conf.d", "*.conf"), 100)).toEqual({
      paths: [join(root, "conf.d", "a.conf"), join(root, "conf.d", "b.conf")],
      examined: 4,
    });
    expect(nodeFiles.glob(join(root, "*", "*.conf"), 2)).toEqual({ error: "more than 2 directory entries to examine" });
    expect(nodeFiles.readFile(join(root, "nope"), 100)).toEqual({ error: "No such file or directory", missing: true });
    const r = parseConfig(join(root, "keepalived.conf"), nodeFiles);
    expect(r.diagnostics).toEqual([]);
    expect(r.config?.vrrpScripts.map((s) => s.name)).toEqual(["a", "b"]);
  });

  test("reads only regular files, and never past the limit", () => {
    writeFileSync(join(root, "big.conf"), "x".repeat(1000));
    expect(nodeFiles.readFile(join(root, "big.conf"), 999)).toEqual({ error: "the file is 1000 bytes; the limit is 999", tooLarge: true });
    expect(nodeFiles.readFile(join(root, "big.conf"), 1000)).toEqual({ text: "x".repeat(1000) });
    expect(nodeFiles.readFile("/dev/zero", 1 << 20)).toEqual({ error: "not a regular file" });
    expect(nodeFiles.readFile(root, 1 << 20)).toEqual({ error: "is a directory" });
  });

  test("include /dev/zero and a FIFO are errors, not endless reads", () => {
    const fifo = join(root, "fifo.conf");
    Bun.spawnSync(["mkfifo", fifo]);
    writeFileSync(
      join(root, "dev.conf"),
      `include /dev/zero
include ${fifo}
`,
    );
    const r = parseConfig(join(root, "dev.conf"), nodeFiles);
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      "cannot read configuration file /dev/zero: not a regular file",
      `cannot read configuration file ${fifo}: not a regular file`,
    ]);
  });
});
