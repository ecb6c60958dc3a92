// An HTTP_GET url's regex as keepalived applies it: match or regex_no_match, the match's start
// within regex_min_offset..regex_max_offset, and keepalived's PCRE2 option names mapped to
// JavaScript flags (or refused where none exists).
import { describe, expect, test } from "bun:test";
import { regexFlags, regexVerdict } from "../../../src/check/http-regex.ts";
import { memoryFiles, parseConfig } from "../../../src/config/index.ts";

const BODY = "<html>status: OK\nversion 2.1\n</html>";

describe("an url's regex", () => {
  test("a match passes; regex_no_match inverts it with the offset of what matched", () => {
    expect(regexVerdict({ regex: /status: OK/g }, BODY)).toEqual({ ok: true, detail: "regex matched" });
    expect(regexVerdict({ regex: /status: DOWN/g }, BODY)).toEqual({ ok: false, reason: "regex status: DOWN did not match" });
    expect(regexVerdict({ regex: /status: DOWN/g, noMatch: true }, BODY)).toEqual({ ok: true, detail: "regex did not match (regex_no_match)" });
    expect(regexVerdict({ regex: /status: OK/g, noMatch: true }, BODY)).toEqual({ ok: false, reason: "regex status: OK matched at offset 6; regex_no_match" });
  });

  test("offsets: the match must start at or after the minimum and at or before the maximum", () => {
    expect(regexVerdict({ regex: /status/g, minOffset: 6 }, BODY).ok).toBe(true);
    expect(regexVerdict({ regex: /status/g, minOffset: 7 }, BODY)).toEqual({ ok: false, reason: "regex status did not match between offsets 7 and the end" });
    expect(regexVerdict({ regex: /version/g, maxOffset: 17 }, BODY)).toEqual({ ok: true, detail: "regex matched" });
    expect(regexVerdict({ regex: /version/g, maxOffset: 16 }, BODY).ok).toBe(false);
    // A lookbehind may look before the minimum, as PCRE2's start offset allows.
    expect(regexVerdict({ regex: /(?<=: )OK/g, minOffset: 14 }, BODY).ok).toBe(true);
    // The same compiled regex judges the next body from the start again.
    const shared = { regex: /OK/g };
    expect(regexVerdict(shared, BODY).ok).toBe(true);
    expect(regexVerdict(shared, BODY).ok).toBe(true);
  });

  test("keepalived's option names: flags where JavaScript has them, no-ops that change no match, a refusal otherwise", () => {
    expect(regexFlags(["caseless", "multiline", "dotall", "utf"])).toEqual({ ok: true, flags: "imsu" });
    expect(regexFlags(["no_auto_capture", "no_start_optimize"])).toEqual({ ok: true, flags: "" });
    expect(regexFlags(["ungreedy"])).toEqual({ ok: false, problem: "regex_options ungreedy has no equivalent in this regex engine" });
    expect(regexVerdict({ regex: new RegExp("STATUS: ok", `${(regexFlags(["caseless"]) as { flags: string }).flags}g`) }, BODY).ok).toBe(true);
  });

  test("the config: regex_no_match, regex_options and the offsets parse; without a regex they are dropped with keepalived's warning", () => {
    const parse = (url: string) =>
      parseConfig("/k.conf", {
        ...memoryFiles({
          "/k.conf": `virtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n    HTTP_GET {\n      url {\n        path /\n${url}\n      }\n    }\n  }\n}\n`,
        }),
        configId: undefined,
      });
    const ok = parse(
      '        regex "OK"\n        regex_no_match\n        regex_options caseless multiline\n        regex_min_offset 2\n        regex_max_offset 40',
    );
    const checker = ok.config!.virtualServers[0]!.realServers[0]!.checkers[0]!;
    expect(checker.kind === "HTTP_GET" && checker.urls[0]).toMatchObject({
      regex: "OK",
      regexNoMatch: true,
      regexOptions: ["caseless", "multiline"],
      regexMinOffset: 2,
      regexMaxOffset: 40,
    });
    const bare = parse("        regex_no_match");
    expect(bare.diagnostics.some((d) => d.message.includes("regex parameters specified without regex"))).toBe(true);
    const swapped = parse('        regex "OK"\n        regex_min_offset 50\n        regex_max_offset 40');
    expect(swapped.diagnostics.some((d) => d.message.includes("regex min offset 50 > regex_max_offset 40"))).toBe(true);
  });
});
