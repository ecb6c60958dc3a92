// Builds the notify runner's targets (instances and sync groups) from the runtime plan:
// each notify command parsed like a vrrp_script, run as the global script user, and put
// through the same script-security check (keepalived vrrp.c check_vrrp_script_security).
import type { Logger } from "../../common/logger.ts";
import type { InstancePlan, NotifyPlan, SyncGroupPlan } from "../../vrrp/instance-plan.ts";
import type { NotifyKind, NotifyScript, NotifyTarget } from "./notify-runner.ts";
import { prepareNotifyScript, type NotifyScriptContext } from "./prepare-notify-script.ts";

export type { NotifyScriptContext } from "./prepare-notify-script.ts";

export function notifyTargets(
  instances: readonly InstancePlan[],
  groups: readonly SyncGroupPlan[],
  context: NotifyScriptContext,
  logger: Logger,
): NotifyTarget[] {
  const target = (kind: NotifyKind, name: string, plan: NotifyPlan): NotifyTarget => {
    const script = (role: string, text: string | undefined): NotifyScript | undefined => {
      if (text === undefined) return undefined;
      const prepared = prepareNotifyScript(text, context, (reason) => logger.warn(`${name}: ${role} ${reason}`));
      if (typeof prepared !== "string") return prepared;
      // keepalived check_notify_script_secure: the script is dropped, so that state runs nothing.
      logger.error(`${name}: ${role} "${text}" is disabled: ${prepared}`);
      return undefined;
    };
    return {
      kind,
      name,
      master: script("notify_master", plan.master),
      backup: script("notify_backup", plan.backup),
      fault: script("notify_fault", plan.fault),
      stop: script("notify_stop", plan.stop),
      notify: script("notify", plan.notify),
      ...(plan.deleted ? { notifyDeleted: true, deleted: script("notify_deleted", plan.deleted.command) } : {}),
    };
  };
  return [...instances.map((p) => target("INSTANCE", p.name, p.notify)), ...groups.map((g) => target("GROUP", g.name, g.notify))];
}
