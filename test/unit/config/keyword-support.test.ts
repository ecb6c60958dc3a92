import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { keywordSupport, renderKeywordMarkdown, renderKeywordSummary } from "../../../src/config/index.ts";

const find = (block: string, keyword: string) => keywordSupport().find((k) => k.block === block && k.keyword === keyword);

describe("keyword support table", () => {
  test("is derived from the parser's tables, nested blocks included", () => {
    expect(find("top", "vrrp_instance")?.status).toBe("supported");
    expect(find("vrrp_instance", "virtual_router_id")?.status).toBe("supported");
    expect(find("vrrp_instance > authentication", "auth_type")?.note).toBe("PASS only; AH is an error");
    expect(find("vrrp_instance", "use_vmac")?.status).toBe("parsed-ignored");
    expect(find("vrrp_instance", "use_ipvlan")?.status).toBe("rejected");
    expect(find("virtual_server > real_server > HTTP_GET > url", "status_code")?.status).toBe("supported");
    expect(find("virtual_server > real_server > SMTP_CHECK > host", "connect_ip")?.status).toBe("supported");
    expect(find("global_defs", "api_listen")?.note).toBe("tandem extension");
    expect(find("top", "static_routes")?.status).toBe("parsed-ignored");
    expect(find("top", "vrrp_track_file")?.note).toBe("deprecated, use track_file");
  });

  test("every entry has a status and no (block, keyword) pair repeats", () => {
    const all = keywordSupport();
    expect(all.length).toBeGreaterThan(250);
    expect(new Set(all.map((k) => `${k.block}|${k.keyword}`)).size).toBe(all.length);
  });

  test("docs/config-keywords.md is up to date (regenerate: bun src/config/keyword-support.ts > docs/config-keywords.md)", () => {
    const doc = readFileSync(join(import.meta.dir, "../../../docs/config-keywords.md"), "utf8");
    expect(doc).toBe(renderKeywordMarkdown());
  });
});

describe("module boundaries (DESIGN.md dependency rules)", () => {
  test("src/config imports only src/common, its own files and node:fs / node:path", () => {
    const dir = join(import.meta.dir, "../../../src/config");
    for (const f of readdirSync(dir)) {
      const text = readFileSync(join(dir, f), "utf8");
      for (const m of text.matchAll(/from "([^"]+)"/g)) {
        const spec = m[1] as string;
        const allowed = spec.startsWith("./") || spec.startsWith("../common/") || spec === "node:fs" || spec === "node:path";
        expect({ file: f, import: spec, allowed }).toEqual({ file: f, import: spec, allowed: true });
      }
    }
  });
});

describe("README", () => {
  test("the keyword table in README.md is up to date (regenerate: bun src/config/keyword-support.ts --summary)", () => {
    const readme = readFileSync(join(import.meta.dir, "../../../README.md"), "utf8");
    const section = readme.split("<!-- keywords:start -->\n")[1]?.split("<!-- keywords:end -->")[0];
    expect(section).toBe(renderKeywordSummary());
  });
});
