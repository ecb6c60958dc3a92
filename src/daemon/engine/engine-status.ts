// What the engine tells the observer about its instances: InstanceView and GroupView as the
// API shows them, taken from the running runtime. Monotonic times (the engine's clock)
// become wall-clock times here, for people, and for the other processes' clocks.
import type { Clock } from "../../common/clock.ts";
import { formatIpv4 } from "../../common/ipv4.ts";
import type { GroupView, InstanceView, SocketView, TrackerView } from "../../api/ports.ts";
import type { VirtualIp } from "../../config/model.ts";
import type { EngineStatus } from "../ipc/messages.ts";
import type { RuntimeReader } from "../vrrp/vrrp-runtime.ts";
import type { HoldBy } from "../../vrrp/start-hold.ts";

/** "10.0.0.1/24", as the API shows a configured address. */
function formatVip(vip: VirtualIp): string {
  return `${formatIpv4(vip.address)}/${vip.prefixLength}`;
}

/** `heldBy`: what holds the instances at start now (vrrp/start-hold.ts heldBy); empty once released. */
export function engineStatus(runtime: RuntimeReader, clock: Clock, maintenance: ReadonlySet<string>, heldBy: readonly HoldBy[] = []): EngineStatus {
  /** Monotonic ms -> wall-clock ms, using the present offset between the two clocks. */
  const toWall = (monotonicMs: number) => clock.wallMs() - (clock.nowMs() - monotonicMs);
  const split = runtime.lastSplitBrain();
  return {
    atMs: clock.wallMs(),
    instances: runtime.instances().map(({ plan, machine, trackers: trackerStatuses, counters, lastTakeoverMs }): InstanceView => {
      const m = machine();
      const heard = m.heardMaster;
      const held = m.holdUntilMs !== undefined && clock.nowMs() < m.holdUntilMs && heldBy.length > 0;
      const trackers: TrackerView[] = trackerStatuses().map((t) => ({
        kind: t.kind,
        name: t.name,
        healthy: t.healthy,
        contribution: t.contribution,
        fault: t.fault,
        detail: t.detail,
      }));
      return {
        name: plan.name,
        vrid: plan.machine.vrid,
        interface: plan.interfaceName,
        version: plan.machine.version,
        state: m.state,
        basePriority: plan.machine.basePriority,
        effectivePriority: m.effectivePriority,
        vips: plan.normalVips.map(formatVip),
        excludedVips: plan.excludedVips.map(formatVip),
        advertIntervalMs: plan.machine.advertIntervalCs * 10,
        sourceAddress: formatIpv4(m.config.primaryIp),
        ...(heard ? { master: { address: formatIpv4(heard.ip), priority: heard.priority, lastSeenAtMs: toWall(heard.lastHeardMs) } } : {}),
        trackers,
        ...(plan.syncGroup ? { syncGroup: plan.syncGroup } : {}),
        stateSinceMs: toWall(m.stateSinceMs),
        maintenance: maintenance.has(plan.name),
        ...(held ? { held: { untilMs: toWall(m.holdUntilMs!), by: [...heldBy] } } : {}),
        ...(lastTakeoverMs === undefined ? {} : { lastTakeoverMs }),
        counters: { ...counters() },
      };
    }),
    groups: runtime.groupStates().map(({ plan, state }): GroupView => ({ name: plan.name, state, members: [...plan.members] })),
    sockets: runtime.channels().map((c): SocketView => ({
      interface: c.interfaceName,
      sourceAddress: formatIpv4(c.sourceIp),
      receiving: c.hearing,
      foreignPackets: c.foreignPackets,
      malformedPackets: c.malformedPackets,
      receiveFailures: c.receiveFailures,
      reopens: c.reopens,
    })),
    takeoverDurationsMs: [...runtime.takeoverDurationsMs()],
    ...(split ? { lastSplitBrain: { instance: split.instance, peer: formatIpv4(split.peer), atMs: split.atWallMs } } : {}),
  };
}
