// The checks of a configuration on the fake clock, their probes scripted: when each runs
// (BOOTSTRAP_DELAY and warmup first, then keepalived's epilog delays), which url an HTTP_GET
// fetches, the verdicts handed on, and what a reload keeps.
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../../src/common/clock.ts";
import { memoryLogger } from "../../../../src/common/logger.ts";
import { memoryFiles, parseConfig } from "../../../../src/config/index.ts";
import type { ConnectTarget } from "../../../../src/check/check-spec.ts";
import type { CheckVerdict } from "../../../../src/check/http-judge.ts";
import { CheckerRunner } from "../../../../src/daemon/check/checker-runner.ts";
import { planDirector } from "../../../../src/daemon/director/director-command.ts";
import { directorConfigOf } from "../../../../src/daemon/ipc/director-config.ts";
import { resolvePlans } from "../../../../src/ipvs/resolve-plan.ts";

function resolved(text: string) {
  const parsed = parseConfig("/etc/keepalived/keepalived.conf", { ...memoryFiles({ "/etc/keepalived/keepalived.conf": text }), configId: undefined });
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (!parsed.config || errors.length) throw new Error(JSON.stringify(errors));
  return resolvePlans(planDirector(directorConfigOf(parsed.config)).virtualServers).virtualServers;
}

const flush = () => new Promise((r) => setImmediate(r));

/** Each probe answers from the script for its address (the last entry repeats); every run is recorded with its time. */
function rig(script: Record<string, (CheckVerdict | "hang")[]>, options: { maxConcurrent?: number } = {}) {
  const clock = new FakeClock();
  const logger = memoryLogger("info");
  const runs: { atMs: number; address: string; path?: string }[] = [];
  const verdicts: { atMs: number; realServer: string; checker: string; up: boolean; reason: string }[] = [];
  const answer = (target: ConnectTarget, signal: AbortSignal, path?: string): Promise<CheckVerdict> => {
    const key = path ? `${target.address.text}${path}` : target.address.text;
    runs.push({ atMs: clock.nowMs(), address: target.address.text, ...(path ? { path } : {}) });
    const answers = script[key] ?? [{ ok: true, detail: "connected" }];
    const next = answers.length > 1 ? answers.shift()! : answers[0]!;
    if (next === "hang") return new Promise((resolve) => signal.addEventListener("abort", () => resolve({ ok: false, reason: "no answer" })));
    return Promise.resolve(next);
  };
  const transitions: { atMs: number; realServer: string; up: boolean; first: boolean; reason: string; retries: number }[] = [];
  const runner = new CheckerRunner({
    clock,
    logger,
    random: () => 0,
    ...options,
    transition: (t) =>
      transitions.push({ atMs: clock.nowMs(), realServer: t.target.realServer, up: t.up, first: t.first, reason: t.reason, retries: t.retries }),
    verdict: (target, { up }, reason) => verdicts.push({ atMs: clock.nowMs(), realServer: target.realServer, checker: target.checker, up, reason }),
    probes: {
      TCP_CHECK: ({ connect, context }) => answer(connect, context.signal),
      HTTP_GET: ({ spec, connect, urlIndex, context }) => answer(connect, context.signal, spec.http!.urls[urlIndex]!.path),
    },
  });
  /** Moves the clock to `ms`, letting each run's promise settle before the next timer. */
  const until = async (ms: number) => {
    for (;;) {
      await flush();
      const due = clock.nextDueMs();
      if (due === undefined || due > ms) break;
      clock.advanceTo(due);
    }
    clock.advanceTo(ms);
    await flush();
  };
  return { clock, logger, runs, verdicts, transitions, runner, until };
}

const FAIL: CheckVerdict = { ok: false, reason: "connection refused" };
const OK: CheckVerdict = { ok: true, detail: "connected" };

// keepalived reads one keyword per line: the checkers' options go on lines of their own.
const tcpChecker = (options = "") => `TCP_CHECK {
      retry 1
      delay_before_retry 2
      warmup 0
      ${options}
    }`;
const tcpConfig = (options = "") => `
virtual_server 10.0.0.1 80 {
  protocol TCP
  delay_loop 10
  real_server 10.0.0.2 80 {
    ${tcpChecker(options)}
  }
  real_server 10.0.0.3 80 {
    ${tcpChecker()}
  }
}`;

describe("CheckerRunner", () => {
  test("at most maxConcurrent checks at once: the others wait their turn, and the scheduler's health says so", async () => {
    const r = rig({ "10.0.0.2": ["hang", OK] }, { maxConcurrent: 1 });
    r.runner.configure(resolved(tcpConfig("connect_timeout 2")));
    expect(r.runner.schedulerHealth()).toMatchObject({ probes: 2, running: 0, maxConcurrent: 1, backlog: 0 });
    r.runner.start();
    await r.until(1_000);
    // Both due at 1 s; 10.0.0.2's hangs until the check's own limit (3 connect_timeouts), 10.0.0.3's waits.
    expect(r.runs.map((x) => [x.atMs, x.address])).toEqual([[1_000, "10.0.0.2"]]);
    await r.until(4_000);
    expect(r.runner.schedulerHealth()).toMatchObject({ running: 1, backlog: 1, oldestWaitMs: 3_000, started: 1 });
    await r.until(7_500);
    expect(r.runs.map((x) => [x.atMs, x.address])).toEqual([
      [1_000, "10.0.0.2"],
      [7_000, "10.0.0.3"],
    ]);
    const health = r.runner.schedulerHealth()!;
    expect(health).toMatchObject({ running: 0, backlog: 0, started: 2, startLatenessMs: { p50: 0, max: 6_000, samples: 2 } });
    // The fake clock fires the loop's timers on time.
    expect(health.loopLagMs).toMatchObject({ max: 0 });
    await r.runner.stop();
  });

  test("TCP_CHECK: the first check 1 s in, then every delay_loop after each ends; retry after delay_before_retry; down after retry + 1 failures", async () => {
    const r = rig({ "10.0.0.2": [OK, OK, FAIL, FAIL, FAIL, FAIL, OK] });
    r.runner.configure(resolved(tcpConfig()));
    r.runner.start();
    await r.until(60_000);
    expect(r.runs.filter((x) => x.address === "10.0.0.2").map((x) => x.atMs)).toEqual([1_000, 11_000, 21_000, 23_000, 33_000, 35_000, 45_000, 55_000]);
    expect(r.verdicts.filter((v) => v.realServer === "10.0.0.2:80")).toEqual([
      { atMs: 1_000, realServer: "10.0.0.2:80", checker: "TCP_CHECK#0", up: true, reason: "connected" },
      { atMs: 23_000, realServer: "10.0.0.2:80", checker: "TCP_CHECK#0", up: false, reason: "connection refused" },
      { atMs: 45_000, realServer: "10.0.0.2:80", checker: "TCP_CHECK#0", up: true, reason: "connected" },
    ]);
    expect(r.logger.lines.filter((l) => l.includes("TCP_CHECK on service [10.0.0.2]:tcp:80 failed after 1 retries: connection refused"))).toHaveLength(1);
    expect(r.runner.view().find((v) => v.target.realServer === "10.0.0.2:80")).toMatchObject({ up: true, hasRun: true, last: { ok: true, text: "connected" } });
    await r.runner.stop();
  });

  test("the history's transitions: each change of state with the check that made it, and a first failure; a first success that changes nothing is not one", async () => {
    const r = rig({ "10.0.0.2": [OK, FAIL, FAIL, OK], "10.0.0.3": [FAIL] });
    r.runner.configure(resolved(tcpConfig()));
    r.runner.start();
    await r.until(40_000);
    expect(r.transitions).toEqual([
      { atMs: 3_000, realServer: "10.0.0.3:80", up: false, first: true, reason: "connection refused", retries: 1 },
      { atMs: 13_000, realServer: "10.0.0.2:80", up: false, first: false, reason: "connection refused", retries: 1 },
      { atMs: 23_000, realServer: "10.0.0.2:80", up: true, first: false, reason: "connected", retries: 0 },
    ]);
    await r.runner.stop();
  });

  test("the same check of a real server under two virtual servers runs once and feeds both; a reload that drops one keeps the other's", async () => {
    const shared = (vip: string) => `
virtual_server ${vip} 80 {
  protocol TCP
  delay_loop 10
  real_server 10.0.0.2 80 {
    ${tcpChecker()}
  }
}`;
    const r = rig({ "10.0.0.2": [OK, FAIL, FAIL, OK] });
    r.runner.configure(resolved(shared("10.0.0.1") + shared("10.0.0.5")));
    r.runner.start();
    await r.until(40_000);
    expect(r.runs.map((x) => x.atMs)).toEqual([1_000, 11_000, 13_000, 23_000, 33_000]);
    // Each virtual server's checker took each verdict.
    expect(r.verdicts.map((v) => [v.atMs, v.up])).toEqual([
      [1_000, true],
      [1_000, true],
      [13_000, false],
      [13_000, false],
      [23_000, true],
      [23_000, true],
    ]);
    r.runner.configure(resolved(shared("10.0.0.5")));
    await r.until(60_000);
    expect(r.runs.map((x) => x.atMs).slice(5)).toEqual([43_000, 53_000]);
    expect(r.runner.view()).toHaveLength(1);
    await r.runner.stop();
  });

  test("tandem's rise / fall: down after `fall` failures and up after `rise` successes, each counted one delay_before_retry apart", async () => {
    const r = rig({ "10.0.0.2": [OK, FAIL, OK, FAIL, FAIL, FAIL, OK, OK] });
    r.runner.configure(resolved(tcpConfig("fall 3\n      rise 2")));
    r.runner.start();
    await r.until(60_000);
    expect(r.runs.filter((x) => x.address === "10.0.0.2").map((x) => x.atMs)).toEqual([
      1_000, 11_000, 13_000, 23_000, 25_000, 27_000, 37_000, 39_000, 49_000, 59_000,
    ]);
    expect(r.verdicts.filter((v) => v.realServer === "10.0.0.2:80").map((v) => [v.atMs, v.up])).toEqual([
      [1_000, true],
      [27_000, false],
      [39_000, true],
    ]);
    await r.runner.stop();
  });

  test("delay_jitter moves each delay by its share (random 0: 20 % sooner)", async () => {
    const r = rig({ "10.0.0.2": [OK] });
    r.runner.configure(resolved(tcpConfig("delay_jitter 20")));
    r.runner.start();
    await r.until(34_000);
    expect(r.runs.filter((x) => x.address === "10.0.0.2").map((x) => x.atMs)).toEqual([1_000, 9_000, 17_000, 25_000, 33_000]);
    await r.runner.stop();
  });

  test("a hung server: the check is abandoned after three connect_timeouts and counts as a failure", async () => {
    const r = rig({ "10.0.0.2": ["hang"] });
    r.runner.configure(resolved(tcpConfig("connect_timeout 1")));
    r.runner.start();
    await r.until(20_000);
    // 1 s in, abandoned at 4 s, retried 2 s later, abandoned at 9 s: down.
    expect(
      r.runs
        .filter((x) => x.address === "10.0.0.2")
        .map((x) => x.atMs)
        .slice(0, 3),
    ).toEqual([1_000, 6_000, 19_000]);
    expect(r.verdicts.find((v) => v.realServer === "10.0.0.2:80" && !v.up)).toMatchObject({ atMs: 9_000 });
    await r.runner.stop();
  });

  test("HTTP_GET: one url per check, in turn", async () => {
    const r = rig({ "10.0.0.2/b": [OK, { ok: false, reason: "status 503; expected 200-299" }] });
    r.runner.configure(
      resolved(`
virtual_server 10.0.0.1 80 {
  protocol TCP
  delay_loop 5
  real_server 10.0.0.2 80 {
    HTTP_GET {
      url {
        path /a
      }
      url {
        path /b
      }
      retry 0
      warmup 0
    }
  }
}`),
    );
    r.runner.start();
    await r.until(21_000);
    expect(r.runs.map((x) => `${x.atMs} ${x.path}`)).toEqual(["1000 /a", "6000 /b", "11000 /a", "16000 /b", "21000 /b"]);
    expect(r.verdicts.map((v) => `${v.atMs} ${v.up ? "up" : "down"} ${v.reason}`)).toEqual(["6000 up connected", "16000 down status 503; expected 200-299"]);
    await r.runner.stop();
  });

  test("a reload keeps the state of an unchanged checker, migrates one whose timers changed (migrate_checkers), and runs the changed one on its new timers", async () => {
    const r = rig({ "10.0.0.2": [OK, FAIL, FAIL, FAIL], "10.0.0.3": [OK] });
    r.runner.configure(resolved(tcpConfig()));
    r.runner.start();
    await r.until(14_000);
    expect(r.runner.view().map((v) => [v.target.realServer, v.up, v.retryIt])).toEqual([
      ["10.0.0.2:80", false, 0],
      ["10.0.0.3:80", true, 0],
    ]);
    // 10.0.0.3's checker changes (a longer delay_loop); 10.0.0.2's does not.
    const changed = tcpConfig().replace(/(real_server 10\.0\.0\.3 80 \{\s*TCP_CHECK \{)/, "$1\n      delay_loop 30");
    expect(changed).toContain("delay_loop 30");
    r.runner.configure(resolved(changed));
    expect(r.runner.view().map((v) => [v.target.realServer, v.up, v.hasRun])).toEqual([
      ["10.0.0.2:80", false, true],
      ["10.0.0.3:80", true, true],
    ]);
    const before = r.runs.length;
    await r.until(16_000);
    expect(r.runs.slice(before).map((x) => `${x.atMs} ${x.address}`)).toEqual(["15000 10.0.0.3"]);
    await r.runner.stop();
  });

  test("a reload that changes what a checker connects to starts it afresh; one that lowers retry keeps at most retry - 1 failures counted", async () => {
    const r = rig({ "10.0.0.2": [OK, FAIL, FAIL], "10.0.0.3": [OK] });
    r.runner.configure(resolved(tcpConfig("retry 3")));
    r.runner.start();
    await r.until(14_000);
    expect(r.runner.view()[0]).toMatchObject({ up: true, retryIt: 2 });
    r.runner.configure(resolved(tcpConfig("retry 2")));
    expect(r.runner.view()[0]).toMatchObject({ up: true, hasRun: true, retryIt: 1 });
    r.runner.configure(resolved(tcpConfig("retry 2\n      connect_port 8080")));
    expect(r.runner.view()[0]).toMatchObject({ up: true, hasRun: false, retryIt: 0 });
    await r.runner.stop();
  });

  test("a reload that adds a checker to a real server another checker has failed: one failure is enough for it (migrate_checkers)", async () => {
    const r = rig({ "10.0.0.2": [FAIL] });
    const second = `    TCP_CHECK {
      connect_port 8080
      retry 3
      delay_before_retry 2
      warmup 0
    }
  }`;
    // A second checker on each real server, after the first one's block.
    const twoCheckers = tcpConfig()
      .replace("\n  }\n  real_server 10.0.0.3 80 {", `\n${second}\n  real_server 10.0.0.3 80 {`)
      .replace(/\n  }\n}$/, `\n${second}\n}`);
    r.runner.configure(resolved(tcpConfig()));
    r.runner.start();
    await r.until(4_000);
    expect(r.runner.view()[0]).toMatchObject({ up: false, hasRun: true });
    r.runner.configure(resolved(twoCheckers));
    const added = (rs: string) => r.runner.view().find((v) => v.target.realServer === rs && v.target.checker === "TCP_CHECK#1")!;
    expect(added("10.0.0.2:80")).toMatchObject({ hasRun: false, retryIt: 3 });
    // Where no checker has failed, a new one counts its retries from none.
    expect(added("10.0.0.3:80")).toMatchObject({ hasRun: false, retryIt: 0 });
    await r.until(6_000);
    // Its first failure is its verdict: down, no retry.
    expect(r.verdicts.filter((v) => v.checker === "TCP_CHECK#1")).toEqual([
      { atMs: 5_000, realServer: "10.0.0.2:80", checker: "TCP_CHECK#1", up: false, reason: "connection refused" },
      { atMs: 5_000, realServer: "10.0.0.3:80", checker: "TCP_CHECK#1", up: true, reason: "connected" },
    ]);
    await r.runner.stop();
  });

  test("states() is the same object until a checker's state changes: the director's status is not rebuilt for a check that changed nothing", async () => {
    const r = rig({ "10.0.0.2": [OK, OK, OK, FAIL] });
    r.runner.configure(resolved(tcpConfig()));
    r.runner.start();
    await r.until(1_000);
    const afterFirst = r.runner.states();
    expect(
      afterFirst
        .get("TCP 10.0.0.1:80")
        ?.get("10.0.0.2:80")
        ?.map((c) => c.lastChange?.text),
    ).toEqual(["connected"]);
    await r.until(21_000); // two more passing checks of each
    expect(r.runner.states()).toBe(afterFirst);
    await r.until(31_000); // a failure counted towards retry
    expect(r.runner.states()).not.toBe(afterFirst);
    expect(r.runner.states().get("TCP 10.0.0.1:80")?.get("10.0.0.2:80")?.[0]).toMatchObject({ up: true, retryIt: 1, lastChange: { ok: false } });
    await r.runner.stop();
  });

  test("a checker that cannot run says why once and keeps its initial state; alpha starts it down", async () => {
    const r = rig({});
    r.runner.configure(
      resolved(`
virtual_server 10.0.0.1 80 {
  real_server 10.0.0.2 80 {
    alpha
    HTTP_GET {
      url {
        path /
        regex "("
      }
    }
  }
  real_server 10.0.0.3 80 {
    SMTP_CHECK {
    }
  }
}`),
    );
    r.runner.start();
    await r.until(120_000);
    expect(r.runs).toEqual([]);
    expect(r.runner.view().map((v) => [v.target.realServer, v.up, v.problem])).toEqual([
      ["10.0.0.2:80", false, "url /: regex (: Invalid regular expression: missing )"],
      ["10.0.0.3:80", true, "SMTP_CHECK is not run yet"],
    ]);
    expect(r.logger.lines.filter((l) => l.includes("not checked"))).toHaveLength(2);
    await r.runner.stop();
  });
});
