// bind_if and fwmark in the TCP probes: which kinds may run with them; their errors as the log
// says them; TCP_CHECK, HTTP_GET and SSL_GET over net/tcp-connect.ts's connection against
// servers of this process on the loopback (bound to "lo", so SO_BINDTODEVICE is set and the
// connection still reaches them); a missing bind_if; SO_MARK refused to a process without
// CAP_NET_ADMIN and CAP_NET_RAW (a child whose capability bounding set lacks both, as root).
// Their effect on routing (a mark selecting a table, the wrong device) is proven in
// test/netns/checks-bind-options.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { systemClock } from "../../../../src/common/clock.ts";
import { parseIpAddress } from "../../../../src/common/ip-address.ts";
import type { ConnectTarget, HttpCheckSpec } from "../../../../src/check/check-spec.ts";
import { httpProbe, tcpProbe, unsupportedConnectOptions } from "../../../../src/daemon/check/connection-probes.ts";
import { describeSocketError } from "../../../../src/daemon/check/socket-errors.ts";
import { SystemError } from "../../../../src/net/errno.ts";
import { makeTestCertificates } from "./test-certificates.ts";

const LOCALHOST = parseIpAddress("127.0.0.1")!;
const isRoot = process.getuid?.() === 0;
const context = () => ({ clock: systemClock(), signal: new AbortController().signal, connectTimeoutMs: 2000 });
const servers: Server[] = [];
let dir: string;
let plainPort = 0;
let httpPort = 0;
let tlsPort = 0;
const httpRequests: string[] = [];

async function listening(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

const answer = (socket: import("node:net").Socket) => {
  socket.on("error", () => {});
  socket.once("data", (data) => {
    httpRequests.push(data.toString("latin1").split("\r\n")[0]!);
    socket.end("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
  });
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tandem-connect-options-"));
  const certs = makeTestCertificates(dir, "www.example.com", "127.0.0.1");
  plainPort = await listening(createServer((socket) => socket.on("error", () => {}).end()));
  httpPort = await listening(createServer(answer));
  tlsPort = await listening(createTlsServer({ cert: readFileSync(certs.good.cert), key: readFileSync(certs.good.key) }, answer));
}, 30_000);

afterAll(() => {
  for (const server of servers) server.close();
  rmSync(dir, { recursive: true, force: true });
});

const http = (tls: boolean): HttpCheckSpec => ({ urls: [{ path: "/health", statusCodes: [] }], protocol: "1.0", tls, sni: false, fastRecovery: false });

describe("which checkers may run with bind_if and fwmark", () => {
  const target = (extra: Partial<ConnectTarget>): ConnectTarget => ({ address: LOCALHOST, port: 80, ...extra });

  test("TCP_CHECK, HTTP_GET, SSL_GET, SMTP_CHECK, UDP_CHECK and DNS_CHECK set them", () => {
    for (const kind of ["TCP_CHECK", "HTTP_GET", "SSL_GET", "SMTP_CHECK", "UDP_CHECK", "DNS_CHECK"] as const) {
      expect(unsupportedConnectOptions(target({ bindInterface: "eth0", fwmark: 5 }), kind)).toBeUndefined();
    }
  });

  test("PING_CHECK, whose ICMP socket sets neither (keepalived's ignores both), is refused with the option and the kind named", () => {
    expect(unsupportedConnectOptions(target({ bindInterface: "eth0" }), "PING_CHECK")).toBe("bind_if (SO_BINDTODEVICE) is not supported for PING_CHECK yet");
    expect(unsupportedConnectOptions(target({ fwmark: 5 }), "PING_CHECK")).toBe("a checker fwmark (SO_MARK) is not supported for PING_CHECK yet");
  });

  test("a caller that names no kind is refused too: it may be any probe", () => {
    expect(unsupportedConnectOptions(target({ fwmark: 5 }))).toBe("a checker fwmark (SO_MARK) is not supported yet");
  });

  test("fwmark 0 is no mark, as in keepalived: nothing to refuse", () => {
    expect(unsupportedConnectOptions(target({ fwmark: 0 }), "UDP_CHECK")).toBeUndefined();
    expect(unsupportedConnectOptions(target({}))).toBeUndefined();
  });
});

describe("their errors as the log says them", () => {
  const target: ConnectTarget = { address: LOCALHOST, port: 80, bindInterface: "eth9", fwmark: 7 };

  test("a missing bind_if and a refused SO_MARK name the option", () => {
    expect(describeSocketError(new SystemError("setsockopt(SO_BINDTODEVICE) to 127.0.0.1:80", 19, "No such device"), target)).toBe(
      "bind_if eth9: no such interface",
    );
    expect(describeSocketError(new SystemError("setsockopt(SO_MARK) to 127.0.0.1:80", 1, "Operation not permitted"), target)).toBe(
      "fwmark 7: setting SO_MARK needs CAP_NET_ADMIN or CAP_NET_RAW",
    );
  });

  test("EADDRNOTAVAIL without a bindto: no source address (on the bind_if's link), not a bindto's fault", () => {
    const error = Object.assign(new Error("connect"), { code: "EADDRNOTAVAIL" });
    expect(describeSocketError(error, { address: LOCALHOST, port: 80, bindInterface: "eth1" })).toBe("no local address to connect from on bind_if eth1");
    expect(describeSocketError(error, { address: LOCALHOST, port: 80, bindTo: LOCALHOST })).toBe("bindto address not available on this host");
    expect(describeSocketError(error)).toBe("bindto address not available on this host");
  });

  test("an EPERM from connect is a firewall's, not the mark's: the system's words", () => {
    expect(describeSocketError(new SystemError("connect to 127.0.0.1:80", 1, "Operation not permitted"), target)).toBe(
      "connect to 127.0.0.1:80: Operation not permitted (errno 1)",
    );
  });
});

describe("the probes over the connection with socket options", () => {
  test("TCP_CHECK bound to lo connects", async () => {
    expect(await tcpProbe({ address: LOCALHOST, port: plainPort, bindInterface: "lo" }, context())).toEqual({ ok: true, detail: "connected" });
  });

  test("TCP_CHECK to a closed port: connection refused", async () => {
    const closed = await listening(createServer());
    servers.pop()!.close();
    expect(await tcpProbe({ address: LOCALHOST, port: closed, bindInterface: "lo" }, context())).toEqual({ ok: false, reason: "connection refused" });
  });

  test("a bind_if this host does not have", async () => {
    expect(await tcpProbe({ address: LOCALHOST, port: plainPort, bindInterface: "tandem-none0" }, context())).toEqual({
      ok: false,
      reason: "bind_if tandem-none0: no such interface",
    });
  });

  test("HTTP_GET bound to lo: the GET sent once connected, the answer judged", async () => {
    const target = { address: LOCALHOST, port: httpPort, bindInterface: "lo" };
    const before = httpRequests.length;
    expect(await httpProbe(target, http(false), http(false).urls[0]!, context())).toMatchObject({ ok: true, detail: "status 200" });
    expect(httpRequests.slice(before)).toEqual(["GET /health HTTP/1.0"]);
  });

  test("SSL_GET bound to lo: TLS runs over the connection", async () => {
    const target = { address: LOCALHOST, port: tlsPort, bindInterface: "lo" };
    const before = httpRequests.length;
    expect(await httpProbe(target, http(true), http(true).urls[0]!, context())).toMatchObject({ ok: true, detail: "status 200" });
    expect(httpRequests.slice(before)).toEqual(["GET /health HTTP/1.0"]);
  });

  test("SSL_GET bound to lo, to a port that closes at once: the server's close ends the handshake", async () => {
    const verdict = await httpProbe({ address: LOCALHOST, port: plainPort, bindInterface: "lo" }, http(true), http(true).urls[0]!, context());
    // Its FIN, or (the ClientHello reaching a closed socket) its kernel's reset, whichever comes first.
    expect(verdict.ok).toBe(false);
    expect(["the server closed the connection during the TLS handshake", "connection reset by the server"]).toContain((verdict as { reason: string }).reason);
  });

  test("SSL_GET to a port that answers in plain HTTP: the handshake fails with the library's reason", async () => {
    const verdict = await httpProbe({ address: LOCALHOST, port: httpPort }, http(true), http(true).urls[0]!, context());
    expect(verdict).toEqual({ ok: false, reason: "TLS handshake failed: wrong version number" });
  });

  test.skipIf(!isRoot)("as root, TCP_CHECK with a fwmark connects (SO_MARK set)", async () => {
    expect(await tcpProbe({ address: LOCALHOST, port: plainPort, fwmark: 7 }, context())).toEqual({ ok: true, detail: "connected" });
  });

  test.skipIf(!isRoot)("without CAP_NET_ADMIN and CAP_NET_RAW, SO_MARK is refused with its reason", () => {
    const script = [
      `import { parseIpAddress } from ${JSON.stringify(resolve(import.meta.dir, "../../../../src/common/ip-address.ts"))};`,
      `import { systemClock } from ${JSON.stringify(resolve(import.meta.dir, "../../../../src/common/clock.ts"))};`,
      `import { tcpProbe } from ${JSON.stringify(resolve(import.meta.dir, "../../../../src/daemon/check/connection-probes.ts"))};`,
      `const target = { address: parseIpAddress("127.0.0.1"), port: ${plainPort}, fwmark: 7 };`,
      `console.log(JSON.stringify(await tcpProbe(target, { clock: systemClock(), signal: new AbortController().signal, connectTimeoutMs: 2000 })));`,
    ].join("\n");
    const file = join(dir, "without-cap.ts");
    writeFileSync(file, script);
    const run = Bun.spawnSync(["setpriv", "--bounding-set", "-net_admin,-net_raw", process.execPath, file], { stdout: "pipe", stderr: "pipe" });
    expect({ exit: run.exitCode, stderr: run.stderr.toString() }).toEqual({ exit: 0, stderr: "" });
    expect(JSON.parse(run.stdout.toString())).toEqual({ ok: false, reason: "fwmark 7: setting SO_MARK needs CAP_NET_ADMIN or CAP_NET_RAW" });
  });
});
