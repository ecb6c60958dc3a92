// Every route through app.request() against the seed pair's fake ports: what each answers,
// and the JSON 404 / 405 / 413 / 415 / 400 answers for caller mistakes.
import { beforeEach, describe, expect, test } from "bun:test";
import type { Hono } from "hono";
import { createApiApp } from "../../../src/api/index.ts";
import { STATUS_PAGE_CSP } from "../../../src/api/handlers.ts";
import { FakeApi, PEER, SEED_WALL_MS, TOKEN } from "./fakes.ts";

let fake: FakeApi;
let app: Hono;

beforeEach(() => {
  fake = new FakeApi();
  app = createApiApp(fake, { limits: { maxBodyBytes: 4096 } });
});

const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers });

describe("read routes", () => {
  test("GET /vrrp/state: daemon, both seed instances and groups", async () => {
    const res = await get("/vrrp/state");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = (await res.json()) as any;
    expect(body.daemon).toMatchObject({ version: "0.1.0", pid: 4242, history: { state: "ok" } });
    expect(body.groups).toEqual([]);
    expect(
      body.instances.map((i: { name: string; state: string; vrid: number; vips: string[]; excludedVips: string[] }) => [
        i.name,
        i.state,
        i.vrid,
        i.vips,
        i.excludedVips,
      ]),
    ).toEqual([
      ["VI_1", "MASTER", 51, ["10.99.0.41/24"], []],
      ["VI_2", "BACKUP", 52, ["10.99.0.51/24"], []],
    ]);
    expect(body.instances[1].master).toEqual({ address: PEER, priority: 100, lastSeenAtMs: SEED_WALL_MS + 119_000 });
  });

  test("GET /vrrp/state follows a failover", async () => {
    fake.failover("VI_2", 1234);
    const body = (await (await get("/vrrp/state")).json()) as any;
    expect(body.instances[1]).toMatchObject({ name: "VI_2", state: "MASTER", lastTakeoverMs: 1234 });
  });

  test("GET /vrrp/instances/:name: one instance; unknown -> 404 JSON", async () => {
    const res = await get("/vrrp/instances/VI_2");
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).effectivePriority).toBe(90);
    const missing = await get("/vrrp/instances/VI_9");
    expect(missing.status).toBe(404);
    expect((await missing.json()) as any).toEqual({ error: "no VRRP instance named VI_9" });
  });

  test("GET /vrrp/instances/:name decodes the name", async () => {
    fake.instance("VI_1").name = "web front";
    expect((await get("/vrrp/instances/web%20front")).status).toBe(200);
    expect((await get("/vrrp/instances/%E0%A4%A")).status).toBeLessThan(500);
  });

  test("GET /healthz reports the history state", async () => {
    expect((await (await get("/healthz")).json()) as any).toEqual({ status: "ok", history: "ok" });
    fake.historyHealth = { ...fake.historyHealth, state: "degraded", reason: "disk full", droppedEvents: 3 };
    const res = await get("/healthz");
    expect(res.status).toBe(200);
    expect((await res.json()) as any).toEqual({ status: "ok", history: "degraded" });
  });

  test("GET /config is the effective (masked) config", async () => {
    const body = (await (await get("/config")).json()) as any;
    expect(body.vrrpInstances[0].auth.password).toBe("********");
  });

  test("GET / serves the status page with a strict CSP", async () => {
    const res = await get("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("content-security-policy")).toBe(STATUS_PAGE_CSP);
    expect(STATUS_PAGE_CSP).toContain("default-src 'none'");
    expect(STATUS_PAGE_CSP).toContain("connect-src 'self'");
    expect(STATUS_PAGE_CSP).toContain("frame-ancestors 'none'");
    expect(await res.text()).toContain("<html");
  });

  test("GET /metrics is Prometheus text", async () => {
    const res = await get("/metrics");
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(await res.text()).toContain('keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="51",ip_address="10.99.0.41/24"} 2');
  });

  test("HEAD on a GET route answers headers only", async () => {
    const res = await app.request("/vrrp/state", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    const stream = await app.request("/events/stream", { method: "HEAD" });
    expect(stream.status).toBe(200);
    expect(fake.log.subscriberCount).toBe(0);
  });

  test("every answer carries nosniff and no-store", async () => {
    for (const path of ["/vrrp/state", "/nope", "/metrics"]) {
      const res = await get(path);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("cache-control")).toBe("no-store");
    }
  });
});

describe("GET /events", () => {
  test("newest first by default, the EventPage shape", async () => {
    const body = (await (await get("/events")).json()) as any;
    expect(body.events.map((e: { id: number }) => e.id)).toEqual([4, 3, 2, 1]);
    expect(body.nextCursor).toBeUndefined();
  });

  test("filters reach the history as an EventFilter", async () => {
    await get("/events?since=2027-01-15T08:00:00Z&untilMs=1800000009000&kind=vrrp.transition,daemon.start&kind=api.action&instance=VI_1&limit=2&order=asc");
    expect(fake.log.queries.at(-1)).toEqual({
      sinceMs: SEED_WALL_MS,
      untilMs: 1_800_000_009_000,
      kinds: ["vrrp.transition", "daemon.start", "api.action"],
      instance: "VI_1",
      limit: 2,
      order: "asc",
    });
  });

  test("pages with nextCursor until the end", async () => {
    const first = (await (await get("/events?limit=3")).json()) as any;
    expect(first.events.map((e: { id: number }) => e.id)).toEqual([4, 3, 2]);
    const second = (await (await get(`/events?limit=3&cursor=${first.nextCursor}`)).json()) as any;
    expect(second.events.map((e: { id: number }) => e.id)).toEqual([1]);
    expect(second.nextCursor).toBeUndefined();
  });

  test("the history's bad-cursor answer is a 400 carrying its detail", async () => {
    fake.events.query = () => ({ ok: false, error: "bad-cursor", detail: "cursor from another history" });
    const res = await get("/events?cursor=abc");
    expect(res.status).toBe(400);
    expect((await res.json()) as any).toEqual({ error: "bad cursor", detail: "cursor from another history; use nextCursor from a previous page" });
  });

  test("an exception from the history is no bad cursor: the API answers 500, whatever the error's name", async () => {
    fake.events.query = () => {
      throw Object.assign(new Error("disk on fire"), { name: "InvalidCursorError" });
    };
    const res = await get("/events?cursor=abc");
    expect(res.status).toBe(500);
  });

  test("a cursor the store rejects is a 400", async () => {
    const res = await get("/events?cursor=forged");
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error).toBe("bad cursor");
    expect(body.detail).toContain("forged");
  });

  test("a page size over the maximum is clamped, said in Tandem-Clamped, and counted; so is a time past the last date", async () => {
    const res = await get("/events?limit=99999999999&untilMs=99999999999999999999");
    expect(res.status).toBe(200);
    expect(res.headers.get("tandem-clamped")).toBe("untilMs=8640000000000000, limit=1000");
    expect(fake.log.queries.at(-1)).toMatchObject({ limit: 1000, untilMs: 8.64e15 });
    const metrics = await (await get("/metrics")).text();
    expect(metrics).toContain('tandem_api_clamped_total{parameter="limit"} 1');
    expect(metrics).toContain('tandem_api_clamped_total{parameter="untilMs"} 1');
  });

  test.each([
    ["limit=0", "limit must be a whole number from 1 (pages hold at most 1000 events)"],
    ["limit=abc", "limit must be a whole number from 1 (pages hold at most 1000 events)"],
    ["limit=-5", "limit must be a whole number from 1 (pages hold at most 1000 events)"],
    ["limit=1&limit=2", 'query parameter "limit" given 2 times'],
    ["kind=vrrp.nope", 'unknown event kind "vrrp.nope"'],
    ["kind=", 'query parameter "kind" has an empty name'],
    ["since=yesterday", "since is not a time"],
    ["sinceMs=2027-01-15T08:00:00", "sinceMs has no time zone"],
    ["since=2027-01-15&sinceMs=1", "give either sinceMs or since, not both"],
    ["sinceMs=2000&untilMs=1000", "the time range is empty"],
    ["order=up", 'order must be "asc" or "desc"'],
    ["sinse=1", 'unknown query parameter "sinse"'],
    ["instance=", 'query parameter "instance" is empty'],
  ])("?%s -> 400 %s", async (query, error) => {
    const res = await get(`/events?${query}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toBe(error);
  });

  test("epoch ms and ISO-8601 with an offset are the same instant", async () => {
    await get("/events?sinceMs=2027-01-15T10:00:00%2B02:00");
    expect(fake.log.queries.at(-1)!.sinceMs).toBe(SEED_WALL_MS);
  });
});

describe("POST /config/validate", () => {
  const post = (body: Bun.BodyInit, type?: string, token: string | undefined = TOKEN) =>
    app.request("/config/validate", {
      method: "POST",
      body,
      headers: { ...(type ? { "content-type": type } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });

  test("text body -> diagnostics", async () => {
    const ok = await post("vrrp_instance VI_1 {}", "text/plain");
    expect(ok.status).toBe(200);
    expect((await ok.json()) as any).toEqual({ ok: true, diagnostics: [], durationMs: 3 });
    const bad = await post("global_defs {}", "application/x-www-form-urlencoded");
    expect((await bad.json()) as any).toEqual({ ok: false, diagnostics: ["keepalived.conf:1:1: error: no vrrp_instance"], durationMs: 3 });
    expect(fake.validated).toEqual(["vrrp_instance VI_1 {}", "global_defs {}"]);
  });

  test("it needs the token, like every POST: 401 without, 403 wrong, and the body is never read", async () => {
    const none = await post("vrrp_instance VI_1 {}", "text/plain", "");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="tandem"');
    expect((await post("vrrp_instance VI_1 {}", "text/plain", "nope")).status).toBe(403);
    expect(fake.validated).toEqual([]);
  });

  test("a limit hit is said in the answer: ok false, the limit, a diagnostic", async () => {
    fake.nextValidation = { kind: "limit", limit: "memory", detail: "it grew past 256 MiB", durationMs: 412.4 };
    const res = await post("$X=${X}${X}", "text/plain");
    expect(res.status).toBe(200);
    expect((await res.json()) as any).toEqual({
      ok: false,
      diagnostics: ["keepalived.conf:1:1: error: validation stopped at its memory limit: it grew past 256 MiB"],
      limit: { kind: "memory", detail: "it grew past 256 MiB" },
      durationMs: 412,
    });
    fake.nextValidation = { kind: "busy" };
    const busy = await post("vrrp_instance A {}", "text/plain");
    expect(busy.status).toBe(503);
    expect(busy.headers.get("retry-after")).toBe("5");
    fake.nextValidation = { kind: "failed", detail: "the validator exited with status 1 without an answer" };
    expect((await post("vrrp_instance A {}", "text/plain")).status).toBe(503);
    const metrics = await (await get("/metrics")).text();
    expect(metrics).toContain('tandem_config_validations_total{outcome="memory-limit"} 1');
    expect(metrics).toContain('tandem_config_validations_total{outcome="busy"} 1');
    expect(metrics).toContain('tandem_config_validations_total{outcome="failed"} 1');
    expect(metrics).toContain('tandem_api_refused_total{reason="server-validations"} 1');
  });

  test("JSON body {config}", async () => {
    const res = await post(JSON.stringify({ config: "vrrp_instance X {}" }), "application/json");
    expect((await res.json()) as any).toEqual({ ok: true, diagnostics: [], durationMs: 3 });
  });

  test.each([
    ["{not json", "application/json", 400, "the request body is not valid JSON"],
    ['{"config": 5}', "application/json", 400, 'the JSON body must be {"config": "<keepalived.conf text>"}'],
    ["[]", "application/json", 400, 'the JSON body must be {"config": "<keepalived.conf text>"}'],
    ["null", "application/json", 400, 'the JSON body must be {"config": "<keepalived.conf text>"}'],
    ["   ", "text/plain", 400, "the request body is empty"],
    ["x", "multipart/form-data; boundary=x", 415, "unsupported body type multipart/form-data"],
  ])("%s (%s) -> %d", async (body, type, status, error) => {
    const res = await post(body, type);
    expect(res.status).toBe(status);
    expect(((await res.json()) as any).error).toBe(error);
  });

  test("not UTF-8 -> 400", async () => {
    const res = await post(new Uint8Array([0xff, 0xfe, 0x00, 0xc3]), "text/plain");
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toBe("the request body is not UTF-8 text");
  });

  test("over maxBodyBytes -> 413, by Content-Length or by counting a stream", async () => {
    const big = "#".repeat(4097);
    const declared = await post(big, "text/plain");
    expect(declared.status).toBe(413);
    expect((await declared.json()) as any).toEqual({ error: "request body too large", detail: "the limit is 4096 bytes" });
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 5; i++) c.enqueue(new TextEncoder().encode("#".repeat(1000)));
        c.close();
      },
    });
    const streamed = await app.request("/config/validate", {
      method: "POST",
      body: chunks,
      headers: { "content-type": "text/plain", authorization: `Bearer ${TOKEN}` },
    });
    expect(streamed.status).toBe(413);
    expect(fake.validated).toEqual([]);
  });

  test("the default limit is 1 MiB", async () => {
    const defaultApp = createApiApp(fake);
    const headers = { "content-type": "text/plain", authorization: `Bearer ${TOKEN}` };
    const res = await defaultApp.request("/config/validate", { method: "POST", body: "#".repeat(1024 * 1024 + 1), headers });
    expect(res.status).toBe(413);
    const fits = await defaultApp.request("/config/validate", { method: "POST", body: `vrrp_instance A {}\n${"#".repeat(1000 * 1000)}`, headers });
    expect(fits.status).toBe(200);
  });
});

describe("unknown routes and methods", () => {
  test("unknown path -> 404 JSON", async () => {
    const res = await get("/vrrp/nothing");
    expect(res.status).toBe(404);
    expect((await res.json()) as any).toEqual({ error: "no route /vrrp/nothing", detail: "GET /openapi.json lists every route" });
  });

  test("known path, other method -> 405 JSON with Allow", async () => {
    const put = await app.request("/vrrp/state", { method: "PUT" });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, HEAD");
    expect(((await put.json()) as any).error).toBe("method PUT not allowed on /vrrp/state");
    const getMaintenance = await get("/vrrp/instances/VI_1/maintenance");
    expect(getMaintenance.status).toBe(405);
    expect(getMaintenance.headers.get("allow")).toBe("POST, DELETE");
    expect((await app.request("/config/validate")).headers.get("allow")).toBe("POST");
  });

  test("a port that fails is a 500 JSON, not a crash", async () => {
    fake.failStatus = true;
    const res = await get("/vrrp/state");
    expect(res.status).toBe(500);
    expect((await res.json()) as any).toEqual({ error: "internal error", detail: "status source exploded" });
  });
});
