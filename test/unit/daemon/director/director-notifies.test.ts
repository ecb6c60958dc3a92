// The director's notify scripts, from the quorum machine's effects through the ordered queue
// to the programs, on the fake kernel: quorum_up at start, quorum_down when a drain takes the
// quorum, keepalived's omega notifies at stop with a second each, rs_init_notifies, no
// argument added to any script, a slow script never holding the director up, each run in
// the history; and a real script run through it all, its arguments and order as written.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../../../src/common/clock.ts";
import type { Config } from "../../../../src/config/index.ts";
import { createProcessRunner } from "../../../../src/daemon/scripts/process-runner.ts";
import type { VirtualServerPlan } from "../../../../src/ipvs/virtual-server-plan.ts";
import { realServer, virtualServer } from "../../ipvs/support/plans.ts";
import { CONFIG, rig, settle, weights, type RigOptions } from "./director-rig.ts";
import { toJsonText } from "../../../../src/daemon/ipc/json-text.ts";

const VS = "TCP 10.0.0.1:80";
const DRAIN_10_0_1_3 = { type: "intent" as const, intent: { drained: [{ virtualServer: VS, realServer: "10.0.1.3:80" }] } };

/** Quorum 4 over weights 3 + 1: both must be live; every script keepalived knows of, with arguments of their own. */
function plans(more: Partial<VirtualServerPlan> = {}, scripts = "/bin"): VirtualServerPlan[] {
  return [
    virtualServer(
      "10.0.0.1",
      80,
      [
        realServer("10.0.1.2", 80, { weight: 3, notifyUp: `${scripts}/rs-up 10.0.1.2`, notifyDown: `${scripts}/rs-down 10.0.1.2` }),
        realServer("10.0.1.3", 80, { weight: 1, notifyDown: `${scripts}/rs-down 10.0.1.3` }),
      ],
      { quorum: 4, quorumUp: `${scripts}/quorum-up`, quorumDown: `${scripts}/quorum-down "the VS"`, ...more },
    ),
  ];
}

function setup(options: RigOptions = {}) {
  const r = rig({ plans: plans(), ...options });
  for (const program of ["/bin/rs-up", "/bin/rs-down", "/bin/quorum-up", "/bin/quorum-down"]) r.programs.set(program, { durationMs: 10 });
  const argvs = () => r.programs.runs.map((run) => run.argv.join(" "));
  const notifyEvents = () => r.events().flatMap((e) => (e.kind === "notify.run" ? [e] : []));
  /** Let the fake clock run: scripts finish, the next starts. */
  const run = async (ms: number, stepMs = 10) => {
    for (let t = 0; t < ms; t += stepMs) {
      r.clock.advance(stepMs);
      await settle();
    }
  };
  /** A stop, with the clock running meanwhile (the stop waits for its notifies). */
  const stop = async (ms = 3_000) => {
    let done = false;
    const stopped = r.service.stop("SIGTERM").then(() => (done = true));
    for (let t = 0; t < ms && !done; t += 10) await run(10);
    await stopped;
  };
  return { ...r, argvs, notifyEvents, run, stop };
}

describe("the director's notify scripts", () => {
  test("quorum_up at start; a drain that takes the quorum runs quorum_down; with omega the stop runs notify_down for each live server, then quorum_down", async () => {
    const { service, argvs, run, stop, programs } = setup({ plans: plans({ omega: true }) });
    await service.start();
    await run(100);
    expect(argvs()).toEqual(["/bin/quorum-up"]);

    service.handle(DRAIN_10_0_1_3);
    await run(100);
    // A drain is not a server going down (no notify_down), but it takes its weight out of the quorum.
    expect(argvs()).toEqual(["/bin/quorum-up", "/bin/quorum-down the VS"]);

    await stop();
    expect(argvs().slice(2)).toEqual(["/bin/rs-down 10.0.1.2", "/bin/rs-down 10.0.1.3", "/bin/quorum-down the VS"]);
    expect(programs.runs.every((r) => r.uid === 0 && r.exitCode === 0)).toBe(true);
  });

  test("without omega the stop runs no notify at all (clear_service_rs, do_vs_notifies)", async () => {
    const { service, argvs, run, stop } = setup();
    await service.start();
    await run(100);
    await stop();
    expect(argvs()).toEqual(["/bin/quorum-up"]);
  });

  test("with -I nothing is shut down, so nothing is notified, omega or not (keepalived skips clear_services)", async () => {
    const { service, argvs, run, stop, events } = setup({ plans: plans({ omega: true }), keepIpvsOnStop: true });
    await service.start();
    await run(100);
    await stop();
    expect(argvs()).toEqual(["/bin/quorum-up"]);
    expect(events().filter((e) => e.kind === "ipvs.real-server" && e.data.cause === "stop")).toEqual([]);
  });

  test("lvs_flush_on_stop skips the real servers' shutdown notifies; omega's quorum_down still runs", async () => {
    const { service, argvs, run, stop } = setup({ plans: plans({ omega: true }), globals: { flushOnStop: "vs" } });
    await service.start();
    await run(100);
    await stop();
    expect(argvs()).toEqual(["/bin/quorum-up", "/bin/quorum-down the VS"]);
  });

  test("rs_init_notifies: notify_up for each server up at start (those with a script), before the quorum's", async () => {
    const { service, argvs, run } = setup({ globals: { rsInitNotifies: true } });
    await service.start();
    await run(100);
    expect(argvs()).toEqual(["/bin/rs-up 10.0.1.2", "/bin/quorum-up"]);
  });

  test("a slow script holds neither the table nor the next change; the scripts after it wait their turn, in order", async () => {
    const { service, argvs, run, kernel, programs } = setup();
    programs.set("/bin/quorum-up", { durationMs: 20_000 });
    await service.start();
    await run(100);
    service.handle(DRAIN_10_0_1_3);
    await settle();
    // Drained with no connections: out of the table at once, while quorum_up still runs.
    expect(weights(kernel)).toEqual([["10.0.1.2", 3]]);
    expect(argvs()).toEqual(["/bin/quorum-up"]);
    await run(20_000, 500);
    expect(argvs()).toEqual(["/bin/quorum-up", "/bin/quorum-down the VS"]);
    expect(programs.runs[1]!.startedAtMs).toBeGreaterThanOrEqual(programs.runs[0]!.finishedAtMs!);
  });

  test("while stopping a script has one second (keepalived's TIMER_HZ), and the stop waits at most two for them all", async () => {
    const { service, run, stop, programs, clock } = setup({ plans: plans({ omega: true }) });
    await service.start();
    await run(100);
    programs.set("/bin/rs-down", { durationMs: 60_000 });
    const stopAt = clock.nowMs();
    await stop(5_000);
    const stopping = programs.runs.slice(1);
    expect(stopping.map((r) => [r.argv.join(" "), r.timedOut || r.killed === true])).toEqual([
      ["/bin/rs-down 10.0.1.2", true],
      ["/bin/rs-down 10.0.1.3", true],
    ]);
    expect(stopping[0]!.finishedAtMs! - stopping[0]!.startedAtMs).toBe(1_000);
    expect(clock.nowMs() - stopAt).toBeLessThanOrEqual(2_100);
  });

  test("each run is in the history as notify.run, with its virtual server and real server", async () => {
    const { service, run, stop, notifyEvents, programs } = setup({ plans: plans({ omega: true }) });
    programs.set("/bin/rs-down", { exitCode: 2, durationMs: 10, output: "cannot reach the pager\n" });
    await service.start();
    await run(100);
    await stop();
    expect(notifyEvents().map((e) => [e.instance, e.data.role, e.data.state, e.data.realServer, e.data.exitCode])).toEqual([
      [VS, "quorum_up", "UP", undefined, 0],
      [VS, "notify_down", "DOWN", "10.0.1.2:80", 2],
      [VS, "notify_down", "DOWN", "10.0.1.3:80", 2],
      [VS, "quorum_down", "DOWN", undefined, 0],
    ]);
    expect(notifyEvents()[1]!.summary).toBe(`notify_down for 10.0.1.2:80 of ${VS} DOWN: exit 2 in 10 ms`);
    expect(notifyEvents()[1]!.data.output).toBe("cannot reach the pager\n");
  });

  test("a script that is missing or refused by enable_script_security is disabled at load, said once, and never run", async () => {
    const config = { globalDefs: { enableScriptSecurity: true } } as unknown as Config;
    const { service, argvs, run, logger, programs } = setup({ config });
    programs.set("/bin/quorum-up", { durationMs: 10 });
    // World-writable while it runs as root: refused under enable_script_security.
    const fs = programs.securityFs;
    const stat = fs.stat.bind(fs);
    const insecure = (path: string) => (path === "/bin/quorum-up" ? { mode: 0o100777, uid: 0, gid: 0 } : stat(path));
    Object.assign(fs, { stat: insecure, lstat: insecure });
    await service.start();
    await run(100);
    service.handle(DRAIN_10_0_1_3);
    await run(100);
    expect(argvs()).toEqual(["/bin/quorum-down the VS"]);
    expect(logger.lines.filter((l) => l.includes(`quorum_up "/bin/quorum-up" is disabled`))).toHaveLength(1);
  });

  test("a reload checks the new configuration's scripts, not the old one's", async () => {
    let current = plans();
    const { service, run, logger } = setup({ plans: () => current });
    await service.start();
    await run(100);
    current = plans({ quorumUp: "/bin/new-quorum-up" });
    service.handle({ type: "apply", config: toJsonText(CONFIG) });
    await run(100);
    expect(logger.lines.filter((l) => l.includes(`quorum_up "/bin/new-quorum-up" is disabled`))).toHaveLength(1);
  });

  test("no IPVS in the kernel: no quorum is judged, so no script runs", async () => {
    const { service, argvs, run } = setup({ kernelAvailable: () => false });
    await service.start();
    await run(100);
    expect(argvs()).toEqual([]);
  });
});

describe("a real notify script", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tandem-director-notify-"));
    for (const name of ["rs-up", "rs-down", "quorum-up", "quorum-down"]) {
      writeFileSync(join(dir, name), `#!/bin/sh\necho "$(basename "$0") $#:$*" >> ${dir}/log\n`);
      chmodSync(join(dir, name), 0o755);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("runs with the arguments it was written with and none added, in the order of the changes", async () => {
    const r = rig({ plans: plans({ omega: true }, dir), runner: () => createProcessRunner(systemClock()) });
    await r.service.start();
    r.service.handle(DRAIN_10_0_1_3);
    await waitFor(() => lines(dir).length >= 2);
    const stopped = r.service.stop("SIGTERM");
    await waitFor(() => lines(dir).length >= 5);
    r.clock.advance(3_000);
    await stopped;
    expect(lines(dir)).toEqual(["quorum-up 0:", "quorum-down 1:the VS", "rs-down 1:10.0.1.2", "rs-down 1:10.0.1.3", "quorum-down 1:the VS"]);
  });
});

function lines(dir: string): string[] {
  const log = join(dir, "log");
  return existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error("timed out waiting");
    await Bun.sleep(10);
  }
}
