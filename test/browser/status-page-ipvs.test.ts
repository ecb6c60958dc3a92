// The status page's director section in headless Debian Chromium against the real API app
// fed by the fake director: a card per virtual server, drains sent with the token (a wrong
// one shows its 403, the right one drains and undrains), and the unavailable line.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { createApiApp } from "../../src/api/app.ts";
import { haveChromium, launchChromium, LAUNCH_TIMEOUT_MS, watchProblems, type Browser, type PageProblems } from "./chromium.ts";
import { seedIpvsView } from "../unit/api/fake-ipvs.ts";
import { FakeApi, TOKEN } from "../unit/api/fakes.ts";

const OUT = join(import.meta.dir, "../../out");
const SKIP_REASON = haveChromium ? "" : " [skipped: /usr/bin/chromium is missing; apt-get install chromium]";
const WEB = "TCP 10.99.0.41:80";
const realServerRow = (rs: string) => `.card.vs[data-vs="${WEB}"] tr[data-rs="${rs}"]`;

describe.skipIf(!haveChromium)(`status page: the IPVS director in headless Chromium${SKIP_REASON}`, () => {
  let api: FakeApi;
  let server: ReturnType<typeof Bun.serve>;
  let browser: Browser;
  let page: Page;
  let problems: PageProblems;

  beforeAll(async () => {
    api = new FakeApi();
    api.ipvsView = seedIpvsView(api.clock.wallMs());
    const app = createApiApp(api);
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req, srv) {
        const res = await app.fetch(req, { remoteAddress: srv.requestIP(req)?.address });
        res.headers.set("date", new Date(api.clock.wallMs()).toUTCString());
        return res;
      },
    });
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    problems = watchProblems(page);
    await page.goto(`http://127.0.0.1:${server.port}/`);
    await page.locator("#conn.up").waitFor({ timeout: 5000 });
  }, LAUNCH_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop(true);
  });

  test("shows a card per virtual server with its real servers, and no errors", async () => {
    await page.locator(realServerRow("10.99.1.1:80")).waitFor({ timeout: 2000 });
    expect(await page.locator(".card.vs").count()).toBe(4);
    expect(await page.locator(`${realServerRow("10.99.1.2:80")} [data-role=weight]`).textContent()).toBe("2 / 2");
    expect(await page.locator(`${realServerRow("10.99.1.4:80")} [data-role=draining]`).textContent()).toContain("draining");
    expect(problems.console).toEqual([]);
    expect(problems.failedRequests).toEqual([]);
    expect(problems.errorResponses).toEqual([]);
  });

  test("drain sends the token: a wrong one shows the 403, the right one drains, undrain needs no prompt", async () => {
    let answer = "wrong-token";
    const dialogs: string[] = [];
    const sent: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.type());
      void (d.type() === "prompt" ? d.accept(answer) : d.accept());
    });
    page.on("request", (r) => r.url().endsWith("/drain") && sent.push(`${r.method()} ${new URL(r.url()).pathname} ${r.headers()["authorization"]}`));
    const button = page.locator(`${realServerRow("10.99.1.1:80")} button[data-action=drain]`);
    const result = page.locator(`${realServerRow("10.99.1.1:80")} .result`);
    const path = "/ipvs/virtual-servers/TCP%2010.99.0.41%3A80/real-servers/10.99.1.1%3A80/drain";

    await button.click();
    await result.filter({ hasText: "403" }).waitFor({ timeout: 2000 });
    expect(sent).toEqual([`POST ${path} Bearer wrong-token`]);

    answer = TOKEN;
    await button.click();
    await page.locator(`${realServerRow("10.99.1.1:80")} [data-role=drained]`).waitFor({ timeout: 2000 });
    expect(sent[1]).toBe(`POST ${path} Bearer ${TOKEN}`);
    expect(api.drainCalls.at(-1)).toMatchObject({ virtualServer: WEB, realServer: "10.99.1.1:80", on: true });

    await page.locator(`${realServerRow("10.99.1.1:80")} button[data-on=false]`).click();
    await page.locator(`${realServerRow("10.99.1.1:80")} [data-role=drained]`).waitFor({ state: "detached", timeout: 2000 });
    expect(sent[2]).toBe(`DELETE ${path} Bearer ${TOKEN}`);
    expect(dialogs).toEqual(["confirm", "prompt", "confirm", "prompt"]);
    expect(problems.errorResponses).toEqual([`403 POST ${path}`]);
    expect(problems.failedRequests).toEqual([]);
  });

  test("the director going unavailable shows as a line saying why", async () => {
    const reason = "this kernel has no IPVS (genetlink family IPVS not found)";
    api.ipvsView = { ...api.ipvsView!, available: false, reason };
    api.publish({ kind: "ipvs.director", atMs: api.clock.wallMs(), summary: `IPVS director unavailable: ${reason}`, data: { available: false, reason } });
    const line = page.locator("[data-role=director-down]");
    await line.waitFor({ timeout: 2000 });
    expect(await line.textContent()).toContain(reason);
    mkdirSync(OUT, { recursive: true });
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(OUT, "status-page-ipvs.png"), fullPage: true, caret: "initial" });
  });

  test("a reload that removes every virtual_server removes the section", async () => {
    api.ipvsView = undefined;
    api.publish({
      kind: "config.reload",
      atMs: api.clock.wallMs(),
      summary: "reloaded",
      data: { ok: true, file: "/etc/keepalived/keepalived.conf", diagnostics: [] },
    });
    await page.locator(".card.vs").first().waitFor({ state: "detached", timeout: 2000 });
    expect(await page.locator("#ipvs").innerHTML()).toBe("");
  });
});
