#!/usr/bin/env bun
// Byte forwarder for `make demo`. A process is in one network namespace only, but the host and a
// namespace share the file system, so two instances meet at a unix socket: the host's listens on
// 127.0.0.1 and forwards to unix:PATH, the namespace's listens there and forwards to a web server.
import type { Socket, SocketHandler } from "bun";
import { lstatSync, rmSync } from "node:fs";

export type Endpoint = { kind: "tcp"; host: string; port: number } | { kind: "unix"; path: string };
export interface Forward {
  listen: Endpoint;
  target: Endpoint;
}

export const USAGE = "usage: bun scripts/port-forward.ts LISTEN=TARGET... (each side HOST:PORT or unix:PATH; a LISTEN port of 0 picks a free port)";

const HOSTNAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;
const isDottedQuad = (host: string) => host.split(".").length === 4 && host.split(".").every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255);

/** `listening` allows port 0, so tests (and callers) can let the kernel pick a free port. */
export function parseEndpoint(text: string, listening = false): Endpoint {
  if (text.startsWith("unix:")) {
    const path = text.slice("unix:".length);
    if (!path) throw new Error(`empty unix socket path in "${text}"`);
    return { kind: "unix", path };
  }
  const colon = text.lastIndexOf(":");
  if (colon < 0) throw new Error(`"${text}" is neither HOST:PORT nor unix:PATH`);
  const [host, portText] = [text.slice(0, colon), text.slice(colon + 1)];
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  const lowest = listening ? 0 : 1;
  if (!(port >= lowest && port <= 65535)) throw new Error(`bad port "${portText}" in "${text}" (want ${lowest}-65535)`);
  // All digits and dots is meant as an address, so "10.0.0.256" must not pass as a hostname.
  const badHost = !HOSTNAME.test(host) || (/^[\d.]+$/.test(host) && !isDottedQuad(host));
  if (badHost) throw new Error(`bad host "${host}" in "${text}" (want an IPv4 address or a hostname)`);
  return { kind: "tcp", host, port };
}

/** Splits at the first '=', so a TARGET unix path may contain '=' but a LISTEN path may not. */
export function parseForward(arg: string): Forward {
  const eq = arg.indexOf("=");
  if (eq < 0) throw new Error(`no '=' in "${arg}" (want LISTEN=TARGET)`);
  return { listen: parseEndpoint(arg.slice(0, eq), true), target: parseEndpoint(arg.slice(eq + 1)) };
}

export function parseArgs(args: string[]): Forward[] {
  if (args.length === 0) throw new Error("no forwards given");
  return args.map(parseForward);
}

export const formatEndpoint = (e: Endpoint) => (e.kind === "unix" ? `unix:${e.path}` : `${e.host}:${e.port}`);

/** One direction's writer: `queue` holds bytes received from `peer` not yet taken by `socket`. */
interface End {
  socket?: Socket<End>;
  peer?: End;
  queue: Uint8Array[];
  closed: boolean;
  stalled: boolean;
}
const newEnd = (): End => ({ queue: [], closed: false, stalled: false });

function flush(end: End): void {
  const socket = end.socket;
  if (!socket || end.closed) return; // a target still connecting keeps what the client sent
  while (end.queue.length > 0) {
    const chunk = end.queue[0]!;
    const written = socket.write(chunk);
    if (written < chunk.length) {
      if (written > 0) end.queue[0] = chunk.subarray(written);
      // Stop reading the sender until this side drains, so a slow reader bounds our memory.
      if (!end.stalled) end.peer?.socket?.pause();
      end.stalled = true;
      return;
    }
    end.queue.shift();
  }
  if (end.stalled && !end.peer?.closed) end.peer?.socket?.resume();
  end.stalled = false;
  // The sender is gone and everything it sent is out: now this side may close too.
  if (end.peer?.closed) socket.end();
}

// The target's handlers; the listener's differ only in `open`.
const relay: SocketHandler<End> = {
  open(socket) {
    socket.data.socket = socket;
    flush(socket.data); // sends what the client wrote while the target was connecting
  },
  data(socket, chunk) {
    const to = socket.data.peer!;
    if (!to.closed) to.queue.push(chunk);
    flush(to);
  },
  drain: (socket) => flush(socket.data),
  close(socket) {
    socket.data.closed = true;
    socket.data.queue.length = 0; // nobody left to take it
    flush(socket.data.peer!);
  },
};

/** Listens for one forward; its label names the bound port when the kernel picked it. */
export function startForward({ listen, target }: Forward): { label: string; stop(): void } {
  let label = "";
  const accept = (client: Socket<End>) => {
    const fromClient = newEnd(); // writes to the target
    const toClient: End = (client.data = { ...newEnd(), socket: client, peer: fromClient });
    fromClient.peer = toClient;
    // async, so that a synchronous throw from Bun.connect is reported like a refused connection
    const connect = async () =>
      target.kind === "unix"
        ? Bun.connect({ unix: target.path, data: fromClient, socket: relay })
        : Bun.connect({ hostname: target.host, port: target.port, data: fromClient, socket: relay });
    connect().catch((error: Error) => {
      console.error(`port-forward: ${label}: ${error.message}`);
      fromClient.closed = true;
      client.end();
    });
  };
  const socket: SocketHandler<End> = { ...relay, open: accept };
  const listener =
    listen.kind === "unix" ? Bun.listen<End>({ unix: listen.path, socket }) : Bun.listen<End>({ hostname: listen.host, port: listen.port, socket });
  const bound: Endpoint = listen.kind === "tcp" && "port" in listener ? { ...listen, port: listener.port } : listen;
  label = `${formatEndpoint(bound)} -> ${formatEndpoint(target)}`;
  const stop = () => {
    listener.stop(true);
    if (listen.kind === "unix") rmSync(listen.path, { force: true });
  };
  return { label, stop };
}

/** A socket file left by a killed forwarder blocks listen; a live one's must not be stolen. */
async function removeStaleSocket(path: string): Promise<void> {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (!stat) return;
  if (!stat.isSocket()) throw new Error(`${path} exists and is not a socket`);
  const live = await Bun.connect({ unix: path, socket: { data() {} } }).then(
    (s) => (s.end(), true),
    () => false,
  );
  if (live) throw new Error(`${path} is in use by a running server`);
  rmSync(path, { force: true });
}

if (import.meta.main) {
  let forwards: Forward[] = [];
  try {
    forwards = parseArgs(Bun.argv.slice(2));
  } catch (error) {
    console.error(`port-forward: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const running: ReturnType<typeof startForward>[] = [];
  const stopAll = () => running.forEach((r) => r.stop());
  for (const forward of forwards) {
    try {
      if (forward.listen.kind === "unix") await removeStaleSocket(forward.listen.path);
      running.push(startForward(forward));
      console.log(`port-forward: ${running.at(-1)!.label}`);
    } catch (error) {
      console.error(`port-forward: ${formatEndpoint(forward.listen)}: ${(error as Error).message}`);
      stopAll();
      process.exit(1);
    }
  }
  const exit = () => (stopAll(), process.exit(0));
  process.on("SIGINT", exit).on("SIGTERM", exit);
}
