// keepalived 2.2.7's epilogs as golden sequences: each line is a check's outcome and what
// keepalived does after it (the verdict it hands update_svr_checker_state, if any, and the
// delay it arms), worked out from check_tcp.c, check_udp.c, check_dns.c and check_http.c.
import { describe, expect, test } from "bun:test";
import {
  datagramEpilog,
  dnsEpilog,
  httpEpilog,
  initialCheckerState,
  initialHttpCheckerState,
  miscEpilog,
  smtpEpilog,
  tcpEpilog,
  type MiscCheckerState,
  type MiscExit,
  type CheckerState,
  type Epilog,
  type HttpCheckerState,
} from "../../../src/check/checker-state.ts";
import type { CheckTiming } from "../../../src/check/check-timing.ts";

const LOOP = 60_000;
const RETRY_DELAY = 1_000;
const timing = (retry: number, delayBeforeRetryMs = RETRY_DELAY): CheckTiming => ({
  retry,
  delayLoopMs: LOOP,
  delayBeforeRetryMs,
  warmupMs: 0,
  connectTimeoutMs: 5_000,
});

type Step = [outcome: "ok" | "fail", verdict: "UP" | "DOWN" | "-", delayMs: number];

function run<S extends CheckerState>(start: S, epilog: (s: S, ok: boolean) => Epilog<S>, steps: Step[]): S {
  let state = start;
  const seen: Step[] = [];
  for (const [outcome] of steps) {
    const after = epilog(state, outcome === "ok");
    seen.push([outcome, after.verdict === undefined ? "-" : after.verdict ? "UP" : "DOWN", after.delayMs]);
    state = after.state;
  }
  expect(seen).toEqual(steps);
  return state;
}

describe("TCP_CHECK (tcp_epilog)", () => {
  test("retry 1: down after two failures in a row, up after one success; a down checker still retries", () => {
    run(initialCheckerState(false), (s, ok) => tcpEpilog(s, ok, timing(1)), [
      ["ok", "UP", LOOP], // the first verdict, though nothing changes: it is when the initial notifies run
      ["ok", "-", LOOP],
      ["fail", "-", RETRY_DELAY],
      ["fail", "DOWN", LOOP],
      ["fail", "-", RETRY_DELAY],
      ["fail", "-", LOOP],
      ["ok", "UP", LOOP],
      ["fail", "-", RETRY_DELAY],
      ["ok", "-", LOOP], // a success in the middle of retries resets the count
      ["fail", "-", RETRY_DELAY],
      ["fail", "DOWN", LOOP],
    ]);
  });

  test("retry 0 with alpha: starts down, judged down by its first failure, up by its first success", () => {
    const end = run(initialCheckerState(true), (s, ok) => tcpEpilog(s, ok, timing(0)), [
      ["fail", "DOWN", LOOP],
      ["fail", "-", LOOP],
      ["ok", "UP", LOOP],
      ["fail", "DOWN", LOOP],
    ]);
    expect(end).toEqual({ up: false, hasRun: true, retryIt: 0 });
  });

  test("a start that fails: the first verdict waits for the retries", () => {
    run(initialCheckerState(false), (s, ok) => tcpEpilog(s, ok, timing(2)), [
      ["fail", "-", RETRY_DELAY],
      ["fail", "-", RETRY_DELAY],
      ["fail", "DOWN", LOOP],
    ]);
  });
});

describe("UDP_CHECK and PING_CHECK (udp_epilog, icmp_epilog)", () => {
  test("retries only while up: a down checker checks again a delay_loop later", () => {
    run(initialCheckerState(false), (s, ok) => datagramEpilog(s, ok, timing(1)), [
      ["ok", "UP", LOOP],
      ["fail", "-", RETRY_DELAY],
      ["fail", "DOWN", LOOP],
      ["fail", "-", LOOP],
      ["fail", "-", LOOP],
      ["ok", "UP", LOOP],
    ]);
  });

  test("alpha, failing from the start: never judged down (it already is), checked every delay_loop", () => {
    const end = run(initialCheckerState(true), (s, ok) => datagramEpilog(s, ok, timing(1)), [
      ["fail", "-", LOOP],
      ["fail", "-", LOOP],
      ["ok", "UP", LOOP],
    ]);
    expect(end.up).toBe(true);
  });
});

describe("DNS_CHECK (dns_final)", () => {
  test("retry 3: three retries, then down; down, it is not retried", () => {
    run(initialCheckerState(false), (s, ok) => dnsEpilog(s, ok, timing(3, LOOP)), [
      ["fail", "-", LOOP],
      ["fail", "-", LOOP],
      ["fail", "-", LOOP],
      ["fail", "DOWN", LOOP],
      ["fail", "-", LOOP],
      ["ok", "UP", LOOP],
      ["ok", "-", LOOP],
    ]);
  });
});

describe("HTTP_GET and SSL_GET (epilog, timeout_epilog)", () => {
  const http =
    (urls: number, retry: number, fastRecovery = false) =>
    (s: HttpCheckerState, ok: boolean) =>
      httpEpilog(s, ok, timing(retry, 3_000), { urls, fastRecovery });

  test("two urls: one per check, a delay_loop apart; down after retry + 1 failures of one url; back only when every url answered again", () => {
    const end = run(initialHttpCheckerState(false), http(2, 1), [
      ["ok", "-", LOOP], // url 0
      ["ok", "UP", LOOP], // url 1: every url answered: the first verdict
      ["fail", "-", 3_000], // url 0 fails: retried delay_before_retry later
      ["fail", "DOWN", LOOP], // retry + 1 failures: down; that url is now watched every max(delay_before_retry, delay_loop)
      ["fail", "-", LOOP],
      ["ok", "-", LOOP], // the failed url answers: the walk starts again from url 0
      ["ok", "-", LOOP], // url 0
      ["ok", "UP", LOOP], // url 1
    ]);
    expect(end).toMatchObject({ up: true, urlIndex: 0, retryIt: 0 });
    expect(end.failedUrl).toBeUndefined();
  });

  test("before the first verdict the retries are already spent: a start whose second url fails is down at once", () => {
    run(initialHttpCheckerState(false), http(2, 1), [
      ["ok", "-", LOOP],
      ["fail", "DOWN", LOOP],
    ]);
  });

  test("a start whose first url fails retries it first", () => {
    run(initialHttpCheckerState(false), http(1, 1), [
      ["fail", "-", 3_000],
      ["fail", "DOWN", LOOP],
    ]);
  });

  test("alpha, failing: never judged down; retried every delay_before_retry (no url is marked failed)", () => {
    run(initialHttpCheckerState(true), http(1, 1), [
      ["fail", "-", 3_000], // before a verdict: a retry (timeout_epilog marks it has run)
      ["fail", "-", 3_000], // down and has run: keepalived's FAILED, which counts nothing
      ["fail", "-", 3_000],
      ["ok", "UP", LOOP],
    ]);
  });

  test("fast_recovery: before the first verdict the next url is fetched at once", () => {
    run(initialHttpCheckerState(false), http(2, 1, true), [
      ["ok", "-", 0],
      ["ok", "UP", LOOP],
    ]);
  });
});

describe("MISC_CHECK (misc_check_child_thread)", () => {
  const exited = (status: number): MiscExit => ({ kind: "exited", status });
  const TIMED_OUT: MiscExit = { kind: "signaled", signal: "SIGTERM", timedOut: true };
  type MiscStep = [exit: MiscExit, verdict: "UP" | "DOWN" | "-", delayMs: number, weight?: number | "configured"];
  function misc(steps: MiscStep[], options: { retry: number; dynamic: boolean; durationMs?: number }): MiscCheckerState {
    let state: MiscCheckerState = initialCheckerState(false);
    const seen: MiscStep[] = [];
    for (const [exit] of steps) {
      const after = miscEpilog(state, exit, timing(options.retry), { dynamic: options.dynamic, durationMs: options.durationMs ?? 0 });
      const step: MiscStep = [exit, after.verdict === undefined ? "-" : after.verdict ? "UP" : "DOWN", after.delayMs];
      if (after.weightChange) step.push(after.weightChange.dynamicWeight ?? "configured");
      seen.push(step);
      state = after.state;
    }
    expect(seen).toEqual(steps);
    return state;
  }

  test("exit 0 passes, any other status fails; retry 0 (MISC_CHECK's default) judges at the first failure; a down script changes nothing", () => {
    misc(
      [
        [exited(0), "UP", LOOP],
        [exited(1), "DOWN", LOOP],
        [exited(1), "-", LOOP],
        [exited(3), "-", LOOP], // 3 is a failure without misc_dynamic
        [exited(0), "UP", LOOP],
      ],
      { retry: 0, dynamic: false },
    );
  });

  test("retries while up, delay_before_retry apart; a timeout is a failure", () => {
    misc(
      [
        [exited(0), "UP", LOOP],
        [TIMED_OUT, "-", RETRY_DELAY],
        [TIMED_OUT, "DOWN", LOOP],
      ],
      { retry: 1, dynamic: false },
    );
  });

  test("misc_dynamic: 2-255 pass and set the weight to the status - 2, handed on whenever it changes; 0 is the configured weight again", () => {
    misc(
      [
        [exited(12), "UP", LOOP, 10],
        [exited(12), "-", LOOP],
        [exited(7), "-", LOOP, 5], // a new weight without a change of state
        [exited(0), "-", LOOP, "configured"],
        [exited(1), "DOWN", LOOP],
        [exited(7), "UP", LOOP, 5],
      ],
      { retry: 0, dynamic: true },
    );
  });

  test("no weight leak after a timeout (keepalived #2720): the same status after recovery sets its weight again", () => {
    misc(
      [
        [exited(12), "UP", LOOP, 10],
        [TIMED_OUT, "DOWN", LOOP],
        [exited(12), "UP", LOOP, 10],
      ],
      { retry: 0, dynamic: true },
    );
  });

  test("the next run is due from the last one's start: its duration is taken off", () => {
    misc(
      [
        [exited(0), "UP", LOOP - 2_500],
        [exited(1), "-", 0], // a retry due 1 s after a start 2.5 s ago: at once
      ],
      { retry: 1, dynamic: false, durationMs: 2_500 },
    );
  });
});

describe("SMTP_CHECK (smtp_final)", () => {
  test("retry 1: tcp_epilog's sequence: down after two failures in a row, and a down checker still retries", () => {
    run(initialCheckerState(false), (s, ok) => smtpEpilog(s, ok, timing(1)), [
      ["ok", "UP", LOOP],
      ["fail", "-", RETRY_DELAY],
      ["fail", "DOWN", LOOP],
      ["fail", "-", RETRY_DELAY], // ++retry_it <= retry whatever the state: retried while down
      ["fail", "-", LOOP],
      ["ok", "UP", LOOP],
      ["fail", "-", RETRY_DELAY],
      ["ok", "-", LOOP],
      ["fail", "-", RETRY_DELAY],
      ["fail", "DOWN", LOOP],
    ]);
  });

  test("a retried failure does not count as having run: the start's first success is still a verdict (tcp_epilog gives none)", () => {
    run(initialCheckerState(false), (s, ok) => smtpEpilog(s, ok, timing(1)), [
      ["fail", "-", RETRY_DELAY],
      ["ok", "UP", LOOP],
    ]);
    run(initialCheckerState(false), (s, ok) => tcpEpilog(s, ok, timing(1)), [
      ["fail", "-", RETRY_DELAY],
      ["ok", "-", LOOP],
    ]);
    expect(smtpEpilog(initialCheckerState(false), false, timing(1)).state).toEqual({ up: true, hasRun: false, retryIt: 1 });
  });

  test("alpha, failing from the start: judged down once its retries are spent (tcp_epilog never judges it), then retried while down", () => {
    const end = run(initialCheckerState(true), (s, ok) => smtpEpilog(s, ok, timing(2)), [
      ["fail", "-", RETRY_DELAY],
      ["fail", "-", RETRY_DELAY],
      ["fail", "DOWN", LOOP], // update_svr_checker_state(DOWN) with !has_run: no change, but the first verdict
      ["fail", "-", RETRY_DELAY],
      ["fail", "-", RETRY_DELAY],
      ["fail", "-", LOOP],
      ["ok", "UP", LOOP],
    ]);
    expect(end).toEqual({ up: true, hasRun: true, retryIt: 0 });
    run(initialCheckerState(true), (s, ok) => tcpEpilog(s, ok, timing(2)), [
      ["fail", "-", RETRY_DELAY],
      ["fail", "-", RETRY_DELAY],
      ["fail", "-", LOOP],
    ]);
  });

  test("retry 0: each failure is the verdict's, delay_loop apart", () => {
    run(initialCheckerState(false), (s, ok) => smtpEpilog(s, ok, timing(0)), [
      ["fail", "DOWN", LOOP],
      ["fail", "-", LOOP],
      ["ok", "UP", LOOP],
    ]);
  });
});
