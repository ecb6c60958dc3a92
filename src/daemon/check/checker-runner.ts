// The health checks of the configuration in force, run on the one probe scheduler
// (check/probe-scheduler.ts): each checker's state (check/checker-state.ts, keepalived's
// epilogs, or tandem's rise/fall), its probe (probes.ts; MISC_CHECK's script, FILE_CHECK's
// file), and the verdicts handed on, with the weights misc_dynamic and FILE_CHECK give. A
// reload keeps the state of every checker whose check did not change and starts the new ones
// (keepalived's migrate_checkers, checker-migration.ts). Identical checks of one real server
// under several virtual servers share one probe; ha_suspend holds a virtual server's checks
// while its address is elsewhere. Each check is counted (check/check-stats.ts, sent on in
// slices) and each transition handed to the history; the scheduler's load and lateness are
// measured (check/scheduler-health.ts). The checks run whether or not the kernel has IPVS:
// the director takes their verdicts when it has a table to program.
import type { Clock } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import type { CheckSpec } from "../../check/check-spec.ts";
import { emptyCheckStats, recordCheck, recordFlap } from "../../check/check-stats.ts";
import { CheckStatsFeed, type CheckStatsSlice } from "../../check/check-stats-feed.ts";
import { firstCheckDelayMs } from "../../check/check-timing.ts";
import {
  datagramEpilog,
  dnsEpilog,
  httpEpilog,
  initialCheckerState,
  initialHttpCheckerState,
  miscEpilog,
  smtpEpilog,
  tcpEpilog,
  type CheckerState,
  type Epilog,
  type HttpCheckerState,
  type MiscEpilog,
  type MiscExit,
} from "../../check/checker-state.ts";
import { initialRiseFallState, jitteredDelayMs, riseFallEpilog, type RiseFallState } from "../../check/rise-fall.ts";
import type { CheckVerdict, TlsCertificateReport } from "../../check/http-judge.ts";
import { createProbeScheduler, type ProbeOutcome, type ProbeScheduler } from "../../check/probe-scheduler.ts";
import { trackFileVerdict, type CheckerTarget, type CheckerVerdict } from "../../ipvs/real-server-health.ts";
import type { CheckActivity } from "../../ipvs/ha-suspend.ts";
import type { ResolvedVirtualServer } from "../../ipvs/resolved-plan.ts";
import { unsupportedConnectOptions, type ProbeContext } from "./connection-probes.ts";
import { FileChecks, watchTrackFiles, type WatchFiles } from "./file-checks.ts";
import { MISC_KILL_GRACE_MS, type MiscScripts } from "./misc-script.ts";
import { REAL_PROBES, type Probes } from "./probes.ts";
import { verdictLine } from "./verdict-lines.ts";
import type { CheckSchedulerView } from "../../api/ports.ts";
import { LatenessWindow, LoopLagMonitor } from "../../check/scheduler-health.ts";
import { maxConcurrentChecks } from "./open-files.ts";
import { usesRiseFall, type CheckerResult, type Entry, type ProbeGroup } from "./checker-entry.ts";
import { migrate, oneFailureEnough, sameCheck } from "./checker-migration.ts";

export type { CheckerResult } from "./checker-entry.ts";

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
  /** misc_dynamic: the weight its script's status asks for, in force while up. */
  dynamicWeight?: number;
  /** FILE_CHECK: what its file's value adds to the weight, while up. */
  weightDelta?: number;
  /** ha_suspend: not checked while its virtual server's address is not here. */
  suspended?: boolean;
  /** SSL_GET: the server's certificate as the last handshake found it. */
  tls?: TlsCertificateReport;
}

/** Virtual server id -> real server id -> its checkers, as of the last change of any checker's state. */
export type CheckerStates = ReadonlyMap<string, ReadonlyMap<string, readonly CheckerView[]>>;

export interface CheckerRunnerDeps {
  clock: Clock;
  logger: Logger;
  /** In [0, 1): the warmup's share (keepalived's random()). */
  random(): number;
  /**
   * A verdict keepalived would hand update_svr_checker_state: up or down, the first one even
   * when it changes nothing; and a misc_dynamic weight whenever the script's status asks for
   * another one (update_svr_wgt), up or not.
   */
  verdict(target: CheckerTarget, verdict: CheckerVerdict, reason: string): void;
  /** The probe of each kind; default the real ones (probes.ts). */
  probes?: Probes;
  /** MISC_CHECK's scripts; without them a MISC_CHECK is reported as not run. */
  miscScripts?: MiscScripts;
  /** FILE_CHECK's files; default the inotify watcher VRRP's track files use. */
  watchFiles?: WatchFiles;
  /** Each verdict that is a transition (or the first), for the history. */
  transition?(transition: CheckerTransition): void;
  /** At most this many checks at once; default from the open-files limit (maxConcurrentChecks). */
  maxConcurrent?: number;
}

export interface CheckerTransition {
  target: CheckerTarget;
  kind: CheckSpec["kind"];
  up: boolean;
  first: boolean;
  reason: string;
  durationMs: number;
  /** The failures counted before it. */
  retries: number;
}

/** The whole check (a connection and its answer) is abandoned after this many connect_timeouts; SMTP_CHECK waits for three answers after connecting. */
const CHECK_TIMEOUTS = 3;
const SMTP_CHECK_TIMEOUTS = 4;
/** A MISC_CHECK's script is killed by its runner at misc_timeout (and SIGKILLed 2 s later); the scheduler's own limit only backs that up. */
const MISC_TIMEOUT_MARGIN_MS = 1_000;

/** What one check came to: its verdict, and for a MISC_CHECK how its script ended; or nothing, every checker it feeds being suspended. */
interface CheckResult {
  verdict: CheckVerdict;
  misc?: MiscExit;
  suspended?: true;
}

export class CheckerRunner {
  private readonly scheduler: ProbeScheduler;
  private entries = new Map<string, Entry>();
  private readonly groups = new Map<string, ProbeGroup>();
  /** ha_suspend: the virtual servers whose checks wait for their address (ipvs/ha-suspend.ts). */
  private suspendedVirtualServers = new Set<string>();
  private started = false;
  /** states()'s answer until a checker's state changes (the director's status is rebuilt when this is new). */
  private statesView: CheckerStates | undefined;
  private readonly statsFeed = new CheckStatsFeed();

  private readonly probes: Probes;
  private readonly files: FileChecks;
  private readonly maxConcurrent: number;
  private readonly loopLag: LoopLagMonitor;
  private readonly startLateness: LatenessWindow;

  constructor(private readonly deps: CheckerRunnerDeps) {
    this.probes = deps.probes ?? REAL_PROBES;
    this.maxConcurrent = deps.maxConcurrent ?? maxConcurrentChecks();
    this.scheduler = createProbeScheduler({ clock: deps.clock, logger: deps.logger, maxConcurrent: this.maxConcurrent });
    this.loopLag = new LoopLagMonitor(deps.clock);
    this.startLateness = new LatenessWindow(deps.clock);
    this.files = new FileChecks(deps.watchFiles ?? watchTrackFiles(deps.clock, deps.logger), (name, value) => this.fileValue(name, value));
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
          // FMT_CHK is the real server's address and port, whatever connect_ip and connect_port say.
          const name = rs.keepalivedName;
          const http = spec.kind === "HTTP_GET" || spec.kind === "SSL_GET";
          const entry: Entry = {
            id,
            target,
            spec,
            fingerprint,
            name,
            virtualServerName: vs.keepalivedName,
            state: usesRiseFall(spec)
              ? initialRiseFallState(checker.alpha)
              : http
                ? initialHttpCheckerState(checker.alpha)
                : initialCheckerState(checker.alpha),
            stats: emptyCheckStats(),
          };
          if (before && sameCheck(before.spec, spec)) migrate(before, entry);
          // check_ping.c sets neither bind_if nor fwmark on its ICMP socket: keepalived pings without them, and so does tandem, saying so.
          const pingOptions = spec.kind === "PING_CHECK" && connect && (connect.bindInterface !== undefined || connect.fwmark);
          if (pingOptions) this.deps.logger.warn(`PING_CHECK of ${name}: bind_if and fwmark do not apply to an ICMP echo (keepalived ignores them too)`);
          const unsupported = connect && !pingOptions ? unsupportedConnectOptions(connect, spec.kind) : undefined;
          const problem = spec.problem ?? unsupported ?? this.runnable(entry);
          if (problem) entry.problem = problem;
          next.set(id, entry);
        }
      }
    }
    if (this.entries.size > 0) oneFailureEnough(next.values(), this.entries);
    const removed = [...this.entries.values()].filter((entry) => next.get(entry.id) !== entry);
    for (const entry of removed) this.leaveGroup(entry);
    const added = [...next.values()].filter((entry) => this.entries.get(entry.id) !== entry);
    this.entries = next;
    this.statesView = undefined;
    this.statsFeed.replace([...next.values()]);
    for (const entry of added) this.schedule(entry);
    this.files.follow([...next.values()].flatMap((e) => (e.spec.file && !e.problem ? [{ name: e.spec.file.trackFile, path: e.spec.file.path }] : [])));
  }

  start(): void {
    this.started = true;
    this.scheduler.start();
    this.files.start();
    this.loopLag.start();
  }

  stop(): Promise<void> {
    this.started = false;
    this.files.stop();
    this.loopLag.stop();
    return this.scheduler.stop();
  }

  /**
   * ha_suspend's activity: the checks of a suspended virtual server are not run (each keeps
   * its state) until its address is here again; keepalived's lines say so.
   */
  setActivity(activities: readonly CheckActivity[]): void {
    const next = new Set(activities.filter((a) => a.suspended).map((a) => a.virtualServer));
    for (const e of this.entries.values()) {
      const vs = e.target.virtualServer;
      if (e.problem || this.suspendedVirtualServers.has(vs) === next.has(vs)) continue;
      this.deps.logger.info(`${next.has(vs) ? "Suspend" : "Activat"}ing healthchecker for service ${e.name} for VS ${e.virtualServerName}`);
    }
    this.suspendedVirtualServers = next;
    this.statesView = undefined;
  }

  private isSuspended(entry: Entry): boolean {
    return this.suspendedVirtualServers.has(entry.target.virtualServer);
  }

  /** Every checker's verdict so far (those that have run), for a director that starts after them. */
  verdicts(): { target: CheckerTarget; verdict: CheckerVerdict }[] {
    return [...this.entries.values()].filter((e) => e.state.hasRun).map((e) => ({ target: e.target, verdict: this.verdictOf(e, e.state.up) }));
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
      ...(e.dynamicWeight !== undefined ? { dynamicWeight: e.dynamicWeight } : {}),
      ...(e.weightDelta !== undefined ? { weightDelta: e.weightDelta } : {}),
      ...(this.isSuspended(e) ? { suspended: true } : {}),
      ...(e.tls ? { tls: e.tls } : {}),
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

  /** Why this checker cannot run here: no probe for its kind, or its script refused. */
  private runnable(entry: Entry): string | undefined {
    const { spec } = entry;
    if (spec.kind === "MISC_CHECK") {
      if (!this.deps.miscScripts || !spec.misc) return "MISC_CHECK scripts are not run here";
      const script = this.deps.miscScripts.prepare(spec.misc, (reason) => this.deps.logger.warn(`MISC_CHECK of ${entry.name}: ${reason}`));
      if (typeof script === "string") return script;
      entry.script = script;
      return undefined;
    }
    if (spec.kind === "FILE_CHECK") return spec.file ? undefined : "FILE_CHECK has no track_file";
    return this.probes[spec.kind] ? undefined : `${spec.kind} is not run yet`;
  }

  /**
   * A track_file's value, for each FILE_CHECK that follows it: its verdict at once when the
   * state or the weight it gives changes (keepalived's has_run from the start, alpha ignored).
   */
  private fileValue(name: string, value: number): void {
    for (const entry of this.entries.values()) {
      const file = entry.spec.file;
      if (!file || file.trackFile !== name || entry.problem) continue;
      const verdict = trackFileVerdict(value, file.weight, file.reverse);
      const weightDelta = verdict.up ? (verdict.weightDelta ?? 0) : undefined;
      const before = entry.state;
      if (before.hasRun && before.up === verdict.up && entry.weightDelta === weightDelta) continue;
      const text = `${file.path} reads ${value}${verdict.up ? (weightDelta ? `: weight ${weightDelta > 0 ? "+" : ""}${weightDelta}` : "") : file.weight === 0 ? "" : ": fault"}`;
      entry.state = { ...before, up: verdict.up, hasRun: true };
      if (weightDelta === undefined) delete entry.weightDelta;
      else entry.weightDelta = weightDelta;
      entry.last = entry.lastChange = { ok: verdict.up, text, atMs: this.deps.clock.wallMs(), durationMs: 0 };
      this.statesView = undefined;
      this.deps.verdict(entry.target, this.verdictOf(entry, verdict.up), text);
      if (!before.hasRun || before.up !== verdict.up) {
        this.deps.logger.info(`FILE_CHECK of ${entry.name} (VS ${entry.virtualServerName}): track_file ${name} ${verdict.up ? "up" : "down"}: ${text}`);
      }
      this.transitionOf(entry, before.up, verdict.up, text, 0, 0);
    }
  }

  /** The scheduler's load and lateness, for the API; undefined without a probe to run. */
  schedulerHealth(): CheckSchedulerView | undefined {
    const health = this.scheduler.health();
    if (health.probes === 0) return undefined;
    const startLatenessMs = this.startLateness.summary();
    const loopLagMs = this.loopLag.summary();
    return {
      probes: health.probes,
      running: health.running,
      maxConcurrent: this.maxConcurrent,
      backlog: health.backlog,
      oldestWaitMs: health.oldestWaitMs,
      overdue: health.overdue,
      started: health.started,
      skipped: health.skipped,
      ...(startLatenessMs ? { startLatenessMs } : {}),
      ...(loopLagMs ? { loopLagMs } : {}),
    };
  }

  /** The counters that moved since they were last sent, a slice at a time (check/check-stats-feed.ts). */
  checkStatsSlice(): CheckStatsSlice | undefined {
    return this.statsFeed.next();
  }

  /**
   * The same check of the same real server under several virtual servers runs once and feeds
   * every one of them (keepalived runs it once per virtual server: #2358, #2111). A checker
   * joins the group of an identical spec whose members are where it is; a group already under
   * way with another state (as after a reload) gets a second schedule. Returns the group to
   * schedule when it is a new one.
   */
  private joinGroup(entry: Entry): ProbeGroup | undefined {
    const key = JSON.stringify(entry.spec);
    const where = JSON.stringify([entry.state, Boolean(entry.judged)]);
    for (let n = 0; ; n++) {
      const id = n === 0 ? key : `${key}#${n}`;
      const group = this.groups.get(id);
      if (!group) {
        const created: ProbeGroup = { id, members: [entry] };
        this.groups.set(id, created);
        entry.group = created;
        return created;
      }
      const leader = group.members[0]!;
      if (JSON.stringify([leader.state, Boolean(leader.judged)]) === where) {
        group.members.push(entry);
        entry.group = group;
        return undefined;
      }
    }
  }

  private leaveGroup(entry: Entry): void {
    const group = entry.group;
    if (!group) return;
    group.members = group.members.filter((m) => m !== entry);
    delete entry.group;
    if (group.members.length > 0) return;
    this.groups.delete(group.id);
    void this.scheduler.remove(group.id);
  }

  private schedule(entry: Entry): void {
    const { logger } = this.deps;
    if (entry.spec.kind === "FILE_CHECK" && !entry.problem) return;
    if (entry.problem) {
      logger.warn(
        `${entry.spec.kind} of ${entry.name} (VS ${entry.target.virtualServer}): not checked: ${entry.problem}; it stays ${entry.state.up ? "up" : "down"}`,
      );
      return;
    }
    const group = this.joinGroup(entry);
    // It joined a group whose probe is scheduled already.
    if (!group) return;
    const timing = entry.spec.timing;
    this.scheduler.add<CheckResult>({
      id: group.id,
      cadence: "after-end",
      intervalMs: timing.delayLoopMs,
      firstDelayMs: firstCheckDelayMs(timing, this.deps.random()),
      timeoutMs: entry.script
        ? entry.script.timeoutMs + MISC_KILL_GRACE_MS + MISC_TIMEOUT_MARGIN_MS
        : (entry.spec.kind === "SMTP_CHECK" ? SMTP_CHECK_TIMEOUTS : CHECK_TIMEOUTS) * timing.connectTimeoutMs,
      run: (signal) => {
        // ha_suspend: keepalived's disabled checker is rescheduled without checking.
        const active = group.members.find((m) => !this.isSuspended(m));
        return active ? this.probe(active, signal) : Promise.resolve({ verdict: { ok: true, detail: "suspended" }, suspended: true });
      },
      onOutcome: (outcome) => {
        // A timer may fire a fraction of a millisecond before its due time: that is on time.
        this.startLateness.add(Math.max(0, outcome.startedMs - outcome.dueMs));
        if (outcome.ok && outcome.value.suspended) return;
        for (const member of [...group.members]) if (!this.isSuspended(member)) this.ended(member, outcome);
      },
      // The soonest any member wants: a check that comes early is an ordinary check to it.
      nextDelayMs: () => Math.min(...group.members.map((m) => m.nextDelayMs ?? timing.delayLoopMs)),
    });
    if (this.started) this.scheduler.start();
  }

  private async probe(entry: Entry, signal: AbortSignal): Promise<CheckResult> {
    if (entry.script) {
      const run = await this.deps.miscScripts!.run(entry.script, signal);
      const passed = run.exit.kind === "exited" && (run.exit.status === 0 || (entry.spec.misc!.dynamic && run.exit.status >= 2 && run.exit.status <= 255));
      const said = run.output ? `: ${run.output.split("\n").at(-1)!.slice(0, 200)}` : "";
      return { verdict: passed ? { ok: true, detail: `${run.text}${said}` } : { ok: false, reason: `${run.text}${said}` }, misc: run.exit };
    }
    const context: ProbeContext = { clock: this.deps.clock, signal, connectTimeoutMs: entry.spec.timing.connectTimeoutMs };
    const urlIndex = "urlIndex" in entry.state ? entry.state.urlIndex : 0;
    return { verdict: await this.probes[entry.spec.kind]!({ spec: entry.spec, connect: entry.spec.connect!, urlIndex, context }) };
  }

  private ended(entry: Entry, outcome: ProbeOutcome<CheckResult>): void {
    if (this.entries.get(entry.id) !== entry) return;
    const failed = (reason: string): CheckResult => ({
      verdict: { ok: false, reason },
      ...(entry.script ? { misc: { kind: "not started", error: reason } as const } : {}),
    });
    const result = outcome.ok ? outcome.value : failed(`the check failed: ${String(outcome.error)}`);
    const { verdict } = result;
    const text = verdict.ok ? verdict.detail : verdict.reason;
    const durationMs = outcome.finishedMs - outcome.startedMs;
    entry.last = { ok: verdict.ok, text, atMs: this.deps.clock.wallMs(), durationMs };
    recordCheck(entry.stats, { durationMs, ok: verdict.ok, reason: text });
    if (verdict.tls) this.certificateSeen(entry, verdict.tls);
    const before = entry.state;
    const after = this.epilog(entry, result, durationMs);
    entry.state = after.state;
    entry.nextDelayMs = entry.spec.jitter ? jitteredDelayMs(after.delayMs, entry.spec.jitter, this.deps.random()) : after.delayMs;
    const weightChange = "weightChange" in after ? after.weightChange : undefined;
    if (weightChange) entry.dynamicWeight = weightChange.dynamicWeight;
    if (before.up !== after.state.up || before.hasRun !== after.state.hasRun || before.retryIt !== after.state.retryIt || weightChange) {
      entry.lastChange = entry.last;
      this.statesView = undefined;
    }
    if (after.verdict === undefined) {
      // update_svr_wgt: a misc_dynamic status that asks for another weight takes effect at once.
      if (weightChange) this.deps.verdict(entry.target, this.verdictOf(entry, after.state.up), text);
      return;
    }
    this.log(entry, before, after, text);
    this.deps.verdict(entry.target, this.verdictOf(entry, after.verdict), text);
    this.transitionOf(entry, before.up, after.verdict, text, durationMs, before.retryIt);
  }

  /**
   * A verdict worth a history record: it changed the checker's state, or it is a first verdict
   * of failure (a start that keeps a server out says why). The first successes of thousands of
   * checkers at a start change nothing and are not recorded.
   */
  private transitionOf(entry: Entry, wasUp: boolean, up: boolean, reason: string, durationMs: number, retries: number): void {
    const first = !entry.judged;
    entry.judged = true;
    if (!first && wasUp !== up) {
      recordFlap(entry.stats);
    }
    if (wasUp === up && !(first && !up)) return;
    this.deps.transition?.({ target: entry.target, kind: entry.spec.kind, up, first, reason, durationMs, retries });
  }

  /** A certificate's report kept for the status; one warning when it starts to expire soon (tls_expiry_warn). */
  private certificateSeen(entry: Entry, tls: TlsCertificateReport): void {
    const before = entry.tls;
    entry.tls = tls;
    if (before?.verified !== tls.verified || before?.expiresSoon !== tls.expiresSoon || before?.notAfterMs !== tls.notAfterMs) this.statesView = undefined;
    if (tls.expiresSoon && !(before?.expiresSoon && before.notAfterMs === tls.notAfterMs)) {
      const when = Number.isFinite(tls.notAfterMs) ? new Date(tls.notAfterMs).toISOString().slice(0, 10) : "an unreadable date";
      const past = tls.notAfterMs <= this.deps.clock.wallMs();
      this.deps.logger.warn(
        `SSL_GET of ${entry.name} (VS ${entry.virtualServerName}): the server's certificate (${tls.subject}) ${past ? "expired" : "expires"} on ${when}`,
      );
    }
  }

  /** What the director is told: up or down, with the script's weight while one is in force. */
  private verdictOf(entry: Entry, up: boolean): CheckerVerdict {
    if (up && entry.dynamicWeight !== undefined) return { up, dynamicWeight: entry.dynamicWeight };
    if (up && entry.weightDelta) return { up, weightDelta: entry.weightDelta };
    return { up };
  }

  private epilog(entry: Entry, result: CheckResult, durationMs: number): Epilog<CheckerState | HttpCheckerState> | MiscEpilog {
    const { spec } = entry;
    const ok = result.verdict.ok;
    if (usesRiseFall(spec)) return riseFallEpilog(entry.state as RiseFallState, ok, spec.timing, spec.riseFall!, spec.http?.urls.length ?? 1);
    switch (spec.kind) {
      case "SMTP_CHECK":
        return smtpEpilog(entry.state, ok, spec.timing);
      case "MISC_CHECK":
        return miscEpilog(entry.state, result.misc ?? { kind: "not started", error: "no script" }, spec.timing, { dynamic: spec.misc!.dynamic, durationMs });
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

  /** keepalived's lines (verdict-lines.ts; check_misc.c's here), with the reason after them. */
  private log(entry: Entry, before: CheckerState, after: Epilog<CheckerState> | MiscEpilog, text: string): void {
    const { logger } = this.deps;
    const up = after.verdict!;
    if (entry.script) {
      // keepalived gives the reason of a failure only ("(exited with status 1)"); tandem's words for it, and the script's last line.
      const outcome = `${(after as MiscEpilog).outcome}${up ? "" : `${this.retryWords(entry)} (${text})`}`;
      logger.info(`Misc check for [${entry.name} VS ${entry.virtualServerName}] by [${entry.script.program}] ${outcome}.`);
      return;
    }
    const retriesSpent = entry.spec.timing.retry > 0 && before.hasRun ? entry.spec.timing.retry : 0;
    logger.info(verdictLine({ kind: entry.spec.kind, name: entry.name, virtualServerName: entry.virtualServerName, up, retriesSpent, text }));
  }

  /** check_misc.c's words for a verdict of failure: the retries were spent, or there were none. */
  private retryWords(entry: Entry): string {
    const retries = entry.spec.timing.retry;
    return retries === 0 ? " with retry disabled" : ` after ${retries} ${retries === 1 ? "retry" : "retries"}`;
  }
}
