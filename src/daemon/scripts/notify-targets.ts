// Builds the notify runner's targets (instances and sync groups) from the runtime plan:
// each notify command parsed like a vrrp_script, run as the global script user, and put
// through the same script-security check (keepalived vrrp.c check_vrrp_script_security).
import type { Logger } from "../../common/logger.ts";
import type { InstancePlan, NotifyPlan, SyncGroupPlan } from "../../vrrp/instance-plan.ts";
import type { NotifyKind, NotifyScript, NotifyTarget } from "./notify-runner.ts";
import { scriptSearchPath } from "./process-runner.ts";
import { parseScriptCommand } from "./script-command.ts";
import { checkScriptSecurity, resolveScriptProgram, type SecurityFs } from "./script-security.ts";
import type { ScriptIdentity } from "./script-user.ts";

export interface NotifyScriptContext {
  /** Who runs the scripts: global script_user, else keepalived_script, else the daemon. */
  identity: ScriptIdentity;
  /** global_defs enable_script_security */
  enableScriptSecurity: boolean;
  securityFs: SecurityFs;
}

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

/**
 * The script to run, or why it must not run: it does not parse, its program is missing or
 * not executable for the script user, or it is insecure while enable_script_security is set.
 * An insecure script without enable_script_security runs, with a warning (keepalived
 * check_security: "Unsafe permissions found for script", without "- disabling").
 */
function prepareNotifyScript(text: string, context: NotifyScriptContext, warn: (reason: string) => void): NotifyScript | string {
  const parsed = parseScriptCommand(text);
  if (!parsed.ok) return parsed.error;
  const first = parsed.command.argv[0]!;
  const program = resolveScriptProgram(first, context.securityFs);
  if (program === undefined) return `program ${first} not found in ${scriptSearchPath}`;
  const verdict = checkScriptSecurity({ program, ...context.identity, enableScriptSecurity: context.enableScriptSecurity }, context.securityFs);
  for (const reason of verdict.reasons) warn(reason);
  if (!verdict.run) return "refused by script security";
  return { command: parsed.command, uid: context.identity.uid, gid: context.identity.gid };
}
