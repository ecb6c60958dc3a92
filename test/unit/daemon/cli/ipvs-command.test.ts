// `tandem ipvs` against the real API app on 127.0.0.1:0 (plain http), fed by the fake
// director: the ipvsadm-like table, --json, and a clear failure where no director runs.
import { afterAll, describe, expect, spyOn, test } from "bun:test";
import { createApiApp } from "../../../../src/api/index.ts";
import { formatIpvsTable } from "../../../../src/api/cli-format.ts";
import { parseArgs, type ClientOptions } from "../../../../src/daemon/cli/cli-args.ts";
import { clientCommand } from "../../../../src/daemon/cli/client-command.ts";
import { seedIpvsView } from "../../api/fake-ipvs.ts";
import { FakeApi } from "../../api/fakes.ts";

const fake = new FakeApi();
const app = createApiApp(fake);
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const res = await app.fetch(request);
    res.headers.set("date", new Date(fake.clock.wallMs()).toUTCString());
    return res;
  },
});
afterAll(() => server.stop(true));

const options = (json: boolean): ClientOptions => ({ apiUrl: `http://127.0.0.1:${server.port}`, configFile: "/nonexistent", json, query: {} });

async function run(json: boolean): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  const stderr = spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  try {
    return { code: await clientCommand("ipvs", options(json)), out: out.join(""), err: err.join("") };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe("tandem ipvs", () => {
  test("parses as an API client with the others' options", () => {
    expect(parseArgs(["ipvs", "--api", "http://10.0.0.1:8080", "--json"])).toEqual({
      kind: "ipvs",
      options: { apiUrl: "http://10.0.0.1:8080", configFile: "/etc/keepalived/keepalived.conf", json: true, query: {} },
    });
    expect(parseArgs(["ipvs", "--token-file", "/t"])).toMatchObject({ kind: "ipvs", options: { tokenFile: "/t" } });
    expect(parseArgs(["ipvs", "--kind", "x"])).toMatchObject({ kind: "usage-error" });
  });

  test("prints the director's table, ages by the box's clock", async () => {
    fake.ipvsView = seedIpvsView(fake.clock.wallMs());
    const { code, out } = await run(false);
    expect(code).toBe(0);
    // The Date header has whole seconds: the box's clock as the client sees it.
    expect(out).toBe(formatIpvsTable(fake.ipvsView, Math.floor(fake.clock.wallMs() / 1000) * 1000));
    expect(out).toContain("  -> 10.99.1.4:80                 Masq    0      3          1          0       alive, drained, draining");
  });

  test("--json prints GET /ipvs/state as it came", async () => {
    fake.ipvsView = seedIpvsView(fake.clock.wallMs());
    const { code, out } = await run(true);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual(fake.ipvsView);
  });

  test("no virtual_server configured: exit 1, saying so", async () => {
    fake.ipvsView = undefined;
    const { code, out, err } = await run(false);
    expect(code).toBe(1);
    expect(out).toBe("");
    expect(err).toContain("tandem ipvs: ");
    expect(err).toContain("/ipvs/state answered 404");
    expect(err).toContain("no virtual_server is configured");
  });
});
