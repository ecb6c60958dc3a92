// Drives one VRRP machine: feeds it inputs, performs its effects through ports, keeps
// its timer armed, runs the gratuitous ARP schedule and folds tracker states into
// priority/fault inputs. All I/O goes through InstancePorts, so tests use fakes.
import type { Clock, TimerHandle } from "../common/clock.ts";
import type { Logger } from "../common/logger.ts";
import { AUTH_NONE, AUTH_SIMPLE_TEXT, type Advert } from "./advert.ts";
import {
  createMachine,
  nextWakeMs,
  step,
  type Effect,
  type Input,
  type Machine,
  type MachineConfig,
  type TransitionReason,
  type VrrpState,
} from "./machine.ts";
import type { MemberView, SyncMember } from "./sync-group.ts";
import { effectivePriority, type TrackerStatus } from "./track.ts";

export interface GarpSchedule {
  /** vrrp_garp_master_delay: the second burst comes this long after becoming master (0 = none). */
  delayMs: number;
  /** vrrp_garp_master_repeat: ARPs per burst. */
  repeat: number;
  /** vrrp_garp_master_refresh: periodic bursts while master (0 = off). */
  refreshMs: number;
  refreshRepeat: number;
}

export interface InstanceConfig {
  machine: MachineConfig;
  /** Addresses carried in adverts (virtual_ipaddress, not the _excluded ones). */
  advertAddresses: number[];
  auth: { type: "PASS"; password: string } | undefined;
  garp: GarpSchedule;
}

export interface InstanceTransition {
  instance: string;
  from: VrrpState;
  to: VrrpState;
  reason: TransitionReason;
  effectivePriority: number;
  atMs: number;
}

export interface InstancePorts {
  clock: Clock;
  logger: Logger;
  sendAdvert(advert: Advert): void;
  /** Install / remove this instance's addresses. Failures are the port's to log. */
  addVips(): Promise<void>;
  removeVips(): Promise<void>;
  sendGratuitousArps(count: number): void;
  onTransition(transition: InstanceTransition): void;
  /** Another master heard while we are master (split brain), and priority changes. */
  onOtherMaster?(sourceIp: number, priority: number): void;
  onPriorityChanged?(from: number, to: number): void;
  /** After every step: lets a sync group reconcile. */
  afterStep?(): void;
}

export class VrrpInstance implements SyncMember {
  private machine: Machine;
  private timer: { atMs: number; handle: TimerHandle } | undefined;
  private garpTimers: TimerHandle[] = [];
  private trackers = new Map<string, TrackerStatus>();
  /** Set while the instance's socket cannot receive: it must not act on silence it cannot hear. */
  private receiveFault: TrackerStatus | undefined;
  /** VIP operations run strictly in order (an add must finish before a later remove). */
  private vipChain: Promise<void> = Promise.resolve();
  private readonly authData: Uint8Array;

  /** `holdUntilMs`: held at start until then (vrrp_startup_delay, the director gate; start-hold.ts). */
  constructor(
    readonly config: InstanceConfig,
    private readonly ports: InstancePorts,
    holdUntilMs?: number,
  ) {
    this.machine = createMachine(config.machine, ports.clock.nowMs(), holdUntilMs);
    this.authData = new Uint8Array(8);
    if (config.auth) this.authData.set(new TextEncoder().encode(config.auth.password).subarray(0, 8));
  }

  get name(): string {
    return this.config.machine.name;
  }

  snapshot(): Machine {
    return this.machine;
  }

  /** The tracked objects, and the receive socket while it is failed. */
  trackerStatuses(): TrackerStatus[] {
    const statuses = [...this.trackers.values()];
    return this.receiveFault ? [...statuses, this.receiveFault] : statuses;
  }

  view(): MemberView {
    return { name: this.name, state: this.machine.state, wantState: this.machine.wantState, ownFault: this.machine.faultReasons.length > 0 };
  }

  start(): void {
    this.dispatch({ kind: "start" });
  }

  /** A validated advert for this VRID from another router. */
  receive(sourceIp: number, priority: number, advertIntervalCs: number): void {
    this.dispatch({ kind: "advert", sourceIp, priority, advertIntervalCs });
  }

  force(state: "MASTER" | "BACKUP" | "FAULT", detail: string): void {
    this.dispatch({ kind: "force", state, detail });
  }

  /** The hold at start ends at another time (undefined: now). */
  setHold(untilMs: number | undefined): void {
    this.dispatch({ kind: "hold", untilMs });
  }

  /** Replace the whole set of tracked objects at once (start, reload): one recomputation. */
  setTrackers(statuses: readonly TrackerStatus[]): void {
    this.trackers = new Map(statuses.map((s) => [trackerKey(s), s]));
    this.applyTrackers();
  }

  /**
   * The socket cannot receive adverts (why), or can again (undefined). A backup that cannot
   * hear the master would take over when its timer runs out: FAULT releases the VIPs instead.
   */
  setReceiveFault(reason: string | undefined): void {
    this.receiveFault = reason === undefined ? undefined : { kind: "receive", name: "socket", healthy: false, contribution: 0, fault: true, detail: reason };
    this.applyTrackers();
  }

  /** Graceful stop: priority-0 advert if master, addresses removed. Resolves when done. */
  async shutdown(): Promise<void> {
    this.dispatch({ kind: "shutdown" });
    this.cancelTimer();
    await this.vipChain;
  }

  /** Wait for queued address operations (tests and shutdown ordering). */
  settled(): Promise<void> {
    return this.vipChain;
  }

  private applyTrackers(): void {
    const statuses = this.trackerStatuses();
    const result = effectivePriority(this.config.machine.basePriority, statuses);
    const reasons = result.faults.map((t) => `${t.kind} ${t.name} ${t.detail}`);
    const current = this.machine.faultReasons;
    if (reasons.length !== current.length || reasons.some((r, i) => r !== current[i])) this.dispatch({ kind: "fault", reasons });
    if (result.effectivePriority !== this.machine.effectivePriority) this.dispatch({ kind: "priority", effectivePriority: result.effectivePriority });
  }

  private dispatch(input: Input): void {
    const now = this.ports.clock.nowMs();
    const { machine, effects } = step(this.machine, input, now);
    this.machine = machine;
    for (const effect of effects) this.perform(effect, now);
    this.rearm();
    this.ports.afterStep?.();
  }

  private perform(effect: Effect, now: number): void {
    const log = this.ports.logger;
    switch (effect.kind) {
      case "sendAdvert":
        this.ports.sendAdvert(this.buildAdvert(effect.priority));
        return;
      case "addVips":
        this.vipChain = this.vipChain.then(() => this.ports.addVips());
        return;
      case "removeVips":
        this.cancelGarps();
        this.vipChain = this.vipChain.then(() => this.ports.removeVips());
        return;
      case "announce":
        this.startGarpSchedule();
        return;
      case "transition":
        log.info(`${effect.from} -> ${effect.to}: ${effect.reason.detail}`);
        this.ports.onTransition({
          instance: this.name,
          from: effect.from,
          to: effect.to,
          reason: effect.reason,
          effectivePriority: this.machine.effectivePriority,
          atMs: now,
        });
        return;
      case "wantMaster":
        return;
      case "otherMaster":
        this.ports.onOtherMaster?.(effect.sourceIp, effect.priority);
        return;
      case "priorityChanged":
        log.info(`effective priority ${effect.from} -> ${effect.to}`);
        this.ports.onPriorityChanged?.(effect.from, effect.to);
        return;
      case "note":
        if (effect.level === "warn") log.warn(effect.message);
        else log.info(effect.message);
        return;
    }
  }

  private buildAdvert(priority: number): Advert {
    const auth = this.config.auth !== undefined && this.config.machine.version === 2;
    return {
      version: this.config.machine.version,
      vrid: this.config.machine.vrid,
      priority,
      advertIntervalCs: this.config.machine.advertIntervalCs,
      addresses: this.config.advertAddresses,
      authType: auth ? AUTH_SIMPLE_TEXT : AUTH_NONE,
      authData: auth ? this.authData : new Uint8Array(8),
    };
  }

  /** keepalived: a burst now (after the addresses are in place), another after the delay, then refreshes. */
  private startGarpSchedule(): void {
    this.cancelGarps();
    const { delayMs, repeat, refreshMs, refreshRepeat } = this.config.garp;
    const burst = (count: number) => {
      if (this.machine.state === "MASTER") this.ports.sendGratuitousArps(count);
    };
    this.vipChain = this.vipChain.then(() => burst(repeat));
    const clock = this.ports.clock;
    const start = clock.nowMs();
    if (delayMs > 0) this.garpTimers.push(clock.at(start + delayMs, () => burst(repeat)));
    if (refreshMs > 0) {
      const refresh = (at: number) => {
        this.garpTimers.push(
          clock.at(at, () => {
            burst(refreshRepeat);
            if (this.machine.state === "MASTER") refresh(at + refreshMs);
          }),
        );
      };
      refresh(start + delayMs + refreshMs);
    }
  }

  private cancelGarps(): void {
    for (const t of this.garpTimers) t.cancel();
    this.garpTimers = [];
  }

  private rearm(): void {
    const wake = nextWakeMs(this.machine);
    if (this.timer && this.timer.atMs === wake) return;
    this.cancelTimer();
    if (wake === undefined) return;
    this.timer = { atMs: wake, handle: this.ports.clock.at(wake, () => this.onTimer()) };
  }

  private onTimer(): void {
    this.timer = undefined;
    this.dispatch({ kind: "timer" });
  }

  private cancelTimer(): void {
    this.timer?.handle.cancel();
    this.timer = undefined;
  }
}

function trackerKey(status: TrackerStatus): string {
  return `${status.kind}:${status.name}`;
}
