// scripts/port-forward.ts: argument parsing, and the forwarder end to end on loopback as
// `make demo` runs it, two processes meeting at a unix socket (TCP -> unix -> TCP).
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Server, Socket, SocketListener, Subprocess } from "bun";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs, parseEndpoint, parseForward, USAGE } from "../../../scripts/port-forward.ts";

const SCRIPT = resolve(import.meta.dir, "../../../scripts/port-forward.ts");
// Above every `until` below, so a stuck forwarder fails its own test with a reason instead of
// the runner killing the subprocesses the next tests share.
setDefaultTimeout(20_000);

describe("parseForward", () => {
  test("accepts the demo's host and namespace forms", () => {
    expect(parseForward("127.0.0.1:8081=unix:/tmp/d/a.sock")).toEqual({
      listen: { kind: "tcp", host: "127.0.0.1", port: 8081 },
      target: { kind: "unix", path: "/tmp/d/a.sock" },
    });
    expect(parseForward("unix:/tmp/d/a.sock=10.98.0.11:8080")).toEqual({
      listen: { kind: "unix", path: "/tmp/d/a.sock" },
      target: { kind: "tcp", host: "10.98.0.11", port: 8080 },
    });
  });

  test("accepts hostnames, a listen port of 0, relative paths and '=' in a target path", () => {
    expect(parseForward("localhost:0=web-1.example:65535")).toEqual({
      listen: { kind: "tcp", host: "localhost", port: 0 },
      target: { kind: "tcp", host: "web-1.example", port: 65535 },
    });
    expect(parseForward("unix:run/a.sock=unix:/tmp/x=y.sock")).toEqual({
      listen: { kind: "unix", path: "run/a.sock" },
      target: { kind: "unix", path: "/tmp/x=y.sock" },
    });
    expect(parseArgs(["127.0.0.1:1=unix:/a", "127.0.0.1:2=unix:/b"])).toHaveLength(2);
  });

  test.each([
    ["127.0.0.1:8081", `no '=' in "127.0.0.1:8081" (want LISTEN=TARGET)`],
    ["127.0.0.1:8081=", `"" is neither HOST:PORT nor unix:PATH`],
    ["localhost=unix:/a", `"localhost" is neither HOST:PORT nor unix:PATH`],
    ["127.0.0.1:65536=unix:/a", `bad port "65536" in "127.0.0.1:65536" (want 0-65535)`],
    ["127.0.0.1:80x=unix:/a", `bad port "80x"`],
    ["127.0.0.1:-1=unix:/a", `bad port "-1"`],
    ["127.0.0.1:=unix:/a", `bad port ""`],
    ["unix:/a=10.0.0.1:0", `bad port "0" in "10.0.0.1:0" (want 1-65535)`],
    ["unix:=10.0.0.1:80", `empty unix socket path in "unix:"`],
    ["unix:/a=unix:", `empty unix socket path in "unix:"`],
    [":80=unix:/a", `bad host "" in ":80"`],
    ["10.0.0.256:80=unix:/a", `bad host "10.0.0.256"`],
    ["10.0.1:80=unix:/a", `bad host "10.0.1"`],
    ["[::1]:80=unix:/a", `bad host "[::1]"`],
    ["web_1:80=unix:/a", `bad host "web_1"`],
  ])("rejects %p", (arg, message) => {
    expect(() => parseForward(arg)).toThrow(message);
  });

  test("rejects an empty argument list", () => {
    expect(() => parseArgs([])).toThrow("no forwards given");
  });

  test("allows port 0 only where the kernel may pick it", () => {
    expect(parseEndpoint("127.0.0.1:0", true)).toEqual({ kind: "tcp", host: "127.0.0.1", port: 0 });
    expect(() => parseEndpoint("127.0.0.1:0")).toThrow(`bad port "0"`);
  });
});

// ---- end to end ----

const dir = mkdtempSync(join(tmpdir(), "port-forward-"));
const suiteCleanups: (() => unknown)[] = [];
const testCleanups: (() => unknown)[] = [];
const runAll = async (cleanups: (() => unknown)[]) => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
};
afterEach(() => runAll(testCleanups));
afterAll(async () => {
  await runAll(suiteCleanups);
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const start = Date.now(); !condition(); await Bun.sleep(5)) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
  }
}

/** One side of a test connection. Writes honour backpressure as the forwarder must. */
interface Peer {
  socket?: Socket<Peer>;
  out: Uint8Array[];
  chunks: Uint8Array[];
  bytes: number;
  closed: boolean;
}
const newPeer = (): Peer => ({ out: [], chunks: [], bytes: 0, closed: false });
const received = (peer: Peer) => Buffer.concat(peer.chunks);

function send(peer: Peer, data: Uint8Array | string): void {
  peer.out.push(typeof data === "string" ? Buffer.from(data) : data);
  pump(peer);
}

function pump(peer: Peer): void {
  for (let chunk; (chunk = peer.out[0]); peer.out.shift()) {
    const written = peer.socket!.write(chunk);
    if (written < chunk.length) {
      if (written > 0) peer.out[0] = chunk.subarray(written);
      return;
    }
  }
}

function peerHandlers(transform = (data: Buffer): Uint8Array | undefined => undefined) {
  return {
    open(socket: Socket<Peer>) {
      socket.data ??= newPeer();
      socket.data.socket = socket;
    },
    data(socket: Socket<Peer>, data: Buffer) {
      socket.data.chunks.push(data);
      socket.data.bytes += data.length;
      const reply = transform(data);
      if (reply) send(socket.data, reply);
    },
    drain: (socket: Socket<Peer>) => pump(socket.data),
    close(socket: Socket<Peer>) {
      socket.data.closed = true;
    },
  };
}

const upper = (data: Uint8Array) => data.map((b) => (b >= 0x61 && b <= 0x7a ? b - 0x20 : b));

async function connectClient(port: number): Promise<Peer> {
  const peer = newPeer();
  const socket = await Bun.connect<Peer>({ hostname: "127.0.0.1", port, data: peer, socket: peerHandlers() });
  testCleanups.push(() => socket.terminate());
  peer.socket = socket;
  return peer;
}

/** The final target: upper-cases what it receives; its connections are kept to watch them close. */
function startUpperServer(where: { unix: string } | { port: 0 }, cleanups = suiteCleanups) {
  const connections: Peer[] = [];
  const socket = {
    ...peerHandlers((data) => upper(data)),
    open(socket: Socket<Peer>) {
      socket.data = { ...newPeer(), socket };
      connections.push(socket.data);
    },
  };
  const listener: SocketListener<Peer> =
    "unix" in where ? Bun.listen<Peer>({ unix: where.unix, socket }) : Bun.listen<Peer>({ hostname: "127.0.0.1", port: 0, socket });
  cleanups.push(() => listener.stop(true));
  return { listener, connections, port: (listener as { port?: number }).port ?? 0 };
}

interface Forwarder {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  stdout: string;
  stderr: string;
  ports: number[];
}

/** Spawns the script, waiting for its one listening line per forward. */
async function spawnForwarder(args: string[], cleanups = testCleanups): Promise<Forwarder> {
  const proc = Bun.spawn([process.execPath, SCRIPT, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  cleanups.push(async () => {
    proc.kill("SIGKILL");
    await proc.exited;
  });
  const forwarder: Forwarder = { proc, stdout: "", stderr: "", ports: [] };
  const collect = async (stream: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) forwarder[key] += decoder.decode(chunk, { stream: true });
  };
  void collect(proc.stdout, "stdout");
  void collect(proc.stderr, "stderr");
  const listening = () => forwarder.stdout.split("\n").length > args.length || proc.exitCode !== null;
  await until("the listening lines", listening).catch((error: Error) => {
    throw new Error(`${error.message}; stderr: ${forwarder.stderr}`);
  });
  forwarder.ports = [...forwarder.stdout.matchAll(/^port-forward: 127\.0\.0\.1:(\d+) ->/gm)].map((m) => Number(m[1]));
  return forwarder;
}

function firstDifference(actual: Uint8Array, expected: Uint8Array): number {
  const length = Math.min(actual.length, expected.length);
  for (let i = 0; i < length; i++) if (actual[i] !== expected[i]) return i;
  return actual.length === expected.length ? -1 : length;
}

describe("port-forward TCP -> unix -> TCP, as two processes", () => {
  let target: ReturnType<typeof startUpperServer>;
  let outer: Forwarder;
  let inner: Forwarder;
  let events: Server<undefined>;
  let eventsSent = 0;
  const gate = Promise.withResolvers<void>();

  beforeAll(async () => {
    target = startUpperServer({ port: 0 });
    // Server-sent events that wait for the test between events: only a streaming forwarder passes.
    events = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        new Response(
          new ReadableStream({
            async pull(controller) {
              controller.enqueue(`data: ${eventsSent++}\n\n`);
              if (eventsSent === 1) await gate.promise;
              if (eventsSent === 3) controller.close();
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
    });
    suiteCleanups.push(() => events.stop(true));
    inner = await spawnForwarder([`unix:${dir}/a.sock=127.0.0.1:${target.port}`, `unix:${dir}/b.sock=127.0.0.1:${events.port}`], suiteCleanups);
    outer = await spawnForwarder([`127.0.0.1:0=unix:${dir}/a.sock`, `127.0.0.1:0=unix:${dir}/b.sock`], suiteCleanups);
  });

  test("prints one line per forward", () => {
    expect(inner.stdout).toBe(`port-forward: unix:${dir}/a.sock -> 127.0.0.1:${target.port}\nport-forward: unix:${dir}/b.sock -> 127.0.0.1:${events.port}\n`);
    expect(outer.ports).toHaveLength(2);
    expect(outer.ports.every((port) => port > 0)).toBe(true);
    expect(outer.stdout).toBe(
      `port-forward: 127.0.0.1:${outer.ports[0]} -> unix:${dir}/a.sock\nport-forward: 127.0.0.1:${outer.ports[1]} -> unix:${dir}/b.sock\n`,
    );
  });

  test("carries 5 MiB intact and in order both ways past a client that reads late", async () => {
    const payload = randomBytes(5 * 1024 * 1024);
    const client = await connectClient(outer.ports[0]!);
    // Not reading for a while fills every buffer on the way back, so both forwarders must
    // hold partial writes for `drain`.
    client.socket!.pause();
    send(client, payload);
    await Bun.sleep(300);
    client.socket!.resume();
    await until("5 MiB back", () => client.bytes >= payload.length || client.closed, 20_000);
    const serverSide = target.connections.at(-1)!;
    expect(serverSide.bytes).toBe(payload.length);
    expect(firstDifference(received(serverSide), payload)).toBe(-1);
    expect(client.bytes).toBe(payload.length);
    expect(firstDifference(received(client), upper(payload))).toBe(-1);
  }, 30_000);

  test("keeps concurrent connections apart", async () => {
    const clients = await Promise.all([1, 2, 3].map(() => connectClient(outer.ports[0]!)));
    const payloads = clients.map((client, i) => {
      const payload = Buffer.from(`client ${i} `.repeat(20_000));
      send(client, payload);
      return payload;
    });
    await until("every echo", () => clients.every((c, i) => c.bytes >= payloads[i]!.length), 10_000);
    clients.forEach((client, i) => expect(received(client).toString()).toBe(payloads[i]!.toString().toUpperCase()));
  });

  test("closing the client closes the target side", async () => {
    const client = await connectClient(outer.ports[0]!);
    send(client, "hello");
    await until("the echo", () => received(client).toString() === "HELLO");
    const serverSide = target.connections.at(-1)!;
    expect(serverSide.closed).toBe(false);
    client.socket!.end();
    await until("the target side to close", () => serverSide.closed);
  });

  test("closing the target side closes the client", async () => {
    const client = await connectClient(outer.ports[0]!);
    send(client, "bye");
    await until("the echo", () => received(client).toString() === "BYE");
    expect(client.closed).toBe(false);
    target.connections.at(-1)!.socket!.end();
    await until("the client to close", () => client.closed);
  });

  test("streams server-sent events as they happen", async () => {
    const response = await fetch(`http://127.0.0.1:${outer.ports[1]}/`);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n\n")) text += (await reader.read()).value ?? "";
    expect(text).toBe("data: 0\n\n");
    expect(eventsSent).toBe(1);
    gate.resolve();
    for (let chunk; !(chunk = await reader.read()).done;) text += chunk.value;
    expect(text).toBe("data: 0\n\ndata: 1\n\ndata: 2\n\n");
  });
});

describe("port-forward process", () => {
  test("an unreachable target closes the client and logs, and the forwarder keeps serving", async () => {
    const closed = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const deadPort = closed.port;
    closed.stop(true);
    const later = join(dir, "later.sock");
    const forwarder = await spawnForwarder([`127.0.0.1:0=unix:${later}`, `127.0.0.1:0=127.0.0.1:${deadPort}`]);
    const [toUnix, toTcp] = forwarder.ports as [number, number];

    for (const port of [toUnix, toTcp]) {
      const client = await connectClient(port);
      send(client, "early bytes");
      await until(`client on ${port} to be closed`, () => client.closed);
    }
    await until("two error lines", () => forwarder.stderr.split("\n").length > 2);
    const lines = forwarder.stderr.trimEnd().split("\n");
    expect(lines[0]).toStartWith(`port-forward: 127.0.0.1:${toUnix} -> unix:${later}: `);
    expect(lines[1]).toStartWith(`port-forward: 127.0.0.1:${toTcp} -> 127.0.0.1:${deadPort}: `);

    startUpperServer({ unix: later }, testCleanups);
    const client = await connectClient(toUnix);
    send(client, "next");
    await until("the next connection's echo", () => received(client).toString() === "NEXT");
    expect(forwarder.proc.exitCode).toBeNull();
  });

  test("replaces a stale unix socket, refuses a live one, and removes its own on SIGTERM", async () => {
    const target = startUpperServer({ port: 0 }, testCleanups);
    const path = join(dir, "stale.sock");
    const killed = await spawnForwarder([`unix:${path}=127.0.0.1:${target.port}`]);
    killed.proc.kill("SIGKILL");
    await killed.proc.exited;
    expect(existsSync(path)).toBe(true);

    const forwarder = await spawnForwarder([`unix:${path}=127.0.0.1:${target.port}`]);
    expect(forwarder.stdout).toBe(`port-forward: unix:${path} -> 127.0.0.1:${target.port}\n`);
    const client = newPeer();
    client.socket = await Bun.connect<Peer>({ unix: path, data: client, socket: peerHandlers() });
    testCleanups.push(() => client.socket!.terminate());
    send(client, "via unix");
    await until("the echo", () => received(client).toString() === "VIA UNIX");

    const rival = await spawnForwarder([`unix:${path}=127.0.0.1:${target.port}`]);
    expect(await rival.proc.exited).toBe(1);
    expect(rival.stderr).toContain("in use");

    forwarder.proc.kill("SIGTERM");
    expect(await forwarder.proc.exited).toBe(0);
    expect(existsSync(path)).toBe(false);
  });

  test.each([
    [[], "port-forward: no forwards given"],
    [["127.0.0.1:8081"], `port-forward: no '=' in "127.0.0.1:8081" (want LISTEN=TARGET)`],
    [["127.0.0.1:1=unix:/a", "unix:/b=1.2.3.4:99999"], `port-forward: bad port "99999" in "1.2.3.4:99999" (want 1-65535)`],
  ])("bad arguments %p exit 2 with the error and usage", async (args, message) => {
    const proc = Bun.spawnSync([process.execPath, SCRIPT, ...args]);
    expect(proc.exitCode).toBe(2);
    expect(proc.stdout.toString()).toBe("");
    expect(proc.stderr.toString()).toBe(`${message}\n${USAGE}\n`);
  });
});
