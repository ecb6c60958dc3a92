// The health checks of the configuration in force, run on the one probe scheduler
// (check/probe-scheduler.ts): each checker's state (check/checker-state.ts, keepalived's
// epilogs), its probe, and the verdicts handed on. A reload keeps the state of every checker
// whose check did not change (keepalived's migrate_checkers) and starts the new ones. The
// checks run whether or not the kernel has IPVS: the director takes their verdicts when it
// has a table to program.
import type { Clock } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import type { CheckSpec } from "../../check/check-spec.ts";
import { firstCheckDelayMs } from "../../check/check-timing.ts";
import {
  datagramEpilog,
  dnsEpilog,
  httpEpilog,
  initialCheckerState,
  initialHttpCheckerState,
  tcpEpilog,
  type CheckerState,
  type Epilog,
  type HttpCheckerState,
} from "../../check/checker-state.ts";
import type { CheckVerdict } from "../../check/http-judge.ts";
import { createProbeScheduler, type ProbeOutcome, type ProbeScheduler } from "../../check/probe-scheduler.ts";
import type { CheckerTarget } from "../../ipvs/real-server-health.ts";
import type { ResolvedVirtualServer } from "../../ipvs/resolved-plan.ts";
import { unsupportedConnectOptions, type ProbeContext } from "./connection-probes.ts";
import { REAL_PROBES, type Probes } from "./probes.ts";

/** A check's result, for the status and the log. */
export interface CheckerResult {
  ok: boolean;
  /** The verdict's reason ("connection refused", "status 503; expected 200-299") or what passed. */
  text: string;
  atMs: number;
  durationMs: number;
}

export interface CheckerView {
  target: CheckerTarget;
  kind: CheckSpec["kind"];
  up: boolean;
  hasRun: boolean;
  retryIt: number;
  /** The last check's result. */
  last?: CheckerResult;
  /** The check that last changed its state (a verdict, a retry counted or reset). */
  lastChange?: CheckerResult;
  /** Why it does not run (it keeps its initial state). */
  problem?: string;
}

/** Virtual server id -> real server id -> its checkers, as of the last change of any checker's state. */
export type CheckerStates = ReadonlyMap<string, ReadonlyMap<string, readonly CheckerView[]>>;

export interface CheckerRunnerDeps {
  clock: Clock;
  logger: Logger;
  /** In [0, 1): the warmup's share (keepalived's random()). */
  random(): number;
  /** A verdict keepalived would hand update_svr_checker_state: up or down, the first one even when it changes nothing. */
  verdict(target: CheckerTarget, up: boolean, reason: string): void;
  /** The probe of each kind; default the real ones (probes.ts). */
  probes?: Probes;
}

interface Entry {
  id: string;
  target: CheckerTarget;
  spec: CheckSpec;
  fingerprint: string;
  /** keepalived's FMT_CHK: "[10.0.0.2]:tcp:80". */
  name: string;
  state: CheckerState | HttpCheckerState;
  nextDelayMs?: number;
  last?: CheckerResult;
  lastChange?: CheckerResult;
  problem?: string;
}

/** The whole check (a connection and its answer) is abandoned after this many connect_timeouts. */
const CHECK_TIMEOUTS = 3;

export class CheckerRunner {
  private readonly scheduler: ProbeScheduler;
  private entries = new Map<string, Entry>();
  private started = false;
  /** states()'s answer until a checker's state changes (the director's status is rebuilt when this is new). */
  private statesView: CheckerStates | undefined;

  private readonly probes: Probes;

  constructor(private readonly deps: CheckerRunnerDeps) {
    this.probes = deps.probes ?? REAL_PROBES;
    this.scheduler = createProbeScheduler({ clock: deps.clock, logger: deps.logger });
  }

  /** The checkers of these virtual servers from now on: the unchanged keep their state and schedule, the rest start again. */
  configure(virtualServers: readonly ResolvedVirtualServer[]): void {
    const next = new Map<string, Entry>();
    for (const vs of virtualServers) {
      for (const rs of vs.realServers) {
        for (const checker of rs.checkers) {
          if (!checker.check) continue;
          const target = { virtualServer: vs.id, realServer: rs.id, checker: checker.id };
          const id = `${vs.id}|${rs.id}|${checker.id}`;
          const fingerprint = JSON.stringify([checker.check, checker.alpha]);
          const before = this.entries.get(id);
          if (before && before.fingerprint === fingerprint) {
            next.set(id, before);
            continue;
          }
          const spec = checker.check;
          const connect = spec.connect;
          const protocol = (vs.protocol ?? "TCP").toLowerCase();
          const name = connect ? `[${connect.address.text}]:${protocol}:${connect.port}` : rs.keepalivedName;
          const http = spec.kind === "HTTP_GET" || spec.kind === "SSL_GET";
          const entry: Entry = {
            id,
            target,
            spec,
            fingerprint,
            name,
            state: http ? initialHttpCheckerState(checker.alpha) : initialCheckerState(checker.alpha),
          };
          const problem =
            spec.problem ??
            (connect ? unsupportedConnectOptions(connect) : undefined) ??
            (this.probes[spec.kind] ? undefined : `${spec.kind} is not run yet`);
          if (problem) entry.problem = problem;
          next.set(id, entry);
        }
      }
    }
    const removed = [...this.entries.keys()].filter((id) => next.get(id) !== this.entries.get(id));
    for (const id of removed) void this.scheduler.remove(id);
    const added = [...next.values()].filter((entry) => this.entries.get(entry.id) !== entry);
    this.entries = next;
    this.statesView = undefined;
    for (const entry of added) this.schedule(entry);
  }

  start(): void {
    this.started = true;
    this.scheduler.start();
  }

  stop(): Promise<void> {
    this.started = false;
    return this.scheduler.stop();
  }

  /** Every checker's verdict so far (those that have run), for a director that starts after them. */
  verdicts(): { target: CheckerTarget; up: boolean }[] {
    return [...this.entries.values()].filter((e) => e.state.hasRun).map((e) => ({ target: e.target, up: e.state.up }));
  }

  view(): CheckerView[] {
    return [...this.entries.values()].map((e) => ({
      target: e.target,
      kind: e.spec.kind,
      up: e.state.up,
      hasRun: e.state.hasRun,
      retryIt: e.state.retryIt,
      ...(e.last ? { last: e.last } : {}),
      ...(e.lastChange ? { lastChange: e.lastChange } : {}),
      ...(e.problem ? { problem: e.problem } : {}),
    }));
  }

  /**
   * The checkers by virtual and real server, the same object until one's state changes: a
   * check that changes nothing (the usual one) does not make the director's status be built
   * again, which at tens of thousands of servers is megabytes.
   */
  states(): CheckerStates {
    if (this.statesView) return this.statesView;
    const states = new Map<string, Map<string, CheckerView[]>>();
    for (const view of this.view()) {
      const { virtualServer, realServer } = view.target;
      let servers = states.get(virtualServer);
      if (!servers) states.set(virtualServer, (servers = new Map()));
      servers.set(realServer, [...(servers.get(realServer) ?? []), view]);
    }
    return (this.statesView = states);
  }

  private schedule(entry: Entry): void {
    const { logger } = this.deps;
    if (entry.problem) {
      logger.warn(
        `${entry.spec.kind} of ${entry.name} (VS ${entry.target.virtualServer}): not checked: ${entry.problem}; it stays ${entry.state.up ? "up" : "down"}`,
      );
      return;
    }
    const timing = entry.spec.timing;
    this.scheduler.add<CheckVerdict>({
      id: entry.id,
      cadence: "after-end",
      intervalMs: timing.delayLoopMs,
      firstDelayMs: firstCheckDelayMs(timing, this.deps.random()),
      timeoutMs: CHECK_TIMEOUTS * timing.connectTimeoutMs,
      run: (signal) => this.probe(entry, signal),
      onOutcome: (outcome) => this.ended(entry, outcome),
      nextDelayMs: () => entry.nextDelayMs ?? timing.delayLoopMs,
    });
    if (this.started) this.scheduler.start();
  }

  private probe(entry: Entry, signal: AbortSignal): Promise<CheckVerdict> {
    const context: ProbeContext = { clock: this.deps.clock, signal, connectTimeoutMs: entry.spec.timing.connectTimeoutMs };
    const urlIndex = "urlIndex" in entry.state ? entry.state.urlIndex : 0;
    return this.probes[entry.spec.kind]!({ spec: entry.spec, connect: entry.spec.connect!, urlIndex, context });
  }

  private ended(entry: Entry, outcome: ProbeOutcome<CheckVerdict>): void {
    if (this.entries.get(entry.id) !== entry) return;
    const verdict: CheckVerdict = outcome.ok ? outcome.value : { ok: false, reason: `the check failed: ${String(outcome.error)}` };
    const text = verdict.ok ? verdict.detail : verdict.reason;
    entry.last = { ok: verdict.ok, text, atMs: this.deps.clock.wallMs(), durationMs: outcome.finishedMs - outcome.startedMs };
    const before = entry.state;
    const after = this.epilog(entry, verdict.ok);
    entry.state = after.state;
    entry.nextDelayMs = after.delayMs;
    if (before.up !== after.state.up || before.hasRun !== after.state.hasRun || before.retryIt !== after.state.retryIt) {
      entry.lastChange = entry.last;
      this.statesView = undefined;
    }
    if (after.verdict === undefined) return;
    this.log(entry, before, after.verdict, text);
    this.deps.verdict(entry.target, after.verdict, text);
  }

  private epilog(entry: Entry, ok: boolean): Epilog<CheckerState | HttpCheckerState> {
    const { spec } = entry;
    switch (spec.kind) {
      case "HTTP_GET":
      case "SSL_GET":
        return httpEpilog(entry.state as HttpCheckerState, ok, spec.timing, { urls: spec.http!.urls.length, fastRecovery: spec.http!.fastRecovery });
      case "UDP_CHECK":
      case "PING_CHECK":
        return datagramEpilog(entry.state, ok, spec.timing);
      case "DNS_CHECK":
        return dnsEpilog(entry.state, ok, spec.timing);
      default:
        return tcpEpilog(entry.state, ok, spec.timing);
    }
  }

  /** keepalived's lines (check_tcp.c, check_http.c), with the reason after them. */
  private log(entry: Entry, before: CheckerState, up: boolean, text: string): void {
    const { logger } = this.deps;
    const http = entry.spec.kind === "HTTP_GET" || entry.spec.kind === "SSL_GET";
    if (up) {
      logger.info(http ? `Remote Web server ${entry.name} succeed on service.` : `TCP connection to ${entry.name} success.`);
      return;
    }
    const checkName = http ? "HTTP_CHECK" : entry.spec.kind;
    const retries = entry.spec.timing.retry;
    const after = retries > 0 && before.hasRun ? ` after ${retries} retries` : "";
    logger.info(`${checkName} on service ${entry.name} failed${after}: ${text}`);
  }
}
