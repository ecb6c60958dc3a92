// Builds the notify runner's targets (instances and sync groups) from the runtime plan:
// each notify command parsed like a vrrp_script and run as the global script user.
import type { Logger } from "../../common/logger.ts";
import type { InstancePlan, NotifyPlan, SyncGroupPlan } from "../../vrrp/instance-plan.ts";
import type { NotifyKind, NotifyScript, NotifyTarget } from "./notify-runner.ts";
import { parseScriptCommand } from "./script-command.ts";
import type { ScriptIdentity } from "./script-user.ts";

export function notifyTargets(instances: readonly InstancePlan[], groups: readonly SyncGroupPlan[], identity: ScriptIdentity, logger: Logger): NotifyTarget[] {
  const target = (kind: NotifyKind, name: string, plan: NotifyPlan): NotifyTarget => {
    const script = (role: string, text: string | undefined): NotifyScript | undefined => {
      if (text === undefined) return undefined;
      const parsed = parseScriptCommand(text);
      if (!parsed.ok) {
        logger.error(`${name}: ${role} "${text}" cannot be run: ${parsed.error}`);
        return undefined;
      }
      return { command: parsed.command, uid: identity.uid, gid: identity.gid };
    };
    return {
      kind,
      name,
      master: script("notify_master", plan.master),
      backup: script("notify_backup", plan.backup),
      fault: script("notify_fault", plan.fault),
      stop: script("notify_stop", plan.stop),
      notify: script("notify", plan.notify),
    };
  };
  return [...instances.map((p) => target("INSTANCE", p.name, p.notify)), ...groups.map((g) => target("GROUP", g.name, g.notify))];
}
