// The checks drive the table: a real server whose checker fails leaves the kernel's table
// (or goes to weight 0 with inhibit_on_failure) and comes back when it passes again; with no
// IPVS the checks still run, and the director takes their verdicts once the kernel opens.
import { describe, expect, test } from "bun:test";
import { memoryFiles, parseConfig } from "../../../../src/config/index.ts";
import type { CheckVerdict } from "../../../../src/check/http-judge.ts";
import { planDirector } from "../../../../src/daemon/director/director-command.ts";
import { CHECK_SCHEDULER_REPORT_MS, KERNEL_RETRY_MS } from "../../../../src/daemon/director/director-service.ts";
import { directorConfigOf } from "../../../../src/daemon/ipc/director-config.ts";
import { CheckStatsTable } from "../../../../src/daemon/ipc/check-stats-table.ts";
import type { IpAddress } from "../../../../src/common/ip-address.ts";
import { rig, settle } from "./director-rig.ts";

const config = (inhibit: boolean) => `
virtual_server 10.0.0.1 80 {
  protocol TCP
  lb_kind NAT
  delay_loop 10
  ${inhibit ? "inhibit_on_failure" : ""}
  real_server 10.0.1.2 80 {
    TCP_CHECK {
      retry 0
      warmup 0
    }
  }
  real_server 10.0.1.3 80 {
    TCP_CHECK {
      retry 0
      warmup 0
    }
  }
}`;

function plans(text: string) {
  const parsed = parseConfig("/etc/keepalived/keepalived.conf", { ...memoryFiles({ "/etc/keepalived/keepalived.conf": text }), configId: undefined });
  if (!parsed.config) throw new Error(JSON.stringify(parsed.diagnostics));
  return planDirector(directorConfigOf(parsed.config)).virtualServers;
}

/** 10.0.1.2 answers as `health` says at each check; 10.0.1.3 always connects. */
function checkedRig(text: string, health: { up: boolean }, kernelAvailable = () => true) {
  const verdict = (address: string): CheckVerdict =>
    address === "10.0.1.2" && !health.up ? { ok: false, reason: "connection refused" } : { ok: true, detail: "connected" };
  return rig({
    plans: () => plans(text),
    kernelAvailable,
    probes: { TCP_CHECK: async ({ connect }) => verdict(connect.address.text), HTTP_GET: async () => ({ ok: true, detail: "" }) },
  });
}

const destinations = (r: ReturnType<typeof rig>) =>
  r.kernel
    .dump()
    .services.flatMap((s) => s.destinations.map((d) => `${d.address.text} w${d.weight}`))
    .sort();

async function advance(r: ReturnType<typeof rig>, ms: number) {
  const end = r.clock.nowMs() + ms;
  while (r.clock.nowMs() < end) {
    r.clock.advance(Math.min(100, end - r.clock.nowMs()));
    await settle();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("the checks drive the director", () => {
  test("a failed TCP_CHECK takes its real server out of the table; its next success puts it back", async () => {
    const health = { up: true };
    const r = checkedRig(config(false), health);
    await r.service.start();
    await advance(r, 1_500);
    expect(destinations(r)).toEqual(["10.0.1.2 w1", "10.0.1.3 w1"]);
    health.up = false;
    await advance(r, 10_000);
    expect(destinations(r)).toEqual(["10.0.1.3 w1"]);
    expect(r.logger.lines.some((l) => l.includes("TCP_CHECK on service [10.0.1.2]:tcp:80 failed: connection refused"))).toBe(true);
    health.up = true;
    await advance(r, 10_000);
    expect(destinations(r)).toEqual(["10.0.1.2 w1", "10.0.1.3 w1"]);
    await r.service.stop("test");
  });

  test("inhibit_on_failure: weight 0 instead of removal", async () => {
    const health = { up: true };
    const r = checkedRig(config(true), health);
    await r.service.start();
    await advance(r, 1_500);
    health.up = false;
    await advance(r, 10_000);
    expect(destinations(r)).toEqual(["10.0.1.2 w0", "10.0.1.3 w1"]);
    await r.service.stop("test");
  });

  test("without IPVS the checks run; the director takes their verdicts when the kernel opens", async () => {
    const health = { up: false };
    let available = false;
    const r = checkedRig(config(false), health, () => available);
    await r.service.start();
    await advance(r, 2_000);
    expect(r.logger.lines.some((l) => l.includes("TCP_CHECK on service [10.0.1.2]:tcp:80 failed: connection refused"))).toBe(true);
    available = true;
    await advance(r, KERNEL_RETRY_MS);
    expect(destinations(r)).toEqual(["10.0.1.3 w1"]);
    await r.service.stop("test");
  });
});

describe("the checks in the director's status", () => {
  test("each real server lists its checkers, and what the check that last changed each one saw", async () => {
    const health = { up: true };
    const r = checkedRig(config(false), health);
    await r.service.start();
    await advance(r, 2_000);
    const realServers = () => r.statuses().at(-1)!.virtualServers[0]!.realServers;
    expect(realServers().map((rs) => [rs.id, rs.checkers?.map((c) => `${c.id} ${c.state} ${c.lastChange?.text}`)])).toEqual([
      ["10.0.1.2:80", ["TCP_CHECK#0 up connected"]],
      ["10.0.1.3:80", ["TCP_CHECK#0 up connected"]],
    ]);
    health.up = false;
    await advance(r, 10_000);
    expect(realServers()[0]).toMatchObject({ alive: false, checkers: [{ state: "down", up: false, lastChange: { ok: false, text: "connection refused" } }] });
    await r.service.stop("test");
  });

  test("without IPVS the status says what the checks found", async () => {
    const r = checkedRig(config(false), { up: false }, () => false);
    await r.service.start();
    await advance(r, 3_000);
    const status = r.statuses().at(-1)!;
    expect(status.available).toBe(false);
    expect(status.virtualServers[0]!.realServers.map((rs) => [rs.id, rs.alive, rs.reason])).toEqual([
      ["10.0.1.2:80", false, "failed"],
      ["10.0.1.3:80", true, "alive"],
    ]);
    await r.service.stop("test");
  });

  test("each transition is in the history with the checker and its reason; the checks' counters reach the API's side apart, once per round of checks that moved them", async () => {
    const health = { up: true };
    const r = checkedRig(config(false), health);
    await r.service.start();
    await advance(r, 1_500);
    health.up = false;
    await advance(r, 10_000);
    expect(r.events().filter((e) => e.kind === "ipvs.checker")).toEqual([
      expect.objectContaining({
        instance: "TCP 10.0.0.1:80",
        summary: "TCP_CHECK#0 of 10.0.1.2:80 down: connection refused",
        data: expect.objectContaining({
          realServer: "10.0.1.2:80",
          checker: "TCP_CHECK#0",
          state: "down",
          first: false,
          reason: "connection refused",
          retries: 0,
        }),
      }),
    ]);
    await advance(r, 31_000);
    const slices = r.sent.flatMap((m) => (m.type === "check-stats" ? [m] : []));
    const table = new CheckStatsTable();
    for (const slice of slices) table.apply(slice);
    // Checks at 1, 11, 21, 31 and 41 s (42.5 s have passed), each slice sent at the status tick after them: five checks
    // of 10.0.1.2, four of them failures, one flap.
    expect(table.view()["TCP 10.0.0.1:80"]!["10.0.1.2:80"]!["TCP_CHECK#0"]).toMatchObject({
      checks: 5,
      failures: 4,
      failuresByClass: { refused: 4 },
      flaps: 1,
      latencyMs: { samples: 5 },
    });
    expect(table.view()["TCP 10.0.0.1:80"]!["10.0.1.3:80"]!["TCP_CHECK#0"]).toMatchObject({ checks: 5, failures: 0 });
    // The first a reset; then one slice per round of checks (both checkers in it), none while nothing moved.
    expect(slices[0]!.reset).toBe(true);
    expect(slices.slice(1).every((slice) => !slice.reset)).toBe(true);
    expect(slices.length).toBeLessThanOrEqual(6);
    // The scheduler's health: at most one report per CHECK_SCHEDULER_REPORT_MS, each with both probes.
    const reports = r.sent.flatMap((m) => (m.type === "check-scheduler" ? [m.health] : []));
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports.length).toBeLessThanOrEqual(Math.ceil(42_500 / CHECK_SCHEDULER_REPORT_MS));
    expect(reports.at(-1)).toMatchObject({ probes: 2, running: 0, backlog: 0 });
    await r.service.stop("test");
  });

  test("ha_suspend: the virtual server's checks wait while its address is not here, and resume when it comes (keepalived's lines)", async () => {
    const text = config(false).replace("  lb_kind NAT", "  lb_kind NAT\n  ha_suspend");
    const present: IpAddress[] = [];
    let changed: (() => void) | undefined;
    const health = { up: true };
    const probed: number[] = [];
    const r = rig({
      plans: () => plans(text),
      probes: {
        TCP_CHECK: async ({ connect }) => {
          probed.push(r.clock.nowMs());
          return connect.address.text === "10.0.1.2" && !health.up ? { ok: false, reason: "connection refused" } : { ok: true, detail: "connected" };
        },
      },
      watchAddresses: async (onChange) => {
        changed = onChange;
        return { present: () => [...present], close: async () => {} };
      },
    });
    await r.service.start();
    health.up = false;
    await advance(r, 25_000);
    // No check ran: suspended from the start, the server kept its initial state (alive).
    expect(probed).toEqual([]);
    expect(destinations(r)).toEqual(["10.0.1.2 w1", "10.0.1.3 w1"]);
    present.push({ family: 4, text: "10.0.0.1" });
    changed!();
    expect(r.logger.lines.some((l) => l.includes("Activating healthchecker for service [10.0.1.2]:tcp:80 for VS [10.0.0.1]:tcp:80"))).toBe(true);
    await advance(r, 11_000);
    expect(probed.length).toBeGreaterThan(0);
    expect(destinations(r)).toEqual(["10.0.1.3 w1"]);
    present.length = 0;
    changed!();
    expect(r.logger.lines.some((l) => l.includes("Suspending healthchecker for service [10.0.1.2]:tcp:80 for VS [10.0.0.1]:tcp:80"))).toBe(true);
    const before = probed.length;
    await advance(r, 30_000);
    expect(probed.length).toBe(before);
    await r.service.stop("test");
  });
});
