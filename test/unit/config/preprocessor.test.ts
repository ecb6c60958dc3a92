import { describe, expect, test } from "bun:test";
import { Diagnostics, formatDiagnostic } from "../../../src/config/diagnostics.ts";
import { memoryFiles } from "../../../src/config/file-port.ts";
import { preprocess } from "./support/collect.ts";
import { columnAt } from "../../../src/config/column-map.ts";
import { MAIN, instance, parseFiles, parseText } from "./helpers.ts";

const run = (files: Record<string, string>, configId?: string, maxIncludeDepth?: number) => {
  const diag = new Diagnostics();
  const lines = preprocess(MAIN, { files: memoryFiles(files), configId, maxIncludeDepth }, diag);
  return {
    texts: lines.map((l) => l.text),
    where: lines.map((l) => `${l.file.replace("/etc/keepalived/", "")}:${l.line}:${columnAt(l.cols, 0)}`),
    diag: diag.list.map((d) => formatDiagnostic(d).replace(/\/etc\/keepalived\//g, "")),
  };
};

describe("include", () => {
  test("globs are sorted and resolved relative to the including file's directory", () => {
    const r = run({
      [MAIN]: "include conf.d/*.conf\nlast",
      "/etc/keepalived/conf.d/b.conf": "b1\ninclude ../sub/x.conf",
      "/etc/keepalived/conf.d/a.conf": "a1",
      "/etc/keepalived/conf.d/skip.txt": "no",
      "/etc/keepalived/sub/x.conf": "x1",
    });
    expect(r.diag).toEqual([]);
    expect(r.texts).toEqual(["a1", "b1", "x1", "last"]);
    expect(r.where).toEqual(["conf.d/a.conf:1:1", "conf.d/b.conf:1:1", "sub/x.conf:1:1", "keepalived.conf:2:1"]);
  });

  test("brace expansion picks the named files", () => {
    const r = run({ [MAIN]: "include {a,c}.conf", "/etc/keepalived/a.conf": "A", "/etc/keepalived/b.conf": "B", "/etc/keepalived/c.conf": "C" });
    expect(r.texts).toEqual(["A", "C"]);
  });

  test("a plain include of a missing file warns (keepalived keeps going); includea is an error", () => {
    expect(run({ [MAIN]: "include nope.conf" }).diag).toEqual(["keepalived.conf:1:9: warning: include nope.conf: no file matches nope.conf"]);
    expect(run({ [MAIN]: "  includea nope/*.conf" }).diag).toEqual(["keepalived.conf:1:12: error: includea nope/*.conf: no file matches nope/*.conf"]);
  });

  test("an include cycle is an error at the include that closes it", () => {
    const r = run({ [MAIN]: "include a.conf", "/etc/keepalived/a.conf": "x\ninclude keepalived.conf" });
    expect(r.texts).toEqual(["x"]);
    expect(r.diag).toEqual(["a.conf:2:9: error: include cycle: keepalived.conf -> a.conf -> keepalived.conf"]);
  });

  test("include depth is limited", () => {
    const files: Record<string, string> = { [MAIN]: "include 1.conf" };
    for (let i = 1; i <= 5; i++) files[`/etc/keepalived/${i}.conf`] = `line${i}\ninclude ${i + 1}.conf`;
    const r = run(files, undefined, 3);
    expect(r.texts).toEqual(["line1", "line2"]);
    expect(r.diag).toEqual(["2.conf:2:9: error: includes nested deeper than 3 files; stopping at 3.conf"]);
  });

  test("an unreadable entry file is an error", () => {
    const diag = new Diagnostics();
    preprocess("/nope.conf", { files: memoryFiles({}) }, diag);
    expect(diag.list.map(formatDiagnostic)).toEqual(["/nope.conf:1:1: error: cannot read configuration file /nope.conf: No such file or directory"]);
  });

  test("diagnostics inside an included file point at that file", () => {
    const r = parseFiles({ [MAIN]: "include vi.conf", "/etc/keepalived/vi.conf": "\n" + instance("  priority 300") });
    expect(r.errors).toEqual(["vi.conf:8:12: error: priority must be 1..255, got 300"]);
  });
});

describe("parameters", () => {
  test("$NAME before whitespace and ${NAME} anywhere are replaced; undefined ones stay", () => {
    const r = run({ [MAIN]: '$IF=eth0\n$BASE=10.0\ninterface $IF\n${BASE}.0.1/24\nscript "echo $HOME ${UNDEF}"\n$IFx' });
    expect(r.texts).toEqual(["interface eth0", "10.0.0.1/24", 'script "echo $HOME ${UNDEF}"', "$IFx"]);
  });

  test("replacement is recursive and done at use time (man page example)", () => {
    const r = run({
      [MAIN]: "$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}\n$ADDRESS_BASE_SUB=0\n${ADDRESS_BASE}.100/32\n$ADDRESS_BASE_SUB=10\n${ADDRESS_BASE}.100/32",
    });
    expect(r.texts).toEqual(["10.2.0.100/32", "10.2.10.100/32"]);
  });

  test("a self-referencing definition is an error, not a hang", () => {
    expect(run({ [MAIN]: "$A=x${A}\nv $A" }).diag).toEqual([
      "keepalived.conf:2:1: error: parameter substitution does not terminate after 32 rounds (a definition refers to itself); the line is skipped",
    ]);
  });

  test("an invalid parameter name is an error", () => {
    expect(run({ [MAIN]: "$1X=2" }).diag).toEqual([
      "keepalived.conf:1:2: error: '1X' is not a valid parameter name (letters, digits and _, not starting with a digit)",
    ]);
  });

  test("multi-line definitions expand to several lines", () => {
    const r = run({
      [MAIN]: ["$VI= \\", "vrrp_instance VI_${NUM} { \\", "  virtual_router_id ${NUM} \\", "}", "$NUM=1", "$VI", "$NUM=2", "$VI"].join("\n"),
    });
    expect(r.texts).toEqual(["vrrp_instance VI_1 {", "virtual_router_id 1", "}", "vrrp_instance VI_2 {", "virtual_router_id 2", "}"]);
  });

  test("pre-defined _HASH, _BANG and _PWD", () => {
    const r = run({ [MAIN]: "x ${_HASH}1 ${_BANG}2 ${_PWD}" });
    expect(r.texts).toEqual(["x #1 !2 /etc/keepalived"]);
    // The '#' from ${_HASH} is data, not a comment (comments are stripped before substitution).
    const parsed = parseText("global_defs {\n router_id a${_HASH}b\n}");
    expect(parsed.config?.globalDefs.routerId).toBe("a#b");
  });

  test("a value error in a substituted line points at the original column of the parameter", () => {
    const r = parseText("$PRIO=300\n" + instance("  priority $PRIO"));
    expect(r.errors).toEqual(["keepalived.conf:8:12: error: priority must be 1..255, got 300"]);
  });
});

describe("conditional lines (@config-id)", () => {
  const text = "@main router_id main_router\n@backup router_id backup_router\n@^main peer not-main\nalways";
  test("@id lines are kept only when the config id matches; @^id only when it does not", () => {
    expect(run({ [MAIN]: text }, "main").texts).toEqual(["router_id main_router", "always"]);
    expect(run({ [MAIN]: text }, "backup").texts).toEqual(["router_id backup_router", "peer not-main", "always"]);
    expect(run({ [MAIN]: text }).texts).toEqual(["peer not-main", "always"]);
  });

  test("conditionals combine with definitions (man page example)", () => {
    const r = run({ [MAIN]: "@main $PRIORITY=240\n@backup $PRIORITY=200\npriority $PRIORITY\n$IF_MAIN=@main\n$IF_MAIN weight 240" }, "backup");
    expect(r.texts).toEqual(["priority 200"]);
  });

  test("the column of a kept conditional line is the original one", () => {
    const r = run({ [MAIN]: "@main   router_id x" }, "main");
    expect(r.where).toEqual(["keepalived.conf:1:9"]);
  });

  test("'@' with no id is an error", () => {
    expect(run({ [MAIN]: "@ x" }).diag).toEqual(["keepalived.conf:1:1: error: '@' must be followed by a config id, e.g. '@main router_id main'"]);
  });
});

describe("~SEQ", () => {
  test("repeats the rest of the line (man page example) and counts down", () => {
    expect(run({ [MAIN]: "~SEQ(SUBNET, 0, 3) ip_address 10.0.${SUBNET}.1" }).texts).toEqual([
      "ip_address 10.0.0.1",
      "ip_address 10.0.1.1",
      "ip_address 10.0.2.1",
      "ip_address 10.0.3.1",
    ]);
    expect(run({ [MAIN]: "~SEQ(N, 3, -1, 1) v${N}" }).texts).toEqual(["v3", "v2", "v1"]);
    expect(run({ [MAIN]: "~SEQx(N, 9, 2, 13) a${N}" }).texts).toEqual(["a9", "ab", "ad"]);
  });

  test("a malformed ~SEQ is an error", () => {
    expect(run({ [MAIN]: "~SEQ(N, 1, 0, 3) x" }).diag).toEqual(["keepalived.conf:1:1: error: ~SEQ step must not be 0"]);
    expect(run({ [MAIN]: "~SEQ N" }).diag).toEqual(["keepalived.conf:1:1: error: malformed ~SEQ: expected ~SEQ(var, [start,] [step,] end)"]);
  });
});
