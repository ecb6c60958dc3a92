// Effective priority and fault state from tracked objects, with keepalived 2.2.7's
// weight rules (keepalived.conf(5) "VRRP script(s)", track_interface). vrrp_track_file's
// arithmetic lives in track-file-value.ts.

/** What one tracked object currently contributes to an instance. */
export interface TrackerStatus {
  /** "receive": the instance's own VRRP socket, failed while it is reopened. */
  kind: "script" | "interface" | "file" | "maintenance" | "receive";
  name: string;
  /** Up / succeeding / in range; a failing weighted tracker is unhealthy without a fault. */
  healthy: boolean;
  /** Added to the base priority (may be negative). Ignored when `fault` is set. */
  contribution: number;
  /** The instance must be in FAULT while this is true. */
  fault: boolean;
  /** Human-readable state for logs and the API, e.g. "failed (exit 1)", "down". */
  detail: string;
}

/** How a tracker's weight is applied; `reverse` flips the direction (keepalived's weight_multiplier -1). */
export interface TrackWeight {
  weight: number;
  reverse: boolean;
}

/**
 * A script or an interface is up/ok or down/failed.
 * weight 0: failure (or success, with reverse) puts the instance in FAULT.
 * weight > 0: adds the weight while up (reverse: subtracts it while up).
 * weight < 0: adds the (negative) weight while down (reverse: adds |weight| while down).
 */
export function binaryTrackerEffect(up: boolean, { weight, reverse }: TrackWeight): { contribution: number; fault: boolean } {
  const multiplier = reverse ? -1 : 1;
  if (weight === 0) return { contribution: 0, fault: up === reverse };
  if (weight > 0) return { contribution: up ? weight * multiplier : 0, fault: false };
  return { contribution: up ? 0 : weight * multiplier, fault: false };
}

/**
 * Operator maintenance (REST API): the instance drops to the lowest priority, 1, and stays
 * there, so any peer takes over. An address owner (255) cannot be lowered: it goes to FAULT.
 */
export function maintenanceStatus(basePriority: number): TrackerStatus {
  const owner = basePriority === 255;
  return { kind: "maintenance", name: "maintenance", healthy: false, contribution: 0, fault: owner, detail: "in maintenance (set through the API)" };
}

export interface PriorityResult {
  effectivePriority: number;
  faults: TrackerStatus[];
}

/**
 * Effective priority = base + sum of contributions, clamped to 1..254. An address owner
 * (base 255) is never adjusted: RFC 5798 reserves 255 for the owner.
 */
export function effectivePriority(basePriority: number, trackers: readonly TrackerStatus[]): PriorityResult {
  const faults = trackers.filter((t) => t.fault);
  if (basePriority === 255) return { effectivePriority: 255, faults };
  // Maintenance wins over every other tracker: the lowest priority, whatever they add.
  if (trackers.some((t) => t.kind === "maintenance")) return { effectivePriority: 1, faults };
  const sum = trackers.reduce((total, t) => (t.fault ? total : total + t.contribution), basePriority);
  return { effectivePriority: Math.max(1, Math.min(254, sum)), faults };
}
