// The status page on a box with api_reads_need_token: the first read is refused, the page
// asks for the token once, then shows the state and follows live events through a fetch
// stream that carries the token in a header (never in a URL).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { createApiApp } from "../../src/api/app.ts";
import { haveChromium, launchChromium, LAUNCH_TIMEOUT_MS, watchProblems, type Browser, type PageProblems } from "./chromium.ts";
import { FakeApi, TOKEN } from "../unit/api/fakes.ts";

const SKIP_REASON = haveChromium ? "" : " [skipped: /usr/bin/chromium is missing; apt-get install chromium]";
const card = (name: string) => `.card[data-instance="${name}"]`;

describe.skipIf(!haveChromium)(`status page with reads behind the token${SKIP_REASON}`, () => {
  let api: FakeApi;
  let server: ReturnType<typeof Bun.serve>;
  let browser: Browser;
  let page: Page;
  let problems: PageProblems;
  const prompts: string[] = [];
  const urls: string[] = [];
  const authorized: string[] = [];

  beforeAll(async () => {
    api = new FakeApi();
    api.protectReads = true;
    const app = createApiApp(api);
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req, srv) {
        urls.push(new URL(req.url).pathname + new URL(req.url).search);
        if (req.headers.get("authorization") === `Bearer ${TOKEN}`) authorized.push(new URL(req.url).pathname);
        return app.fetch(req, { remoteAddress: srv.requestIP(req)?.address });
      },
    });
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    problems = watchProblems(page);
    page.on("dialog", (dialog) => {
      prompts.push(dialog.message());
      void dialog.accept(TOKEN);
    });
    await page.goto(`http://127.0.0.1:${server.port}/`);
    await page.locator("#conn.up").waitFor({ timeout: 5000 });
  }, LAUNCH_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop(true);
  });

  test("asks once, then shows both instances, reading with the token in a header", async () => {
    await page.locator(card("VI_2")).waitFor({ timeout: 2000 });
    expect(prompts).toEqual(["This box needs its API token (the contents of api_token_file) to show its state:"]);
    expect(await page.locator(`${card("VI_1")} [data-role=state]`).textContent()).toBe("MASTER");
    expect(authorized).toContain("/vrrp/state");
    expect(authorized).toContain("/events");
    expect(authorized).toContain("/events/stream");
    expect(urls.some((u) => u.includes(TOKEN))).toBe(false);
    // The one refusal is the first read, before the page knew.
    expect(problems.errorResponses).toEqual(["401 GET /vrrp/state"]);
    expect(problems.console.filter((m) => !m.includes("401"))).toEqual([]);
  });

  test("live events arrive through the token-carrying stream: a failover shows within 1 s", async () => {
    const before = Date.now();
    api.failover();
    await page.locator(`${card("VI_2")} [data-role=state]:text("MASTER")`).waitFor({ timeout: 1000 });
    expect(Date.now() - before).toBeLessThan(1000);
  });
});
