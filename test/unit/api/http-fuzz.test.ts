// Fuzzes the REST API over real sockets, as a hostile neighbour on the management network
// would: malformed methods, request lines, headers, bodies, encodings and parameters on
// every route (raw bytes, not fetch's well-formed requests), bursts of connections and of
// event streams, and slow clients. Nothing may answer 500, the server must keep answering
// /healthz quickly throughout, slow clients are cut off, and memory stays bounded.
// FUZZ_SEED=N replays a run.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { heapStats } from "bun:jsc";
import { createApiApp } from "../../../src/api/index.ts";
import { ROUTE_SPECS } from "../../../src/api/route-specs.ts";
import { createLogger } from "../../../src/common/logger.ts";
import { startApiServer, type ApiServer } from "../../../src/daemon/observe/api-server.ts";
import { pick, seededRandom, type Random } from "../support/seeded-random.ts";
import { seedIpvsView } from "./fake-ipvs.ts";
import { FakeApi, TOKEN } from "./fakes.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 8080);
const REQUESTS = 3000;

let api: FakeApi;
let server: ApiServer;
let port: number;

beforeAll(async () => {
  api = new FakeApi();
  api.ipvsView = seedIpvsView(api.clock.wallMs());
  // The fake's event log answers reads; its validator answers at once (the real one is a child process).
  server = await startApiServer({ listen: "127.0.0.1:0", app: createApiApp(api), logger: createLogger(() => {}, "error") });
  port = Number(new URL(server.url).port);
});

afterAll(async () => {
  await server?.stop();
});

interface RawAnswer {
  status: number | undefined;
  bytes: number;
  /** When the first byte of the answer came, and when the connection closed (or we gave up). */
  answeredMs: number | undefined;
  closedMs: number;
}

/** Send raw bytes, read until the server closes (or `waitMs`), and return the status line's code. */
function rawRequest(bytes: Uint8Array | string, waitMs = 5000, onOpen?: (write: (b: string) => void) => void): Promise<RawAnswer> {
  const started = performance.now();
  return new Promise((resolve) => {
    let received = "";
    let total = 0;
    let done = false;
    let answeredMs: number | undefined;
    const finish = (socket?: { end(): void }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket?.end();
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      resolve({ status: match ? Number(match[1]) : undefined, bytes: total, answeredMs, closedMs: performance.now() - started });
    };
    let socketRef: { end(): void } | undefined;
    const timer = setTimeout(() => finish(socketRef), waitMs);
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(socket) {
          socketRef = socket;
          socket.write(bytes);
          onOpen?.((b) => socket.write(b));
        },
        data(_socket, data) {
          answeredMs ??= performance.now() - started;
          total += data.byteLength;
          if (received.length < 256) received += data.toString("latin1");
        },
        close() {
          finish();
        },
        error() {
          finish();
        },
      },
    }).catch(() => finish());
  });
}

const METHODS = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
  "TRACE",
  "CONNECT",
  "BREW",
  "get",
  "GE T",
  "G\u0000T",
  "X".repeat(300),
  "",
  "POST\t",
];
const VERSIONS = ["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/9", "http/1.1", "", "HTTP/1.1 extra"];
const JUNK = ["%", "%zz", "%00", "%ff%fe", "..", "../..", "//", "\u00e9", "%C0%AF", "*", "?", "#", ";", "\\", "%2e%2e%2f", "\u0000", " ", "\t"];
const PARAMS = ["limit", "cursor", "kind", "instance", "since", "until", "sinceMs", "untilMs", "order", "lastEventId", "__proto__", "constructor", "x"];
const VALUES = [
  "",
  "1",
  "0",
  "-1",
  "1000",
  "1001",
  "99999999999999999999999",
  "1e308",
  "NaN",
  "abc",
  "vrrp.transition",
  "ipvs.drain",
  "desc",
  "asc",
  "2027-01-15T08:00:00Z",
  "%ff",
  "%00",
  "A".repeat(600),
  "\u00e9",
  "a,b,,c",
];

function path(random: Random): string {
  const route = pick(random, ROUTE_SPECS)
    .path.replace("{name}", pick(random, ["VI_1", "VI_2", "nope", "", "%00", "x".repeat(3000)]))
    .replace("{id}", pick(random, ["TCP%2010.99.0.41%3A80", "FWM%207%20IPv4", "TCP 10.99.0.41:80", "group%2F..%2F", "%E0%A4%A", "", "x".repeat(3000)]))
    .replace("{rs}", pick(random, ["10.99.1.1%3A80", "10.99.1.4:80", "[2001:db8::1:6]:443", "nope", "%00", "x".repeat(3000)]));
  let p = route;
  if (random() < 0.3) p += pick(random, JUNK);
  if (random() < 0.1) p = pick(random, JUNK) + p;
  if (random() < 0.6) {
    const params = Array.from({ length: Math.floor(random() * 6) }, () => `${pick(random, PARAMS)}=${pick(random, VALUES)}`);
    p += `?${params.join("&")}${random() < 0.2 ? "&&&=" : ""}`;
  }
  return p;
}

function headers(random: Random, bodyLength: number): string[] {
  const out: string[] = [`Host: ${pick(random, ["127.0.0.1", "", "x".repeat(2000), "[::1]:99999"])}`];
  const extras = [
    `Authorization: Bearer ${TOKEN}`,
    `Authorization: Bearer ${"x".repeat(5000)}`,
    "Authorization: Basic Zm9vOmJhcg==",
    "Authorization: Bearer",
    `Content-Length: ${bodyLength}`,
    `Content-Length: ${bodyLength + 10}`,
    "Content-Length: -1",
    "Content-Length: 99999999999999999999",
    `Content-Length: ${bodyLength}\r\nContent-Length: 0`,
    "Transfer-Encoding: chunked",
    "Transfer-Encoding: gzip, chunked",
    "Content-Type: application/json",
    "Content-Type: text/plain; charset=utf-16",
    "Content-Type: multipart/form-data; boundary=" + "-".repeat(100),
    "Content-Encoding: gzip",
    "Expect: 100-continue",
    "Last-Event-ID: 99999999999999999999",
    "Last-Event-ID: \u00ff\u00fe",
    "Accept: */*",
    "Connection: keep-alive",
    "Upgrade: websocket",
    `X-Big: ${"y".repeat(8000)}`,
    "Bad Header: x",
    ": empty-name",
    "X-Control: a\u0001b",
    "X-NoColon",
  ];
  for (let k = Math.floor(random() * 5); k > 0; k--) out.push(pick(random, extras));
  if (random() < 0.05) for (let k = 0; k < 200; k++) out.push(`X-Many-${k}: ${k}`);
  out.push("Connection: close");
  return out;
}

function body(random: Random): string {
  switch (Math.floor(random() * 8)) {
    case 0:
      return "";
    case 1:
      return "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n}\n";
    case 2:
      return "$X=$X=${X}${X}\nglobal_defs {\n  router_id ${X}\n}\n";
    case 3:
      return '{"config": ' + pick(random, ['"x"', "5", "null", "[]", '"\\ud800"', "{"]) + "}";
    case 4:
      return Array.from({ length: 1 + Math.floor(random() * 2000) }, () => String.fromCharCode(Math.floor(random() * 256))).join("");
    case 5:
      return "5\r\nhello\r\nzz\r\n0\r\n\r\n";
    case 6:
      return "{".repeat(1 + Math.floor(random() * 5000));
    default:
      return "\u00ff\u00fe" + "\u0000x".repeat(100);
  }
}

function randomRequest(random: Random): Uint8Array {
  const b = body(random);
  // Mostly well-formed request lines, so most requests reach the app's own checks.
  const line = `${random() < 0.8 ? pick(random, ["GET", "POST", "DELETE", "HEAD"]) : pick(random, METHODS)} ${path(random)} ${random() < 0.8 ? "HTTP/1.1" : pick(random, VERSIONS)}`;
  const head = [line, ...headers(random, b.length)].join(random() < 0.05 ? "\n" : "\r\n");
  return Buffer.from(`${head}\r\n\r\n${b}`, "latin1");
}

async function healthzMs(): Promise<number> {
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  await res.arrayBuffer();
  expect(res.status).toBe(200);
  return performance.now() - started;
}

describe("the API over real sockets, under fuzzing", () => {
  test(`${REQUESTS} malformed requests on every route: no 500, every answer a status or a closed connection`, async () => {
    const random = seededRandom(SEED);
    Bun.gc(true);
    const heapBefore = heapStats().heapSize;
    const statuses = new Map<string, number>();
    const fivehundreds: string[] = [];
    for (let n = 0; n < REQUESTS; n += 25) {
      const batch = Array.from({ length: 25 }, () => randomRequest(random));
      // A request whose Content-Length promises more than it sends is answered by the server's own timeouts; 2 s is enough to see the rest.
      const answers = await Promise.all(batch.map((bytes) => rawRequest(bytes, 2000)));
      answers.forEach((answer, i) => {
        const key = answer.status === undefined ? "closed" : String(answer.status);
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        // 503 is a limit's refusal and 505 Bun's answer to a version it does not speak; 500 would be a bug.
        if (answer.status !== undefined && answer.status >= 500 && answer.status !== 503 && answer.status !== 505)
          fivehundreds.push(`${answer.status}: ${JSON.stringify(Buffer.from(batch[i]!).toString("latin1").slice(0, 300))} (FUZZ_SEED=${SEED})`);
      });
      api.clock.advance(60_000); // refusal summaries and stream heartbeats move on
    }
    console.log(
      `api fuzz: ${REQUESTS} raw requests, statuses ${[...statuses]
        .sort()
        .map(([k, v]) => `${k}:${v}`)
        .join(" ")}`,
    );
    expect(fivehundreds).toEqual([]);
    expect(statuses.size).toBeGreaterThan(5);
    expect(await healthzMs()).toBeLessThan(500);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).not.toMatch(/tandem_api_responses_total\{code="500"\}/);
    Bun.gc(true);
    expect((heapStats().heapSize - heapBefore) / 2 ** 20).toBeLessThan(64);
  }, 180_000);

  test("a burst of 500 connections at once: every one answered or refused, /healthz stays quick", async () => {
    const answers = await Promise.all(Array.from({ length: 500 }, () => rawRequest("GET /vrrp/state HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
    const counts = new Map<number | undefined, number>();
    for (const a of answers) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
    expect([...counts.keys()].every((s) => s === 200 || s === 429 || s === 503)).toBe(true);
    expect(answers.every((a) => a.closedMs < 3000)).toBe(true);
    expect(await healthzMs()).toBeLessThan(500);
  }, 60_000);

  test("300 event streams from one address: the first ones open, the rest are refused with 429, and closing frees them", async () => {
    const controllers = Array.from({ length: 300 }, () => new AbortController());
    const opened = await Promise.all(controllers.map((c) => fetch(`http://127.0.0.1:${port}/events/stream`, { signal: c.signal }).catch(() => undefined)));
    const statuses = opened.map((r) => r?.status);
    expect(statuses.filter((s) => s === 200).length).toBe(8);
    expect(statuses.filter((s) => s === 429).length).toBe(292);
    for (const r of opened) if (r?.status !== 200) await r?.arrayBuffer();
    for (const c of controllers) c.abort();
    await Bun.sleep(100);
    const again = new AbortController();
    const reopened = await fetch(`http://127.0.0.1:${port}/events/stream`, { signal: again.signal });
    expect(reopened.status).toBe(200);
    again.abort();
    expect(await healthzMs()).toBeLessThan(500);
  }, 60_000);

  test("slow clients (slowloris): a head trickled a byte a second, and a body trickled, are cut off; others are served meanwhile", async () => {
    const trickle = (first: string) =>
      rawRequest(first, 40_000, (write) => {
        const timer = setInterval(() => {
          try {
            write("X");
          } catch {
            clearInterval(timer);
          }
        }, 1000);
        setTimeout(() => clearInterval(timer), 40_000);
      });
    const heads = Array.from({ length: 20 }, () => trickle("GET /vrrp/state HTTP/1.1\r\nHost: x\r\nX-Slow: "));
    // One body: an address may run one validation at a time (a second is a 429 at once).
    const bodies = [
      trickle(`POST /config/validate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\nvrrp_`),
    ];
    const during: number[] = [];
    for (let i = 0; i < 5; i++) {
      await Bun.sleep(1000);
      during.push(await healthzMs());
    }
    // The API's body deadline runs on its clock: move it past the deadline.
    api.clock.advance(10_000);
    const cut = await Promise.all([...heads, ...bodies]);
    // Bun closes a connection whose head is incomplete after about 10 s, whatever trickles in.
    console.log(`slow clients: ${cut.map((a) => `${a.status ?? "closed"}@${Math.round(a.closedMs)}ms`).join(" ")}`);
    expect(cut.slice(0, 20).every((a) => a.closedMs < 20_000)).toBe(true);
    const [slowBody] = cut.slice(20);
    expect(slowBody!.status).toBe(408);
    // Answered at the deadline, and the connection closed with it: the rest of the body is not waited for.
    expect(slowBody!.closedMs).toBeLessThan(12_000);
    expect(Math.max(...during)).toBeLessThan(500);
  }, 60_000);
});
