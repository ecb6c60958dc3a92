// startApiServer on loopback: serves the app, hands the caller's address to actions,
// closes event streams on stop, and refuses a bad or busy address with a clear error.
import { afterEach, describe, expect, test } from "bun:test";
import { memoryLogger } from "../../../../src/common/logger.ts";
import { createApiApp } from "../../../../src/api/index.ts";
import { parseListenAddress, startApiServer, type ApiServer } from "../../../../src/daemon/observe/api-server.ts";
import { FakeApi, TOKEN } from "../../api/fakes.ts";

const servers: ApiServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

async function start(listen = "127.0.0.1:0", fake = new FakeApi()) {
  const logger = memoryLogger();
  const server = await startApiServer({ listen, app: createApiApp(fake), logger });
  servers.push(server);
  return { server, fake, logger };
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > timeoutMs) throw new Error("condition not met in time");
    await Bun.sleep(10);
  }
}

describe("startApiServer", () => {
  test("serves /healthz on the bound port", async () => {
    const { server } = await start();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", history: "ok" });
  });

  test("the caller's remote address reaches Actions", async () => {
    const { server, fake } = await start();
    const res = await fetch(`${server.url}/vrrp/instances/VI_1/maintenance`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(fake.maintenanceCalls).toEqual([{ instance: "VI_1", on: true, caller: { address: "127.0.0.1" } }]);
  });

  test("a client leaving an event stream unsubscribes; stop() closes open streams", async () => {
    const { server, fake } = await start();
    const abort = new AbortController();
    const res = await fetch(`${server.url}/events/stream`, { signal: abort.signal });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toStartWith("retry: 3000");
    expect(fake.log.subscriberCount).toBe(1);
    fake.failover();
    expect(new TextDecoder().decode((await reader.read()).value)).toStartWith("id: 5\nevent: vrrp.transition\n");
    abort.abort();
    await until(() => fake.log.subscriberCount === 0);

    const second = await fetch(`${server.url}/events/stream`);
    const secondReader = second.body!.getReader();
    await secondReader.read();
    await server.stop();
    servers.length = 0;
    const end = await secondReader.read().catch(() => ({ done: true }));
    expect(end.done).toBe(true);
    await until(() => fake.log.subscriberCount === 0);
  });

  test("an address in use is refused with a clear error", async () => {
    const { server } = await start();
    const port = new URL(server.url).port;
    const error = await startApiServer({ listen: `127.0.0.1:${port}`, app: createApiApp(new FakeApi()), logger: memoryLogger() }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      `cannot listen on 127.0.0.1:${port}: the address is already in use (another tandem, or another program, holds it); stop it or set api_listen in global_defs to a free address`,
    );
  });

  test("an address not on this box is refused with a clear error", async () => {
    const error = await startApiServer({ listen: "192.0.2.1:0", app: createApiApp(new FakeApi()), logger: memoryLogger() }).catch((e: Error) => e);
    expect((error as Error).message).toStartWith("cannot listen on 192.0.2.1:0: ");
  });

  test("IPv6 loopback, bracketed", async () => {
    let started;
    try {
      started = await start("[::1]:0");
    } catch (error) {
      expect((error as Error).message).toStartWith("cannot listen on [::1]:0"); // a box without IPv6
      return;
    }
    expect(started.server.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    expect((await fetch(`${started.server.url}/healthz`)).status).toBe(200);
  });
});

describe("parseListenAddress", () => {
  test.each([
    ["127.0.0.1:8080", "127.0.0.1", 8080],
    ["0.0.0.0:8080", "0.0.0.0", 8080],
    ["[::1]:8080", "::1", 8080],
    ["[::]:80", "::", 80],
    ["localhost:0", "localhost", 0],
  ])("%s", (listen, hostname, port) => {
    expect(parseListenAddress(listen)).toEqual({ hostname, port });
  });

  test.each(["127.0.0.1", "127.0.0.1:", ":8080", "127.0.0.1:65536", "256.0.0.1:80", "::1:8080", "[::1]", "[zz]:80", "example.com:80", "127.0.0.1:80:80", ""])(
    "%p is refused",
    (listen) => {
      expect(() => parseListenAddress(listen)).toThrow(
        `api_listen "${listen}" is not HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080 or 0.0.0.0:8080; port 0..65535)`,
      );
    },
  );
});
