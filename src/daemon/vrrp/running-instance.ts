// One running VRRP instance wired to the daemon: the adapter between a VrrpInstance's ports
// and the things that carry them out (its channel, its addresses, its ARP sender), and the
// channel's member for it. It owns the instance's counters: the only place they change.
import type { Clock } from "../../common/clock.ts";
import { formatIpv4 } from "../../common/ipv4.ts";
import type { Logger } from "../../common/logger.ts";
import type { ArpSender } from "../../net/index.ts";
import type { Advert, ReceivedAdvert } from "../../vrrp/advert.ts";
import { countReceived, countRejection, countSent, countTransition, emptyCounters, type VrrpCounters } from "../../vrrp/counters.ts";
import { VrrpInstance, type InstancePorts, type InstanceTransition } from "../../vrrp/instance.ts";
import type { InstancePlan } from "../../vrrp/instance-plan.ts";
import type { Rejection } from "../../vrrp/rejection.ts";
import type { ReceiveExpectation } from "../../vrrp/receive-checks.ts";
import type { ChannelMember, VrrpChannel } from "./vrrp-channel.ts";
import type { VipManager } from "./vip-manager.ts";

/** What the runtime hears from a running instance. */
export interface InstanceListener {
  transition(run: RunningInstance, transition: InstanceTransition): void;
  priorityChanged(run: RunningInstance, from: number, to: number): void;
  otherMaster(run: RunningInstance, peer: number, peerPriority: number): void;
  /** After every step of the machine: its sync group may need to follow. */
  stepped(run: RunningInstance): void;
}

export interface RunningInstanceDeps {
  clock: Clock;
  logger: Logger;
  channel: VrrpChannel;
  vips: VipManager;
  arp: ArpSender;
  listener: InstanceListener;
}

export class RunningInstance implements ChannelMember, InstancePorts {
  readonly instance: VrrpInstance;
  readonly expectation: ReceiveExpectation;
  readonly unicastPeers: readonly number[];
  readonly logger: Logger;
  readonly clock: Clock;
  readonly channel: VrrpChannel;
  readonly vips: VipManager;
  /** Set while stopping with -V: the shutdown must not remove the addresses. */
  keepVips = false;
  /** Last takeover of this instance: last advert heard from the old master -> VIPs installed. */
  lastTakeoverMs: number | undefined;
  private counts: VrrpCounters = emptyCounters();

  constructor(
    /** Replaced on a reload that keeps the instance (same key: trackers and notify may differ). */
    public plan: InstancePlan,
    sourceIp: number,
    private readonly deps: RunningInstanceDeps,
  ) {
    this.logger = deps.logger;
    this.clock = deps.clock;
    this.channel = deps.channel;
    this.vips = deps.vips;
    this.unicastPeers = plan.unicastPeers;
    this.expectation = {
      version: plan.machine.version,
      vrid: plan.machine.vrid,
      advertIntervalCs: plan.machine.advertIntervalCs,
      addresses: plan.advertAddresses,
      auth: plan.auth,
      unicast: plan.unicastPeers.length > 0,
    };
    this.instance = new VrrpInstance(
      { machine: { ...plan.machine, primaryIp: sourceIp }, advertAddresses: plan.advertAddresses, auth: plan.auth, garp: plan.garp },
      this,
    );
  }

  get name(): string {
    return this.plan.name;
  }

  counters(): VrrpCounters {
    return this.counts;
  }

  // ChannelMember: what the channel did with this instance's packets.
  onAdvert(received: ReceivedAdvert): void {
    this.instance.receive(received.sourceIp, received.advert.priority, received.advert.advertIntervalCs);
  }
  onDeaf(reason: string | undefined): void {
    this.instance.setReceiveFault(reason);
  }
  countSent(advert: Advert): void {
    this.counts = countSent(this.counts, advert);
  }
  countReceived(advert: Advert): void {
    this.counts = countReceived(this.counts, advert);
  }
  countRejected(rejection: Rejection): void {
    this.counts = countRejection(this.counts, rejection);
  }

  // InstancePorts: the instance's effects, carried out.
  sendAdvert(advert: Advert): void {
    this.channel.send(this, advert);
  }
  async addVips(): Promise<void> {
    await this.vips.addAll();
  }
  removeVips(): Promise<void> {
    return this.keepVips ? Promise.resolve() : this.vips.removeAll();
  }
  onTransition(transition: InstanceTransition): void {
    this.counts = countTransition(this.counts, transition.from, transition.to);
    this.deps.listener.transition(this, transition);
  }
  onPriorityChanged(from: number, to: number): void {
    this.deps.listener.priorityChanged(this, from, to);
  }
  onOtherMaster(peer: number, peerPriority: number): void {
    this.deps.listener.otherMaster(this, peer, peerPriority);
  }
  afterStep(): void {
    this.deps.listener.stepped(this);
  }

  /** `count` gratuitous ARPs for each address; a failing send gives up on that address for this burst. */
  sendGratuitousArps(count: number): void {
    for (const vip of this.plan.vips) {
      for (let i = 0; i < count; i++) {
        try {
          this.deps.arp.sendGratuitousArp(vip.address);
        } catch (error) {
          this.logger.warn(`gratuitous ARP for ${formatIpv4(vip.address)} failed: ${(error as Error).message}`);
          break;
        }
      }
    }
  }
}
