// SSL_GET's handshake against node:tls servers of this process on 127.0.0.1, with
// certificates openssl makes for the test (test-certificates.ts): without tls_verify every
// server passes (keepalived's behaviour) and the client certificate of the SSL block is sent;
// with it, the right one passes and the wrong name, the expired and the self-signed ones fail
// with their reasons; the validity period and the expiry notice on the injected clock's wall
// time; the SSL block's files that cannot be used, each with its reason; the report each
// verdict carries for the API.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server } from "node:tls";
import { systemClock, type Clock } from "../../../../src/common/clock.ts";
import { TLS_FILES_LOOK_MS } from "../../../../src/daemon/check/tls-client.ts";
import { parseIpAddress } from "../../../../src/common/ip-address.ts";
import type { HttpCheckSpec, TlsClientSpec } from "../../../../src/check/check-spec.ts";
import type { CheckVerdict } from "../../../../src/check/http-judge.ts";
import { httpProbe } from "../../../../src/daemon/check/connection-probes.ts";
import { makeTestCertificates, type KeyPair, type TestCertificates } from "./test-certificates.ts";

const HOST = "www.example.com";
const LOCALHOST = parseIpAddress("127.0.0.1")!;
const DAY = 86_400_000;

let dir: string;
let certs: TestCertificates;
const servers: Server[] = [];
/** Each server's port, and the client certificates' CNs it was shown. */
const ports: Record<string, number> = {};
const clientNames: Record<string, (string | undefined)[]> = {};
let status = 200;

async function serve(name: string, pair: KeyPair): Promise<void> {
  clientNames[name] = [];
  const server = createServer({ cert: readFileSync(pair.cert), key: readFileSync(pair.key), requestCert: true, rejectUnauthorized: false }, (socket) => {
    const peer = socket.getPeerCertificate();
    clientNames[name]!.push(peer?.subject?.CN as string | undefined);
    socket.on("error", () => {});
    socket.once("data", () => socket.end(`HTTP/1.0 ${status} X\r\nContent-Length: 3\r\n\r\nok\n`));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  ports[name] = (server.address() as { port: number }).port;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tandem-tls-probe-"));
  certs = makeTestCertificates(dir, HOST, "127.0.0.1");
  await serve("good", certs.good);
  await serve("wrongName", certs.wrongName);
  await serve("expired", certs.expired);
  await serve("selfSigned", certs.selfSigned);
}, 30_000);

afterAll(() => {
  for (const server of servers) server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** virtualhost null: none. */
const spec = (tlsClient: TlsClientSpec | undefined, virtualhost: string | null = HOST): HttpCheckSpec => ({
  urls: [{ path: "/", statusCodes: [] }],
  protocol: "1.0",
  ...(virtualhost !== null ? { virtualhost } : {}),
  tls: true,
  sni: true,
  fastRecovery: false,
  ...(tlsClient ? { tlsClient } : {}),
});

/** The SSL block with the test CA and the client certificate. */
const sslBlock = (extra: Partial<TlsClientSpec> = {}): TlsClientSpec => ({
  caFile: certs.ca.cert,
  certificateFile: certs.client.cert,
  keyFile: certs.client.key,
  password: certs.clientPassword,
  verify: false,
  expiryWarnDays: 14,
  ...extra,
});

function check(server: string, http: HttpCheckSpec, clock: Clock = systemClock()): Promise<CheckVerdict> {
  const context = { clock, signal: new AbortController().signal, connectTimeoutMs: 3000 };
  return httpProbe({ address: LOCALHOST, port: ports[server]! }, http, http.urls[0]!, context);
}

/** The real clock's timers, its wall moved to `wallMs`. */
const wallAt = (wallMs: number): Clock => ({ ...systemClock(), wallMs: () => wallMs });

const notAfterOf = (pair: KeyPair): number => {
  const run = Bun.spawnSync(["openssl", "x509", "-in", pair.cert, "-noout", "-enddate"]);
  return Date.parse(run.stdout.toString().trim().replace("notAfter=", ""));
};

describe("SSL_GET without tls_verify (keepalived's behaviour)", () => {
  test("every server passes, its certificate reported as not verified; the SSL block's client certificate is sent", async () => {
    for (const server of ["good", "wrongName", "expired", "selfSigned"]) {
      const before = clientNames[server]!.length;
      const verdict = await check(server, spec(sslBlock()));
      expect({ server, ok: verdict.ok, verified: verdict.tls?.verified }).toEqual({ server, ok: true, verified: false });
      expect(clientNames[server]!.slice(before)).toEqual(["tandem-client"]);
    }
  });

  test("no SSL block: no client certificate, nothing verified", async () => {
    const before = clientNames.good!.length;
    const verdict = await check("good", spec(undefined));
    expect(verdict).toMatchObject({ ok: true, detail: "status 200", tls: { verified: false, subject: `CN=${HOST}`, issuer: "CN=Tandem Test CA" } });
    expect(clientNames.good!.slice(before)).toEqual([undefined]);
  });

  test("the certificate is read once a minute for the report, not at every handshake", async () => {
    let offsetMs = 0;
    const real = systemClock();
    const clock: Clock = { ...real, nowMs: () => real.nowMs() + offsetMs };
    // One check, its server swapping certificates (here: the same check sent to two servers).
    const http = spec(undefined);
    expect((await check("good", http, clock)).tls).toMatchObject({ issuer: "CN=Tandem Test CA" });
    expect((await check("selfSigned", http, clock)).tls).toMatchObject({ issuer: "CN=Tandem Test CA" });
    offsetMs += 60_000;
    expect((await check("selfSigned", http, clock)).tls?.issuer).not.toBe("CN=Tandem Test CA");
  });

  test("the expired certificate passes, with the notice that it has expired", async () => {
    const verdict = await check("expired", spec(sslBlock()));
    expect(verdict).toMatchObject({ ok: true, detail: `status 200; certificate expired on ${certs.expiredOn} (not verified)`, tls: { expiresSoon: true } });
  });
});

describe("the protocol versions", () => {
  test("a server that speaks only TLS 1.1 is refused, as keepalived's OpenSSL 3 refuses it at its default security level", async () => {
    const server = Bun.spawn(
      ["openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", certs.good.cert, "-key", certs.good.key, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0", "-www"],
      { stdout: "pipe", stderr: "ignore" },
    );
    try {
      let printed = "";
      const reader = server.stdout.getReader();
      while (!/ACCEPT 127\.0\.0\.1:(\d+)/.test(printed)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`openssl s_server printed no port: ${printed}`);
        printed += new TextDecoder().decode(value);
      }
      const port = Number(/ACCEPT 127\.0\.0\.1:(\d+)/.exec(printed)![1]);
      ports.tls11 = port;
      expect(await check("tls11", spec(undefined))).toEqual({ ok: false, reason: "TLS handshake failed: tlsv1 alert protocol version" });
    } finally {
      server.kill();
    }
  });
});

describe("SSL_GET with tls_verify", () => {
  const verifying = (extra: Partial<TlsClientSpec> = {}) => sslBlock({ verify: true, ...extra });

  test("the CA's certificate for the virtualhost passes, verified", async () => {
    const verdict = await check("good", spec(verifying()));
    expect(verdict).toEqual({
      ok: true,
      detail: "status 200",
      tls: { verified: true, subject: `CN=${HOST}`, issuer: "CN=Tandem Test CA", notAfterMs: notAfterOf(certs.good), expiresSoon: false },
    });
  });

  test("each bad certificate fails with its reason, before any request is sent", async () => {
    const reasons: Record<string, string> = {};
    for (const server of ["wrongName", "expired", "selfSigned"]) {
      const verdict = await check(server, spec(verifying()));
      if (verdict.ok) throw new Error(`${server} passed`);
      expect(verdict.tls?.verified).toBe(false);
      reasons[server] = verdict.reason;
    }
    expect(reasons).toEqual({
      wrongName: `certificate name mismatch: ${certs.wrongNameHost} is not ${HOST}`,
      expired: `certificate expired on ${certs.expiredOn}`,
      selfSigned: "certificate verify failed: self-signed certificate",
    });
  });

  test("no virtualhost: the name is the address connected to, as an IP subjectAltName", async () => {
    expect((await check("good", spec(verifying(), null))).ok).toBe(true);
    expect(await check("wrongName", spec(verifying(), null))).toMatchObject({
      ok: false,
      reason: `certificate name mismatch: ${certs.wrongNameHost} is not 127.0.0.1`,
    });
  });

  test("without the SSL block's ca the system's CAs are trusted, and the test CA is not among them", async () => {
    const verdict = await check("good", spec({ verify: true, expiryWarnDays: 14 }));
    expect(verdict).toMatchObject({ ok: false, reason: "certificate verify failed: unable to verify the first certificate" });
  });

  test("the validity period and the expiry notice follow the injected clock's wall time", async () => {
    const notAfterMs = notAfterOf(certs.good);
    const soon = await check("good", spec(verifying()), wallAt(notAfterMs - 5 * DAY - 60_000));
    const date = new Date(notAfterMs).toISOString().slice(0, 10);
    expect(soon).toMatchObject({ ok: true, detail: `status 200; certificate expires on ${date}, in 5 days`, tls: { verified: true, expiresSoon: true } });
    const noWarning = await check("good", spec(verifying({ expiryWarnDays: 0 })), wallAt(notAfterMs - DAY));
    expect(noWarning).toMatchObject({ ok: true, detail: "status 200", tls: { expiresSoon: false } });
    expect(await check("good", spec(verifying()), wallAt(notAfterMs + 1000))).toMatchObject({ ok: false, reason: `certificate expired on ${date}` });
  });

  test("a failure after the handshake carries the certificate's report", async () => {
    status = 503;
    try {
      expect(await check("good", spec(verifying()))).toMatchObject({ ok: false, reason: "status 503; expected 200-299", tls: { verified: true } });
    } finally {
      status = 200;
    }
  });
});

describe("the SSL block's files", () => {
  test("one that cannot be used fails the check with the file and the reason (keepalived stops its checker process)", async () => {
    const reason = async (extra: Partial<TlsClientSpec>) => {
      const verdict = await check("good", spec(sslBlock(extra)));
      return verdict.ok ? "passed" : verdict.reason;
    };
    writeFileSync(join(dir, "not-pem.txt"), "hello\n");
    expect(await reason({ caFile: join(dir, "missing.pem") })).toBe(`SSL ca ${join(dir, "missing.pem")}: no such file`);
    expect(await reason({ caFile: dir })).toBe(`SSL ca ${dir} is not a file`);
    expect(await reason({ caFile: certs.ca.key })).toBe(`SSL ca ${certs.ca.key} holds no PEM certificate`);
    expect(await reason({ certificateFile: join(dir, "not-pem.txt") })).toBe(`SSL certificate ${join(dir, "not-pem.txt")} is not a PEM certificate`);
    expect(await reason({ keyFile: join(dir, "not-pem.txt") })).toBe(`SSL key ${join(dir, "not-pem.txt")} is not a PEM private key`);
    expect(await reason({ password: "wrong" })).toBe(`SSL key ${certs.client.key} cannot be decrypted with the SSL block's password`);
    const { password: _none, ...noPassword } = sslBlock();
    expect(await reason({ ...noPassword, password: undefined } as Partial<TlsClientSpec>)).toBe(
      `SSL key ${certs.client.key} is encrypted and the SSL block has no password`,
    );
    expect(await reason({ keyFile: certs.good.key, password: undefined } as Partial<TlsClientSpec>)).toBe(
      `SSL key ${certs.good.key} is not the key of certificate ${certs.client.cert}`,
    );
  });

  test("read again when one of them changes (keepalived reads them at start and reload), looked at once a second, else kept", async () => {
    const caCopy = join(dir, "ca-copy.pem");
    const client = sslBlock({ caFile: caCopy, verify: true });
    // The real clock's timers, its monotonic time moved on by hand: the files are looked at once per TLS_FILES_LOOK_MS.
    let offsetMs = 0;
    const real = systemClock();
    const clock: Clock = { ...real, nowMs: () => real.nowMs() + offsetMs };
    const later = () => void (offsetMs += TLS_FILES_LOOK_MS);
    expect(await check("good", spec(client), clock)).toMatchObject({ ok: false, reason: `SSL ca ${caCopy}: no such file` });
    copyFileSync(certs.ca.cert, caCopy);
    // Within the second the files were last looked at, the context is kept as it was.
    expect(await check("good", spec(client), clock)).toMatchObject({ ok: false, reason: `SSL ca ${caCopy}: no such file` });
    later();
    expect(await check("good", spec(client), clock)).toMatchObject({ ok: true, tls: { verified: true } });
    later();
    expect(await check("good", spec(client), clock)).toMatchObject({ ok: true, tls: { verified: true } });
    // Another CA in its place: the server's certificate no longer chains to it.
    copyFileSync(certs.selfSigned.cert, caCopy);
    later();
    expect(await check("good", spec(client), clock)).toMatchObject({ ok: false, reason: "certificate verify failed: unable to verify the first certificate" });
    rmSync(caCopy);
    later();
    expect(await check("good", spec(client), clock)).toMatchObject({ ok: false, reason: `SSL ca ${caCopy}: no such file` });
  });
});
