import { describe, expect, test } from "bun:test";
import { argvWithArgs, parseScriptCommand, splitKeepalivedWords } from "../../../../src/daemon/scripts/script-command.ts";

const parse = (text: string) => {
  const parsed = parseScriptCommand(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.command;
};

describe("splitKeepalivedWords (keepalived alloc_strvec_quoted_escaped)", () => {
  test("whitespace separates words; runs of whitespace count once", () => {
    expect(splitKeepalivedWords("  /bin/check \t -a   b ")).toEqual({ ok: true, words: ["/bin/check", "-a", "b"] });
  });
  test("quotes group words and are removed; adjacent text joins (the man page's examples)", () => {
    expect(splitKeepalivedWords(`abcd" efg h jkl "mnop`)).toEqual({ ok: true, words: ["abcd efg h jkl mnop"] });
    expect(splitKeepalivedWords(`abcd "efg h jkl" mnop`)).toEqual({ ok: true, words: ["abcd", "efg h jkl", "mnop"] });
    expect(splitKeepalivedWords(`/x.sh extra 'a b'`)).toEqual({ ok: true, words: ["/x.sh", "extra", "a b"] });
  });
  test("escapes: \\n, \\t, octal, hex, control, and \\C for any other C (also inside quotes)", () => {
    expect(splitKeepalivedWords(String.raw`a\tb 'c\nd' \101\x42 \cA \" \\`)).toEqual({
      ok: true,
      words: ["a\tb", "c\nd", "AB", "\x01", '"', "\\"],
    });
  });
  test("an escaped quote or space does not start a quote or split", () => {
    expect(splitKeepalivedWords(String.raw`a\ b \'c`)).toEqual({ ok: true, words: ["a b", "'c"] });
  });
  test("unterminated quote and trailing backslash are errors that say what is wrong", () => {
    const a = splitKeepalivedWords(`/x 'abc`);
    expect(a.ok).toBe(false);
    if (!a.ok) expect(a.error).toContain("missing terminating '");
    const b = splitKeepalivedWords(`/x \\`);
    expect(b.ok).toBe(false);
  });
});

describe("parseScriptCommand: exec or /bin/sh -c", () => {
  test("a plain program with arguments is exec'd directly, like keepalived 2.2.7", () => {
    expect(parse("/usr/local/bin/check_nginx --port 80")).toEqual({
      mode: "exec",
      text: "/usr/local/bin/check_nginx --port 80",
      argv: ["/usr/local/bin/check_nginx", "--port", "80"],
    });
    expect(parse("/x.sh 'a b'").argv).toEqual(["/x.sh", "a b"]);
  });
  test("the seed article's script runs through the shell", () => {
    const command = parse("[ -f /etc/keepalived/down ] && exit 1 || exit 0");
    expect(command.mode).toBe("shell");
    expect(command.argv).toEqual(["/bin/sh", "-c", "[ -f /etc/keepalived/down ] && exit 1 || exit 0"]);
  });
  test.each([
    ["/bin/check; echo x"],
    ["/bin/check | grep ok"],
    ["/bin/check > /dev/null"],
    ["</dev/tcp/127.0.0.1/80"],
    ["/bin/check $HOME"],
    ['/bin/check "$HOME"'],
    ["/bin/check `hostname`"],
    ["/bin/check &"],
    ["(cd /tmp && ls)"],
    ["/bin/a\n/bin/b"],
    ["exit 0"],
    ["test -f /x"],
    ["! /bin/false"],
    ["if true; then exit 0; fi"],
  ])("shell for %p", (text) => {
    expect(parse(text).mode).toBe("shell");
  });
  test.each([["/bin/check 'a;b'"], ["/bin/check 'a && b'"], ["/bin/check '$HOME'"], [String.raw`/bin/check a\;b`], ["/usr/bin/pidof nginx"], ["pidof nginx"]])(
    "exec for %p (metacharacters quoted or absent)",
    (text) => {
      expect(parse(text).mode).toBe("exec");
    },
  );
  test("empty text is an error", () => {
    expect(parseScriptCommand("   ").ok).toBe(false);
  });
});

describe("argvWithArgs (notify TYPE NAME STATE PRIORITY)", () => {
  test("exec: appended as separate argv entries, no quotes", () => {
    expect(argvWithArgs(parse("/n.sh extra 'a b'"), ["INSTANCE", "VI_1", "MASTER", "100"])).toEqual([
      "/n.sh",
      "extra",
      "a b",
      "INSTANCE",
      "VI_1",
      "MASTER",
      "100",
    ]);
  });
  test('shell: passed as positional parameters and appended with "$@", never pasted into the source', () => {
    expect(argvWithArgs(parse("/n.sh >> /tmp/log"), ["GROUP", "G;rm -rf /", "FAULT", "0"])).toEqual([
      "/bin/sh",
      "-c",
      '/n.sh >> /tmp/log "$@"',
      "sh",
      "GROUP",
      "G;rm -rf /",
      "FAULT",
      "0",
    ]);
  });
  test("no args: argv unchanged", () => {
    expect(argvWithArgs(parse("/n.sh a"), [])).toEqual(["/n.sh", "a"]);
  });
});
