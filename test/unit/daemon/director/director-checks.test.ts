// The checks drive the table: a real server whose checker fails leaves the kernel's table
// (or goes to weight 0 with inhibit_on_failure) and comes back when it passes again; with no
// IPVS the checks still run, and the director takes their verdicts once the kernel opens.
import { describe, expect, test } from "bun:test";
import { memoryFiles, parseConfig } from "../../../../src/config/index.ts";
import type { CheckVerdict } from "../../../../src/check/http-judge.ts";
import { planDirector } from "../../../../src/daemon/director/director-command.ts";
import { KERNEL_RETRY_MS } from "../../../../src/daemon/director/director-service.ts";
import { directorConfigOf } from "../../../../src/daemon/ipc/director-config.ts";
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
});
