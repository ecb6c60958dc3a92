// net/udp-connect.ts against UDP servers of this process on the loopback: a datagram sent at
// once (before Bun has the socket) arrives; two replies are two datagrams, not one chunk; an
// empty reply is an empty datagram; a closed port comes back as ECONNREFUSED, and with
// queueErrors (IP_RECVERR) with the error queue's entry for it, the ICMP message and its
// sender, on IPv4 and IPv6; bindto and bind_port are the source; a missing bind_if is ENODEV;
// close stops every handler.
import { afterEach, describe, expect, test } from "bun:test";
import { createSocket, type Socket } from "node:dgram";
import { readdirSync } from "node:fs";
import { parseIpAddress } from "../../../src/common/ip-address.ts";
import { connectUdp, type UdpConnection, type UdpConnectOptions } from "../../../src/net/udp-connect.ts";
import type { SockExtendedErr } from "../../../src/net/socket-error-queue.ts";

const LOOPBACK = parseIpAddress("127.0.0.1")!;
const isRoot = process.getuid?.() === 0;
const servers: Socket[] = [];
const connections: UdpConnection[] = [];

afterEach(() => {
  for (const connection of connections.splice(0)) connection.close();
  for (const server of servers.splice(0)) server.close();
});

/** A server answering each datagram with `replies(datagram)`; returns its port and what it saw. */
async function udpServer(replies: (datagram: string) => string[]) {
  const server = createSocket("udp4");
  servers.push(server);
  // A reply to a socket already closed comes back to the server as ECONNREFUSED.
  server.on("error", () => {});
  const seen: { text: string; from: { address: string; port: number } }[] = [];
  server.on("message", (message, from) => {
    seen.push({ text: message.toString(), from: { address: from.address, port: from.port } });
    for (const reply of replies(message.toString())) server.send(reply, from.port, from.address);
  });
  await new Promise<void>((resolve) => server.bind(0, "127.0.0.1", () => resolve()));
  return { port: server.address().port, seen };
}

function record(options: UdpConnectOptions) {
  const recorded = { datagrams: [] as string[], errors: [] as string[], queued: [] as (SockExtendedErr | undefined)[] };
  const connection = connectUdp(options, {
    onDatagram: (bytes) => recorded.datagrams.push(new TextDecoder().decode(bytes)),
    onError: (error, queued) => {
      recorded.errors.push(error.code ?? error.message);
      recorded.queued.push(queued);
    },
  });
  connections.push(connection);
  return { ...recorded, connection };
}

const until = async (condition: () => boolean, ms = 2000) => {
  for (const start = Date.now(); !condition();) {
    if (Date.now() - start > ms) throw new Error("timed out waiting");
    await Bun.sleep(2);
  }
};

describe("connectUdp", () => {
  test("a datagram sent at once arrives; two replies are two datagrams", async () => {
    const server = await udpServer((text) => [`one ${text}`, `two ${text}`]);
    const client = record({ address: LOOPBACK, port: server.port, bindInterface: "lo" });
    client.connection.send(new TextEncoder().encode("ping"));
    await until(() => client.datagrams.length === 2);
    expect(client.datagrams).toEqual(["one ping", "two ping"]);
    expect(server.seen.map((s) => s.text)).toEqual(["ping"]);
  });

  test("an empty reply is an empty datagram", async () => {
    const server = await udpServer(() => [""]);
    const client = record({ address: LOOPBACK, port: server.port });
    client.connection.send(new TextEncoder().encode("ping"));
    await until(() => client.datagrams.length === 1);
    expect(client.datagrams).toEqual([""]);
  });

  test("a closed port: the ICMP port unreachable comes back as ECONNREFUSED", async () => {
    const server = await udpServer(() => []);
    servers.splice(0).forEach((s) => s.close());
    const client = record({ address: LOOPBACK, port: server.port, bindInterface: "lo" });
    client.connection.send(new TextEncoder().encode("ping"));
    await until(() => client.errors.length > 0);
    expect(client.errors).toEqual(["ECONNREFUSED"]);
    expect(client.queued).toEqual([undefined]);
    expect(client.datagrams).toEqual([]);
  });

  test("queueErrors: the error queue's entry comes with the error: ICMP type 3 code 3 from 127.0.0.1", async () => {
    const server = await udpServer(() => []);
    servers.splice(0).forEach((s) => s.close());
    const client = record({ address: LOOPBACK, port: server.port, queueErrors: true });
    client.connection.send(new TextEncoder().encode("ping"));
    await until(() => client.errors.length > 0);
    expect(client.errors).toEqual(["ECONNREFUSED"]);
    // ee_errno ECONNREFUSED, SO_EE_ORIGIN_ICMP, ICMP_DEST_UNREACH / ICMP_PORT_UNREACH.
    expect(client.queued).toEqual([{ errno: 111, origin: 2, type: 3, code: 3, info: 0, offender: LOOPBACK }]);
  });

  test("queueErrors on IPv6: ICMPv6 type 1 code 4 from ::1", async () => {
    const probe = createSocket("udp6");
    await new Promise<void>((resolve) => probe.bind(0, "::1", () => resolve()));
    const port = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const client = record({ address: parseIpAddress("::1")!, port, queueErrors: true });
    client.connection.send(new TextEncoder().encode("ping"));
    await until(() => client.errors.length > 0);
    // SO_EE_ORIGIN_ICMP6, ICMPV6_DEST_UNREACH / ICMPV6_PORT_UNREACH.
    expect(client.queued).toEqual([{ errno: 111, origin: 3, type: 1, code: 4, info: 0, offender: { family: 6, text: "::1" } }]);
  });

  test("queueErrors: a reply still arrives, and close releases both descriptors", async () => {
    const before = readdirSync("/proc/self/fd").length;
    const server = await udpServer(() => ["pong"]);
    const client = record({ address: LOOPBACK, port: server.port, queueErrors: true });
    client.connection.send(new TextEncoder().encode("ping"));
    await until(() => client.datagrams.length === 1);
    client.connection.close();
    servers.splice(0).forEach((s) => s.close());
    await until(() => readdirSync("/proc/self/fd").length <= before);
    expect(client.datagrams).toEqual(["pong"]);
  });

  test("bindto and bind_port are the source the server sees", async () => {
    const server = await udpServer(() => ["ok"]);
    const bindPort = 20000 + Math.floor(Math.random() * 20000);
    const client = record({ address: LOOPBACK, port: server.port, bindTo: parseIpAddress("127.0.0.3")!, bindPort });
    client.connection.send(new TextEncoder().encode("ping"));
    await until(() => client.datagrams.length === 1);
    expect(server.seen[0]!.from).toEqual({ address: "127.0.0.3", port: bindPort });
  });

  test("a bind_if this host does not have: ENODEV, thrown at once", () => {
    expect(() => connectUdp({ address: LOOPBACK, port: 9, bindInterface: "tandem-none0" }, {} as never)).toThrow(
      expect.objectContaining({ code: "ENODEV", operation: "setsockopt(SO_BINDTODEVICE) to 127.0.0.1:9" }),
    );
  });

  test.skipIf(!isRoot)("as root, with a fwmark (SO_MARK set)", async () => {
    const server = await udpServer(() => ["marked"]);
    const client = record({ address: LOOPBACK, port: server.port, fwmark: 9 });
    client.connection.send(new TextEncoder().encode("ping"));
    await until(() => client.datagrams.length === 1);
    expect(client.datagrams).toEqual(["marked"]);
  });

  test("after close no handler runs", async () => {
    const server = await udpServer(() => ["late"]);
    const client = record({ address: LOOPBACK, port: server.port });
    client.connection.send(new TextEncoder().encode("ping"));
    client.connection.close();
    client.connection.close();
    await Bun.sleep(50);
    expect({ datagrams: client.datagrams, errors: client.errors }).toEqual({ datagrams: [], errors: [] });
  });
});
