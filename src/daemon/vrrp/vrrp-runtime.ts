// The running VRRP side of the daemon: builds instances from plans, gives them their
// sockets, addresses and ARP senders, keeps sync groups in step, and applies reloads
// (unchanged instances keep their state; changed ones restart; new ones start).
import type { Clock } from "../../common/clock.ts";
import { formatIpv4 } from "../../common/ipv4.ts";
import type { Logger } from "../../common/logger.ts";
import type { ArpSender, NetworkPorts } from "../../net/index.ts";
import type { VrrpCounters } from "../../vrrp/counters.ts";
import type { VrrpInstance, InstanceTransition } from "../../vrrp/instance.ts";
import type { Machine, VrrpState } from "../../vrrp/machine.ts";
import type { TrackerStatus } from "../../vrrp/track.ts";
import { SyncGroupDriver } from "../../vrrp/sync-group.ts";
import type { InstancePlan, RuntimePlan, SyncGroupPlan } from "../../vrrp/instance-plan.ts";
import type { CarriedScript } from "../scripts/script-scheduler.ts";
import type { Tracking, TrackerEvent } from "./tracking.ts";
import { LinkWatch } from "./link-watch.ts";
import { VipManager } from "./vip-manager.ts";
import { ReportOrder } from "./report-order.ts";
import { RunningInstance, type InstanceListener } from "./running-instance.ts";
import { VrrpChannel } from "./vrrp-channel.ts";

/** Everything the daemon reports about what happens (history, API and notify hang off this). */
export type RuntimeEvent =
  /** For MASTER, reported once the VIPs are installed, with the measured takeover time. */
  | { kind: "transition"; plan: InstancePlan; transition: InstanceTransition; takeoverMs?: number }
  | { kind: "group-transition"; group: SyncGroupPlan; from: VrrpState; to: VrrpState }
  | { kind: "priority"; plan: InstancePlan; from: number; to: number }
  | { kind: "other-master"; plan: InstancePlan; peer: number; peerPriority: number; ourPriority: number }
  | { kind: "tracker"; event: TrackerEvent }
  /** A reload removed the instance (after it stopped): keepalived's DELETED/FAULT notify. State and priority from before the stop. */
  | { kind: "removed"; plan: InstancePlan; lastState: VrrpState; effectivePriority: number };

/** Bounded record of measured takeovers, for the API's histogram. */
const TAKEOVERS_KEPT = 1000;

export interface RuntimeDeps {
  clock: Clock;
  logger: Logger;
  net: NetworkPorts;
  /** Creates the trackers for a set of plans (scripts, files, interfaces). */
  /** `previous`: at a reload, the scripts' counters of the tracking before it. */
  createTracking(
    plans: readonly InstancePlan[],
    instanceOf: (name: string) => VrrpInstance | undefined,
    previous?: ReadonlyMap<string, CarriedScript>,
  ): Tracking;
  onEvent(event: RuntimeEvent): void;
  /** -V: leave addresses in place on stop. */
  keepVipsOnStop: boolean;
}

/** One instance as the status reads it. */
export interface InstanceReading {
  readonly plan: InstancePlan;
  machine(): Machine;
  trackers(): TrackerStatus[];
  counters(): VrrpCounters;
  readonly lastTakeoverMs: number | undefined;
}

/** One VRRP socket as the status reads it: what it dropped that no instance counts. */
export interface ChannelReading {
  interfaceName: string;
  sourceIp: number;
  hearing: boolean;
  foreignPackets: number;
  malformedPackets: number;
  receiveFailures: number;
  reopens: number;
}

/** What the status and the views may read of the runtime; nothing they could change. */
export interface RuntimeReader {
  instances(): readonly InstanceReading[];
  channels(): readonly ChannelReading[];
  groupStates(): { plan: SyncGroupPlan; state: VrrpState }[];
  takeoverDurationsMs(): readonly number[];
  lastSplitBrain(): { instance: string; peer: number; atWallMs: number } | undefined;
}

export class VrrpRuntime implements RuntimeReader, InstanceListener {
  private readonly running = new Map<string, RunningInstance>();
  private readonly groups = new Map<string, SyncGroupDriver>();
  private readonly channelsByKey = new Map<string, VrrpChannel>();
  private readonly arpSenders = new Map<string, ArpSender>();
  private tracking: Tracking | undefined;
  /** Links as they are now: trackers (at start and on every reload) start from them. */
  private linkWatch: LinkWatch | undefined;
  private plan: RuntimePlan = { instances: [], syncGroups: [], notes: [] };
  private releaseOnStop = true;
  private readonly takeovers: number[] = [];
  /** The hold at start (start-hold.ts), for instances running and instances a reload adds. */
  private holdUntilMs: number | undefined;
  private splitBrain: { instance: string; peer: number; atWallMs: number } | undefined;
  private readonly order = new ReportOrder();
  /**
   * While stopping: each group's change, held until every instance has said STOP, and then
   * one (first from, last to): its members stop one by one, and it has no state in between.
   */
  private heldGroupReports: Map<string, { group: SyncGroupPlan; from: VrrpState; to: VrrpState }> | undefined;

  constructor(private readonly deps: RuntimeDeps) {
    this.releaseOnStop = !deps.keepVipsOnStop;
  }

  /** Start every instance of the plan. Instances whose interface is unusable are logged and skipped. */
  async start(plan: RuntimePlan): Promise<void> {
    const { net, clock, logger } = this.deps;
    this.linkWatch = new LinkWatch(net, clock, logger.child("links"), (link, up) => this.tracking?.onLink(link, up));
    await this.linkWatch.start();
    await this.apply(plan);
  }

  instances(): readonly InstanceReading[] {
    return [...this.running.values()].map((run) => ({
      plan: run.plan,
      machine: () => run.instance.snapshot(),
      trackers: () => run.instance.trackerStatuses(),
      counters: () => run.counters(),
      lastTakeoverMs: run.lastTakeoverMs,
    }));
  }

  channels(): readonly ChannelReading[] {
    return [...this.channelsByKey.values()].map((c) => ({
      interfaceName: c.interfaceName,
      sourceIp: c.sourceIp,
      hearing: c.hearing,
      foreignPackets: c.foreignPackets,
      malformedPackets: c.malformedPackets,
      receiveFailures: c.receiveFailures,
      reopens: c.reopens,
    }));
  }

  /**
   * The instances are held at start until then (undefined: no longer). A reload neither arms
   * nor ends it: an instance it adds or restarts meanwhile is held to the same end, as
   * keepalived's vrrp_delayed_start_time outlives a reload.
   */
  setHold(untilMs: number | undefined): void {
    this.holdUntilMs = untilMs;
    for (const run of this.running.values()) run.instance.setHold(untilMs);
  }

  /** Re-evaluate an instance whose maintenance flag changed; false if there is no such instance. */
  maintenanceChanged(name: string): boolean {
    if (!this.running.has(name)) return false;
    this.tracking?.refreshInstance(name);
    return true;
  }

  takeoverDurationsMs(): readonly number[] {
    return this.takeovers;
  }

  lastSplitBrain(): { instance: string; peer: number; atWallMs: number } | undefined {
    return this.splitBrain;
  }

  groupStates(): { plan: SyncGroupPlan; state: VrrpState }[] {
    return this.plan.syncGroups.map((g) => ({ plan: g, state: this.groups.get(g.name)?.state() ?? "INIT" }));
  }

  /** Move to a new plan (start or reload). */
  async apply(next: RuntimePlan): Promise<void> {
    const log = this.deps.logger;
    for (const note of next.notes) log.info(note);
    const nextByName = new Map(next.instances.map((p) => [p.name, p]));

    // Stop what disappeared or changed, before starting replacements that may reuse its VRID.
    for (const [name, run] of [...this.running]) {
      const replacement = nextByName.get(name);
      if (replacement && replacement.key === run.plan.key) continue;
      log.info(`${name}: ${replacement ? "configuration changed; restarting the instance" : "removed from the configuration; stopping it"}`);
      const last = run.instance.snapshot();
      await this.stopInstance(run, true);
      if (!replacement)
        this.report(run, undefined, () =>
          this.deps.onEvent({ kind: "removed", plan: run.plan, lastState: last.state, effectivePriority: last.effectivePriority }),
        );
    }

    this.plan = next;
    this.rebuildGroups(next.syncGroups);
    const oldTracking = this.tracking;
    this.tracking = undefined;
    await oldTracking?.stop();

    const created: RunningInstance[] = [];
    for (const plan of next.instances) {
      const kept = this.running.get(plan.name);
      if (kept) {
        kept.plan = plan; // same key: only trackers and notify commands may differ
        continue;
      }
      const run = await this.createInstance(plan);
      if (run) created.push(run);
    }
    for (const run of this.running.values()) this.groups.get(run.plan.syncGroup ?? "")?.add(run.instance);

    // Trackers report their first results before new instances start, as keepalived waits
    // for its scripts: an instance must not become master on a check that is about to fail.
    const tracking = this.deps.createTracking(next.instances, (name) => this.running.get(name)?.instance, oldTracking?.carriedScripts());
    this.tracking = tracking;
    await tracking.start(this.linkWatch?.links() ?? []);
    this.announceNewGroups(created);
    for (const run of created) run.instance.start();
    for (const group of this.groups.values()) group.reconcile();
  }

  /** Graceful stop: priority 0 from every master, addresses removed (unless -V). */
  async stop(): Promise<void> {
    await this.tracking?.stop();
    this.tracking = undefined;
    // keepalived notify_shutdown: every instance's STOP, then every group's.
    this.heldGroupReports = new Map();
    const stopping = [...this.running.values()].map((run) => this.stopInstance(run, this.releaseOnStop));
    const held = this.heldGroupReports;
    this.heldGroupReports = undefined;
    for (const { group, from, to } of held.values()) if (from !== to) this.groupTransition(group, from, to);
    await Promise.all(stopping);
    for (const channel of this.channelsByKey.values()) channel.close();
    this.channelsByKey.clear();
    for (const sender of this.arpSenders.values()) sender.close();
    this.arpSenders.clear();
    this.linkWatch?.close();
    this.linkWatch = undefined;
  }

  private rebuildGroups(plans: readonly SyncGroupPlan[]): void {
    const previous = new Map(this.groups);
    this.groups.clear();
    for (const group of plans) {
      // Same members as before the reload: carry the state over, so no group notify runs again.
      const old = previous.get(group.name);
      const kept = group.members.filter((m) => this.running.has(m)).sort();
      const same = old !== undefined && old.memberNames().sort().join("|") === kept.join("|");
      this.groups.set(group.name, new SyncGroupDriver(group.name, (from, to) => this.groupTransition(group, from, to), same ? old.state() : "INIT"));
    }
  }

  /** keepalived vrrp_init_state: new groups whose members wait on no vrrp_script say BACKUP (or FAULT) before those start. */
  private announceNewGroups(created: readonly RunningInstance[]): void {
    const fresh = new Set(created);
    for (const [name, driver] of this.groups) {
      const members = [...this.running.values()].filter((run) => run.plan.syncGroup === name);
      if (members.length === 0 || !members.every((run) => fresh.has(run))) continue;
      if (members.some((run) => run.plan.scripts.length > 0)) continue;
      driver.announce(members.some((run) => run.instance.view().ownFault) ? "FAULT" : "BACKUP");
    }
  }

  /**
   * A group's report comes after its members' (keepalived notifies the instances first), and
   * for MASTER once their VIPs are in; in the order the group changed.
   */
  private groupTransition(group: SyncGroupPlan, from: VrrpState, to: VrrpState): void {
    const held = this.heldGroupReports;
    if (held) {
      held.set(group.name, { group, from: held.get(group.name)?.from ?? from, to });
      return;
    }
    const members = [...this.running.values()].filter((run) => run.plan.syncGroup === group.name);
    const waits = [
      ...members.map((run) => this.order.waiting(`INSTANCE ${run.name}`)),
      ...(to === "MASTER" ? members.map((run) => run.instance.settled()) : []),
    ];
    this.order.report(`GROUP ${group.name}`, waits, () => this.deps.onEvent({ kind: "group-transition", group, from, to }));
  }

  /** An instance's reports keep the order things happened in (report-order.ts); a MASTER waits for its VIPs. */
  private report(run: RunningInstance, settling: Promise<void> | undefined, deliver: () => void): void {
    this.order.report(`INSTANCE ${run.name}`, [settling], deliver);
  }

  private async createInstance(plan: InstancePlan): Promise<RunningInstance | undefined> {
    const log = this.deps.logger.child(plan.name);
    const { net, clock } = this.deps;
    let sourceIp = plan.sourceIp;
    try {
      sourceIp ??= await net.rtnetlink.primaryIpv4(plan.interfaceName);
    } catch (error) {
      log.error(`cannot read the addresses of ${plan.interfaceName}: ${(error as Error).message}; instance not started`);
      return undefined;
    }
    if (sourceIp === undefined) {
      log.error(`interface ${plan.interfaceName} has no IPv4 address to send adverts from (set one, or unicast_src_ip/mcast_src_ip); instance not started`);
      return undefined;
    }
    let channel: VrrpChannel;
    let arp: ArpSender;
    try {
      channel = await this.channelFor(plan, sourceIp);
      arp = await this.arpSenderFor(plan.interfaceName);
    } catch (error) {
      log.error(`cannot open the network side on ${plan.interfaceName}: ${(error as Error).message}; instance not started`);
      return undefined;
    }

    const vips = new VipManager(plan.vips, plan.interfaceName, net.rtnetlink, log);
    await vips.removeStale(new Set([sourceIp]));
    const run = new RunningInstance(plan, sourceIp, { clock, logger: log, channel, vips, arp, listener: this, holdUntilMs: this.holdUntilMs });
    channel.add(run);
    this.running.set(plan.name, run);
    log.info(
      `VRRPv${plan.machine.version} VRID ${plan.machine.vrid} on ${plan.interfaceName}, priority ${plan.machine.basePriority}, source ${formatIpv4(sourceIp)}${plan.unicastPeers.length ? `, unicast to ${plan.unicastPeers.map(formatIpv4).join(" ")}` : ""}`,
    );
    return run;
  }

  // InstanceListener: what the running instances report.
  priorityChanged(run: RunningInstance, from: number, to: number): void {
    const plan = run.plan;
    this.report(run, undefined, () => this.deps.onEvent({ kind: "priority", plan, from, to }));
  }

  otherMaster(run: RunningInstance, peer: number, peerPriority: number): void {
    this.splitBrain = { instance: run.name, peer, atWallMs: this.deps.clock.wallMs() };
    const plan = run.plan;
    const ourPriority = run.instance.snapshot().effectivePriority;
    this.report(run, undefined, () => this.deps.onEvent({ kind: "other-master", plan, peer, peerPriority, ourPriority }));
  }

  stepped(run: RunningInstance): void {
    if (run.plan.syncGroup) this.groups.get(run.plan.syncGroup)?.reconcile();
  }

  /**
   * A MASTER transition is reported once the VIPs are in place, with the takeover time:
   * the last advert heard from the old master -> our addresses installed.
   */
  transition(run: RunningInstance, transition: InstanceTransition): void {
    const plan = run.plan;
    if (transition.to !== "MASTER") return this.report(run, undefined, () => this.deps.onEvent({ kind: "transition", plan, transition }));
    this.report(run, run.instance.settled(), () => {
      const heard = transition.reason.lastAdvertHeardMs;
      const takeoverMs = heard === undefined ? undefined : this.deps.clock.nowMs() - heard;
      if (takeoverMs !== undefined) {
        run.lastTakeoverMs = takeoverMs;
        this.takeovers.push(takeoverMs);
        if (this.takeovers.length > TAKEOVERS_KEPT) this.takeovers.shift();
      }
      this.deps.onEvent({ kind: "transition", plan, transition, takeoverMs });
    });
  }

  private async stopInstance(run: RunningInstance, releaseVips: boolean): Promise<void> {
    // -V: still tell the peers we are leaving (priority 0), but keep the addresses.
    run.keepVips = !releaseVips;
    await run.instance.shutdown();
    run.channel.remove(run);
    this.running.delete(run.plan.name);
    const key = channelKey(run.plan.interfaceName, run.channel.sourceIp);
    if (run.channel.memberCount === 0 && this.channelsByKey.get(key) === run.channel) {
      run.channel.close();
      this.channelsByKey.delete(key);
    }
  }

  private async channelFor(plan: InstancePlan, sourceIp: number): Promise<VrrpChannel> {
    const key = channelKey(plan.interfaceName, sourceIp);
    const existing = this.channelsByKey.get(key);
    if (existing) return existing;
    // One socket per interface and source: it joins the multicast group when any instance
    // on it is multicast (a unicast-only socket still receives unicast adverts).
    const multicast = this.plan.instances.some((p) => p.interfaceName === plan.interfaceName && p.unicastPeers.length === 0);
    const channel = await VrrpChannel.open(this.deps.net, plan.interfaceName, sourceIp, multicast, this.deps.clock, this.deps.logger.child(plan.interfaceName));
    this.channelsByKey.set(key, channel);
    return channel;
  }

  private async arpSenderFor(interfaceName: string): Promise<ArpSender> {
    let sender = this.arpSenders.get(interfaceName);
    if (!sender) {
      sender = await this.deps.net.openArpSender(interfaceName);
      this.arpSenders.set(interfaceName, sender);
    }
    return sender;
  }
}

function channelKey(interfaceName: string, sourceIp: number): string {
  return `${interfaceName}|${sourceIp}`;
}
