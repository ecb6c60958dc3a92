// An in-memory LAN for VRRP scenario tests: routers running VrrpInstances over a
// FakeClock, adverts delivered after a small latency to every other connected router.
import { FakeClock } from "../../../../src/common/clock.ts";
import { formatIpv4, parseIpv4 } from "../../../../src/common/ipv4.ts";
import { memoryLogger } from "../../../../src/common/logger.ts";
import type { Advert } from "../../../../src/vrrp/advert.ts";
import { VrrpInstance, type InstanceConfig, type InstanceTransition } from "../../../../src/vrrp/instance.ts";
import type { MachineConfig, TransitionReason } from "../../../../src/vrrp/machine.ts";
import { SyncGroupDriver } from "../../../../src/vrrp/sync-group.ts";

export const LATENCY_MS = 0.2;

export interface SentAdvert {
  atMs: number;
  router: string;
  advert: Advert;
}

export interface LanEvent {
  atMs: number;
  router: string;
  instance: string;
  what: string;
  /** Transitions only: the machine's reason, as the instance reported it. */
  reason?: TransitionReason;
}

export class Lan {
  readonly clock = new FakeClock();
  readonly routers = new Map<string, Router>();
  readonly adverts: SentAdvert[] = [];
  readonly events: LanEvent[] = [];
  /** Pairs of routers that cannot hear each other ("a|b"). */
  private cuts = new Set<string>();

  router(name: string, ip: string): Router {
    const router = new Router(this, name, parseIpv4(ip)!);
    this.routers.set(name, router);
    return router;
  }

  cut(a: string, b: string): void {
    this.cuts.add([a, b].sort().join("|"));
  }

  heal(): void {
    this.cuts.clear();
  }

  canHear(from: string, to: string): boolean {
    return !this.cuts.has([from, to].sort().join("|"));
  }

  deliver(from: Router, advert: Advert): void {
    this.adverts.push({ atMs: this.clock.nowMs(), router: from.name, advert });
    for (const to of this.routers.values()) {
      if (to === from || !to.alive || !this.canHear(from.name, to.name)) continue;
      this.clock.at(this.clock.nowMs() + LATENCY_MS, () => to.receive(from.ip, advert));
    }
  }

  /** Advance time to `ms` from now, letting promise chains (VIP operations) settle between timers. */
  async runFor(ms: number): Promise<void> {
    const end = this.clock.nowMs() + ms;
    await settle();
    for (;;) {
      const due = this.clock.nextDueMs();
      if (due === undefined || due > end) break;
      this.clock.advanceTo(due);
      await settle();
    }
    this.clock.advanceTo(end);
    await settle();
  }

  /** Routers holding the VIPs of the named instance. */
  holders(instance: string): string[] {
    return [...this.routers.values()].filter((r) => r.alive && r.vipsHeld.has(instance)).map((r) => r.name);
  }

  transitions(router?: string): LanEvent[] {
    return this.events.filter((e) => e.what.startsWith("->") && (router === undefined || e.router === router));
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

export interface InstanceSpec extends Partial<MachineConfig> {
  name: string;
  vrid: number;
  basePriority: number;
  vips?: string[];
  group?: string;
}

export class Router {
  alive = true;
  readonly instances = new Map<string, VrrpInstance>();
  readonly vipsHeld = new Set<string>();
  readonly garps: { atMs: number; instance: string; count: number }[] = [];
  readonly logger = memoryLogger();
  readonly groups = new Map<string, SyncGroupDriver>();

  constructor(
    private readonly lan: Lan,
    readonly name: string,
    readonly ip: number,
  ) {}

  add(spec: InstanceSpec): VrrpInstance {
    const machine: MachineConfig = {
      version: 2,
      advertIntervalCs: 100,
      initialState: "BACKUP",
      preempt: true,
      preemptDelayMs: 0,
      fastPreempt: true,
      primaryIp: this.ip,
      inSyncGroup: spec.group !== undefined,
      ...spec,
    };
    const config: InstanceConfig = {
      machine,
      advertAddresses: (spec.vips ?? ["10.0.0.100"]).map((v) => parseIpv4(v)!),
      auth: undefined,
      garp: { delayMs: 5000, repeat: 5, refreshMs: 0, refreshRepeat: 1 },
    };
    const group = spec.group ? this.group(spec.group) : undefined;
    const name = spec.name;
    const instance = new VrrpInstance(config, {
      clock: this.lan.clock,
      logger: this.logger.child(`${this.name}/${name}`),
      sendAdvert: (advert) => {
        if (this.alive) this.lan.deliver(this, advert);
      },
      addVips: async () => {
        this.vipsHeld.add(name);
        this.record(name, "vips added");
      },
      removeVips: async () => {
        this.vipsHeld.delete(name);
        this.record(name, "vips removed");
      },
      sendGratuitousArps: (count) => {
        if (this.alive) this.garps.push({ atMs: this.lan.clock.nowMs(), instance: name, count });
      },
      onTransition: (t: InstanceTransition) => this.record(name, `-> ${t.to} (${t.reason.cause})`, t.reason),
      afterStep: () => group?.reconcile(),
    });
    group?.add(instance);
    this.instances.set(name, instance);
    return instance;
  }

  private group(name: string): SyncGroupDriver {
    let group = this.groups.get(name);
    if (!group) {
      group = new SyncGroupDriver(name, (from, to) => this.record(name, `group ${from} -> ${to}`));
      this.groups.set(name, group);
    }
    return group;
  }

  instance(name: string): VrrpInstance {
    const i = this.instances.get(name);
    if (!i) throw new Error(`no instance ${name} on ${this.name}`);
    return i;
  }

  state(name: string): string {
    return this.instance(name).snapshot().state;
  }

  startAll(): void {
    for (const i of this.instances.values()) i.start();
  }

  receive(sourceIp: number, advert: Advert): void {
    if (!this.alive) return;
    for (const instance of this.instances.values()) {
      if (instance.config.machine.vrid === advert.vrid) instance.receive(sourceIp, advert.priority, advert.advertIntervalCs);
    }
  }

  /** kill -9: silence, no priority 0, VIPs left as they were (but the box is gone). */
  crash(): void {
    this.alive = false;
    for (const i of this.instances.values()) i.snapshot();
  }

  record(instance: string, what: string, reason?: TransitionReason): void {
    this.lan.events.push({ atMs: this.lan.clock.nowMs(), router: this.name, instance, what, ...(reason ? { reason } : {}) });
  }

  toString(): string {
    return `${this.name}(${formatIpv4(this.ip)})`;
  }
}
