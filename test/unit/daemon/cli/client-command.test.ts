// The API client over HTTPS against a real Bun.serve on 127.0.0.1:0: pinning, CA files,
// system verification, and the rule that a wrong pin sends nothing (so no token leaks).
import { afterAll, afterEach, describe, expect, spyOn, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClientOptions } from "../../../../src/daemon/cli/cli-args.ts";
import { clientCommand, requestApi, resolveApiTarget } from "../../../../src/daemon/cli/client-command.ts";
import { createSelfSignedCertificate } from "../../../../src/tls/index.ts";

const now = Date.now() - 60_000;
// The pinned server's certificate names some other host on purpose: a pin ignores names.
const pinned = createSelfSignedCertificate({ commonName: "elsewhere", dnsNames: ["elsewhere.example"], ipAddresses: [], validDays: 2, now });
// This one names 127.0.0.1, so a client with it as its CA verifies normally.
const named = createSelfSignedCertificate({ commonName: "tandem-a", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], validDays: 2, now });
const stranger = createSelfSignedCertificate({ commonName: "stranger", dnsNames: [], ipAddresses: [], validDays: 2, now });

interface Seen {
  count: number;
  authorization: (string | null)[];
}

function serve(cert: { certificatePem: string; privateKeyPem: string }) {
  const seen: Seen = { count: 0, authorization: [] };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: cert.certificatePem, key: cert.privateKeyPem },
    fetch(request) {
      seen.count++;
      seen.authorization.push(request.headers.get("authorization"));
      return Response.json({ instances: [] });
    },
  });
  return { server, seen, baseUrl: `https://127.0.0.1:${server.port}` };
}

const pinnedServer = serve(pinned);
const namedServer = serve(named);
const dir = mkdtempSync(join(tmpdir(), "tandem-client-"));
afterAll(() => {
  pinnedServer.server.stop(true);
  namedServer.server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const s of [pinnedServer.seen, namedServer.seen]) ((s.count = 0), (s.authorization = []));
});

describe("requestApi over HTTPS", () => {
  test("the right pin works on a self-signed certificate for another name, and the token arrives", async () => {
    const answer = await requestApi({ baseUrl: pinnedServer.baseUrl, fingerprint: pinned.fingerprint, token: "s3cret" }, "/vrrp/state");
    expect(answer).toMatchObject({ ok: true, status: 200, text: '{"instances":[]}' });
    expect(pinnedServer.seen.authorization).toEqual(["Bearer s3cret"]);
  });

  test("a wrong pin fails before any request: the server sees nothing, the message shows what it saw", async () => {
    const answer = await requestApi(
      { baseUrl: pinnedServer.baseUrl, fingerprint: stranger.fingerprint, pinSource: "--fingerprint", token: "s3cret" },
      "/vrrp/state",
    );
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.message).toContain(`presented the certificate ${pinned.fingerprint}, not the pinned ${stranger.fingerprint}`);
    expect(answer.message).toContain("nothing was sent");
    expect(pinnedServer.seen.count).toBe(0);
  });

  test("--cacert verifies normally against that CA", async () => {
    const answer = await requestApi({ baseUrl: namedServer.baseUrl, caPem: named.certificatePem, token: "t" }, "/vrrp/state");
    expect(answer).toMatchObject({ ok: true, status: 200 });
    expect(namedServer.seen.authorization).toEqual(["Bearer t"]);
  });

  test("--cacert still checks the host name", async () => {
    const answer = await requestApi({ baseUrl: pinnedServer.baseUrl, caPem: pinned.certificatePem }, "/vrrp/state");
    expect(answer.ok).toBe(false);
    if (!answer.ok) expect(answer.message).toContain("does not verify against --cacert");
    expect(pinnedServer.seen.count).toBe(0);
  });

  test("without a pin or CA a self-signed certificate fails, pointing at --fingerprint", async () => {
    const answer = await requestApi({ baseUrl: namedServer.baseUrl, token: "t" }, "/vrrp/state");
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.message).toContain("cannot verify the TLS certificate");
    expect(answer.message).toContain("--fingerprint");
    expect(answer.message).toContain(`it presents ${named.fingerprint}`);
    expect(namedServer.seen.count).toBe(0);
  });

  test("nobody listening is a plain connection failure", async () => {
    const port = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const url = `https://127.0.0.1:${port.port}`;
    port.stop(true);
    const answer = await requestApi({ baseUrl: url, fingerprint: pinned.fingerprint }, "/vrrp/state");
    expect(answer).toMatchObject({ ok: false });
    if (!answer.ok) expect(answer.message).toContain(`cannot reach the tandem API at ${url}`);
  });
});

describe("clientCommand", () => {
  test("a wrong pin exits non-zero and says which certificate it met", async () => {
    const errors: string[] = [];
    const spy = spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => (errors.push(String(chunk)), true));
    try {
      const options: ClientOptions = {
        apiUrl: pinnedServer.baseUrl,
        configFile: join(dir, "absent.conf"),
        json: true,
        query: {},
        fingerprint: stranger.fingerprint,
      };
      expect(await clientCommand("state", options)).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(errors.join("")).toContain(`tandem state: the API at ${pinnedServer.baseUrl} presented the certificate ${pinned.fingerprint}`);
    expect(pinnedServer.seen.count).toBe(0);
  });
});

describe("resolveApiTarget", () => {
  const certFile = join(dir, "api-cert.pem");
  const tokenFile = join(dir, "api-token");
  writeFileSync(certFile, pinned.certificatePem);
  writeFileSync(tokenFile, "from-config\n");
  const base: ClientOptions = { apiUrl: undefined, configFile: "/nonexistent", json: false, query: {} };

  test("with no configuration: the default, plain http", () => {
    expect(resolveApiTarget(base, {})).toEqual({ ok: true, target: { baseUrl: "http://127.0.0.1:8080" } });
  });

  test("api_tls_certificate makes it https and pins the local certificate; the token file is read", () => {
    const result = resolveApiTarget(base, { apiListen: "0.0.0.0:8443", apiTlsCertificate: certFile, apiTokenFile: tokenFile });
    expect(result).toEqual({
      ok: true,
      target: { baseUrl: "https://127.0.0.1:8443", fingerprint: pinned.fingerprint, pinSource: `api_tls_certificate ${certFile}`, token: "from-config" },
    });
  });

  test("an unreadable certificate or token file is skipped: system verification, no token", () => {
    const result = resolveApiTarget(base, { apiListen: "[::]:8443", apiTlsCertificate: join(dir, "nope.pem"), apiTokenFile: join(dir, "nope") });
    expect(result).toEqual({ ok: true, target: { baseUrl: "https://[::1]:8443" } });
  });

  test("the configuration's pin and token are not handed to another --api", () => {
    const result = resolveApiTarget({ ...base, apiUrl: "https://10.98.0.12:8080/" }, { apiTlsCertificate: certFile, apiTokenFile: tokenFile });
    expect(result).toEqual({ ok: true, target: { baseUrl: "https://10.98.0.12:8080" } });
  });

  test("--fingerprint, --cacert and --token-file win over the configuration", () => {
    const pinnedTarget = resolveApiTarget(
      { ...base, fingerprint: stranger.fingerprint.toLowerCase(), tokenFile },
      { apiTlsCertificate: certFile, apiTokenFile: join(dir, "nope") },
    );
    expect(pinnedTarget).toMatchObject({
      ok: true,
      target: { baseUrl: "https://127.0.0.1:8080", fingerprint: stranger.fingerprint, pinSource: "--fingerprint", token: "from-config" },
    });
    const caTarget = resolveApiTarget({ ...base, apiUrl: "https://box:8080", caFile: certFile }, {});
    expect(caTarget).toEqual({ ok: true, target: { baseUrl: "https://box:8080", caPem: pinned.certificatePem } });
  });

  test("mistakes are explained", () => {
    const message = (options: Partial<ClientOptions>) => {
      const result = resolveApiTarget({ ...base, ...options }, {});
      return result.ok ? "ok" : result.message;
    };
    expect(message({ fingerprint: pinned.fingerprint })).toBe("--fingerprint needs an https:// API, and http://127.0.0.1:8080 is plain http");
    expect(message({ apiUrl: "http://box:8080", caFile: certFile })).toBe("--cacert needs an https:// API, and http://box:8080 is plain http");
    expect(message({ caFile: join(dir, "nope") })).toBe(`cannot read --cacert ${join(dir, "nope")}`);
    expect(message({ tokenFile: join(dir, "nope") })).toBe(`cannot read --token-file ${join(dir, "nope")}`);
    writeFileSync(join(dir, "empty"), "\n");
    expect(message({ tokenFile: join(dir, "empty") })).toBe(`--token-file ${join(dir, "empty")} is empty`);
  });
});

describe("requestApi with certificates that cannot be trusted", () => {
  test("an expired certificate is refused even when pinned, and the message says why", async () => {
    const expired = createSelfSignedCertificate({ commonName: "old", dnsNames: [], ipAddresses: [], validDays: 1, now: Date.now() - 10 * 86_400_000 });
    const old = serve(expired);
    try {
      const answer = await requestApi({ baseUrl: old.baseUrl, fingerprint: expired.fingerprint, token: "t" }, "/vrrp/state");
      expect(answer.ok).toBe(false);
      if (!answer.ok) expect(answer.message).toContain(`the pinned certificate of ${old.baseUrl} was refused`);
      expect(old.seen.count).toBe(0);
    } finally {
      old.server.stop(true);
    }
  });
});
