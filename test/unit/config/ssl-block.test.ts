// The global SSL block (keepalived's check_parser.c: password, ca, certificate, key; a second
// block or keyword replaces the first, with keepalived's warning), tandem's SSL_GET
// tls_verify and tls_expiry_warn (keepalived 2.2.7 has neither), their place in the keyword
// table, and the check spec the daemon makes of them.
import { describe, expect, test } from "bun:test";
import { keywordSupport } from "../../../src/config/index.ts";
import { CONFIG_FIELDS } from "../../../src/config/model-fields.ts";
import type { HttpChecker } from "../../../src/config/model.ts";
import { checkSpecOf } from "../../../src/daemon/check/check-spec-of.ts";
import { directorConfigOf } from "../../../src/daemon/ipc/director-config.ts";
import { parseText } from "./helpers.ts";

const virtualServer = (checker: string) =>
  `virtual_server 10.0.0.1 443 {\n  protocol TCP\n  lvs_sched rr\n  lvs_method NAT\n  real_server 10.0.0.2 443 {\n${checker}\n  }\n}\n`;
const sslGet = (body = "") => `    SSL_GET {\n      url {\n        path /\n      }\n${body}\n    }`;

const parsed = (top: string, checker = sslGet()) => {
  const r = parseText(`${top}\n${virtualServer(checker)}`);
  const vs = r.config?.virtualServers[0];
  const rs = vs?.realServers[0];
  return { ...r, vs, rs, checker: rs?.checkers[0] as HttpChecker | undefined };
};

describe("the SSL block", () => {
  test("its four settings, each where it was written", () => {
    const r = parsed(`SSL {\n  password s3cret\n  ca /etc/ssl/ca.pem\n  certificate /etc/ssl/client.pem\n  key /etc/ssl/client.key\n}`);
    expect(r.messages).toEqual([]);
    expect(r.config?.ssl).toEqual({
      password: "s3cret",
      ca: "/etc/ssl/ca.pem",
      certificate: "/etc/ssl/client.pem",
      key: "/etc/ssl/client.key",
      location: { file: "/etc/keepalived/keepalived.conf", line: 1, col: 1 },
      fieldLocations: {
        password: { file: "/etc/keepalived/keepalived.conf", line: 2, col: 3 },
        ca: { file: "/etc/keepalived/keepalived.conf", line: 3, col: 3 },
        certificate: { file: "/etc/keepalived/keepalived.conf", line: 4, col: 3 },
        key: { file: "/etc/keepalived/keepalived.conf", line: 5, col: 3 },
      },
    });
  });

  test("no SSL block: no ssl in the model, and none sent to the director", () => {
    const r = parsed("");
    expect(r.messages).toEqual([]);
    expect(r.config).toBeDefined();
    expect("ssl" in r.config!).toBe(false);
    expect("ssl" in directorConfigOf(r.config!)).toBe(false);
    const withBlock = parsed(`SSL {\n  ca /ca.pem\n}`);
    expect(directorConfigOf(withBlock.config!).ssl?.ca).toBe("/ca.pem");
  });

  test("a second block replaces the first whole, a second setting the first one, as keepalived warns", () => {
    const r = parsed(`SSL {\n  ca /first.pem\n  password one\n  key /k\n  certificate /c\n}\nSSL {\n  ca /second.pem\n  ca /third.pem\n}`);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      "keepalived.conf:7:1: warning: SSL replaces the block at /etc/keepalived/keepalived.conf:1:1, as in keepalived",
      "keepalived.conf:9:3: warning: SSL ca replaces the one at /etc/keepalived/keepalived.conf:8:3, as in keepalived",
    ]);
    expect(r.config?.ssl).toMatchObject({ ca: "/third.pem" });
    expect(r.config?.ssl?.password).toBeUndefined();
    expect(r.config?.ssl?.key).toBeUndefined();
  });

  test('a setting without its value is an error (keepalived: "SSL cafile missing"); extra words are ignored with a warning', () => {
    const r = parsed(`SSL {\n  ca\n  password\n  certificate /c one\n  key /k\n}`);
    expect(r.errors).toEqual([
      "keepalived.conf:2:3: error: ca needs a PEM file of CA certificates",
      "keepalived.conf:3:3: error: password needs the key's passphrase",
    ]);
    expect(r.warnings).toEqual(["keepalived.conf:4:18: warning: extra arguments after certificate ignored: one"]);
    expect(r.config).toBeUndefined();
  });

  test("a certificate without its key (or a key, a password without what they go with) sends no client certificate, as in keepalived", () => {
    expect(parsed(`SSL {\n  certificate /c\n}`).warnings).toEqual([
      "keepalived.conf:2:3: warning: SSL certificate has no key: no client certificate is sent (as in keepalived)",
    ]);
    expect(parsed(`SSL {\n  key /k\n  password p\n}`).warnings).toEqual([
      "keepalived.conf:2:3: warning: SSL key has no certificate: no client certificate is sent (as in keepalived)",
    ]);
    expect(parsed(`SSL {\n  password p\n}`).warnings).toEqual(["keepalived.conf:2:3: warning: SSL password has no key to decrypt; ignored"]);
    expect(parsed(`SSL {\n  certificate /c\n  key /k\n  password p\n}`).warnings).toEqual([]);
  });

  test("an unknown keyword inside it warns as keepalived does; the block needs braces", () => {
    expect(parsed(`SSL {\n  cafile /x\n}`).warnings).toEqual(["keepalived.conf:2:3: warning: unknown keyword 'cafile' in SSL; ignored"]);
    expect(parsed(`SSL`).errors).toEqual(["keepalived.conf:1:1: error: SSL needs a { ... } block"]);
  });

  test("the password is a secret: GET /config never shows it", () => {
    expect(CONFIG_FIELDS.ssl).toEqual({ record: { password: "secret", ca: "value", certificate: "value", key: "value" } });
  });

  test("the keyword table lists the block as supported, no longer ignored", () => {
    const rows = keywordSupport().filter((k) => k.block === "SSL" || (k.block === "top" && k.keyword === "SSL"));
    expect(rows.map((k) => [k.block, k.keyword, k.status])).toEqual([
      ["top", "SSL", "supported"],
      ["SSL", "password", "supported"],
      ["SSL", "ca", "supported"],
      ["SSL", "certificate", "supported"],
      ["SSL", "key", "supported"],
    ]);
  });
});

describe("SSL_GET's tls_verify and tls_expiry_warn", () => {
  test("off by default, as keepalived never verifies; the warning two weeks ahead", () => {
    const r = parsed("");
    expect(r.checker).toMatchObject({ kind: "SSL_GET", tlsVerify: false, tlsExpiryWarnDays: 14 });
  });

  test("tls_verify bare or with keepalived's optional boolean; tls_expiry_warn DAYS 0..3650", () => {
    expect(parsed("", sslGet("      tls_verify\n      tls_expiry_warn 30")).checker).toMatchObject({ tlsVerify: true, tlsExpiryWarnDays: 30 });
    expect(parsed("", sslGet("      tls_verify off")).checker?.tlsVerify).toBe(false);
    expect(parsed("", sslGet("      tls_expiry_warn 0")).checker?.tlsExpiryWarnDays).toBe(0);
    expect(parsed("", sslGet("      tls_verify maybe")).errors).toHaveLength(1);
    expect(parsed("", sslGet("      tls_expiry_warn 3651")).errors).toEqual(["keepalived.conf:11:23: error: tls_expiry_warn must be 0..3650, got 3651"]);
    expect(parsed("", sslGet("      tls_expiry_warn")).errors).toEqual(["keepalived.conf:11:7: error: tls_expiry_warn needs an integer 0..3650"]);
  });

  test("they belong to SSL_GET: in HTTP_GET they are unknown keywords", () => {
    const r = parsed("", sslGet("      tls_verify").replace("SSL_GET", "HTTP_GET"));
    expect(r.warnings).toEqual(["keepalived.conf:11:7: warning: unknown keyword 'tls_verify' in HTTP_GET; ignored"]);
    expect(r.checker).toMatchObject({ kind: "HTTP_GET", tlsVerify: false });
    expect(r.checker?.tlsExpiryWarnDays).toBeUndefined();
  });

  test("marked as tandem's in the keyword table, with what they do", () => {
    const row = (keyword: string) => keywordSupport().find((k) => k.block === "virtual_server > real_server > SSL_GET" && k.keyword === keyword);
    expect(row("tls_verify")?.status).toBe("supported");
    expect(row("tls_verify")?.note).toStartWith("tandem extension; the server's certificate must chain to the SSL block's ca");
    expect(row("tls_expiry_warn")?.note).toStartWith("tandem extension; DAYS (default 14, 0: never)");
    expect(row("enable_sni")?.note).toBeUndefined();
  });
});

describe("the check spec", () => {
  const spec = (top: string, checker = sslGet()) => {
    const r = parsed(top, checker);
    return checkSpecOf(r.checker!, r.rs!, r.vs!, [], r.config?.ssl);
  };

  test("SSL_GET carries the SSL block's files, the password, the verification and the warning days", () => {
    expect(
      spec(`SSL {\n  password pw\n  ca /ca.pem\n  certificate /c.pem\n  key /k.pem\n}`, sslGet("      tls_verify\n      tls_expiry_warn 7")).http,
    ).toMatchObject({
      tls: true,
      tlsClient: { caFile: "/ca.pem", certificateFile: "/c.pem", keyFile: "/k.pem", password: "pw", verify: true, expiryWarnDays: 7 },
    });
  });

  test("without an SSL block: keepalived's bare context, nothing verified", () => {
    expect(spec("").http?.tlsClient).toEqual({ verify: false, expiryWarnDays: 14 });
  });

  test("HTTP_GET has no TLS side, SSL block or not", () => {
    const http = spec(`SSL {\n  ca /ca.pem\n}`, sslGet().replace("SSL_GET", "HTTP_GET")).http;
    expect(http?.tls).toBe(false);
    expect(http?.tlsClient).toBeUndefined();
  });
});
