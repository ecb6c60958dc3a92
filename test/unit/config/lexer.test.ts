import { describe, expect, test } from "bun:test";
import { Diagnostics, formatDiagnostic } from "../../../src/config/diagnostics.ts";
import { commentStart, logicalLine } from "../../../src/config/lexer.ts";
import { buildStatements, tokenizeLine } from "./support/collect.ts";

const lex = (text: string) => {
  const diag = new Diagnostics();
  const tokens = tokenizeLine(logicalLine("k.conf", 3, text), diag);
  return { tokens, texts: tokens.map((t) => t.text), diag: diag.list.map(formatDiagnostic) };
};

const tree = (text: string) => {
  const diag = new Diagnostics();
  const lines = text.split("\n").map((l, i) => logicalLine("k.conf", i + 1, l));
  return { statements: buildStatements(lines, diag), diag: diag.list.map(formatDiagnostic) };
};

describe("lexer", () => {
  test("words carry file:line:col", () => {
    const { tokens } = lex("  priority   100");
    expect(tokens.map((t) => [t.text, t.file, t.line, t.col])).toEqual([
      ["priority", "k.conf", 3, 3],
      ["100", "k.conf", 3, 14],
    ]);
  });

  test("! and # comments run to the end of the line, also right after a token", () => {
    expect(lex("interface eth0.1\t\t# Vlaned interface").texts).toEqual(["interface", "eth0.1"]);
    expect(lex("inhibit_on_failure        ! set weight to 0").texts).toEqual(["inhibit_on_failure"]);
    expect(lex("weight 1#comment").texts).toEqual(["weight", "1"]);
    expect(lex("! whole line").texts).toEqual([]);
  });

  test("a double-quoted string is one token without its quotes; comment characters inside stay", () => {
    const { tokens } = lex('script "killall -0 sshd # not a comment ! either"   # a comment');
    expect(tokens.map((t) => t.text)).toEqual(["script", "killall -0 sshd # not a comment ! either"]);
    expect(tokens[1]?.quoted).toBe(true);
    expect(tokens[1]?.col).toBe(8);
  });

  test("quotes glue to adjacent text shell-style, and single quotes quote too (keepalived.conf(5) 'Quoted strings')", () => {
    expect(lex(`abcd" efg h jkl "mnop`).texts).toEqual(["abcd efg h jkl mnop"]);
    expect(lex(`notify_master "/bin/echo x" 'user name'`).texts).toEqual(["notify_master", "/bin/echo x", "user name"]);
  });

  test('single quotes inside double quotes are kept for the script runner; \\" is unescaped', () => {
    expect(lex(`script "bash -c '</dev/tcp/127.0.0.1/80'"`).texts).toEqual(["script", "bash -c '</dev/tcp/127.0.0.1/80'"]);
    expect(lex(`x "say \\"hi\\" \\t"`).texts).toEqual(["x", 'say "hi" \\t']);
  });

  test("braces are tokens even when glued to words; a quoted brace is a word", () => {
    const { tokens } = lex("virtual_ipaddress{10.0.0.1}");
    expect(tokens.map((t) => [t.kind, t.text, t.col])).toEqual([
      ["word", "virtual_ipaddress", 1],
      ["open", "{", 18],
      ["word", "10.0.0.1", 19],
      ["close", "}", 27],
    ]);
    expect(lex('x "{"').tokens[1]?.kind).toBe("word");
  });

  test("an unterminated quote is an error at the quote", () => {
    expect(lex('script "/bin/true').diag).toEqual(['k.conf:3:8: error: unterminated quoted string (missing closing ")']);
  });

  test("commentStart ignores comment characters inside quotes", () => {
    expect(commentStart(`a "b # c" ! d`)).toBe(10);
    expect(commentStart(`a 'b ! c'`)).toBe(9);
  });
});

describe("statement tree", () => {
  test("blocks nest; a keyword and its arguments share a line", () => {
    const { statements, diag } = tree("vrrp_instance VI_1 {\n  priority 100\n  track_interface {\n    eth0 weight 2\n  }\n}");
    expect(diag).toEqual([]);
    const vi = statements[0];
    expect(vi?.keyword.text).toBe("vrrp_instance");
    expect(vi?.args.map((a) => a.text)).toEqual(["VI_1"]);
    expect(vi?.children?.map((c) => c.keyword.text)).toEqual(["priority", "track_interface"]);
    expect(vi?.children?.[1]?.children?.[0]?.args.map((a) => a.text)).toEqual(["weight", "2"]);
  });

  test("values may share a line with { and } (checked with keepalived -t)", () => {
    const { statements, diag } = tree("virtual_ipaddress { 10.0.0.1/24 brd + dev eth0\n  10.0.0.2 brd - }\nnext 1");
    expect(diag).toEqual([]);
    expect(statements.map((s) => s.keyword.text)).toEqual(["virtual_ipaddress", "next"]);
    expect(statements[0]?.children?.map((c) => [c.keyword.text, c.args.length])).toEqual([
      ["10.0.0.1/24", 4],
      ["10.0.0.2", 2],
    ]);
  });

  test("a { alone on the next line opens the previous keyword's block (keepalived -t accepts it)", () => {
    const { statements, diag } = tree("vrrp_instance A\n{\n  priority 1\n}");
    expect(diag).toEqual([]);
    expect(statements[0]?.children?.[0]?.keyword.text).toBe("priority");
  });

  test("an unmatched } and an unclosed { are errors at the brace", () => {
    expect(tree("a 1\n}").diag).toEqual(["k.conf:2:1: error: '}' without a matching '{'"]);
    expect(tree("global_defs {\n  router_id x\n").diag).toEqual(["k.conf:1:13: error: '{' of 'global_defs' is never closed with '}'"]);
    expect(tree("{").diag).toEqual(["k.conf:1:1: error: '{' must follow a keyword, e.g. 'virtual_ipaddress {'"]);
  });
});
