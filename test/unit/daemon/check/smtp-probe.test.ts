// SMTP_CHECK's probe against TCP servers of this process on 127.0.0.1 playing OpenSMTPD's
// recorded replies (test/fixtures/smtp): keepalived's lines sent in turn; a server that accepts
// and says nothing, timed out on the fake clock at connect_timeout; the wait re-armed at each
// read; a reset, a close, a refused port; bindto / bind_port; the abort; the socket always closed.
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { FakeClock, systemClock, type Clock, type TimerHandle } from "../../../../src/common/clock.ts";
import { parseIpAddress } from "../../../../src/common/ip-address.ts";
import type { ConnectTarget } from "../../../../src/check/check-spec.ts";
import type { CheckVerdict } from "../../../../src/check/http-judge.ts";
import { SMTP_DEFAULT_HELO } from "../../../../src/check/smtp-dialogue.ts";
import { smtpProbe } from "../../../../src/daemon/check/smtp-probe.ts";

const LOCALHOST = parseIpAddress("127.0.0.1")!;
const recorded = (
  JSON.parse(readFileSync(join(import.meta.dir, "../../../fixtures/smtp/opensmtpd-6.8.0.json"), "utf8")) as {
    dialogues: Record<string, { banner: string; helo?: string; quit?: string }>;
  }
).dialogues;
const servers: Server[] = [];

afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

interface Peer {
  socket: Socket;
  /** The client's lines, without their CRLF. */
  lines: string[];
  /** The client's address and port, as the server saw them on accepting. */
  remote: { address?: string; port?: number };
  closed: Promise<void>;
}

/** A server on 127.0.0.1; `onLine` answers each of the client's lines, `onConnect` the connection. */
async function smtpServer(handlers: { onConnect?: (peer: Peer) => void; onLine?: (peer: Peer, line: string) => void }) {
  const peers: Peer[] = [];
  const server = createServer((socket) => {
    let buffered = "";
    const peer: Peer = {
      socket,
      lines: [],
      remote: { address: socket.remoteAddress, port: socket.remotePort },
      closed: new Promise((resolve) => socket.on("close", () => resolve())),
    };
    peers.push(peer);
    socket.on("error", () => {});
    socket.on("data", (data) => {
      buffered += data.toString("latin1");
      for (let end = buffered.indexOf("\r\n"); end >= 0; end = buffered.indexOf("\r\n")) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        peer.lines.push(line);
        handlers.onLine?.(peer, line);
      }
    });
    handlers.onConnect?.(peer);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as { port: number }).port, peers };
}

/** Plays a recorded dialogue: the banner at once, then the recorded answer to HELO and to QUIT. */
const playing = (dialogue: { banner: string; helo?: string; quit?: string }) => ({
  onConnect: (peer: Peer) => peer.socket.write(dialogue.banner),
  onLine: (peer: Peer, line: string) => {
    const answer = line.startsWith("HELO ") ? dialogue.helo : line === "QUIT" ? dialogue.quit : undefined;
    if (answer !== undefined) peer.socket.write(answer);
    if (line === "QUIT") peer.socket.end();
  },
});

async function closedPort(): Promise<number> {
  const { port } = await smtpServer({});
  servers.pop()!.close();
  return port;
}

/** A fake clock that counts its timers: each wait the probe arms is one more. */
function countingClock() {
  const fake = new FakeClock();
  let armed = 0;
  const clock: Clock = {
    nowMs: () => fake.nowMs(),
    wallMs: () => fake.wallMs(),
    at(atMs: number, fn: () => void): TimerHandle {
      armed++;
      return fake.at(atMs, fn);
    },
  };
  return { fake, clock, armed: () => armed };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await Bun.sleep(2);
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

const target = (port: number, extra: Partial<ConnectTarget> = {}): ConnectTarget => ({ address: LOCALHOST, port, ...extra });
const probe = (
  port: number,
  options: { clock?: Clock; signal?: AbortSignal; connectTimeoutMs?: number; heloName?: string; extra?: Partial<ConnectTarget> } = {},
) =>
  smtpProbe(
    target(port, options.extra),
    { heloName: options.heloName ?? SMTP_DEFAULT_HELO },
    {
      clock: options.clock ?? systemClock(),
      signal: options.signal ?? new AbortController().signal,
      connectTimeoutMs: options.connectTimeoutMs ?? 2_000,
    },
  );

describe("the dialogue over a socket", () => {
  test("a healthy server: keepalived's HELO and QUIT, in turn; the 221 is a success; the socket is closed", async () => {
    const server = await smtpServer(playing(recorded.accepting!));
    const verdict = await probe(server.port);
    expect(verdict).toEqual({ ok: true, detail: "greeting 220, HELO 250, QUIT answered 221 2.0.0 Bye" });
    expect(server.peers[0]!.lines).toEqual(["HELO smtpchecker.keepalived.org", "QUIT"]);
    await server.peers[0]!.closed;
  });

  test("the configured helo_name is the one sent", async () => {
    const server = await smtpServer(playing(recorded.accepting!));
    expect((await probe(server.port, { heloName: "lb1.example.com" })).ok).toBe(true);
    expect(server.peers[0]!.lines[0]).toBe("HELO lb1.example.com");
  });

  test("HELO refused: the recorded 550 in the reason, and no QUIT sent", async () => {
    const server = await smtpServer(playing(recorded.heloRefused!));
    expect(await probe(server.port)).toEqual({ ok: false, reason: "HELO answered 550 5.7.1 tandem test: HELO refused; expected 250" });
    await server.peers[0]!.closed;
    expect(server.peers[0]!.lines).toEqual(["HELO smtpchecker.keepalived.org"]);
  });

  test("a 554 banner and a close: the banner is the reason, not the close", async () => {
    const server = await smtpServer({ onConnect: (peer) => peer.socket.end(recorded.bannerRefused!.banner) });
    expect(await probe(server.port)).toEqual({ ok: false, reason: "bad greeting banner: 554 5.7.1 tandem test: no service" });
    expect(server.peers[0]!.lines).toEqual([]);
  });
});

describe("connect_timeout on the injected clock", () => {
  test("a server that accepts and never greets (a hung process): no banner within connect_timeout", async () => {
    const server = await smtpServer({});
    const { fake, clock, armed } = countingClock();
    let verdict: CheckVerdict | undefined;
    const done = probe(server.port, { clock, connectTimeoutMs: 1_000 }).then((v) => (verdict = v));
    await until(() => armed() === 2 && server.peers.length === 1, "the connection");
    fake.advance(999);
    await Bun.sleep(5);
    expect(verdict).toBeUndefined();
    fake.advance(1);
    expect(await done).toEqual({ ok: false, reason: "no greeting banner within 1 s" });
    await server.peers[0]!.closed;
  });

  test("the wait is re-armed at each read, as keepalived's read timeout is; then no answer to HELO", async () => {
    const server = await smtpServer({});
    const { fake, clock, armed } = countingClock();
    let verdict: CheckVerdict | undefined;
    const done = probe(server.port, { clock, connectTimeoutMs: 1_000 }).then((v) => (verdict = v));
    await until(() => armed() === 2 && server.peers.length === 1, "the connection");
    const peer = server.peers[0]!;
    fake.advance(900);
    peer.socket.write("220 rs.");
    await until(() => armed() === 3, "the first read");
    fake.advance(900);
    peer.socket.write("test ready\r\n");
    await until(() => peer.lines.length === 1, "HELO");
    fake.advance(999);
    await Bun.sleep(5);
    expect(verdict).toBeUndefined();
    fake.advance(1);
    expect(await done).toEqual({ ok: false, reason: "no answer to HELO within 1 s" });
    expect(fake.nowMs()).toBe(2_800);
  });

  test("a banner cut short by a hang shows what had come", async () => {
    const server = await smtpServer({ onConnect: (peer) => peer.socket.write("220-rs.test hello\r\n220 rs") });
    const { fake, clock, armed } = countingClock();
    const done = probe(server.port, { clock, connectTimeoutMs: 1_000 });
    await until(() => armed() >= 3, "the banner's read");
    fake.advance(1_000);
    expect(await done).toEqual({ ok: false, reason: 'no greeting banner within 1 s (after "220-rs.test hello / 220 rs")' });
  });
});

describe("the ways a connection ends", () => {
  test("a reset (a server killed mid-way, a firewall's RST)", async () => {
    const server = await smtpServer({ onConnect: (peer) => peer.socket.resetAndDestroy() });
    expect(await probe(server.port)).toEqual({ ok: false, reason: "connection reset by the server" });
  });

  test("a reset after HELO", async () => {
    const server = await smtpServer({ onConnect: (peer) => peer.socket.write("220 ok\r\n"), onLine: (peer) => peer.socket.resetAndDestroy() });
    expect(await probe(server.port)).toEqual({ ok: false, reason: "connection reset by the server" });
  });

  test("a close before the banner", async () => {
    const server = await smtpServer({ onConnect: (peer) => peer.socket.end() });
    expect(await probe(server.port)).toEqual({ ok: false, reason: "the server closed the connection before its greeting banner" });
  });

  test("a close instead of answering QUIT fails, as keepalived's Read failure does", async () => {
    const server = await smtpServer({
      onConnect: (peer) => peer.socket.write("220 ok\r\n"),
      onLine: (peer, line) => (line === "QUIT" ? peer.socket.end() : peer.socket.write("250 ok\r\n")),
    });
    expect(await probe(server.port)).toEqual({ ok: false, reason: "the server closed the connection before answering QUIT" });
  });

  test("a stopped server: connection refused", async () => {
    expect(await probe(await closedPort())).toEqual({ ok: false, reason: "connection refused" });
  });
});

describe("connect options and the abort", () => {
  test("bindto and bind_port are the connection's source", async () => {
    const server = await smtpServer(playing(recorded.accepting!));
    const sourcePort = await closedPort();
    expect((await probe(server.port, { extra: { bindTo: LOCALHOST, bindPort: sourcePort } })).ok).toBe(true);
    expect(server.peers[0]!.remote).toEqual({ address: "127.0.0.1", port: sourcePort });
  });

  test("an abort before the start, and one while the banner is awaited: the socket is closed", async () => {
    const aborted = new AbortController();
    aborted.abort();
    expect(await probe(await closedPort(), { signal: aborted.signal })).toEqual({ ok: false, reason: "no connection before the check's time ran out" });
    const server = await smtpServer({});
    const controller = new AbortController();
    const { clock, armed } = countingClock();
    const done = probe(server.port, { clock, signal: controller.signal });
    await until(() => armed() === 2 && server.peers.length === 1, "the connection");
    controller.abort();
    expect(await done).toEqual({ ok: false, reason: "no greeting banner before the check's time ran out" });
    await server.peers[0]!.closed;
  });
});
