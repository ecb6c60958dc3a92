// The API's limits (src/api/limits.ts): requests and streams in progress per address and in
// all, validations per address, URL length, the body deadline, the token for reads; each
// refusal with its status, message and Retry-After, counted in /metrics and traced (boundedly)
// in the history.
import { describe, expect, test } from "bun:test";
import { createApiApp } from "../../../src/api/index.ts";
import type { ValidationAnswer } from "../../../src/api/ports.ts";
import { FakeApi, TOKEN } from "./fakes.ts";

const auth = { authorization: `Bearer ${TOKEN}` };

function setup(limits: Parameters<typeof createApiApp>[1] = {}) {
  const fake = new FakeApi();
  const app = createApiApp(fake, limits);
  const from = (address: string, path: string, init: RequestInit = {}) => app.request(path, init, { remoteAddress: address });
  return { fake, app, from };
}

/** A validation that answers only when told to, holding its request (and validation) slot meanwhile. */
function holdValidations(fake: FakeApi): { release(): void } {
  let resolvers: ((answer: ValidationAnswer) => void)[] = [];
  fake.config.validate = () => new Promise((resolve) => resolvers.push(resolve));
  return {
    release() {
      for (const resolve of resolvers) resolve({ kind: "done", ok: true, diagnostics: [], durationMs: 1 });
      resolvers = [];
    },
  };
}

const refusedEvents = (fake: FakeApi) => fake.log.events.filter((e) => e.kind === "api.refused");

describe("requests in progress", () => {
  test("one address over its share gets 429 with Retry-After; another address is served; the box's total gives 503", async () => {
    const { fake, from } = setup({ limits: { requestsPerClient: 2, requestsTotal: 3, validationsPerClient: 5 } });
    const held = holdValidations(fake);
    const post = (address: string) =>
      from(address, "/config/validate", { method: "POST", body: "vrrp_instance A {}", headers: { ...auth, "content-type": "text/plain" } });
    const a1 = post("10.0.0.1");
    const a2 = post("10.0.0.1");
    await Bun.sleep(1);
    const a3 = await from("10.0.0.1", "/vrrp/state");
    expect(a3.status).toBe(429);
    expect(a3.headers.get("retry-after")).toBe("1");
    expect(await a3.json()).toEqual({ error: "too many requests in progress from this address", detail: "at most 2 per address" });
    const b1 = post("10.0.0.2");
    await Bun.sleep(1);
    const b2 = await from("10.0.0.2", "/vrrp/state");
    expect(b2.status).toBe(503);
    expect(b2.headers.get("retry-after")).toBe("5");
    held.release();
    expect((await Promise.all([a1, a2, b1])).map((r) => r.status)).toEqual([200, 200, 200]);
    // Slots come back when the requests end.
    expect((await from("10.0.0.1", "/vrrp/state")).status).toBe(200);
    const metrics = await (await from("10.0.0.3", "/metrics")).text();
    expect(metrics).toContain('tandem_api_refused_total{reason="client-requests"} 1');
    expect(metrics).toContain('tandem_api_refused_total{reason="server-requests"} 1');
    expect(metrics).toContain('tandem_api_responses_total{code="429"} 1');
    expect(metrics).toContain("tandem_api_requests_in_progress 1");
  });

  test("one validation at a time per address", async () => {
    const { fake, from } = setup();
    const held = holdValidations(fake);
    const post = () => from("10.0.0.1", "/config/validate", { method: "POST", body: "vrrp_instance A {}", headers: { ...auth, "content-type": "text/plain" } });
    const first = post();
    await Bun.sleep(1);
    const second = await post();
    expect(second.status).toBe(429);
    expect(((await second.json()) as any).error).toBe("a validation from this address is still running");
    held.release();
    expect((await first).status).toBe(200);
  });
});

describe("event streams", () => {
  test("per address and in all, released when a stream ends", async () => {
    const { fake, from } = setup({ limits: { streamsPerClient: 2, streamsTotal: 3 } });
    const open = (address: string) => from(address, "/events/stream");
    const s1 = await open("10.0.0.1");
    const s2 = await open("10.0.0.1");
    expect([s1.status, s2.status]).toEqual([200, 200]);
    const s3 = await open("10.0.0.1");
    expect(s3.status).toBe(429);
    expect(await s3.json()).toEqual({ error: "too many event streams open from this address", detail: "at most 2 per address" });
    expect((await open("10.0.0.2")).status).toBe(200);
    const full = await open("10.0.0.3");
    expect(full.status).toBe(503);
    await s1.body!.cancel();
    expect((await open("10.0.0.1")).status).toBe(200);
    expect(fake.log.subscriberCount).toBe(3);
  });
});

describe("sizes and time", () => {
  test("a URL over the limit is 414 before any work", async () => {
    const { fake, from } = setup({ limits: { maxUrlChars: 100 } });
    const res = await from("10.0.0.1", `/events?instance=${"x".repeat(200)}`);
    expect(res.status).toBe(414);
    expect(fake.log.queries).toEqual([]);
  });

  test("a body that has not arrived by the deadline is 408, and the validator is never asked", async () => {
    const { fake, from } = setup({ limits: { bodyDeadlineMs: 10_000 } });
    const trickle = new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(new TextEncoder().encode("vrrp_")) });
    const pending = from("10.0.0.1", "/config/validate", { method: "POST", body: trickle, headers: { ...auth, "content-type": "text/plain" } });
    await Bun.sleep(5);
    fake.clock.advance(10_000);
    const res = await pending;
    expect(res.status).toBe(408);
    expect(await res.json()).toEqual({ error: "the request body did not arrive in time", detail: "the whole body must arrive within 10000 ms" });
    expect(fake.validated).toEqual([]);
  });
});

describe("the token for reads (api_reads_need_token)", () => {
  test("every read but /healthz and the page shell needs it; with it they answer", async () => {
    const { fake, from } = setup();
    fake.protectReads = true;
    for (const path of ["/vrrp/state", "/vrrp/instances/VI_1", "/events", "/events/stream", "/metrics", "/config", "/openapi.json"]) {
      const res = await from("10.0.0.9", path);
      expect([path, res.status]).toEqual([path, 401]);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="tandem"');
      const wrong = await from("10.0.0.9", path, { headers: { authorization: "Bearer nope" } });
      expect([path, wrong.status]).toEqual([path, 403]);
      const ok = await from("10.0.0.9", path, { headers: auth });
      expect([path, ok.status]).toEqual([path, 200]);
      if (path === "/events/stream") await ok.body!.cancel();
      else await ok.arrayBuffer();
    }
    expect((await from("10.0.0.9", "/healthz")).status).toBe(200);
    expect((await from("10.0.0.9", "/")).status).toBe(200);
    fake.protectReads = false;
    expect((await from("10.0.0.9", "/vrrp/state")).status).toBe(200);
  });
});

describe("refusals in the history", () => {
  test("the first of a client and reason at once, the rest summed at the end of the minute, bounded in all", async () => {
    const { fake, from } = setup();
    for (let i = 0; i < 50; i++) await from("10.0.0.7", "/vrrp/instances/VI_1/maintenance", { method: "POST" });
    await from("10.0.0.8", "/vrrp/instances/VI_1/maintenance", { method: "POST", headers: { authorization: "Bearer nope" } });
    expect(refusedEvents(fake).map((e) => e.summary)).toEqual([
      "10.0.0.7: POST /vrrp/instances/VI_1/maintenance refused (401 authentication required)",
      "10.0.0.8: POST /vrrp/instances/VI_1/maintenance refused (403 wrong token)",
    ]);
    fake.clock.advance(60_000);
    const events = refusedEvents(fake);
    expect(events.at(-1)).toMatchObject({
      summary: "10.0.0.7: 49 more request(s) refused in 60 s (401 authentication required)",
      data: { client: "10.0.0.7", reason: "unauthenticated", status: 401, count: 49 },
    });
    expect(events).toHaveLength(3);
    expect(fake.maintenanceCalls).toEqual([]);
  });

  test("a thousand clients leave at most twenty-odd events a minute; the counters have them all", async () => {
    const { fake, from } = setup();
    for (let i = 0; i < 1000; i++) await from(`10.1.${i >> 8}.${i & 255}`, "/vrrp/instances/VI_1/maintenance", { method: "DELETE" });
    fake.clock.advance(60_000);
    const events = refusedEvents(fake);
    expect(events.length).toBeLessThanOrEqual(21);
    expect(events.at(-1)).toMatchObject({ data: { client: "*", count: 1000 - 20 } });
    const metrics = await (await from("10.0.0.1", "/metrics")).text();
    expect(metrics).toContain('tandem_api_refused_total{reason="unauthenticated"} 1000');
  });
});
