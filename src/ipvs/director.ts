// The director: keeps the kernel's IPVS table at what the configuration, the checks, quorum
// and the operator's drains ask for. A pass starts from the kernel's table (the kernel is the
// truth: read whole at the start and a retry, beside the passes by the drift scan, and
// otherwise known from the last read and the writes since, with the services it deletes from
// or drains read again), steps quorum, builds the desired table, holds removed or drained
// servers until their connections end, reconciles and applies exactly the difference; between
// whole reads, only for what changed. A recovered server's slowstart ramp (slow-start.ts) is
// stepped by passes of its own on the clock. Passes never overlap. All I/O is ports.
import type { Clock, TimerHandle } from "../common/clock.ts";
import type { Logger } from "../common/logger.ts";
import { desiredTable, type DesiredTableResult } from "./desired-table.ts";
import { drainedKeys, IDLE_DIRECTOR, NO_INTENT, operatorDrainKey, type DirectorEffect, type DirectorIntent, type DirectorState } from "./director-types.ts";
import { drainKey, NO_DRAINS, stepDrain, type DrainEffect, type DrainState } from "./drain.ts";
import type { IpvsOp, IpvsOpResult } from "./ops.ts";
import { step } from "./quorum-machine.ts";
import { initialHealth, reloadHealth, reportChecker, type CheckerTarget, type CheckerVerdict, type HealthTable } from "./real-server-health.ts";
import { servicesToRead, tableAfterOps, withServicesRead } from "./known-table.ts";
import { ownedAfter, reconcile } from "./reconcile.ts";
import { resolvePlansOnce } from "./resolve-plans-once.ts";
import type { ResolvedVirtualServer } from "./resolved-plan.ts";
import { afterHealth, keptBy, nextSlowStartMs, NO_SLOW_START, SLOW_START_MIN_STEP_MS, withoutFinished, type SlowStartState } from "./slow-start.ts";
import { serviceKeyText, type IpvsTable, type ObservedService, type ServiceKey } from "./types.ts";
import { liveWeightOf } from "./virtual-server-work.ts";
import type { VirtualServerPlan } from "./virtual-server-plan.ts";

/** The kernel's table, through generic netlink (or the fake kernel in tests). */
export interface IpvsKernelPort {
  dump(): Promise<IpvsTable<ObservedService>>;
  /** Just these services, each with its destinations; one the kernel does not have is left out. */
  dumpServices(keys: readonly ServiceKey[]): Promise<IpvsTable<ObservedService>>;
  /** One result per op, in order; a failed op does not stop the others. */
  apply(ops: readonly IpvsOp[]): Promise<IpvsOpResult[]>;
}

/** The record of the services tandem created (store/ipvs-ownership.ts). */
export interface OwnershipPort {
  owned(): Set<string>;
  replace(services: ReadonlySet<string>, wallMs: number): { ok: true } | { ok: false; reason: string };
}

/** What the director reports: keepalived's notifies and records, drains, writes and repairs. */
export type DirectorReport =
  | { kind: "quorum"; effect: DirectorEffect }
  | { kind: "drain"; effect: DrainEffect }
  | {
      kind: "applied";
      cause: PassCause;
      ops: readonly IpvsOp[];
      failures: { op: IpvsOp; reason: string }[];
      /** The writes; and before them the pass's reads of the kernel, and its planning (quorum, desired table, drains, reconcile). */
      durationMs: number;
      readMs: number;
      planMs: number;
    }
  | { kind: "drift-repaired"; ops: readonly IpvsOp[] }
  | { kind: "kernel-unreachable"; reason: string };

/** global_defs that decide which notifies run: rs_init_notifies. */
export interface NotifySettings {
  rsInitNotifies?: boolean;
}

/** What a reload may change beside the plans: the notify settings and real_server_drain_timeout. */
export interface ReloadSettings extends NotifySettings {
  drainTimeoutMs?: number;
}

export type PassCause = "start" | "reload" | "check" | "intent" | "drift-scan" | "drain-timer" | "slow-start" | "retry" | "stop";

export interface DirectorOptions {
  kernel: IpvsKernelPort;
  ownership: OwnershipPort;
  clock: Clock;
  logger: Logger;
  report(report: DirectorReport): void;
  drainTimeoutMs: number;
  /** A pass at least this often, to repair what others changed (0: none). */
  driftScanMs: number;
  /** The scan waits at least this many times the last full read (DRIFT_SCAN_GAP_FACTOR unless given). */
  driftScanGapFactor?: number;
  /** A pass that met a kernel error is retried after this long. */
  retryMs?: number;
}

const DEFAULT_RETRY_MS = 1_000;

/**
 * Passes that read the whole table first; the others read only the services they write or
 * drain (known-table.ts). The drift scan reads the whole table too, but beside the passes,
 * not in their line (scanInBackground).
 */
const FULL_READS: ReadonlySet<PassCause> = new Set<PassCause>(["start", "retry", "stop"]);

/**
 * The drift scan waits at least this many times as long as the last full read took, so that
 * reading the table never takes more than about a tenth of the director's time (a dump of
 * 40,000 destinations took 4.5 s in an emulated guest).
 */
export const DRIFT_SCAN_GAP_FACTOR = 10;

/** While something drains, its connection counts are read this often. */
const DRAIN_LOOK_MS = 1_000;

export interface DirectorSnapshot {
  desired: DesiredTableResult;
  observed: IpvsTable<ObservedService>;
  /** Wall-clock ms of that dump. */
  observedAtMs: number;
  drains: DrainState;
  owned: ReadonlySet<string>;
}

export class Director {
  private plans: readonly VirtualServerPlan[] | undefined;
  private resolved: ResolvedVirtualServer[] = [];
  /** resolved by id: quorum records ask for one virtual server each, thousands at a start. */
  private byId = new Map<string, ResolvedVirtualServer>();
  private health: HealthTable = {};
  private intent: DirectorIntent = NO_INTENT;
  private quorum: DirectorState = IDLE_DIRECTOR;
  private drains: DrainState = NO_DRAINS;
  /** The servers seen failed in this run and the slowstart ramps under way (none at a start: HAProxy never ramps at startup). */
  private slowStart: SlowStartState = NO_SLOW_START;
  private owned: Set<string>;
  private last: DirectorSnapshot | undefined;
  /** The last pass's desired table: the next one works out again only the virtual servers whose inputs changed. */
  private lastDesired: DesiredTableResult | undefined;
  /** The kernel's table as last read, with the acknowledged writes since (known-table.ts); undefined: read it all. */
  private known: IpvsTable<ObservedService> | undefined;
  /** The last whole read: when it ended (wall clock, and the clock's own ms) and how long it took. */
  private lastRead = { atMs: 0, endedMs: 0, tookMs: 0 };
  private chain: Promise<void> = Promise.resolve();
  /** A drift scan's read under way: the writes acknowledged meanwhile, to replay on what it read. */
  private scan: { journal: { ops: readonly IpvsOp[]; results: readonly IpvsOpResult[] }[] } | undefined;
  /** What the last drift scan read, those writes replayed: the next pass's table. */
  private scanned: IpvsTable<ObservedService> | undefined;
  private timer: TimerHandle | undefined;
  private stopped = false;
  private drainTimeoutMs: number;

  constructor(private readonly options: DirectorOptions) {
    this.owned = options.ownership.owned();
    this.drainTimeoutMs = options.drainTimeoutMs;
  }

  /** The table at start: adopts what matches, corrects what differs, removes what tandem owned and no longer wants. */
  start(plans: readonly VirtualServerPlan[], intent: DirectorIntent, drains: DrainState = NO_DRAINS, notifies: NotifySettings = {}): Promise<void> {
    return this.serially("start", () => {
      this.resolve(plans);
      this.health = initialHealth(this.resolved);
      this.slowStart = NO_SLOW_START;
      this.intent = intent;
      this.drains = drains;
      this.stepQuorum(step(this.quorum, { kind: "start", ...this.view(), rsInitNotifies: notifies.rsInitNotifies ?? false }));
    });
  }

  /**
   * A new configuration; its drain timeout applies to the drains that start from now on (those
   * under way keep their deadline). A kept real server keeps its ramp, at its new slowstart.
   */
  reload(plans: readonly VirtualServerPlan[], settings: ReloadSettings = {}): Promise<void> {
    return this.serially("reload", () => {
      this.drainTimeoutMs = settings.drainTimeoutMs ?? this.drainTimeoutMs;
      const previous = this.resolved;
      const previousHealth = this.health;
      this.resolve(plans);
      this.health = reloadHealth(this.health, this.resolved);
      this.slowStart = afterHealth(keptBy(this.slowStart, this.byId), this.resolved, previousHealth, this.health, this.now());
      this.stepQuorum(step(this.quorum, { kind: "reload", previous, previousHealth, ...this.view(), rsInitNotifies: settings.rsInitNotifies ?? false }));
    });
  }

  /** A checker's verdict (the checkers' port); nothing happens when it changes nothing. */
  reportChecker(target: CheckerTarget, verdict: CheckerVerdict): Promise<void> {
    const next = reportChecker(this.health, target, verdict);
    if (next === undefined) return this.chain;
    return this.serially("check", () => {
      const previous = { health: this.health, intent: this.intent };
      this.health = reportChecker(this.health, target, verdict) ?? this.health;
      const vs = this.byId.get(target.virtualServer);
      if (vs) this.slowStart = afterHealth(this.slowStart, [vs], previous.health, this.health, this.now());
      this.stepQuorum(step(this.quorum, { kind: "health", previous, ...this.view() }));
    });
  }

  setIntent(intent: DirectorIntent): Promise<void> {
    return this.serially("intent", () => {
      const previous = { health: this.health, intent: this.intent };
      this.intent = intent;
      this.stepQuorum(step(this.quorum, { kind: "health", previous, ...this.view() }));
    });
  }

  /**
   * Stop: keepalived's clear_services. With `release` (no -I) tandem's services leave the
   * kernel; without, the table stays serving and the next start adopts it, and nothing is
   * shut down, so nothing is notified either (keepalived skips clear_services under -I).
   * `lvsFlushOnStop` other than "none" skips the real servers' shutdown notifies, as
   * keepalived does.
   */
  stop(release: boolean, lvsFlushOnStop: "none" | "vs" | "full" = "none"): Promise<void> {
    return this.serially("stop", () => {
      if (release) this.stepQuorum(step(this.quorum, { kind: "stop", ...this.view(), lvsFlushOnStop }));
      this.stopped = true;
      this.timer?.cancel();
      return release ? "release" : "keep";
    });
  }

  /** What the last pass saw and asked for, for the API and the status page. */
  snapshot(): DirectorSnapshot | undefined {
    return this.last;
  }

  /** The sum of live weights the quorum is judged on (keepalived's weigh_live_realservers). */
  liveWeight(virtualServer: string): number {
    const vs = this.byId.get(virtualServer);
    const memory = this.quorum.virtualServers[virtualServer];
    return vs && memory ? liveWeightOf(vs, memory.realServers) : 0;
  }

  /** The plans in force after keepalived's corrections, for the status. */
  virtualServers(): readonly ResolvedVirtualServer[] {
    return this.resolved;
  }

  /** One of them by id. */
  virtualServer(id: string): ResolvedVirtualServer | undefined {
    return this.byId.get(id);
  }

  /** The drain state to keep across restarts (the operator-intent store). */
  drainState(): DrainState {
    return this.drains;
  }

  private resolve(plans: readonly VirtualServerPlan[]): void {
    // The plans before: those a reload did not change resolve to the very objects they did (resolve-plan.ts).
    const resolved = resolvePlansOnce(plans, this.plans);
    this.plans = plans;
    for (const note of resolved.notes) this.options.logger.warn(note);
    this.resolved = resolved.virtualServers;
    this.byId = new Map(this.resolved.map((vs) => [vs.id, vs]));
  }

  private view() {
    return { virtualServers: this.resolved, health: this.health, intent: this.intent };
  }

  /** Now on both clocks: where a ramp begins. */
  private now(): { atMs: number; atWallMs: number } {
    return { atMs: this.options.clock.nowMs(), atWallMs: this.options.clock.wallMs() };
  }

  private stepQuorum(next: { state: DirectorState; effects: DirectorEffect[] }): void {
    this.quorum = next.state;
    for (const effect of next.effects) this.options.report({ kind: "quorum", effect });
  }

  /** Runs `change` then one pass, after every earlier one: the table is never written by two passes at once. */
  private serially(cause: PassCause, change?: () => void | "release" | "keep"): Promise<void> {
    const run = async () => {
      if (this.stopped && cause !== "stop") return;
      const outcome = change?.();
      await this.pass(cause, outcome === "release" ? "release" : outcome === "keep" ? "keep" : "desired");
    };
    this.chain = this.chain.then(run, run);
    return this.chain;
  }

  private async pass(cause: PassCause, mode: "desired" | "release" | "keep"): Promise<void> {
    const { kernel, clock, logger } = this.options;
    if (mode === "keep") return;
    this.timer?.cancel();
    const passStartMs = clock.nowMs();
    let readMs = 0;
    const scanned = this.scanned;
    this.scanned = undefined;
    const full = scanned !== undefined || this.known === undefined || FULL_READS.has(cause);
    let observed: IpvsTable<ObservedService>;
    try {
      observed = scanned ?? (full ? await this.readAll() : this.known!);
    } catch (error) {
      return this.unreachable(error as Error);
    }
    readMs += scanned ? this.lastRead.tookMs : clock.nowMs() - passStartMs;
    // The ramps weighed at the pass's start; those over leave, and their servers are at full weight.
    const rampsAtMs = passStartMs;
    this.slowStart = withoutFinished(this.slowStart, this.byId, rampsAtMs);
    const desired =
      mode === "release"
        ? NOTHING_DESIRED
        : desiredTable(this.resolved, this.health, this.intent, this.quorum, this.lastDesired, { ramps: this.slowStart.ramps, nowMs: rampsAtMs });
    // Between full reads, only the services whose desired destinations may have changed, and
    // those draining, can need a write: the others were brought to what they still want by an
    // earlier pass, and the known table has them as that pass left them.
    const scope = full || mode === "release" ? undefined : passScope(desired, this.drains);
    let planned = this.planWrites(desired.table, observed, mode, scope);
    if (!full) {
      // Between full reads: the services about to be written or drained are read first, and
      // the writes planned again on what the kernel has now.
      const keys = servicesToRead(planned.ops, planned.drained.state);
      if (keys.length > 0) {
        const readStartMs = clock.nowMs();
        try {
          observed = withServicesRead(observed, keys, await kernel.dumpServices(keys));
          readMs += clock.nowMs() - readStartMs;
        } catch (error) {
          return this.unreachable(error as Error);
        }
        planned = this.planWrites(desired.table, observed, mode, scope);
      }
    }
    const { drained, ops } = planned;
    this.drains = drained.state;
    for (const effect of drained.effects) this.options.report({ kind: "drain", effect });

    const startedMs = clock.nowMs();
    const results = ops.length > 0 ? await kernel.apply(ops) : [];
    if (ops.length > 0) this.scan?.journal.push({ ops, results });
    const failures = ops.flatMap((op, i) => (results[i]?.ok === false ? [{ op, reason: `${results[i].errno}: ${results[i].reason}` }] : []));
    const planMs = startedMs - passStartMs - readMs;
    if (ops.length > 0) this.options.report({ kind: "applied", cause, ops, failures, durationMs: clock.nowMs() - startedMs, readMs, planMs });
    if (cause === "drift-scan" && ops.length > 0) this.options.report({ kind: "drift-repaired", ops });

    // What the kernel has now: what it had, with the writes it acknowledged. The next full
    // read (the drift scan, or the retry a failure schedules) checks it.
    this.known = tableAfterOps(observed, ops, results);
    this.owned = ownedAfter(
      { owned: this.owned },
      drained.desired,
      ops.filter((_, i) => results[i]?.ok !== false),
    );
    const recorded = this.options.ownership.replace(this.owned, clock.wallMs());
    if (!recorded.ok) logger.error(recorded.reason);
    this.last = { desired, observed: this.known, observedAtMs: this.lastRead.atMs, drains: this.drains, owned: this.owned };
    this.lastDesired = mode === "release" ? undefined : desired;

    if (this.stopped) return;
    // EEXIST, ENOENT, ESRCH: someone else changed the table meanwhile; read it again soon.
    if (failures.length > 0) return this.schedule("retry", this.options.retryMs ?? DEFAULT_RETRY_MS);
    // The next pass: the drift scan (whole table), a drain's deadline, or while something
    // drains a look every second at its connection counts (just those services).
    const nowMs = clock.nowMs();
    const scanAtMs =
      this.options.driftScanMs > 0 && this.scan === undefined
        ? this.lastRead.endedMs + Math.max(this.options.driftScanMs, (this.options.driftScanGapFactor ?? DRIFT_SCAN_GAP_FACTOR) * this.lastRead.tookMs)
        : Infinity;
    const deadlineAtMs = drained.wakeAtMs === undefined ? Infinity : nowMs + Math.max(0, drained.wakeAtMs - clock.wallMs());
    const lookAtMs = this.drains.entries.length > 0 ? nowMs + DRAIN_LOOK_MS : Infinity;
    // A ramp's next step that changes a weight (or its end); however many servers ramp, their
    // steps are applied together at most every SLOW_START_MIN_STEP_MS.
    const stepDueMs = mode === "release" ? undefined : nextSlowStartMs(this.slowStart, this.byId, this.health, rampsAtMs);
    const stepAtMs = stepDueMs === undefined ? Infinity : Math.max(stepDueMs, passStartMs + SLOW_START_MIN_STEP_MS);
    const nextMs = Math.min(scanAtMs, deadlineAtMs, lookAtMs, stepAtMs);
    if (nextMs === Infinity) return;
    this.schedule(nextMs === scanAtMs ? "drift-scan" : nextMs === stepAtMs ? "slow-start" : "drain-timer", Math.max(0, nextMs - nowMs));
  }

  /** The whole table, and when and how long the read took (the drift scan's period follows it). */
  private async readAll(): Promise<IpvsTable<ObservedService>> {
    const { kernel, clock } = this.options;
    const startedMs = clock.nowMs();
    const table = await kernel.dump();
    this.lastRead = { atMs: clock.wallMs(), endedMs: clock.nowMs(), tookMs: clock.nowMs() - startedMs };
    return table;
  }

  private unreachable(error: Error): void {
    this.options.report({ kind: "kernel-unreachable", reason: error.message });
    // Nothing known can be trusted after a failed read: the retry reads the whole table.
    this.known = undefined;
    this.schedule("retry", this.options.retryMs ?? DEFAULT_RETRY_MS);
  }

  /** The drains' step and the writes that take `observed` to the desired table: all of it, or the services in `scope`. */
  private planWrites(desired: IpvsTable, observed: IpvsTable<ObservedService>, mode: "desired" | "release", scope: ReadonlySet<string> | undefined) {
    const wanted = scope ? withinScope(desired, scope) : desired;
    const held = scope ? withinScope(observed, scope) : observed;
    const owned = scope ? new Set([...this.owned].filter((text) => scope.has(text))) : this.owned;
    const drained =
      mode === "release"
        ? { state: NO_DRAINS, desired: wanted, effects: [] as DrainEffect[], wakeAtMs: undefined }
        : stepDrain(this.drains, {
            desired: wanted,
            configured: this.configuredDestinations(scope),
            observed: held,
            owned,
            operatorDrains: this.operatorDrains(scope),
            nowMs: this.options.clock.wallMs(),
            drainTimeoutMs: this.drainTimeoutMs,
          });
    return { drained, ops: reconcile(drained.desired, held, { owned }) };
  }

  private schedule(cause: PassCause, delayMs: number): void {
    const { clock } = this.options;
    this.timer?.cancel();
    this.timer = clock.at(clock.nowMs() + delayMs, () => (cause === "drift-scan" ? this.scanInBackground() : void this.serially(cause)));
  }

  /**
   * The drift scan: the whole table read beside the passes, so that a reload, a check's verdict
   * or a drain never waits behind a read of seconds (a dump of 40,000 destinations took 4 s
   * in an emulated guest, and 20 s with the director busy). The writes acknowledged while it
   * read are replayed on what it read (each is idempotent on a table that has it already),
   * and the compare and any repair take their turn in line as a pass over the whole table.
   */
  private scanInBackground(): void {
    if (this.scan || this.stopped) return;
    const scan: NonNullable<Director["scan"]> = { journal: [] };
    this.scan = scan;
    this.readAll().then(
      (table) =>
        void this.serially("drift-scan", () => {
          this.scanned = scan.journal.reduce((known, { ops, results }) => tableAfterOps(known, ops, results), table);
          this.scan = undefined;
        }),
      (error: Error) => {
        this.scan = undefined;
        this.unreachable(error);
      },
    );
  }

  /** drain.ts keys of every real server the config names, in every service of its virtual server (those in scope). */
  private configuredDestinations(scope: ReadonlySet<string> | undefined): Set<string> {
    const keys = new Set<string>();
    for (const vs of this.resolved) {
      for (const service of vs.services) {
        if (scope && !scope.has(serviceKeyText(service.key))) continue;
        for (const rs of vs.realServers) keys.add(drainKey(service.key, rs));
        // The sorry server leaves at once when quorum is back (ipwrapper.c update_quorum_state deletes it), never drained as if removed from the file.
        if (vs.sorryServer) keys.add(drainKey(service.key, vs.sorryServer));
      }
    }
    return keys;
  }

  /** The operator's drains (virtual server, real server) as the kernel destinations they stand for (those in scope). */
  private operatorDrains(scope: ReadonlySet<string> | undefined): Set<string> {
    const keys = new Set<string>();
    if (this.intent.drained.length === 0) return keys;
    const wanted = drainedKeys(this.intent);
    for (const vs of this.resolved) {
      for (const rs of vs.realServers) {
        if (!wanted.has(operatorDrainKey(vs.id, rs.id))) continue;
        for (const service of vs.services) if (!scope || scope.has(serviceKeyText(service.key))) keys.add(drainKey(service.key, rs));
      }
    }
    return keys;
  }
}

const NOTHING_DESIRED: DesiredTableResult = Object.freeze({
  table: { services: [] },
  virtualServers: [],
  realServers: [],
  notes: [],
  parts: new Map(),
  changedServices: new Set<string>(),
});

/** The services a pass between full reads plans writes for: those whose desired destinations changed, and those with a drain under way. */
function passScope(desired: DesiredTableResult, drains: DrainState): Set<string> {
  const scope = new Set(desired.changedServices);
  for (const entry of drains.entries) scope.add(serviceKeyText(entry.service));
  return scope;
}

function withinScope<S extends IpvsTable["services"][number] | ObservedService>(
  table: { services: readonly S[] },
  scope: ReadonlySet<string>,
): { services: S[] } {
  return { services: table.services.filter((service) => scope.has(serviceKeyText(service.key))) };
}

/** For logs: "add-destination TCP 10.0.0.1:80 -> 10.0.0.2:80". */
export function describeOp(op: IpvsOp): string {
  switch (op.kind) {
    case "add-service":
    case "set-service":
      return `${op.kind} ${serviceKeyText(op.service.key)}`;
    case "delete-service":
      return `${op.kind} ${serviceKeyText(op.key)}`;
    case "add-destination":
    case "set-destination":
    case "delete-destination":
      return `${op.kind} ${drainKey(op.service, op.destination)}`;
  }
}
