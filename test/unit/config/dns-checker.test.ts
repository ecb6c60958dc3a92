// DNS_CHECK's block: keepalived's type and name with their defaults (SOA, the root), and
// tandem's own require_answer flag (keepalived 2.2.7 has no such keyword), its place in the
// keyword table, and the check spec the daemon makes of it.
import { describe, expect, test } from "bun:test";
import { keywordSupport } from "../../../src/config/index.ts";
import type { DnsChecker } from "../../../src/config/model.ts";
import { checkSpecOf } from "../../../src/daemon/check/check-spec-of.ts";
import { parseText } from "./helpers.ts";

const parsed = (body: string) => {
  const r = parseText(
    `virtual_server 10.0.0.1 53 {\n  protocol UDP\n  lvs_sched rr\n  lvs_method NAT\n  real_server 10.0.0.2 53 {\n    DNS_CHECK {\n${body}\n    }\n  }\n}`,
  );
  const vs = r.config?.virtualServers[0];
  const rs = vs?.realServers[0];
  return { ...r, vs, rs, checker: rs?.checkers[0] as DnsChecker | undefined };
};

describe("DNS_CHECK", () => {
  test("keepalived's defaults: type SOA, the root, and no answer required", () => {
    const r = parsed("");
    expect(r.messages).toEqual([]);
    expect(r.checker).toMatchObject({ kind: "DNS_CHECK", type: "SOA", name: ".", requireAnswer: false });
  });

  test("require_answer, bare or with keepalived's optional boolean", () => {
    expect(parsed("      type A\n      name www.test.example\n      require_answer").checker).toMatchObject({
      type: "A",
      name: "www.test.example",
      requireAnswer: true,
    });
    expect(parsed("      require_answer on").checker?.requireAnswer).toBe(true);
    expect(parsed("      require_answer false").checker?.requireAnswer).toBe(false);
    expect(parsed("      require_answer maybe").errors).toHaveLength(1);
  });

  test("require_answer is marked as tandem's in the keyword table", () => {
    const row = keywordSupport().find((k) => k.block === "virtual_server > real_server > DNS_CHECK" && k.keyword === "require_answer");
    expect(row).toEqual({ keyword: "require_answer", block: "virtual_server > real_server > DNS_CHECK", status: "supported", note: "tandem extension" });
    expect(keywordSupport().find((k) => k.block === "virtual_server > real_server > DNS_CHECK" && k.keyword === "name")?.note).toBeUndefined();
  });

  test("the check spec carries it; a type or name the query cannot carry is the checker's problem", () => {
    const spec = (body: string) => {
      const r = parsed(body);
      return checkSpecOf(r.checker!, r.rs!, r.vs!);
    };
    expect(spec("      type aaaa\n      require_answer")).toMatchObject({
      kind: "DNS_CHECK",
      connect: { address: { text: "10.0.0.2" }, port: 53 },
      dns: { type: "AAAA", name: ".", requireAnswer: true },
      timing: { retry: 3 },
    });
    expect(spec("      type PTR").problem).toBe("type PTR is not one of A, NS, CNAME, SOA, MX, TXT, AAAA, RRSIG, DNSKEY");
    expect(spec("      name a..b").problem).toBe("name a..b has an empty label");
    expect(spec(`      name ${"x".repeat(64)}.example`).problem).toContain("is 64 bytes (at most 63)");
    expect(spec("      type A\n      name www.test.example").problem).toBeUndefined();
  });
});
