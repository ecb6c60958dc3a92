// In-memory ApiPorts for API and status-page tests: box A of the seed's dual-master pair
// (master of VI_1 / .41, backup of VI_2 / .51), with a history, live subscribers, and
// methods to fail over, yield, change trackers, and publish events.
import { FakeClock } from "../../../src/common/clock.ts";
import type { ActionResult, ApiPorts, DaemonView, GroupView, InstanceView, IpvsView, SocketView, ValidationAnswer } from "../../../src/api/ports.ts";
import type { EventFilter, EventQueryResult, HistoryHealth, NewEvent, TandemEvent } from "../../../src/store/event.ts";
import { emptyCounters } from "../../../src/vrrp/counters.ts";

/** Wall clock of the fake at start (FakeClock's epoch): 2027-01-15T08:00:00Z. */
export const SEED_WALL_MS = 1_800_000_000_000;
export const TOKEN = "s3cret-token";
export const PEER = "10.99.0.12";

/** An event history with the store's filter, order and cursor semantics, in memory. */
export class FakeEventLog {
  readonly events: TandemEvent[] = [];
  private readonly listeners = new Set<(event: TandemEvent) => void>();
  queries: EventFilter[] = [];

  append(event: NewEvent): TandemEvent {
    const stored = { ...event, id: (this.events.at(-1)?.id ?? 0) + 1 } as TandemEvent;
    this.events.push(stored);
    for (const listener of [...this.listeners]) listener(stored);
    return stored;
  }

  query(filter: EventFilter): EventQueryResult {
    this.queries.push(filter);
    const order = filter.order ?? "desc";
    let after: number | undefined;
    if (filter.cursor !== undefined) {
      const match = /^c(\d+)$/.exec(filter.cursor);
      if (!match) return { ok: false, error: "bad-cursor", detail: `cursor "${filter.cursor}" was not issued by this history` };
      after = Number(match[1]);
    }
    const matching = this.events
      .filter((e) => (filter.sinceMs === undefined || e.atMs >= filter.sinceMs) && (filter.untilMs === undefined || e.atMs <= filter.untilMs))
      .filter((e) => (!filter.kinds || filter.kinds.includes(e.kind)) && (filter.instance === undefined || e.instance === filter.instance))
      .filter((e) => after === undefined || (order === "asc" ? e.id > after : e.id < after));
    if (order === "desc") matching.reverse();
    const limit = filter.limit ?? 100;
    const events = matching.slice(0, limit);
    return { ok: true, page: matching.length > limit ? { events, nextCursor: `c${events.at(-1)!.id}` } : { events } };
  }

  subscribe(listener: (event: TandemEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }
}

function seedInstance(name: string, vrid: number, vip: string, state: "MASTER" | "BACKUP", priority: number, sinceMs: number): InstanceView {
  return {
    name,
    vrid,
    interface: "eth0",
    version: 2,
    state,
    basePriority: priority,
    effectivePriority: priority,
    vips: [vip],
    excludedVips: [],
    advertIntervalMs: 1000,
    sourceAddress: "10.99.0.11",
    trackers: [{ kind: "script", name: "chk_mt_down", healthy: true, contribution: 0, fault: false, detail: "exit 0" }],
    stateSinceMs: sinceMs,
    maintenance: false,
    counters: { ...emptyCounters() },
  };
}

export interface FakeApiOptions {
  /** undefined: no api_token_file configured. */
  token?: string | undefined;
}

/** ApiPorts over mutable in-memory state; every field is public so tests can arrange anything. */
export class FakeApi implements ApiPorts {
  readonly clock = new FakeClock(SEED_WALL_MS);
  readonly log = new FakeEventLog();
  readonly instanceList: InstanceView[];
  groupList: GroupView[] = [];
  takeovers: number[] = [];
  /** The director's view; undefined: no virtual_server configured. */
  ipvsView: IpvsView | undefined = undefined;
  drainCalls: { virtualServer: string; realServer: string; on: boolean; caller: { address: string } }[] = [];
  socketList: SocketView[] = [
    { interface: "eth0", sourceAddress: "10.99.0.11", receiving: true, foreignPackets: 0, malformedPackets: 0, receiveFailures: 0, reopens: 0 },
  ];
  historyHealth: HistoryHealth = { state: "ok", path: "/var/lib/tandem/events.db", droppedEvents: 0 };
  tokenValue: string | undefined;
  /** api_reads_need_token. */
  protectReads = false;
  /** What validate() answers next (default: ok iff the text has a vrrp_instance). */
  nextValidation: ValidationAnswer | undefined;
  maintenanceCalls: { instance: string; on: boolean; caller: { address: string } }[] = [];
  validated: string[] = [];
  /** Set to make ports throw, to test the API's own failure path. */
  failStatus = false;

  constructor(options: FakeApiOptions = { token: TOKEN }) {
    this.tokenValue = options.token;
    const started = this.clock.wallMs();
    this.instanceList = [
      seedInstance("VI_1", 51, "10.99.0.41/24", "MASTER", 100, started + 3_600),
      seedInstance("VI_2", 52, "10.99.0.51/24", "BACKUP", 90, started + 400),
    ];
    this.instance("VI_1").counters = { ...emptyCounters(), advertsSent: 120, becomeMaster: 1 };
    this.instance("VI_2").counters = { ...emptyCounters(), advertsReceived: 118 };
    this.instance("VI_2").master = { address: PEER, priority: 100, lastSeenAtMs: started + 119_000 };
    this.publish({
      kind: "daemon.start",
      atMs: started,
      summary: "tandem 0.1.0 started",
      data: { version: "0.1.0", configFile: "/etc/keepalived/keepalived.conf", pid: 4242 },
    });
    this.transition("VI_2", "INIT", "BACKUP", "startup", started + 400);
    this.transition("VI_1", "INIT", "BACKUP", "startup", started + 400);
    this.transition("VI_1", "BACKUP", "MASTER", "master-down-timer", started + 3_600);
    this.clock.advance(120_000);
  }

  instance(name: string): InstanceView {
    const found = this.instanceList.find((i) => i.name === name);
    if (!found) throw new Error(`fake has no instance ${name}`);
    return found;
  }

  publish(event: NewEvent): TandemEvent {
    return this.log.append(event);
  }

  private transition(name: string, from: InstanceView["state"], to: InstanceView["state"], cause: string, atMs: number, takeoverMs?: number): TandemEvent {
    const i = this.instance(name);
    return this.publish({
      kind: "vrrp.transition",
      atMs,
      instance: name,
      summary: `${name} ${from} -> ${to}: ${cause}`,
      data: {
        from,
        to,
        cause,
        detail: cause,
        priority: { base: i.basePriority, effective: i.effectivePriority },
        ...(takeoverMs === undefined ? {} : { takeoverMs }),
      },
    });
  }

  /** The peer went away: `name` (default VI_2) takes over its VIP after takeoverMs. */
  failover(name = "VI_2", takeoverMs = 3_650): TandemEvent {
    const i = this.instance(name);
    const from = i.state;
    i.state = "MASTER";
    i.stateSinceMs = this.clock.wallMs();
    i.lastTakeoverMs = takeoverMs;
    i.counters = { ...i.counters, becomeMaster: (i.counters.becomeMaster ?? 0) + 1 };
    this.takeovers.push(takeoverMs);
    return this.transition(name, from, "MASTER", "master-down-timer", this.clock.wallMs(), takeoverMs);
  }

  /** A higher-priority master is heard again: `name` (default VI_2) goes back to BACKUP. */
  yieldTo(name = "VI_2", peer = { address: PEER, priority: 100 }): TandemEvent {
    const i = this.instance(name);
    const from = i.state;
    i.state = "BACKUP";
    i.stateSinceMs = this.clock.wallMs();
    i.master = { ...peer, lastSeenAtMs: this.clock.wallMs() };
    i.counters = { ...i.counters, releaseMaster: (i.counters.releaseMaster ?? 0) + 1 };
    return this.transition(name, from, "BACKUP", "higher-priority-advert", this.clock.wallMs());
  }

  setTracker(name: string, tracker: string, healthy: boolean, weight = -15): TandemEvent {
    const i = this.instance(name);
    i.trackers = i.trackers.map((t) => (t.name === tracker ? { ...t, healthy, contribution: healthy ? 0 : weight, detail: healthy ? "exit 0" : "exit 1" } : t));
    i.effectivePriority = i.basePriority + i.trackers.reduce((sum, t) => sum + t.contribution, 0);
    return this.publish({
      kind: "tracker.change",
      atMs: this.clock.wallMs(),
      instance: name,
      summary: `${tracker} ${healthy ? "succeeded" : "failed"}`,
      data: { tracker: { kind: "script", name: tracker }, healthy, detail: healthy ? "exit 0" : "exit 1", exitCode: healthy ? 0 : 1 },
    });
  }

  readonly status: ApiPorts["status"] = {
    daemon: (): DaemonView => {
      if (this.failStatus) throw new Error("status source exploded");
      return {
        version: "0.1.0",
        pid: 4242,
        startedAtMs: SEED_WALL_MS,
        configFile: "/etc/keepalived/keepalived.conf",
        routerId: "lb-180",
        history: { ...this.historyHealth },
      };
    },
    instances: () => structuredClone(this.instanceList),
    groups: () => structuredClone(this.groupList),
    sockets: () => structuredClone(this.socketList),
    ipvs: () => (this.ipvsView === undefined ? undefined : structuredClone(this.ipvsView)),
    takeoverDurationsMs: () => [...this.takeovers],
  };

  readonly events: ApiPorts["events"] = {
    query: (filter) => this.log.query(filter),
    subscribe: (listener) => this.log.subscribe(listener),
  };

  readonly config: ApiPorts["config"] = {
    effective: () => ({
      globalDefs: { routerId: "lb-180" },
      vrrpInstances: this.instanceList.map((i) => ({ name: i.name, virtualRouterId: i.vrid, auth: { type: "PASS", password: "********" } })),
    }),
    validate: async (text): Promise<ValidationAnswer> => {
      this.validated.push(text);
      if (this.nextValidation) return this.nextValidation;
      return /vrrp_instance/.test(text)
        ? { kind: "done", ok: true, diagnostics: [], durationMs: 3 }
        : { kind: "done", ok: false, diagnostics: ["keepalived.conf:1:1: error: no vrrp_instance"], durationMs: 3 };
    },
  };

  readonly actions: ApiPorts["actions"] = {
    setDrain: async (virtualServer, realServer, on, caller): Promise<ActionResult> => {
      this.drainCalls.push({ virtualServer, realServer, on, caller });
      const rs = this.ipvsView?.virtualServers.find((v) => v.id === virtualServer)?.realServers.find((r) => r.id === realServer);
      if (!rs) return { ok: false, status: 404, error: `no real server ${realServer} in ${virtualServer}` };
      rs.drained = on;
      return { ok: true, detail: on ? "weight 0 until its connections end" : "weight restored" };
    },
    setMaintenance: async (instance, on, caller): Promise<ActionResult> => {
      this.maintenanceCalls.push({ instance, on, caller });
      const found = this.instanceList.find((i) => i.name === instance);
      const action = on ? "maintenance.enter" : "maintenance.leave";
      if (!found) {
        this.publish({
          kind: "api.action",
          atMs: this.clock.wallMs(),
          instance,
          summary: `${caller.address}: ${action} refused`,
          data: { action, caller, target: instance, ok: false, detail: "no such instance" },
        });
        return { ok: false, status: 404, error: `no VRRP instance named ${instance}` };
      }
      found.maintenance = on;
      found.effectivePriority = on ? 1 : found.basePriority;
      const detail = on ? "priority forced to 1; a peer takes over" : "priority restored";
      this.publish({
        kind: "api.action",
        atMs: this.clock.wallMs(),
        instance,
        summary: `${caller.address}: ${action} ${instance}: ${detail}`,
        data: { action, caller, target: instance, ok: true, detail },
      });
      return { ok: true, detail };
    },
  };

  /** The API's own records (refusals); they land in the same fake history. */
  readonly history: ApiPorts["history"] = { record: (event) => void this.publish(event) };

  token = (): string | undefined => this.tokenValue;
  readsNeedToken = (): boolean => this.protectReads;
}
