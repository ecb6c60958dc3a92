// The director's routes through app.request(): GET /ipvs/state and one virtual server by its
// URL-encoded id (404 when no director runs or for an unknown one), and the drain action with
// the maintenance routes' auth matrix and answers (200 with detail, 404, 409, 503).
import { beforeEach, describe, expect, test } from "bun:test";
import type { Hono } from "hono";
import { createApiApp } from "../../../src/api/index.ts";
import { seedIpvsView } from "./fake-ipvs.ts";
import { FakeApi, TOKEN } from "./fakes.ts";

let fake: FakeApi;
let app: Hono;

beforeEach(() => {
  fake = new FakeApi();
  fake.ipvsView = seedIpvsView(fake.clock.wallMs());
  app = createApiApp(fake);
});

const get = (path: string) => app.request(path);
const WEB = encodeURIComponent("TCP 10.99.0.41:80");

describe("GET /ipvs/state", () => {
  test("the director's view as the status source gives it", async () => {
    const res = await get("/ipvs/state");
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toEqual(seedIpvsView(fake.clock.wallMs()));
    expect(body.virtualServers.map((v: { id: string }) => v.id)).toEqual(["TCP 10.99.0.41:80", "FWM 7 IPv4", "TCP [2001:db8::41]:443", "group dns UDP"]);
  });

  test("an unavailable director is still a 200: available false and why", async () => {
    fake.ipvsView = { ...fake.ipvsView!, available: false, reason: "this kernel has no IPVS (genetlink family IPVS not found)" };
    const body = (await (await get("/ipvs/state")).json()) as any;
    expect(body).toMatchObject({ available: false, reason: "this kernel has no IPVS (genetlink family IPVS not found)" });
  });

  test("no virtual_server configured -> 404 saying so", async () => {
    fake.ipvsView = undefined;
    const res = await get("/ipvs/state");
    expect(res.status).toBe(404);
    expect((await res.json()) as any).toEqual({
      error: "no virtual_server is configured",
      detail: "the IPVS director runs only when keepalived.conf has virtual_server blocks",
    });
  });

  test("GET /vrrp/state says whether a director runs, for the status page", async () => {
    expect(((await (await get("/vrrp/state")).json()) as any).ipvsDirector).toBe(true);
    fake.ipvsView = undefined;
    expect(((await (await get("/vrrp/state")).json()) as any).ipvsDirector).toBe(false);
  });
});

describe("GET /ipvs/virtual-servers/:id", () => {
  test.each([
    ["TCP 10.99.0.41:80", WEB],
    ["TCP 10.99.0.41:80", "TCP%2010.99.0.41:80"],
    ["FWM 7 IPv4", "FWM%207%20IPv4"],
    ["TCP [2001:db8::41]:443", encodeURIComponent("TCP [2001:db8::41]:443")],
    ["group dns UDP", "group%20dns%20UDP"],
  ])("%s as %s", async (id, segment) => {
    const res = await get(`/ipvs/virtual-servers/${segment}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).id).toBe(id);
  });

  test("a group name with a slash, encoded, is one segment", async () => {
    fake.ipvsView!.virtualServers[3]!.id = "group a/b UDP";
    expect((await get(`/ipvs/virtual-servers/${encodeURIComponent("group a/b UDP")}`)).status).toBe(200);
  });

  test("unknown -> 404 naming it and how ids are written; no director -> 404", async () => {
    const res = await get("/ipvs/virtual-servers/TCP%2010.99.0.41%3A81");
    expect(res.status).toBe(404);
    expect((await res.json()) as any).toEqual({
      error: "no virtual server TCP 10.99.0.41:81",
      detail: "GET /ipvs/state lists them; URL-encode the id, e.g. TCP%2010.0.0.1%3A80",
    });
    fake.ipvsView = undefined;
    expect(((await (await get(`/ipvs/virtual-servers/${WEB}`)).json()) as any).error).toBe("no virtual_server is configured");
  });

  test("bad percent-encoding is taken as it is (Hono leaves it undecoded): a 404, not a 500", async () => {
    expect((await get("/ipvs/virtual-servers/%E0%A4%A")).status).toBe(404);
  });
});

describe.each(["POST", "DELETE"] as const)("%s /ipvs/virtual-servers/:id/real-servers/:rs/drain", (method) => {
  const on = method === "POST";
  const call = (rs: string, authorization?: string, remoteAddress?: string, vs = WEB) =>
    app.request(
      `/ipvs/virtual-servers/${vs}/real-servers/${rs}/drain`,
      { method, headers: authorization === undefined ? {} : { authorization } },
      remoteAddress === undefined ? undefined : { remoteAddress },
    );

  test("right token -> 200 with the detail; the decoded ids and the caller reach Actions", async () => {
    const res = await call("10.99.1.1%3A80", `Bearer ${TOKEN}`, "10.99.0.200");
    expect(res.status).toBe(200);
    expect((await res.json()) as any).toEqual({
      ok: true,
      virtualServer: "TCP 10.99.0.41:80",
      realServer: "10.99.1.1:80",
      drained: on,
      detail: on ? "weight 0 until its connections end" : "weight restored",
    });
    expect(fake.drainCalls).toEqual([{ virtualServer: "TCP 10.99.0.41:80", realServer: "10.99.1.1:80", on, caller: { address: "10.99.0.200" } }]);
    expect(fake.ipvsView!.virtualServers[0]!.realServers[0]!.drained).toBe(on);
  });

  test("an unencoded colon in the real server's id works too", async () => {
    expect((await call("10.99.1.2:80", `Bearer ${TOKEN}`)).status).toBe(200);
    expect(fake.drainCalls[0]!.realServer).toBe("10.99.1.2:80");
  });

  test.each([undefined, "", "Basic dXNlcjpwYXNz", TOKEN])("Authorization %p -> 401, Actions not called", async (header) => {
    const res = await call("10.99.1.1%3A80", header);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toStartWith('Bearer realm="tandem"');
    expect(fake.drainCalls).toEqual([]);
  });

  test("wrong token -> 403; no api_token_file -> 401 even with a header", async () => {
    expect((await call("10.99.1.1%3A80", "Bearer nope")).status).toBe(403);
    fake.tokenValue = undefined;
    const res = await call("10.99.1.1%3A80", `Bearer ${TOKEN}`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error).toBe("actions are disabled");
    expect(fake.drainCalls).toEqual([]);
  });

  test("unknown real server or virtual server -> 404 from the ActionResult; without a token still 401", async () => {
    const res = await call("10.99.1.9%3A80", `Bearer ${TOKEN}`);
    expect(res.status).toBe(404);
    expect((await res.json()) as any).toEqual({ error: "no real server 10.99.1.9:80 in TCP 10.99.0.41:80" });
    expect((await call("10.99.1.1%3A80", `Bearer ${TOKEN}`, undefined, "TCP%2010.0.0.1%3A81")).status).toBe(404);
    expect((await call("10.99.1.9%3A80")).status).toBe(401);
  });

  test.each([
    [409, "the real server is being removed"],
    [503, "the supervisor did not answer within 5 s"],
  ] as const)("an ActionResult %d passes through", async (status, error) => {
    fake.actions.setDrain = async () => ({ ok: false, status, error });
    const res = await call("10.99.1.1%3A80", `Bearer ${TOKEN}`);
    expect(res.status).toBe(status);
    expect((await res.json()) as any).toEqual({ error });
  });

  test("GET on the drain path -> 405 with Allow: POST, DELETE", async () => {
    const res = await get(`/ipvs/virtual-servers/${WEB}/real-servers/10.99.1.1%3A80/drain`);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST, DELETE");
  });
});
