// What the API shows, in the observer: the engine's last status (instances, groups,
// takeovers, split brain) and the facts about the daemon. Before the engine's first status
// arrives, or while it is being restarted, the instances are shown as the last ones known.
import type { DaemonView, IpvsView, StatusSource } from "../../api/ports.ts";
import type { HistoryHealth } from "../../store/event.ts";
import type { DaemonFacts, EngineStatus } from "../ipc/messages.ts";

export interface ObserverFacts {
  routerId(): string | undefined;
  history(): HistoryHealth;
}

export function createStatusSource(
  latest: () => EngineStatus | undefined,
  facts: DaemonFacts,
  observer: ObserverFacts,
  latestIpvs: () => IpvsView | undefined = () => undefined,
): StatusSource {
  return {
    daemon(): DaemonView {
      const split = latest()?.lastSplitBrain;
      return {
        version: facts.version,
        pid: facts.pid,
        startedAtMs: facts.startedAtMs,
        configFile: facts.configFile,
        routerId: observer.routerId(),
        history: observer.history(),
        ...(split ? { lastSplitBrain: split } : {}),
      };
    },
    instances: () => structuredClone(latest()?.instances ?? []),
    groups: () => structuredClone(latest()?.groups ?? []),
    sockets: () => structuredClone(latest()?.sockets ?? []),
    ipvs: () => {
      const ipvs = latestIpvs();
      return ipvs === undefined ? undefined : structuredClone(ipvs);
    },
    takeoverDurationsMs: () => latest()?.takeoverDurationsMs ?? [],
  };
}
