// Garbage to every route with every method: odd paths, query strings, headers and bodies.
// Nothing may answer 500, and every 4xx carries a JSON {error, detail?} body.
import { expect, test } from "bun:test";
import { createApiApp } from "../../../src/api/index.ts";
import { ROUTE_SPECS } from "../../../src/api/route-specs.ts";
import { seedIpvsView } from "./fake-ipvs.ts";
import { FakeApi, TOKEN } from "./fakes.ts";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

const PATH_VARIANTS = (template: string): string[] => {
  // "VI_1" stands for a good name: the seed's instance, virtual server and real server.
  const withName = (name: string) =>
    template
      .replace("{name}", name)
      .replace("{id}", name === "VI_1" ? "TCP%2010.99.0.41%3A80" : name)
      .replace("{rs}", name === "VI_1" ? "10.99.1.1%3A80" : name);
  return [
    withName("VI_1"),
    withName("%00%ff"),
    withName("%E0%A4%A"),
    withName("..%2F..%2Fetc%2Fpasswd"),
    withName("x".repeat(5000)),
    `${withName("VI_1")}/`,
    `${withName("VI_1")}/extra`,
    `${withName("VI_1")}%20`,
    `//${withName("VI_1")}`,
  ];
};

const QUERIES = [
  "",
  "?",
  "?&&&",
  "?limit=-1&limit=%FF",
  "?kind=%00&since=%zz",
  "?sinceMs=1e308&untilMs=NaN",
  "?cursor=" + "A".repeat(600),
  "?lastEventId=99999999999999999999999",
  "?order[]=x&kind[]=y",
  "?__proto__=1&constructor=2",
];

const HEADERS: Record<string, string>[] = [
  {},
  { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
  { "content-type": "application/json; charset=utf-16", "last-event-id": "\u00ff\u00fe" },
  { "content-type": "text/plain", "content-length": "99999999999" },
  { "content-type": "multipart/form-data", authorization: "Bearer \u00e9\u00e9" },
  { authorization: "Bearer " + "x".repeat(10_000), "last-event-id": "-5" },
];

const BODIES: (Bun.BodyInit | undefined)[] = [
  undefined,
  "",
  "{",
  '{"config": null}',
  "\u0000\u0001binary",
  new Uint8Array([0xc3, 0x28, 0xa0, 0xa1]),
  "[" + "1,".repeat(1000) + "1]",
];

test("no 500 and JSON errors for garbage on every route and method", async () => {
  const fake = new FakeApi();
  fake.ipvsView = seedIpvsView(fake.clock.wallMs());
  const app = createApiApp(fake, { limits: { maxBodyBytes: 1024 } });
  const paths = [
    ...new Set(ROUTE_SPECS.flatMap((r) => PATH_VARIANTS(r.path))),
    "/",
    "/%",
    "/nope",
    "/vrrp",
    "/vrrp/instances",
    "/ipvs",
    "/ipvs/virtual-servers",
    "/ipvs/virtual-servers/TCP%2010.99.0.41%3A80/real-servers",
    "/events/",
    "/metrics.json",
    "/*",
  ];
  let requests = 0;
  const failures: string[] = [];
  for (const path of paths) {
    for (const method of METHODS) {
      for (let i = 0; i < QUERIES.length; i++) {
        const query = QUERIES[i]!;
        const headers = HEADERS[i % HEADERS.length]!;
        const body = method === "GET" || method === "HEAD" ? undefined : BODIES[i % BODIES.length];
        let res: Response;
        try {
          res = await app.request(`${path}${query}`, { method, headers, ...(body === undefined ? {} : { body }) });
        } catch (error) {
          failures.push(`${method} ${path}${query}: threw ${(error as Error).message}`);
          continue;
        }
        requests++;
        const label = `${method} ${path.slice(0, 60)}${query.slice(0, 40)} -> ${res.status}`;
        if (res.status >= 500) failures.push(`${label}: ${await res.text()}`);
        else if (res.status >= 400 && method !== "HEAD") {
          const text = await res.text();
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            failures.push(`${label}: not JSON: ${text.slice(0, 80)}`);
            continue;
          }
          const keys = Object.keys(parsed as object).sort();
          if (typeof (parsed as { error?: unknown }).error !== "string" || !(keys.join() === "error" || keys.join() === "detail,error"))
            failures.push(`${label}: body ${text.slice(0, 80)}`);
        } else if (res.headers.get("content-type")?.startsWith("text/event-stream")) await res.body?.cancel();
        else await res.arrayBuffer();
      }
    }
  }
  expect(failures).toEqual([]);
  expect(requests).toBeGreaterThan(4000);
  // Nothing the sweep opened is left subscribed or ticking (the refusal log's summary
  // window, opened by the 401s, closes after its minute).
  fake.clock.advance(60_000);
  expect(fake.log.subscriberCount).toBe(0);
  expect(fake.clock.pendingTimers()).toBe(0);
});
