// The event kinds the API accepts in filters. api/ may not import store/ at run time
// (DESIGN.md), so the list is restated here as a Record keyed by the contract's EventKind:
// the compiler rejects a missing or an extra kind, so it cannot drift from EVENT_KINDS.
import type { EventKind } from "../store/event.ts";

const KIND_SET: Readonly<Record<EventKind, true>> = {
  "daemon.start": true,
  "daemon.stop": true,
  "vrrp.transition": true,
  "vrrp.priority": true,
  "vrrp.split-brain": true,
  "group.transition": true,
  "vrrp.hold": true,
  "tracker.change": true,
  "notify.run": true,
  "config.reload": true,
  "api.action": true,
  "api.refused": true,
  "process.exit": true,
  "history.degraded": true,
  "history.recovered": true,
  "ipvs.real-server": true,
  "ipvs.checker": true,
  "ipvs.quorum": true,
  "ipvs.sorry-server": true,
  "ipvs.drain": true,
  "ipvs.drift-repaired": true,
  "ipvs.apply": true,
  "ipvs.sync-daemon": true,
  "ipvs.director": true,
  "ipvs.sysctl": true,
};

export const API_EVENT_KINDS: readonly EventKind[] = Object.freeze(Object.keys(KIND_SET) as EventKind[]);

export function isEventKind(name: string): name is EventKind {
  return Object.hasOwn(KIND_SET, name);
}
