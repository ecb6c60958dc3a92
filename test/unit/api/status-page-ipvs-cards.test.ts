// The status page's director section (browser/ipvs-cards.js, evaluated as the page does, in
// one scope with format.js): a card per virtual server with its real servers, weights
// desired / kernel, health, connections, drains and drain buttons; the unavailable line; the
// preflight's line of wrong kernel settings.
import { describe, expect, test } from "bun:test";
import formatJs from "../../../src/api/status-page/browser/format.js" with { type: "text" };
import ipvsCardsJs from "../../../src/api/status-page/browser/ipvs-cards.js" with { type: "text" };
import timelineJs from "../../../src/api/status-page/browser/timeline.js" with { type: "text" };
import type { IpvsView } from "../../../src/api/ports.ts";
import type { NewEvent } from "../../../src/store/event.ts";
import { seedIpvsView } from "./fake-ipvs.ts";

type Action = { busy?: boolean; error?: boolean; text: string };
const render = new Function(`${formatJs}\n${ipvsCardsJs}\n${timelineJs}\nreturn { ipvsSection, drainKey, eventTone };`)() as {
  ipvsSection(view: IpvsView | null, actions: Record<string, Action>, nowMs: number): string;
  drainKey(vs: string, rs: string): string;
  eventTone(event: NewEvent): string;
};

const NOW = 1_800_000_000_000;
const HOSTILE = `<img src=x onerror="alert(1)">'&`;

/** One real server's row, found by its data-rs in the card of its virtual server. */
function row(html: string, vs: string, rs: string): string {
  const card = html.split('<article class="card vs').find((c) => c.includes(`data-vs="${vs}"`))!;
  return card.split("<tr ").find((r) => r.startsWith(`data-rs="${rs}"`))!;
}
const cell = (rowHtml: string, role: string) => new RegExp(`data-role="${role}"[^>]*>(.*?)</td>`, "s").exec(rowHtml)![1]!;

describe("status page: IPVS director section", () => {
  test("no director: nothing at all", () => {
    expect(render.ipvsSection(null, {}, NOW)).toBe("");
  });

  test("a card per virtual server, a row per real server", () => {
    const html = render.ipvsSection(seedIpvsView(NOW), {}, NOW);
    expect([...html.matchAll(/<article class="card vs [^"]*" data-vs="([^"]*)"/g)].map((m) => m[1])).toEqual([
      "TCP 10.99.0.41:80",
      "FWM 7 IPv4",
      "TCP [2001:db8::41]:443",
      "group dns UDP",
    ]);
    expect([...html.matchAll(/<tr data-rs="([^"]*)"/g)].length).toBe(7);
    expect(html).toContain("UDP 10.99.0.51:53, UDP 10.99.0.52:53"); // a group names its members
    expect(html).toContain("sh · persistent 300 s · sh-port");
    expect(html).toContain("2 drift repairs");
    expect(html).not.toContain("director-down");
  });

  test("the health checks' scheduler: a quiet line while it keeps up, a warning with the backlog and the overdue when it does not", () => {
    const view = seedIpvsView(NOW);
    const quiet = /data-role="check-scheduler">(.*?)<\/p>/s.exec(render.ipvsSection(view, {}, NOW))![1]!;
    expect(quiet).toBe("<b>Health checks:</b> 4 probes · 1 running (at most 9872) · start lateness p99 7 ms · loop lag p99 3 ms");
    view.checkScheduler = { ...view.checkScheduler!, backlog: 120, oldestWaitMs: 2_500, overdue: 3 };
    const html = render.ipvsSection(view, {}, NOW);
    expect(html).toContain('<p class="warn" data-role="check-scheduler">');
    expect(html).toContain('<b class="bad">120 waiting, the oldest 2.5 s</b> · <b class="bad">3 past their timeout</b>');
    delete view.checkScheduler;
    expect(render.ipvsSection(view, {}, NOW)).not.toContain("check-scheduler");
  });

  test("weights desired / kernel (a lag marked), health, connections", () => {
    const view = seedIpvsView(NOW);
    view.virtualServers[0]!.realServers[1]!.kernelWeight = 1;
    delete view.virtualServers[0]!.realServers[2]!.desiredWeight;
    delete view.virtualServers[0]!.realServers[2]!.kernelWeight;
    const html = render.ipvsSection(view, {}, NOW);
    const ok = row(html, "TCP 10.99.0.41:80", "10.99.1.1:80");
    expect(cell(ok, "weight")).toBe("1 / 1");
    expect(ok).toContain('<td class="num" data-role="weight">');
    expect(cell(ok, "conns")).toBe('12 / 40<div class="muted small">3/s</div>');
    expect(cell(ok, "health")).toBe('<span class="ok">alive</span>');
    const lagging = row(html, "TCP 10.99.0.41:80", "10.99.1.2:80");
    expect(lagging).toContain('<td class="num warn" data-role="weight">2 / 1</td>');
    const failed = row(html, "TCP 10.99.0.41:80", "10.99.1.3:80");
    expect(cell(failed, "weight")).toBe("out / —");
    expect(cell(failed, "health")).toBe(
      '<span class="bad">failed</span> <span class="muted">inhibited</span><div class="muted small" data-role="checker">HTTP_GET#0 <span class="bad">down</span> · connection refused · p50 1.5 ms p99 3 s · 3 flaps</div>',
    );
    expect(failed).toContain('title="check: HTTP_GET on 10.99.1.3:80 failed: connection refused');
  });

  test("slow-starting: a badge with the time left of its ramp, its full weight in the title, in place of the bare reason", () => {
    const html = render.ipvsSection(seedIpvsView(NOW), {}, NOW);
    const ramping = row(html, "TCP [2001:db8::41]:443", "[2001:db8::1:6]:443");
    expect(cell(ramping, "weight")).toBe("1 / 1");
    expect(cell(ramping, "health")).toBe(
      '<span class="ok">alive</span> <span class="badge maint" data-role="slow-start" title="slowstart: its weight ramps up to 3">slow start · 8.0 s left</span>',
    );
  });

  test("drained and draining, with Drain / Undrain buttons that name both servers", () => {
    const html = render.ipvsSection(seedIpvsView(NOW), {}, NOW);
    const drained = row(html, "TCP 10.99.0.41:80", "10.99.1.4:80");
    expect(cell(drained, "health")).toContain('<span class="badge maint" data-role="draining">draining · 4 min 0 s left</span>');
    expect(drained).toContain('data-action="drain" data-vs="TCP 10.99.0.41:80" data-rs="10.99.1.4:80" data-on="false">Undrain</button>');
    const ok = row(html, "TCP 10.99.0.41:80", "10.99.1.1:80");
    expect(ok).toContain('data-action="drain" data-vs="TCP 10.99.0.41:80" data-rs="10.99.1.1:80" data-on="true">Drain</button>');
    const view = seedIpvsView(NOW);
    delete view.virtualServers[0]!.realServers[3]!.draining;
    expect(cell(row(render.ipvsSection(view, {}, NOW), "TCP 10.99.0.41:80", "10.99.1.4:80"), "health")).toContain('data-role="drained">drained</span>');
  });

  test("a request's outcome shows under its button; a busy one disables it", () => {
    const key = render.drainKey("TCP 10.99.0.41:80", "10.99.1.1:80");
    const busy = row(render.ipvsSection(seedIpvsView(NOW), { [key]: { busy: true, text: "draining…" } }, NOW), "TCP 10.99.0.41:80", "10.99.1.1:80");
    expect(busy).toContain('data-on="true" disabled>Drain</button><div class="result muted" role="status">draining…</div>');
    const failed = row(render.ipvsSection(seedIpvsView(NOW), { [key]: { error: true, text: "403 wrong token" } }, NOW), "TCP 10.99.0.41:80", "10.99.1.1:80");
    expect(failed).toContain('<div class="result bad" role="status">403 wrong token</div>');
  });

  test("quorum lost and the sorry server in: the card says so", () => {
    const view = seedIpvsView(NOW);
    const web = view.virtualServers[0]!;
    web.quorum = { ...web.quorum, up: false, liveWeight: 0 };
    web.sorryServer!.active = true;
    const html = render.ipvsSection(view, {}, NOW);
    expect(html).toContain('<article class="card vs is-fault" data-vs="TCP 10.99.0.41:80">');
    expect(html).toContain('<span class="pill is-fault" data-role="quorum">quorum lost</span>');
    expect(html).toContain("<b>Sorry server 10.99.2.9:80 in place of the real servers</b>");
    expect(render.ipvsSection(seedIpvsView(NOW), {}, NOW)).toContain("sorry server 10.99.2.9:80 standing by");
  });

  test("the director unavailable: a line saying why", () => {
    const view: IpvsView = {
      available: false,
      reason: "this kernel has no IPVS (genetlink family IPVS not found)",
      virtualServers: [],
      foreignServices: [],
      driftRepairs: 0,
    };
    const html = render.ipvsSection(view, {}, NOW);
    expect(html).toContain(
      '<p class="director-down" data-role="director-down"><b>Director unavailable:</b> this kernel has no IPVS (genetlink family IPVS not found).',
    );
    expect(html).toContain("No virtual servers.");
  });

  test("the preflight: IPVS's version in the heading, a line for the sysctls not as they should be, none when all are", () => {
    const view = seedIpvsView(NOW);
    let html = render.ipvsSection(view, {}, NOW);
    expect(html).toContain("IPVS 1.2.1, table 4096");
    const line = /<p class="warn" data-role="preflight">(.*?)<\/p>/s.exec(html)![1]!;
    expect(line).toStartWith('<b>Kernel settings:</b> <span class="mono" title="a deleted real server&#39;s connections are expired');
    expect(line).toContain("net.ipv4.vs.expire_nodest_conn</span> is 0, should be 1");
    expect(line).not.toContain("ip_forward");
    expect(line).toEndWith('<span class="muted small">(set it, or let tandem with ipvs_set_sysctls)</span>');
    view.preflight!.setSysctls = true;
    delete view.preflight!.sysctls[1]!.value;
    html = render.ipvsSection(view, {}, NOW);
    expect(html).toContain("expire_nodest_conn</span> missing, should be 1");
    expect(html).toContain("(tandem could not set it)");
    view.preflight!.sysctls[1]!.ok = true;
    expect(render.ipvsSection(view, {}, NOW)).not.toContain('data-role="preflight"');
  });

  test("hostile ids and reasons are text, never markup", () => {
    const view = seedIpvsView(NOW);
    view.available = false;
    view.reason = HOSTILE;
    const web = view.virtualServers[0]!;
    web.id = HOSTILE;
    web.realServers[0]!.id = HOSTILE;
    web.realServers[0]!.reason = HOSTILE;
    web.flags = [HOSTILE];
    const html = render.ipvsSection(view, { [render.drainKey(HOSTILE, HOSTILE)]: { text: HOSTILE } }, NOW);
    expect(html).not.toContain("<img");
    expect(html).not.toContain(`"alert(1)"`);
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;");
  });
});

test("the timeline colours the director's events by what they mean", () => {
  const vs = "TCP 10.99.0.41:80";
  const tone = (event: Omit<NewEvent, "atMs" | "summary">) => render.eventTone({ atMs: 0, summary: "", ...event } as NewEvent);
  expect(tone({ kind: "ipvs.quorum", data: { virtualServer: vs, state: "lost", liveWeight: 0, quorum: 2, hysteresis: 0 } })).toBe("tone-bad");
  expect(tone({ kind: "ipvs.quorum", data: { virtualServer: vs, state: "regained", liveWeight: 2, quorum: 2, hysteresis: 0 } })).toBe("tone-ok");
  expect(tone({ kind: "ipvs.director", data: { available: false, reason: "no IPVS" } })).toBe("tone-bad");
  expect(tone({ kind: "ipvs.sorry-server", data: { virtualServer: vs, state: "in", sorryServer: "10.99.2.9:80" } })).toBe("tone-warn");
  expect(tone({ kind: "ipvs.apply", data: { cause: "reload", writes: 2, failures: 1, durationMs: 1 } })).toBe("tone-bad");
  expect(tone({ kind: "ipvs.apply", data: { cause: "reload", writes: 2, failures: 0, durationMs: 1 } })).toBe("");
  expect(tone({ kind: "ipvs.sysctl", data: { changes: [{ name: "net.ipv4.ip_forward", from: 0, to: 1 }], failures: [] } })).toBe("tone-warn");
  expect(tone({ kind: "ipvs.sysctl", data: { changes: [], failures: [{ name: "net.ipv4.ip_forward", reason: "EACCES" }] } })).toBe("tone-bad");
});
