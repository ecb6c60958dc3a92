// The actions' auth matrix: no token configured / no header / malformed -> 401 with
// WWW-Authenticate, wrong -> 403, right -> 200 (or 404 for an unknown instance), and the
// caller's address reaching Actions.
import { describe, expect, test } from "bun:test";
import { createApiApp } from "../../../src/api/index.ts";
import { FakeApi, TOKEN } from "./fakes.ts";

function setup(token: string | undefined) {
  const fake = new FakeApi({ token });
  return { fake, app: createApiApp(fake) };
}

const methods = ["POST", "DELETE"] as const;

describe.each(methods)("%s /vrrp/instances/:name/maintenance", (method) => {
  const call = (app: ReturnType<typeof setup>["app"], name: string, authorization?: string, remoteAddress?: string) =>
    app.request(
      `/vrrp/instances/${name}/maintenance`,
      { method, headers: authorization === undefined ? {} : { authorization } },
      remoteAddress === undefined ? undefined : { remoteAddress },
    );

  test("no api_token_file -> 401 even with a header, and Actions is not called", async () => {
    const { fake, app } = setup(undefined);
    const res = await call(app, "VI_1", `Bearer ${TOKEN}`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toStartWith('Bearer realm="tandem"');
    expect(((await res.json()) as any).error).toBe("actions are disabled");
    expect(fake.maintenanceCalls).toEqual([]);
  });

  test.each([
    [undefined, "authentication required"],
    ["", "authentication required"],
    ["Basic dXNlcjpwYXNz", "authentication required"],
    ["Bearer", "authentication required"],
    ["Bearer a b", "authentication required"],
    [TOKEN, "authentication required"],
  ])("Authorization %p -> 401", async (header, error) => {
    const { fake, app } = setup(TOKEN);
    const res = await call(app, "VI_1", header);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toStartWith('Bearer realm="tandem"');
    expect(((await res.json()) as any).error).toBe(error);
    expect(fake.maintenanceCalls).toEqual([]);
  });

  test.each([`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, "Bearer S3CRET-TOKEN", "Bearer x"])("%p -> 403", async (header) => {
    const { fake, app } = setup(TOKEN);
    const res = await call(app, "VI_1", header);
    expect(res.status).toBe(403);
    expect((await res.json()) as any).toEqual({ error: "wrong token", detail: "the bearer token does not match api_token_file" });
    expect(fake.maintenanceCalls).toEqual([]);
  });

  test("right token -> 200, the caller's address goes to Actions, and the history records it", async () => {
    const { fake, app } = setup(TOKEN);
    const res = await call(app, "VI_1", `bearer  ${TOKEN}`, "10.99.0.200");
    expect(res.status).toBe(200);
    const on = method === "POST";
    expect((await res.json()) as any).toEqual({
      ok: true,
      instance: "VI_1",
      maintenance: on,
      detail: on ? "priority forced to 1; a peer takes over" : "priority restored",
    });
    expect(fake.maintenanceCalls).toEqual([{ instance: "VI_1", on, caller: { address: "10.99.0.200" } }]);
    expect(fake.log.events.at(-1)).toMatchObject({ kind: "api.action", instance: "VI_1", data: { caller: { address: "10.99.0.200" }, ok: true } });
    expect(fake.instance("VI_1").maintenance).toBe(on);
  });

  test("without a server binding the caller is 'unknown'", async () => {
    const { fake, app } = setup(TOKEN);
    await call(app, "VI_2", `Bearer ${TOKEN}`);
    expect(fake.maintenanceCalls[0]!.caller).toEqual({ address: "unknown" });
  });

  test("right token, unknown instance -> 404 from the ActionResult", async () => {
    const { app } = setup(TOKEN);
    const res = await call(app, "VI_9", `Bearer ${TOKEN}`);
    expect(res.status).toBe(404);
    expect((await res.json()) as any).toEqual({ error: "no VRRP instance named VI_9" });
  });

  test("unknown instance without a token is still 401: names are not probed unauthenticated", async () => {
    const { app } = setup(TOKEN);
    expect((await call(app, "VI_9")).status).toBe(401);
  });

  test("an ActionResult 409 passes through", async () => {
    const { fake, app } = setup(TOKEN);
    fake.actions.setMaintenance = async () => ({ ok: false, status: 409, error: "reload in progress" });
    const res = await call(app, "VI_1", `Bearer ${TOKEN}`);
    expect(res.status).toBe(409);
    expect((await res.json()) as any).toEqual({ error: "reload in progress" });
  });
});

test("the token is read per request, so a reloaded api_token_file takes effect", async () => {
  const { fake, app } = setup(TOKEN);
  fake.tokenValue = "rotated";
  const call = (token: string) => app.request("/vrrp/instances/VI_1/maintenance", { method: "POST", headers: { authorization: `Bearer ${token}` } });
  expect((await call(TOKEN)).status).toBe(403);
  expect((await call("rotated")).status).toBe(200);
});
