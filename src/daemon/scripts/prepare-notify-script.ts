// A notify script from the configuration made ready to run, or refused: parsed like a
// vrrp_script, run as the script user, put through keepalived's script-security check
// (lib/notify.c check_notify_script_secure). VRRP's notify scripts and the director's
// (notify_up/down, quorum_up/down) both come through here, as in keepalived.
import type { NotifyScript } from "./notify-runner.ts";
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

/**
 * The script to run, or why it must not run: it does not parse, its program is missing or
 * not executable for the script user, or it is insecure while enable_script_security is set.
 * An insecure script without enable_script_security runs, with a warning (keepalived
 * check_security: "Unsafe permissions found for script", without "- disabling").
 */
export function prepareNotifyScript(text: string, context: NotifyScriptContext, warn: (reason: string) => void): NotifyScript | string {
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
