// Change one tracked object of a running instance, as a tracker event would: the instance
// takes whole tracker sets (setTrackers), so the others are carried over unchanged.
import type { VrrpInstance } from "../../../../src/vrrp/instance.ts";
import type { TrackerStatus } from "../../../../src/vrrp/track.ts";

export function setTracker(instance: VrrpInstance, status: TrackerStatus): void {
  const same = (s: TrackerStatus) => s.kind === status.kind && s.name === status.name;
  const current = instance.trackerStatuses();
  instance.setTrackers(current.some(same) ? current.map((s) => (same(s) ? status : s)) : [...current, status]);
}
