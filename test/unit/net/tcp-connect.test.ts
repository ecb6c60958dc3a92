// net/tcp-connect.ts against TCP servers of this process on the loopback: sockaddr_in6's
// layout; a connection made is reported once, and only once it is made (a listener that does
// not accept leaves it pending); bytes both ways, written before the connection is made and
// sent once it is; a refused port and a missing bind_if with their codes; IPv6 with
// SO_BINDTODEVICE; close stops every handler.
import { afterEach, describe, expect, test } from "bun:test";
import { createServer, type Server, type Socket } from "node:net";
import { parseIpAddress } from "../../../src/common/ip-address.ts";
import { encodeSockaddrIn6, SOCKADDR_IN6_SIZE } from "../../../src/net/libc-structs.ts";
import { connectTcp, type TcpConnection, type TcpConnectOptions } from "../../../src/net/tcp-connect.ts";
import { toHex } from "./hex.ts";

const LOOPBACK = parseIpAddress("127.0.0.1")!;
const LOOPBACK6 = parseIpAddress("::1")!;
const servers: Server[] = [];
const connections: TcpConnection[] = [];

afterEach(() => {
  for (const connection of connections.splice(0)) connection.close();
  for (const server of servers.splice(0)) server.close();
});

async function listen(host: string, onSocket: (socket: Socket) => void = () => {}): Promise<number> {
  const server = createServer((socket) => {
    socket.on("error", () => {});
    onSocket(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as { port: number }).port;
}

interface Recorded {
  events: string[];
  received: string;
  settled: Promise<void>;
  connection: TcpConnection;
}

/** Connects and records each handler's call, in order; `settled` once it errs or closes. */
function record(options: TcpConnectOptions): Recorded {
  let settle!: () => void;
  const recorded = { events: [] as string[], received: "", settled: new Promise<void>((resolve) => (settle = resolve)) } as Recorded;
  recorded.connection = connectTcp(options, {
    onConnect: () => recorded.events.push("connect"),
    onData: (bytes) => (recorded.received += new TextDecoder().decode(bytes)),
    onEnd: () => recorded.events.push("end"),
    onError: (error) => {
      recorded.events.push(`error ${error.code}`);
      settle();
    },
    onClose: () => {
      recorded.events.push("close");
      settle();
    },
  });
  connections.push(recorded.connection);
  return recorded;
}

/** Listens on 127.0.0.1 with a backlog of 0, prints its port, and never accepts. */
const LISTEN_WITHOUT_ACCEPTING = [
  "import socket, sys, time",
  "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
  "print(s.getsockname()[1], flush=True)",
  "time.sleep(30)",
].join("\n");

async function firstLineNumber(stream: ReadableStream<Uint8Array>): Promise<number> {
  const reader = stream.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return Number(text.trim());
}

const until = async (condition: () => boolean, ms = 2000) => {
  for (const start = Date.now(); !condition();) {
    if (Date.now() - start > ms) throw new Error("timed out waiting");
    await Bun.sleep(2);
  }
};

describe("sockaddr_in6", () => {
  test("family little-endian, port big-endian, flowinfo 0, the address, scope id little-endian", () => {
    const bytes = encodeSockaddrIn6(new Uint8Array([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 0x01]), 0x1f90, 3);
    expect(bytes.length).toBe(SOCKADDR_IN6_SIZE);
    expect(toHex(bytes)).toBe("0a00" + "1f90" + "00000000" + "20010db8000000000000000000000001" + "03000000");
  });

  test("an address that is not 16 bytes is refused", () => {
    expect(() => encodeSockaddrIn6(new Uint8Array(4))).toThrow("16 bytes");
  });
});

describe("connectTcp", () => {
  test("bytes written before the connection is made are sent once it is; the server's answer and close come back", async () => {
    const port = await listen("127.0.0.1", (socket) => socket.once("data", (data) => socket.end(`echo ${data}`)));
    const recorded = record({ address: LOOPBACK, port, bindInterface: "lo" });
    recorded.connection.write(new TextEncoder().encode("hello"));
    await recorded.settled;
    expect(recorded.received).toBe("echo hello");
    expect(recorded.events).toEqual(["connect", "end", "close"]);
  });

  test("a connection the server's full accept queue leaves pending is not reported as made", async () => {
    // A listener that never accepts, backlog 0: the kernel completes one connection into its queue, then answers no SYN.
    const listener = Bun.spawn(["python3", "-c", LISTEN_WITHOUT_ACCEPTING], { stdout: "pipe" });
    try {
      const port = await firstLineNumber(listener.stdout);
      const first = record({ address: LOOPBACK, port, bindInterface: "lo" });
      await until(() => first.events.includes("connect"));
      const second = record({ address: LOOPBACK, port, bindInterface: "lo" });
      await Bun.sleep(300);
      expect({ first: first.events, second: second.events }).toEqual({ first: ["connect"], second: [] });
    } finally {
      listener.kill();
    }
  });

  test("a refused port: ECONNREFUSED, and no connect", async () => {
    const port = await listen("127.0.0.1");
    servers.splice(0).forEach((server) => server.close());
    const recorded = record({ address: LOOPBACK, port, bindInterface: "lo" });
    await recorded.settled;
    expect(recorded.events).toEqual(["error ECONNREFUSED"]);
  });

  test("bindto and bind_port are the source the server sees", async () => {
    let remote: { address?: string; port?: number } = {};
    const port = await listen("127.0.0.1", (socket) => {
      remote = { address: socket.remoteAddress, port: socket.remotePort };
      socket.end();
    });
    const bindPort = 20000 + Math.floor(Math.random() * 20000);
    const recorded = record({ address: LOOPBACK, port, bindTo: parseIpAddress("127.0.0.2")!, bindPort, bindInterface: "lo" });
    await recorded.settled;
    expect(remote).toEqual({ address: "127.0.0.2", port: bindPort });
  });

  test("IPv6 with SO_BINDTODEVICE", async () => {
    const port = await listen("::1", (socket) => socket.end("six"));
    const recorded = record({ address: LOOPBACK6, port, bindInterface: "lo" });
    await recorded.settled;
    expect(recorded.received).toBe("six");
    expect(recorded.events[0]).toBe("connect");
  });

  test("a bind_if this host does not have: ENODEV from setsockopt(SO_BINDTODEVICE), thrown at once", () => {
    expect(() => connectTcp({ address: LOOPBACK, port: 9, bindInterface: "tandem-none0" }, {} as never)).toThrow(
      expect.objectContaining({ code: "ENODEV", operation: "setsockopt(SO_BINDTODEVICE) to 127.0.0.1:9" }),
    );
  });

  test("an interface name the kernel would refuse is named before it gets there", () => {
    expect(() => connectTcp({ address: LOOPBACK, port: 9, bindInterface: "a/b" }, {} as never)).toThrow(
      "bind_if: interface name \"a/b\" contains whitespace, '/' or ':'",
    );
  });

  test("after close no handler runs, and the server sees the connection end", async () => {
    let serverSawEnd!: () => void;
    const ended = new Promise<void>((resolve) => (serverSawEnd = resolve));
    const port = await listen("127.0.0.1", (socket) => {
      socket.on("end", () => serverSawEnd());
      socket.on("close", () => serverSawEnd());
      socket.write("unread");
    });
    const recorded = record({ address: LOOPBACK, port, bindInterface: "lo" });
    await until(() => recorded.events.includes("connect"));
    recorded.connection.close();
    recorded.connection.close();
    await ended;
    await Bun.sleep(20);
    expect(recorded.events).toEqual(["connect"]);
  });
});
