// GET /openapi.json: a well-formed OpenAPI 3.1 document that lists exactly the routes the
// app serves, whose $refs resolve, and whose schemas the real responses (from the fake
// ports, one event of every kind included) validate against.
import { describe, expect, test } from "bun:test";
import { createApiApp } from "../../../src/api/index.ts";
import { EVENT_KINDS, type NewEvent } from "../../../src/store/event.ts";
import { seedIpvsView } from "./fake-ipvs.ts";
import { FakeApi, TOKEN } from "./fakes.ts";
import { validate, type Schema } from "./json-schema.ts";

type Operation = {
  operationId: string;
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
  parameters?: { name: string; in: string; required: boolean; schema: Schema }[];
};
type Doc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, unknown> };
};

async function load() {
  const fake = new FakeApi();
  const app = createApiApp(fake);
  const res = await app.request("/openapi.json");
  expect(res.status).toBe(200);
  const text = await res.text();
  return { fake, app, doc: JSON.parse(text) as Doc };
}

const WEB = "TCP 10.99.0.41:80";
const IPVS_EVENTS: NewEvent[] = [
  {
    kind: "ipvs.real-server",
    atMs: 12,
    instance: WEB,
    summary: "rs",
    data: { virtualServer: WEB, realServer: "10.99.1.3:80", change: "re-weighted", cause: "check", fromWeight: 1, toWeight: 0, detail: "HTTP_GET failed" },
  },
  {
    kind: "ipvs.real-server",
    atMs: 12,
    instance: WEB,
    summary: "rs",
    data: { virtualServer: WEB, realServer: "10.99.1.9:80", change: "added", cause: "reload", toWeight: 3, detail: "new in the configuration" },
  },
  {
    kind: "ipvs.checker",
    atMs: 12,
    instance: WEB,
    summary: "HTTP_GET#0 of 10.99.1.9:80 down: status 503; expected 200-299",
    data: {
      virtualServer: WEB,
      realServer: "10.99.1.9:80",
      checker: "HTTP_GET#0",
      state: "down",
      first: false,
      reason: "status 503; expected 200-299",
      durationMs: 2.5,
      retries: 1,
    },
  },
  { kind: "ipvs.quorum", atMs: 13, instance: WEB, summary: "q", data: { virtualServer: WEB, state: "lost", liveWeight: 1, quorum: 2, hysteresis: 1 } },
  { kind: "ipvs.sorry-server", atMs: 14, instance: WEB, summary: "s", data: { virtualServer: WEB, state: "in", sorryServer: "10.99.2.9:80" } },
  {
    kind: "ipvs.drain",
    atMs: 15,
    instance: WEB,
    summary: "d",
    data: { virtualServer: WEB, realServer: "10.99.1.4:80", state: "started", cause: "operator", deadlineMs: 300_015 },
  },
  {
    kind: "ipvs.drain",
    atMs: 16,
    instance: WEB,
    summary: "d",
    data: { virtualServer: WEB, realServer: "10.99.1.4:80", state: "finished", cause: "operator", how: "connections-zero", connections: 0 },
  },
  {
    kind: "ipvs.drain",
    atMs: 17,
    instance: WEB,
    summary: "d",
    data: { virtualServer: WEB, realServer: "10.99.1.4:80", state: "cancelled", cause: "removed", why: "back-in-config" },
  },
  { kind: "ipvs.drift-repaired", atMs: 18, summary: "r", data: { ops: 1, what: ["restored destination 10.99.1.1:80 of TCP 10.99.0.41:80"] } },
  {
    kind: "ipvs.apply",
    atMs: 19,
    summary: "a",
    data: { cause: "reload", writes: 3, failures: 1, durationMs: 2.5, errors: ["EINVAL: add destination 10.99.1.9:80"] },
  },
  { kind: "ipvs.sync-daemon", atMs: 20, instance: "VI_1", summary: "s", data: { state: "master", interface: "eth0", syncId: 51, ok: true, detail: "started" } },
  { kind: "ipvs.director", atMs: 21, summary: "d", data: { available: false, reason: "this kernel has no IPVS" } },
  {
    kind: "ipvs.sysctl",
    atMs: 22,
    summary: "ipvs_set_sysctls: net.ipv4.vs.expire_nodest_conn 0 -> 1",
    data: { changes: [{ name: "net.ipv4.vs.expire_nodest_conn", from: 0, to: 1 }], failures: [{ name: "net.ipv4.vs.conntrack", reason: "EACCES" }] },
  },
];

const ONE_OF_EACH_KIND: NewEvent[] = [
  { kind: "daemon.stop", atMs: 1, summary: "stop", data: { reason: "SIGTERM" } },
  {
    kind: "vrrp.transition",
    atMs: 2,
    instance: "VI_2",
    summary: "t",
    data: {
      from: "BACKUP",
      to: "MASTER",
      cause: "master-down-timer",
      detail: "d",
      peer: { address: "10.99.0.12", priority: 100 },
      priority: { base: 90, effective: 90 },
      advertsMissed: 3,
      takeoverMs: 3649.5,
    },
  },
  { kind: "vrrp.priority", atMs: 3, instance: "VI_2", summary: "p", data: { from: 90, to: 75, reason: "chk_mt_down failed" } },
  { kind: "vrrp.split-brain", atMs: 4, instance: "VI_1", summary: "s", data: { peer: { address: "10.99.0.12", priority: 100 }, ourPriority: 100 } },
  { kind: "group.transition", atMs: 5, instance: "G1", summary: "g", data: { from: "BACKUP", to: "MASTER", members: ["VI_1", "VI_2"] } },
  { kind: "vrrp.hold", atMs: 5, summary: "h", data: { held: true, by: ["vrrp_startup_delay", "director"], startupDelayMs: 5_000, directorTimeoutMs: 15_000 } },
  {
    kind: "vrrp.hold",
    atMs: 6,
    summary: "r",
    data: { held: false, by: ["director"], cause: "director-ready", heldMs: 2_300, directorTimeoutMs: 15_000, directorMs: 2_300 },
  },
  {
    kind: "tracker.change",
    atMs: 6,
    instance: "VI_2",
    summary: "c",
    data: { tracker: { kind: "script", name: "chk" }, healthy: false, detail: "exit 1", exitCode: null, output: "x" },
  },
  {
    kind: "notify.run",
    atMs: 7,
    instance: "VI_2",
    summary: "n",
    data: { role: "notify_master", state: "MASTER", argv: ["/bin/true"], exitCode: null, signal: "SIGKILL", timedOut: true, durationMs: 5000, output: "" },
  },
  { kind: "config.reload", atMs: 8, summary: "r", data: { ok: false, file: "/etc/keepalived/keepalived.conf", diagnostics: ["a:1:1: error: x"] } },
  { kind: "api.action", atMs: 9, instance: "VI_1", summary: "a", data: { action: "maintenance.enter", caller: { address: "::1" }, ok: true } },
  {
    kind: "api.refused",
    atMs: 9,
    summary: "f",
    data: { client: "10.0.0.9", reason: "client-streams", status: 429, count: 1, method: "GET", path: "/events/stream" },
  },
  { kind: "process.exit", atMs: 10, summary: "p", data: { role: "observer", pid: 7, exitCode: null, signal: "SIGKILL", killedFor: "hung", restartInMs: 500 } },
  { kind: "history.degraded", atMs: 10, summary: "d", data: { reason: "disk full" } },
  { kind: "history.recovered", atMs: 11, summary: "r", data: { droppedEvents: 4 } },
  ...IPVS_EVENTS,
];

describe("the document", () => {
  test("is OpenAPI 3.1 with info, paths, components and the bearer scheme", async () => {
    const { doc } = await load();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toBe("Tandem REST API");
    expect(doc.info.version).toBe("0.1.0");
    expect(doc.components.securitySchemes).toHaveProperty("bearerToken");
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path.startsWith("/")).toBe(true);
      for (const [method, op] of Object.entries(item)) {
        expect(["get", "post", "delete"]).toContain(method);
        expect(ids.has(op.operationId)).toBe(false);
        ids.add(op.operationId);
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        for (const [status, response] of Object.entries(op.responses)) {
          expect(status).toMatch(/^[1-5]\d\d$/);
          expect(response.description.length).toBeGreaterThan(0);
        }
        const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
        const declared = (op.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name);
        expect(declared).toEqual(templated);
        for (const p of op.parameters ?? []) if (p.in === "path") expect(p.required).toBe(true);
      }
    }
  });

  test("every $ref resolves", async () => {
    const { doc } = await load();
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) {
      expect(ref).toStartWith("#/components/schemas/");
      expect(doc.components.schemas).toHaveProperty(ref.slice("#/components/schemas/".length));
    }
  });

  test("lists exactly the routes the app serves", async () => {
    const { app, doc } = await load();
    // Each route is registered with its guard and its handler: count it once.
    const served = [...new Set(app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([^/]+)/g, "{$1}")}`))];
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
    expect(served.sort()).toEqual(documented.sort());
    expect(served.length).toBe(16);
  });
});

describe("responses validate against the document's schemas", () => {
  async function check(app: Awaited<ReturnType<typeof load>>["app"], doc: Doc, method: string, path: string, template: string, init: RequestInit = {}) {
    const res = await app.request(path, { method, ...init });
    const op = doc.paths[template]![method.toLowerCase()]!;
    const response = op.responses[String(res.status)];
    expect(response, `${method} ${path} answered ${res.status}, which the document does not list`).toBeDefined();
    const type = (res.headers.get("content-type") ?? "").split(";")[0]!;
    const media = response!.content?.[type];
    expect(media, `${method} ${path}: ${type} not documented for ${res.status}`).toBeDefined();
    if (type !== "application/json") return res;
    const errors = validate(await res.json(), media!.schema, doc.components.schemas);
    expect(errors, `${method} ${path}`).toEqual([]);
    return res;
  }

  test("every route's success and documented error answers", async () => {
    const { fake, app, doc } = await load();
    for (const event of ONE_OF_EACH_KIND) fake.publish(event);
    fake.failover();
    fake.groupList = [{ name: "G1", state: "MASTER", members: ["VI_1", "VI_2"] }];
    fake.historyHealth = { state: "degraded", path: "/x.db", reason: "read-only", sinceMs: 5, droppedEvents: 2, notice: "corrupt file moved aside" };
    fake.instance("VI_1").syncGroup = "G1";
    fake.instance("VI_2").held = { untilMs: fake.clock.wallMs() + 9_000, by: ["director"] };
    const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
    await check(app, doc, "GET", "/", "/");
    await check(app, doc, "GET", "/openapi.json", "/openapi.json");
    await check(app, doc, "GET", "/healthz", "/healthz");
    await check(app, doc, "GET", "/metrics", "/metrics");
    await check(app, doc, "GET", "/vrrp/state", "/vrrp/state");
    await check(app, doc, "GET", "/vrrp/instances/VI_2", "/vrrp/instances/{name}");
    await check(app, doc, "GET", "/vrrp/instances/nope", "/vrrp/instances/{name}");
    for (const method of ["POST", "DELETE"]) {
      await check(app, doc, method, "/vrrp/instances/VI_1/maintenance", "/vrrp/instances/{name}/maintenance", auth);
      await check(app, doc, method, "/vrrp/instances/nope/maintenance", "/vrrp/instances/{name}/maintenance", auth);
      await check(app, doc, method, "/vrrp/instances/VI_1/maintenance", "/vrrp/instances/{name}/maintenance");
      await check(app, doc, method, "/vrrp/instances/VI_1/maintenance", "/vrrp/instances/{name}/maintenance", { headers: { authorization: "Bearer wrong" } });
    }
    const vs = "/ipvs/virtual-servers/{id}";
    const drain = "/ipvs/virtual-servers/{id}/real-servers/{rs}/drain";
    const web = encodeURIComponent(WEB);
    await check(app, doc, "GET", "/ipvs/state", "/ipvs/state");
    await check(app, doc, "GET", `/ipvs/virtual-servers/${web}`, vs);
    for (const method of ["POST", "DELETE"]) await check(app, doc, method, `/ipvs/virtual-servers/${web}/real-servers/10.99.1.1%3A80/drain`, drain, auth);
    fake.ipvsView = seedIpvsView(fake.clock.wallMs());
    fake.ipvsView.available = false;
    fake.ipvsView.reason = "this kernel has no IPVS";
    await check(app, doc, "GET", "/ipvs/state", "/ipvs/state");
    await check(app, doc, "GET", "/vrrp/state", "/vrrp/state");
    for (const id of [web, "FWM%207%20IPv4", encodeURIComponent("TCP [2001:db8::41]:443"), "group%20dns%20UDP", "nope"]) {
      await check(app, doc, "GET", `/ipvs/virtual-servers/${id}`, vs);
    }
    for (const method of ["POST", "DELETE"]) {
      await check(app, doc, method, `/ipvs/virtual-servers/${web}/real-servers/10.99.1.1%3A80/drain`, drain, auth);
      await check(app, doc, method, `/ipvs/virtual-servers/${web}/real-servers/nope/drain`, drain, auth);
      await check(app, doc, method, `/ipvs/virtual-servers/${web}/real-servers/10.99.1.1%3A80/drain`, drain);
      await check(app, doc, method, `/ipvs/virtual-servers/${web}/real-servers/10.99.1.1%3A80/drain`, drain, { headers: { authorization: "Bearer wrong" } });
    }
    fake.actions.setDrain = async () => ({ ok: false, status: 503, error: "the supervisor did not answer" });
    await check(app, doc, "POST", `/ipvs/virtual-servers/${web}/real-servers/10.99.1.1%3A80/drain`, drain, auth);
    fake.actions.setDrain = async () => ({ ok: false, status: 409, error: "being removed" });
    await check(app, doc, "DELETE", `/ipvs/virtual-servers/${web}/real-servers/10.99.1.1%3A80/drain`, drain, auth);
    const page = await check(app, doc, "GET", "/events?limit=1000", "/events");
    expect(page.status).toBe(200);
    await check(app, doc, "GET", "/events?limit=3", "/events");
    await check(app, doc, "GET", "/events?cursor=bad", "/events");
    await check(app, doc, "GET", "/events?kind=bad", "/events");
    await check(app, doc, "GET", "/events/stream?kind=bad", "/events/stream");
    await check(app, doc, "GET", "/config", "/config");
    await check(app, doc, "POST", "/config/validate", "/config/validate", { body: "vrrp_instance A {}", headers: { "content-type": "text/plain" } });
    await check(app, doc, "POST", "/config/validate", "/config/validate", { body: '{"config":"x"}', headers: { "content-type": "application/json" } });
    await check(app, doc, "POST", "/config/validate", "/config/validate", { body: "{", headers: { "content-type": "application/json" } });
    await check(app, doc, "POST", "/config/validate", "/config/validate", { body: "x".repeat(1024 * 1024 + 1), headers: { "content-type": "text/plain" } });
    await check(app, doc, "POST", "/config/validate", "/config/validate", { body: "x", headers: { "content-type": "image/png" } });
  });

  test("every stored event kind validates, in pages and in the stream", async () => {
    const { fake, app, doc } = await load();
    for (const event of ONE_OF_EACH_KIND) fake.publish(event);
    const body = (await (await app.request("/events?limit=1000")).json()) as any;
    expect(new Set(body.events.map((e: { kind: string }) => e.kind)).size).toBe(EVENT_KINDS.length);
    expect(validate(body, { $ref: "#/components/schemas/EventPage" }, doc.components.schemas)).toEqual([]);
    const res = await app.request("/events/stream", { headers: { "last-event-id": "0" } });
    const reader = res.body!.getReader();
    let text = "";
    while ((text.match(/\n\n/g) ?? []).length < 1 + fake.log.events.length) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const data = text
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .map((l) => JSON.parse(l.slice(6)));
    expect(data).toHaveLength(fake.log.events.length);
    for (const event of data) expect(validate(event, { $ref: "#/components/schemas/TandemEvent" }, doc.components.schemas)).toEqual([]);
  });

  test("the validator does catch a wrong body", async () => {
    const { doc } = await load();
    const schemas = doc.components.schemas;
    expect(validate({ status: "ok" }, { $ref: "#/components/schemas/Health" }, schemas)).toEqual(["$: missing required history"]);
    expect(validate({ error: 5 }, { $ref: "#/components/schemas/Error" }, schemas)).toEqual(["$.error: expected string, got integer"]);
    const event = { id: 1, kind: "daemon.stop", atMs: 1, summary: "s", data: { reason: 1 } };
    expect(validate(event, { $ref: "#/components/schemas/TandemEvent" }, schemas)).toHaveLength(1);
    const repaired = { id: 2, kind: "ipvs.drift-repaired", atMs: 1, summary: "s", data: { ops: 21, what: Array.from({ length: 21 }, () => "x") } };
    expect(validate(repaired, { $ref: "#/components/schemas/TandemEvent" }, schemas)).toHaveLength(1);
    const { driftRepairs: _, ...withoutRepairs } = seedIpvsView(0);
    expect(validate(withoutRepairs, { $ref: "#/components/schemas/IpvsView" }, schemas)).toEqual(["$: missing required driftRepairs"]);
    const withoutOk = seedIpvsView(0);
    delete (withoutOk.preflight!.sysctls[1] as { ok?: boolean }).ok;
    expect(validate(withoutOk, { $ref: "#/components/schemas/IpvsView" }, schemas)).toEqual(["$.preflight.sysctls[1]: missing required ok"]);
  });
});
