// The status page in headless Debian Chromium against the real API app on a real HTTP
// server, fed by the seed's dual-master pair: it loads cleanly, shows both instances,
// follows a failover within 1 s, shows banners, and sends maintenance requests with the token.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { createApiApp } from "../../src/api/app.ts";
import { haveChromium, launchChromium, LAUNCH_TIMEOUT_MS, watchProblems, type Browser, type PageProblems } from "./chromium.ts";
import { FakeApi, PEER, TOKEN } from "../unit/api/fakes.ts";

const OUT = join(import.meta.dir, "../../out");
const SKIP_REASON = haveChromium ? "" : " [skipped: /usr/bin/chromium is missing; apt-get install chromium]";

const card = (name: string) => `.card[data-instance="${name}"]`;

describe.skipIf(!haveChromium)(`status page in headless Chromium${SKIP_REASON}`, () => {
  let api: FakeApi;
  let server: ReturnType<typeof Bun.serve>;
  let browser: Browser;
  let page: Page;
  let problems: PageProblems;

  const serve = (port = 0) => {
    const app = createApiApp(api);
    return Bun.serve({
      hostname: "127.0.0.1",
      port,
      async fetch(req, srv) {
        const res = await app.fetch(req, { remoteAddress: srv.requestIP(req)?.address });
        // The box's clock is the fake's (2027): the page reads it from Date, as from a real box.
        res.headers.set("date", new Date(api.clock.wallMs()).toUTCString());
        return res;
      },
    });
  };

  beforeAll(async () => {
    api = new FakeApi();
    server = serve();
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

  test("loads with no console errors and no failed requests, showing both instances and their states", async () => {
    await page.locator(card("VI_2")).waitFor({ timeout: 2000 });
    expect(await page.locator(`${card("VI_1")} [data-role=state]`).textContent()).toBe("MASTER");
    expect(await page.locator(`${card("VI_2")} [data-role=state]`).textContent()).toBe("BACKUP");
    expect(await page.locator(`${card("VI_2")} [data-role=master]`).textContent()).toContain(PEER);
    expect(await page.locator("#timeline .ev").count()).toBeGreaterThan(0);
    expect(problems.console).toEqual([]);
    expect(problems.failedRequests).toEqual([]);
    expect(problems.errorResponses).toEqual([]);
  });

  test("shows a failover within 1 s: VI_2 becomes MASTER, with its takeover time on the timeline", async () => {
    // The page notes when it first shows VI_2 as MASTER; both clocks are this machine's.
    await page.evaluate(`(() => {
      window.__masterShownAt = 0;
      const check = () => {
        const pill = document.querySelector('.card[data-instance="VI_2"] [data-role="state"]');
        if (!window.__masterShownAt && pill && pill.textContent === "MASTER") window.__masterShownAt = Date.now();
      };
      new MutationObserver(check).observe(document.body, { subtree: true, childList: true, characterData: true });
    })()`);
    const refreshed = page.waitForResponse((r) => new URL(r.url()).pathname === "/vrrp/state", { timeout: 2000 });
    const failedOverAt = Date.now();
    api.failover();
    await page.waitForFunction("window.__masterShownAt > 0", null, { timeout: 2000 });
    const shownAt = (await page.evaluate("window.__masterShownAt")) as number;
    await refreshed;
    const refreshedAt = Date.now();
    const delayMs = shownAt - failedOverAt;
    console.log(`status page: VI_2 shown as MASTER ${delayMs} ms after the failover; /vrrp/state re-read after ${refreshedAt - failedOverAt} ms`);
    expect(delayMs).toBeLessThan(1000);
    const row = page.locator('#timeline .ev[data-kind="vrrp.transition"]').first();
    expect(await row.textContent()).toContain("takeover 3650 ms");
    expect(await page.locator(`${card("VI_2")} [data-role=takeover]`).textContent()).toContain("3650 ms");
  });

  test("shows a split-brain banner when one was seen", async () => {
    const daemon = api.status.daemon;
    api.status.daemon = () => ({ ...daemon(), lastSplitBrain: { instance: "VI_1", peer: PEER, atMs: api.clock.wallMs() } });
    api.publish({
      kind: "vrrp.split-brain",
      atMs: api.clock.wallMs(),
      instance: "VI_1",
      summary: `VI_1: ${PEER} also advertises as master (priority 90 < ours 100); forcing a new election and re-announcing our addresses`,
      data: { peer: { address: PEER, priority: 90 }, ourPriority: 100 },
    });
    const banner = page.locator('[data-banner="split-brain"]');
    await banner.waitFor({ timeout: 1000 });
    expect(await banner.textContent()).toContain(`${PEER} also advertised as master`);
  });

  test("shows the degraded-history banner with its reason", async () => {
    const reason = "disk full (SQLITE_FULL) writing /var/lib/tandem/events.db";
    api.historyHealth = { ...api.historyHealth, state: "degraded", reason, sinceMs: api.clock.wallMs(), droppedEvents: 0 };
    api.publish({ kind: "history.degraded", atMs: api.clock.wallMs(), summary: `event history degraded: ${reason}`, data: { reason } });
    const banner = page.locator('[data-banner="history"]');
    await banner.waitFor({ timeout: 1000 });
    expect(await banner.textContent()).toContain("disk full (SQLITE_FULL)");
  });

  test("maintenance sends the token: a wrong one shows the 403 error, the right one succeeds", async () => {
    let answer = "wrong-token";
    const dialogs: string[] = [];
    const sent: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.type());
      void (d.type() === "prompt" ? d.accept(answer) : d.accept());
    });
    page.on("request", (r) => r.url().endsWith("/maintenance") && sent.push(`${r.method()} ${r.headers()["authorization"]}`));
    const button = page.locator(`${card("VI_1")} button[data-action=maintenance]`);
    const result = page.locator(`${card("VI_1")} .result`);

    await button.click();
    await result.filter({ hasText: "403" }).waitFor({ timeout: 2000 });
    expect(await result.textContent()).toContain("wrong token");
    expect(sent).toEqual(["POST Bearer wrong-token"]);

    answer = TOKEN; // the wrong token was forgotten, so the page asks again
    await button.click();
    await page.locator(`${card("VI_1")} .badge.maint`).waitFor({ timeout: 2000 });
    expect(sent[1]).toBe(`POST Bearer ${TOKEN}`);
    expect(await result.getAttribute("class")).toContain("ok");

    await page.locator(`${card("VI_1")} button[data-on=false]`).click(); // kept token: no prompt
    await page.locator(`${card("VI_1")} .badge.maint`).waitFor({ state: "detached", timeout: 2000 });
    expect(sent[2]).toBe(`DELETE Bearer ${TOKEN}`);
    expect(dialogs).toEqual(["confirm", "prompt", "confirm", "prompt"]);
    expect(problems.errorResponses).toEqual(["403 POST /vrrp/instances/VI_1/maintenance"]);
    expect(problems.console.filter((m) => !m.includes("403"))).toEqual([]);
    expect(problems.failedRequests).toEqual([]);
  });

  test("screenshots at laptop and phone sizes (out/status-page*.png)", async () => {
    mkdirSync(OUT, { recursive: true });
    await page.mouse.move(0, 0); // no hover colour on the last button clicked
    // caret "initial": hiding the caret injects a style, which the page's CSP would refuse.
    await page.screenshot({ path: join(OUT, "status-page.png"), caret: "initial" });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(OUT, "status-page-phone.png"), fullPage: true, caret: "initial" });
    await page.setViewportSize({ width: 1366, height: 768 });
  });

  test("says it is reconnecting while the stream is down, and comes back live", async () => {
    const port = server.port;
    await server.stop(true);
    await page.locator('[data-banner="stream"]').waitFor({ timeout: 3000 });
    expect(await page.locator("#conn").textContent()).toBe("reconnecting");
    server = serve(port);
    await page.locator("#conn.up").waitFor({ timeout: 5000 });
    expect(await page.locator('[data-banner="stream"]').count()).toBe(0);
  });
});
