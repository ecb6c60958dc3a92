// Headless Debian Chromium driven by playwright-core, with a fresh profile, and a record of
// everything that went wrong on a page: console errors, page errors, failed requests.
import { mkdtempSync, rmSync } from "node:fs";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM);

/** Quiet and offline: no component updates, sync, QUIC or first-run pages reaching out. */
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** How long Chromium may take to start; the test files' beforeAll allow this and their own set-up. */
export const LAUNCH_TIMEOUT_MS = 60_000;

export async function launchChromium(): Promise<Browser> {
  // Imported here so a machine without the package can still load the file and skip.
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "tandem-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1366, height: 768 },
    // A cold start on a busy 2-core CI machine took over 15 s once: the launch may take a minute.
    timeout: LAUNCH_TIMEOUT_MS,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What went wrong on a page since it was opened (or since the last clear()). */
export interface PageProblems {
  console: string[];
  failedRequests: string[];
  /** Responses with a status >= 400, as "403 POST /path". */
  errorResponses: string[];
  clear(): void;
}

export function watchProblems(page: Page): PageProblems {
  const problems: PageProblems = {
    console: [],
    failedRequests: [],
    errorResponses: [],
    clear() {
      problems.console.length = 0;
      problems.failedRequests.length = 0;
      problems.errorResponses.length = 0;
    },
  };
  page.on("console", (m) => m.type() === "error" && problems.console.push(m.text()));
  page.on("pageerror", (e) => problems.console.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.failedRequests.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  page.on("response", (r) => r.status() >= 400 && problems.errorResponses.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`));
  return problems;
}
