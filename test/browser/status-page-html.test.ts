// The status page as a document, without a browser: self-contained (nothing external), a
// CSP that matches its inline script and style, a script that parses, and escaping that
// holds for hostile names from keepalived.conf.
import { describe, expect, test } from "bun:test";
import { statusPageHtml } from "../../src/api/status-page/index.ts";
import formatJs from "../../src/api/status-page/browser/format.js" with { type: "text" };
import cardsJs from "../../src/api/status-page/browser/cards.js" with { type: "text" };
import timelineJs from "../../src/api/status-page/browser/timeline.js" with { type: "text" };
import type { DaemonView, GroupView, InstanceView } from "../../src/api/ports.ts";
import type { TandemEvent } from "../../src/store/event.ts";

const html = statusPageHtml();
const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
const style = /<style>([\s\S]*)<\/style>/.exec(html)![1]!;
const sha256 = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("base64");

interface Renderers {
  esc(value: unknown): string;
  instanceCard(inst: InstanceView, nowMs: number, action?: { error?: boolean; text: string }): string;
  timelineRow(event: TandemEvent, nowMs: number): string;
  bannerList(daemon: DaemonView, stream: { up: boolean; attempt: number }, nowMs: number): string;
  groupsTable(groups: GroupView[]): string;
}
// The page's pure render functions, evaluated as the page does: in one shared scope.
const render = new Function(`${formatJs}\n${cardsJs}\n${timelineJs}\nreturn { esc, instanceCard, timelineRow, bannerList, groupsTable };`)() as Renderers;

const HOSTILE = `<img src=x onerror="alert(1)">'&`;
const NOW = 1_800_000_000_000;

function hostileInstance(): InstanceView {
  return {
    name: HOSTILE,
    vrid: 51,
    interface: HOSTILE,
    version: 2,
    state: "BACKUP",
    basePriority: 100,
    effectivePriority: 85,
    vips: [HOSTILE],
    excludedVips: [HOSTILE],
    advertIntervalMs: 1000,
    sourceAddress: "10.0.0.1",
    master: { address: HOSTILE, priority: 90, lastSeenAtMs: NOW - 500 },
    trackers: [{ kind: "script", name: HOSTILE, healthy: false, contribution: -15, fault: false, detail: HOSTILE }],
    syncGroup: HOSTILE,
    stateSinceMs: NOW - 60_000,
    maintenance: true,
    lastTakeoverMs: 12.34,
    counters: {},
  };
}

describe("status page document", () => {
  test("is one HTML document with its CSS and script inline", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html.match(/<style/g)).toHaveLength(1);
    expect(statusPageHtml()).toBe(html);
  });

  test("loads nothing from anywhere: no external scripts, styles, fonts or images", () => {
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/@import|@font-face|url\(/);
    expect(html).not.toMatch(/<script[^>]+src=/);
    // The one link is the empty favicon, so the browser does not ask for /favicon.ico.
    expect(html.match(/<link[^>]*>/g)).toEqual(['<link rel="icon" href="data:,">']);
  });

  test("its Content-Security-Policy allows exactly the inline script and style", () => {
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain(`script-src 'sha256-${sha256(script)}'`);
    expect(csp).toContain(`style-src 'sha256-${sha256(style)}'`);
  });

  test("its script parses, and subscribes to every event kind by name", () => {
    expect(() => new Function(script)).not.toThrow();
    expect(script).toContain('const EVENT_KINDS = ["daemon.start"');
    expect(script).toContain('"history.degraded"');
  });
});

describe("status page rendering escapes every value", () => {
  test("esc covers the five HTML-special characters", () => {
    expect(render.esc(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    expect(render.esc(undefined)).toBe("");
  });

  test("an instance card shows hostile names as text, never as markup", () => {
    const card = render.instanceCard(hostileInstance(), NOW, { error: true, text: HOSTILE });
    expect(card).not.toContain("<img");
    expect(card).not.toContain(`"alert(1)"`);
    expect(card).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;");
    expect(card).toContain("maintenance</span>");
    expect(card).toContain("<b>12 ms</b>"); // whole ms from 10 ms up
    expect(card).toContain("\u221215"); // effective priority 85 = base 100 - 15
  });

  test("timeline rows and banners escape event and daemon values", () => {
    const event = {
      id: 7,
      kind: "vrrp.transition",
      atMs: NOW,
      instance: HOSTILE,
      summary: HOSTILE,
      data: { from: "BACKUP", to: "MASTER", cause: HOSTILE, detail: HOSTILE, priority: { base: 100, effective: 100 }, takeoverMs: 4.25 },
    } as TandemEvent;
    const row = render.timelineRow(event, NOW);
    expect(row).not.toContain("<img");
    expect(row).toContain("takeover 4.3 ms");
    const daemon: DaemonView = {
      version: "0.1.0",
      pid: 1,
      startedAtMs: NOW - 1000,
      configFile: HOSTILE,
      history: { state: "degraded", path: HOSTILE, reason: HOSTILE, droppedEvents: 3 },
      lastSplitBrain: { instance: HOSTILE, peer: HOSTILE, atMs: NOW - 5000 },
    };
    const banners = render.bannerList(daemon, { up: true, attempt: 0 }, NOW);
    expect(banners).not.toContain("<img");
    expect(banners).toContain("Event history degraded");
    expect(banners).toContain("Split brain seen");
    expect(banners).toContain("3 events could not be stored");
  });

  test("sync groups show their state and members, escaped", () => {
    const table = render.groupsTable([{ name: HOSTILE, state: "FAULT", members: ["VI_1", HOSTILE] }]);
    expect(table).not.toContain("<img");
    expect(table).toContain('<span class="pill is-fault">FAULT</span>');
    expect(table).toContain("VI_1, &lt;img");
    expect(render.groupsTable([])).toBe("");
  });
});
