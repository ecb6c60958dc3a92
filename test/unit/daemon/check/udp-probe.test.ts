// UDP_CHECK's probe against UDP sockets of this process on 127.0.0.1: a reply that matches, a
// wrong one, silence (a pass without require_reply, keepalived's rule, a failure with it), a
// closed port (the kernel's ICMP port unreachable, read from the error queue with its sender,
// on IPv6 too), a datagram from another port (the connected socket drops it), bindto /
// bind_port and a bindto this host does not have, the abort, and the socket closed each time.
import { afterEach, describe, expect, test } from "bun:test";
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { FakeClock, systemClock, type Clock } from "../../../../src/common/clock.ts";
import { parseIpAddress } from "../../../../src/common/ip-address.ts";
import type { UdpCheckSpec } from "../../../../src/check/check-spec.ts";
import { udpProbe } from "../../../../src/daemon/check/udp-probe.ts";

const LOCALHOST = parseIpAddress("127.0.0.1")!;
const PAYLOAD = "74616e64656d2075647020636865636b0a"; // "tandem udp check\n"
const opened: Socket[] = [];

afterEach(() => {
  for (const socket of opened.splice(0)) socket.close();
});

/** A UDP server on 127.0.0.1 whose answer to each datagram is `respond`'s. */
async function server(respond: (message: Buffer, from: RemoteInfo, socket: Socket) => void): Promise<{ port: number; received: RemoteInfo[] }> {
  const socket = createSocket("udp4");
  opened.push(socket);
  const received: RemoteInfo[] = [];
  socket.on("message", (message, from) => {
    received.push(from);
    respond(message, from, socket);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return { port: socket.address().port, received };
}

/** A port nobody listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

function probe(port: number, udp: UdpCheckSpec, options: { clock?: Clock; signal?: AbortSignal; bindPort?: number } = {}) {
  return udpProbe({ address: LOCALHOST, port, ...(options.bindPort !== undefined ? { bindTo: LOCALHOST, bindPort: options.bindPort } : {}) }, udp, {
    clock: options.clock ?? systemClock(),
    signal: options.signal ?? new AbortController().signal,
    connectTimeoutMs: 1000,
  });
}

const echo = (message: Buffer, from: RemoteInfo, socket: Socket) => socket.send(message, from.port, from.address);

describe("udpProbe", () => {
  test("an echo of the payload passes require_reply, and the server got exactly the payload", async () => {
    let got: Buffer | undefined;
    const { port } = await server((message, from, socket) => {
      got = message;
      echo(message, from, socket);
    });
    expect(await probe(port, { payload: PAYLOAD, requireReply: "74 61 6x" })).toEqual({ ok: true, detail: "reply of 17 bytes matches" });
    expect(got?.toString("hex")).toBe(PAYLOAD);
  });

  test("without a payload keepalived's 32 bytes are sent", async () => {
    let got: Buffer | undefined;
    const { port } = await server((message, from, socket) => {
      got = message;
      echo(message, from, socket);
    });
    expect((await probe(port, { requireReply: true })).ok).toBe(true);
    expect(got?.toString("latin1")).toBe("keepalived check - keepalived ch");
  });

  test("a wrong reply fails with what came and what was wanted", async () => {
    const { port } = await server((_message, from, socket) => socket.send("Thu Dec  3\r\n", from.port, from.address));
    expect(await probe(port, { payload: PAYLOAD, requireReply: PAYLOAD })).toEqual({
      ok: false,
      reason: "reply 546875204465632020330d0a does not match 74616e64656d207564702063 (byte 0)",
    });
  });

  test("silence for connect_timeout: a pass without require_reply, a failure with it", async () => {
    for (const [udp, verdict] of [
      [{ payload: PAYLOAD }, { ok: true, detail: "no reply within 1 s (without require_reply that passes)" }],
      [
        { payload: PAYLOAD, requireReply: PAYLOAD },
        { ok: false, reason: "no reply within 1 s" },
      ],
    ] as const) {
      const clock = new FakeClock();
      const arrived = Promise.withResolvers<void>();
      const { port } = await server(() => arrived.resolve());
      const result = probe(port, udp, { clock });
      await arrived.promise;
      clock.advance(999);
      let settled = false;
      void result.then(() => (settled = true));
      await Bun.sleep(5);
      expect(settled).toBe(false);
      clock.advance(1);
      expect(await result).toEqual(verdict);
    }
  });

  test("a closed port: the ICMP port unreachable fails the check, with or without require_reply", async () => {
    const port = await closedPort();
    const refused = { ok: false, reason: "connection refused (ICMP port unreachable from 127.0.0.1)" } as const;
    expect(await probe(port, { payload: PAYLOAD })).toEqual(refused);
    expect(await probe(port, { payload: PAYLOAD, requireReply: true })).toEqual(refused);
  });

  test("a closed port on ::1: the ICMPv6 port unreachable, from ::1", async () => {
    const socket = createSocket("udp6");
    await new Promise<void>((resolve) => socket.bind(0, "::1", resolve));
    const port = socket.address().port;
    await new Promise<void>((resolve) => socket.close(resolve));
    const verdict = await udpProbe(
      { address: parseIpAddress("::1")!, port },
      { payload: PAYLOAD },
      {
        clock: systemClock(),
        signal: new AbortController().signal,
        connectTimeoutMs: 1000,
      },
    );
    expect(verdict).toEqual({ ok: false, reason: "connection refused (ICMPv6 port unreachable from ::1)" });
  });

  test("a bindto this host does not have: said so, nothing sent", async () => {
    const { port, received } = await server(echo);
    const verdict = await udpProbe(
      { address: LOCALHOST, port, bindTo: parseIpAddress("192.0.2.1")! },
      { payload: PAYLOAD },
      {
        clock: systemClock(),
        signal: new AbortController().signal,
        connectTimeoutMs: 1000,
      },
    );
    expect(verdict).toEqual({ ok: false, reason: "bindto address not available on this host" });
    expect(received).toEqual([]);
  });

  test("a datagram from another port is not the reply (the socket is connected)", async () => {
    const stranger = createSocket("udp4");
    opened.push(stranger);
    await new Promise<void>((resolve) => stranger.bind(0, "127.0.0.1", resolve));
    const { port } = await server((message, from, socket) => {
      stranger.send("wrong", from.port, from.address, () => setTimeout(() => echo(message, from, socket), 20));
    });
    expect(await probe(port, { payload: PAYLOAD, requireReply: PAYLOAD })).toEqual({ ok: true, detail: "reply of 17 bytes matches" });
  });

  test("bindto and bind_port are the datagram's source, and the port is free again afterwards (the socket was closed)", async () => {
    const { port, received } = await server(echo);
    const bindPort = await closedPort();
    expect((await probe(port, { payload: PAYLOAD, requireReply: true }, { bindPort })).ok).toBe(true);
    expect(received.map((r) => `${r.address}:${r.port}`)).toEqual([`127.0.0.1:${bindPort}`]);
    expect((await probe(port, { payload: PAYLOAD, requireReply: true }, { bindPort })).ok).toBe(true);
  });

  test("an abort ends the wait at once", async () => {
    const { port } = await server(() => {});
    const controller = new AbortController();
    const result = probe(port, { payload: PAYLOAD, requireReply: true }, { clock: new FakeClock(), signal: controller.signal });
    controller.abort();
    expect(await result).toEqual({ ok: false, reason: "no reply before the check's time ran out" });
    const aborted = new AbortController();
    aborted.abort();
    expect(await probe(port, {}, { signal: aborted.signal })).toEqual({ ok: false, reason: "no reply before the check's time ran out" });
  });

  test("a payload that is not hex is the verdict's reason, nothing is sent", async () => {
    const { port, received } = await server(echo);
    expect(await probe(port, { payload: "hello" })).toEqual({ ok: false, reason: 'UDP_CHECK payload "hello": "h" is not a hex digit' });
    expect(received).toEqual([]);
  });
});
