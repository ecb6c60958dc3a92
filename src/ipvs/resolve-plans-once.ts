// resolvePlans once per plans array: the director and the service around it both need the
// resolution of the configuration in force, and at thousands of virtual servers it takes
// about a second in an emulated guest. Plans are values nobody changes, so the same array
// always resolves to the same result. Given the plans before (a reload), the resolution
// reuses theirs for every plan that did not change (resolve-plan.ts).
import { resolvePlans } from "./resolve-plan.ts";
import type { ResolvedPlans } from "./resolved-plan.ts";
import type { VirtualServerPlan } from "./virtual-server-plan.ts";

const resolutions = new WeakMap<readonly VirtualServerPlan[], ResolvedPlans>();

export function resolvePlansOnce(plans: readonly VirtualServerPlan[], before?: readonly VirtualServerPlan[]): ResolvedPlans {
  let resolved = resolutions.get(plans);
  if (!resolved) resolutions.set(plans, (resolved = resolvePlans(plans, before && resolutions.get(before))));
  return resolved;
}
