// DNS_CHECK's probe against UDP sockets of this process on 127.0.0.1 answering with yadifa's
// recorded replies (test/fixtures/dns): one query, sent once; silence until connect_timeout
// on the fake clock; datagrams that are not the reply (another id, a query, a runt, another
// sender) passed over and counted; a closed port's ICMP as "connection refused"; bindto /
// bind_port; the abort; and the socket closed every time.
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { FakeClock, systemClock, type Clock } from "../../../../src/common/clock.ts";
import { parseIpAddress } from "../../../../src/common/ip-address.ts";
import type { DnsCheckSpec } from "../../../../src/check/check-spec.ts";
import { encodeDnsQuery } from "../../../../src/check/dns-message.ts";
import { dnsProbe } from "../../../../src/daemon/check/dns-probe.ts";

const LOCALHOST = parseIpAddress("127.0.0.1")!;
const fixture = JSON.parse(readFileSync(join(import.meta.dir, "../../../fixtures/dns/yadifa-2.6.4-replies.json"), "utf8")) as {
  replies: Record<string, { replyHex: string }>;
};
const WWW_A: DnsCheckSpec = { type: "A", name: "www.test.example", requireAnswer: false };
const QUERY_ID = 0x4b41; // the id the "a" reply was recorded with
const opened: Socket[] = [];

afterEach(() => {
  for (const socket of opened.splice(0)) {
    try {
      socket.close();
    } catch {
      // closed by the test
    }
  }
});

/** A recorded reply with the id of the query it answers (the first two bytes of the query). */
function reply(key: string, query: Buffer, edit?: (bytes: Buffer) => void): Buffer {
  const bytes = Buffer.from(fixture.replies[key]!.replyHex, "hex");
  query.copy(bytes, 0, 0, 2);
  edit?.(bytes);
  return bytes;
}

async function udpSocket(): Promise<Socket> {
  const socket = createSocket("udp4");
  opened.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return socket;
}

/** A DNS server on 127.0.0.1 whose answer to each query is `respond`'s. */
async function server(respond: (query: Buffer, send: (bytes: Buffer) => void, from: RemoteInfo) => void) {
  const socket = await udpSocket();
  const received: { query: Buffer; from: RemoteInfo }[] = [];
  socket.on("message", (query, from) => {
    received.push({ query, from });
    respond(query, (bytes) => socket.send(bytes, from.port, from.address), from);
  });
  return { port: socket.address().port, received, socket };
}

async function closedPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

function probe(port: number, dns: DnsCheckSpec, options: { clock?: Clock; signal?: AbortSignal; bindPort?: number; queryId?: number } = {}) {
  const target = { address: LOCALHOST, port, ...(options.bindPort !== undefined ? { bindTo: LOCALHOST, bindPort: options.bindPort } : {}) };
  const context = { clock: options.clock ?? systemClock(), signal: options.signal ?? new AbortController().signal, connectTimeoutMs: 1000 };
  return dnsProbe(target, dns, context, options.queryId);
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (condition()) return;
    await Bun.sleep(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** After the probe ended its socket is closed: a datagram to its port comes back as the kernel's port unreachable. */
async function expectClosed(from: RemoteInfo): Promise<void> {
  const socket = await udpSocket();
  const refused = new Promise<string>((resolve) => socket.on("error", (error: Error & { code?: string }) => resolve(error.code ?? error.message)));
  await new Promise<void>((resolve) => socket.connect(from.port, from.address, resolve));
  socket.send(Buffer.from("anyone?"));
  expect(await refused).toBe("ECONNREFUSED");
}

describe("dnsProbe", () => {
  test("a NOERROR reply passes; the server got keepalived's query once, from a socket closed after", async () => {
    const dns = await server((query, send) => send(reply("a", query)));
    expect(await probe(dns.port, WWW_A, { queryId: QUERY_ID })).toEqual({ ok: true, detail: "reply code NOERROR, 1 answer" });
    const expected = encodeDnsQuery({ id: QUERY_ID, name: "www.test.example", type: 1 });
    expect(dns.received.map((r) => r.query.toString("hex"))).toEqual([expected.ok ? Buffer.from(expected.bytes).toString("hex") : ""]);
    await expectClosed(dns.received[0]!.from);
  });

  test("each check asks with a fresh random id (keepalived's random())", async () => {
    const dns = await server((query, send) => send(reply("a", query)));
    for (let i = 0; i < 4; i++) expect((await probe(dns.port, WWW_A)).ok).toBe(true);
    expect(new Set(dns.received.map((r) => r.query.readUInt16BE(0))).size).toBeGreaterThan(1);
  });

  test("an RCODE fails with its name; require_answer fails an empty answer", async () => {
    const nxdomain = await server((query, send) => send(reply("nxdomain", query)));
    expect(await probe(nxdomain.port, WWW_A)).toEqual({ ok: false, reason: "reply code NXDOMAIN" });
    const nodata = await server((query, send) => send(reply("nodata", query)));
    expect(await probe(nodata.port, { type: "AAAA", name: "www.test.example", requireAnswer: false })).toEqual({
      ok: true,
      detail: "reply code NOERROR, 0 answers",
    });
    expect(await probe(nodata.port, { type: "AAAA", name: "www.test.example", requireAnswer: true })).toEqual({
      ok: false,
      reason: "no AAAA record in the answer",
    });
  });

  test("silence: no answer within connect_timeout, on the clock given, the query never sent again", async () => {
    const clock = new FakeClock();
    const dns = await server(() => {});
    let verdict: unknown;
    void probe(dns.port, WWW_A, { clock }).then((v) => (verdict = v));
    await until(() => dns.received.length === 1, "the query");
    clock.advance(999);
    await Bun.sleep(20);
    expect(verdict).toBeUndefined();
    clock.advance(1);
    await until(() => verdict !== undefined, "the verdict");
    expect(verdict).toEqual({ ok: false, reason: "no answer within 1 s" });
    expect(dns.received.length).toBe(1);
    expect(clock.pendingTimers()).toBe(0);
    await expectClosed(dns.received[0]!.from);
  });

  test("another id, a query and a runt are passed over and counted; the reply after them is judged", async () => {
    const dns = await server((query, send) => {
      send(reply("refused", query, (b) => (b[1]! ^= 1)));
      send(reply("refused", query, (b) => (b[2]! &= 0x7f)));
      send(reply("refused", query).subarray(0, 9));
      send(reply("a", query));
    });
    expect(await probe(dns.port, WWW_A)).toEqual({
      ok: true,
      detail: "reply code NOERROR, 1 answer; ignored 1 datagram with another id, 1 query (QR clear), 1 datagram shorter than a DNS header",
    });
  });

  test("only datagrams with another id, then silence: the timeout says what was ignored", async () => {
    const clock = new FakeClock();
    const dns = await server((query, send) => {
      send(reply("a", query, (b) => (b[0]! ^= 0x80)));
      send(reply("a", query, (b) => (b[0]! ^= 0x40)));
    });
    let verdict: unknown;
    void probe(dns.port, WWW_A, { clock }).then((v) => (verdict = v));
    await until(() => dns.received.length === 1, "the query");
    await Bun.sleep(50); // the two stray replies arrive
    clock.advance(1000);
    await until(() => verdict !== undefined, "the verdict");
    expect(verdict).toEqual({ ok: false, reason: "no answer within 1 s; ignored 2 datagrams with another id" });
  });

  test("a reply from another address is not the reply: the connected socket never hears it", async () => {
    const impostor = await udpSocket();
    const dns = await server((query, send, from) => {
      impostor.send(reply("a", query), from.port, from.address);
      setTimeout(() => send(reply("refused", query)), 30);
    });
    expect(await probe(dns.port, WWW_A)).toEqual({ ok: false, reason: "reply code REFUSED" });
  });

  test("a closed port: the kernel's ICMP port unreachable is 'connection refused', before any timeout", async () => {
    const clock = new FakeClock();
    expect(await probe(await closedPort(), WWW_A, { clock })).toEqual({ ok: false, reason: "connection refused" });
    expect(clock.pendingTimers()).toBe(0);
  });

  test("bindto and bind_port: the query leaves from that address and port", async () => {
    const bindPort = await closedPort();
    const dns = await server((query, send) => send(reply("a", query)));
    expect((await probe(dns.port, WWW_A, { bindPort })).ok).toBe(true);
    expect(dns.received[0]!.from).toMatchObject({ address: "127.0.0.1", port: bindPort });
  });

  test("the check's own time running out (the signal) ends the wait and closes the socket", async () => {
    const dns = await server(() => {});
    const abort = new AbortController();
    const pending = probe(dns.port, WWW_A, { clock: new FakeClock(), signal: abort.signal });
    await until(() => dns.received.length === 1, "the query");
    abort.abort();
    expect(await pending).toEqual({ ok: false, reason: "no answer before the check's time ran out" });
    await expectClosed(dns.received[0]!.from);
    const aborted = new AbortController();
    aborted.abort();
    expect(await probe(dns.port, WWW_A, { signal: aborted.signal })).toEqual({ ok: false, reason: "no answer before the check's time ran out" });
    expect(dns.received.length).toBe(1);
  });

  test("a name or type it cannot ask fails without sending", async () => {
    const dns = await server(() => {});
    expect(await probe(dns.port, { type: "PTR", name: "x", requireAnswer: false })).toEqual({ ok: false, reason: "type PTR is not one DNS_CHECK knows" });
    expect(await probe(dns.port, { type: "A", name: "a..b", requireAnswer: false })).toEqual({ ok: false, reason: "name a..b has an empty label" });
    expect(dns.received.length).toBe(0);
  });
});
