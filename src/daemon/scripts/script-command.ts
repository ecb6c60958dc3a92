// Turns a keepalived `script "..."` / `notify "..."` string into an argv to run: keepalived's
// word splitting (lib/parser.c alloc_strvec_quoted_escaped) or, for shell syntax, /bin/sh -c.
//
// Why a shell at all: keepalived 2.x execve()s the split words directly (changelog 2.0:
// "Use execve() to execute scripts rather than system()"), so the seed article's
// `[ -f /etc/keepalived/down ] && exit 1 || exit 0` runs /usr/bin/[ with "&&" as an
// argument, which exits 2: keepalived 2.2.7 reports that script as always failing (measured).
// keepalived 1.x ran it through system(), and that is what the article relies on. So:
//
//   SHELL RULE: the text runs as `/bin/sh -c TEXT` when it contains, outside quotes, one of
//   ; & | < > ( ) or a newline, or `$` / backquote outside single quotes (the shell would
//   expand them), or when its first word is a shell keyword/builtin with no program behind
//   it ([[ ! { if for while until case exit . source export cd set exec, and [ / test, which
//   then run as builtins with identical results). Anything else is exec'd directly with
//   keepalived's splitting, exactly as keepalived 2.2.7 does.
//
// keepalived's own shell fallback (a first word starting "</", the "is this file openable"
// idiom) is covered by the `<` rule.

export const shellPath = "/bin/sh";

export type ScriptCommand =
  | { readonly mode: "exec"; readonly text: string; readonly argv: readonly string[] }
  | { readonly mode: "shell"; readonly text: string; readonly argv: readonly string[] };

export type ParsedScriptCommand = { ok: true; command: ScriptCommand } | { ok: false; error: string };

const whiteSpace = " \t\f\n\r\v";
const shellOnlyFirstWords = new Set(["[", "[[", "test", "!", "{", "if", "for", "while", "until", "case", "exit", ".", "source", "export", "cd", "set", "exec"]);

/** Parse the script text as the config delivers it (the outer quotes already removed). */
export function parseScriptCommand(text: string): ParsedScriptCommand {
  const words = splitKeepalivedWords(text);
  if (!words.ok) return words;
  if (words.words.length === 0) return { ok: false, error: 'the script is empty: give a program path, e.g. script "/usr/local/bin/check"' };
  if (needsShell(text, words.words[0]!)) {
    return { ok: true, command: { mode: "shell", text, argv: [shellPath, "-c", text] } };
  }
  return { ok: true, command: { mode: "exec", text, argv: words.words } };
}

/**
 * The argv with extra arguments appended (the notify script's TYPE NAME STATE PRIORITY).
 * In shell mode the arguments go in as positional parameters and `"$@"` is appended to the
 * text, which matches keepalived's system() fallback (arguments appended to the command
 * string) without ever pasting a name into shell source.
 */
export function argvWithArgs(command: ScriptCommand, args: readonly string[]): string[] {
  if (args.length === 0) return [...command.argv];
  if (command.mode === "exec") return [...command.argv, ...args];
  return [shellPath, "-c", `${command.text} "$@"`, "sh", ...args];
}

/** keepalived's second-level split of a script string: whitespace separates words; ' and " group; C escapes apply (even inside quotes). */
export function splitKeepalivedWords(text: string): { ok: true; words: string[] } | { ok: false; error: string } {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && whiteSpace.includes(text[i]!)) i++;
    if (i >= text.length) break;
    let word = "";
    let quote: "'" | '"' | undefined;
    for (; i < text.length;) {
      const ch = text[i]!;
      if (ch === "\\") {
        const escaped = readEscape(text, i + 1);
        if (!escaped) return { ok: false, error: `script "${text}": a backslash at the end has nothing to escape; remove it or write \\\\` };
        word += escaped.value;
        i = escaped.next;
        continue;
      }
      if (quote) {
        if (ch === quote) quote = undefined;
        else word += ch;
        i++;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        i++;
        continue;
      }
      if (whiteSpace.includes(ch)) break;
      word += ch;
      i++;
    }
    if (quote) return { ok: false, error: `script "${text}": missing terminating ${quote}` };
    words.push(word);
  }
  return { ok: true, words };
}

function readEscape(text: string, at: number): { value: string; next: number } | undefined {
  const ch = text[at];
  if (ch === undefined) return undefined;
  const isHex = (c: string | undefined) => c !== undefined && /[0-9a-fA-F]/.test(c);
  if (ch === "x" && isHex(text[at + 1])) {
    let code = 0;
    let i = at + 1;
    // keepalived keeps shifting into one char, so only the low 8 bits survive.
    while (isHex(text[i])) code = ((code << 4) | parseInt(text[i++]!, 16)) & 0xff;
    return { value: String.fromCharCode(code), next: i };
  }
  if (ch === "c" && text[at + 1] !== undefined) return { value: String.fromCharCode(text.charCodeAt(at + 1) & 0x1f), next: at + 2 };
  if (ch >= "0" && ch <= "7") {
    let code = 0;
    let i = at;
    while (i < at + 3 && text[i] !== undefined && text[i]! >= "0" && text[i]! <= "7") code = ((code << 3) + Number(text[i++])) & 0xff;
    return { value: String.fromCharCode(code), next: i };
  }
  const simple: Record<string, string> = { a: "\x07", b: "\b", E: "\x1b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };
  return { value: simple[ch] ?? ch, next: at + 1 };
}

function needsShell(text: string, firstWord: string): boolean {
  if (shellOnlyFirstWords.has(firstWord)) return true;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\\") {
      i++;
      continue;
    }
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      continue;
    }
    if (ch === "$" || ch === "`") return true;
    if (quote === '"') {
      if (ch === '"') quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (";&|<>()\n".includes(ch)) return true;
  }
  return false;
}
