// VRRP timer formulas. RFC 3768 section 6.1 (v2) and RFC 5798 section 6.1 (v3).
import type { VrrpVersion } from "./advert.ts";

/** Priority used in timer formulas: an address owner always counts as 255 (keepalived does too). */
export function timerPriority(basePriority: number, effectivePriority: number): number {
  return basePriority === 255 ? 255 : effectivePriority;
}

/**
 * Skew_Time.
 * v2: (256 - Priority) / 256 seconds, independent of the advert interval.
 * v3: ((256 - Priority) * Master_Adver_Interval) / 256, in the master's interval units.
 */
export function skewTimeMs(version: VrrpVersion, priority: number, masterAdvertIntervalCs: number): number {
  if (version === 2) return ((256 - priority) * 1000) / 256;
  return ((256 - priority) * masterAdvertIntervalCs * 10) / 256;
}

/** Master_Down_Interval = (3 * Master_Adver_Interval) + Skew_Time. */
export function masterDownIntervalMs(version: VrrpVersion, priority: number, masterAdvertIntervalCs: number): number {
  return 3 * masterAdvertIntervalCs * 10 + skewTimeMs(version, priority, masterAdvertIntervalCs);
}

/**
 * First master-down wait for an instance configured `state MASTER` (not an owner):
 * keepalived waits one advert interval plus the smallest skew, long enough to hear a
 * live master before claiming the addresses, but far shorter than a full
 * Master_Down_Interval.
 */
export function initialMasterWaitMs(version: VrrpVersion, advertIntervalCs: number): number {
  return advertIntervalCs * 10 + skewTimeMs(version, 255, advertIntervalCs);
}
