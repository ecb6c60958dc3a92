// MISC_CHECK's script: made ready once per configuration (parsed like a vrrp_script, run as
// its `user` or the global script_user, through keepalived's script-security check: a script
// that is missing or refused is not run, check_misc_script_security), then run at each check
// in its own process group with misc_timeout. At the timeout the whole group gets SIGTERM and,
// 2 s later, SIGKILL (misc_check_child_thread's SCRIPT_STATE_REQUESTING_TERMINATION /
// FORCING_TERMINATION). Only a script that needs a shell runs under one (script-command.ts).
import type { MiscCheckSpec } from "../../check/check-spec.ts";
import type { MiscExit } from "../../check/checker-state.ts";
import type { ProcessResult, ProcessRunner } from "../../common/process.ts";
import type { GlobalDefs } from "../../config/model.ts";
import { prepareNotifyScript } from "../scripts/prepare-notify-script.ts";
import type { SecurityFs } from "../scripts/script-security.ts";
import { resolveScriptIdentity, type AccountDatabase, type ScriptIdentity } from "../scripts/script-user.ts";

/** keepalived's grace between the SIGTERM at misc_timeout and the SIGKILL. */
export const MISC_KILL_GRACE_MS = 2_000;
/** What a script may print that is kept (for the status: its last words when it failed). */
const OUTPUT_LIMIT_BYTES = 1024;

export interface PreparedMiscScript {
  argv: readonly string[];
  /** keepalived's script.args[0], as its log names the script. */
  program: string;
  timeoutMs: number;
  uid?: number;
  gid?: number;
}

export interface MiscRun {
  exit: MiscExit;
  /** "exited with status 1", "timed out after 5 s", "killed by signal SIGSEGV". */
  text: string;
  /** The script's stdout and stderr, the first KiB. */
  output: string;
}

export interface MiscScripts {
  /** The script ready to run, or why it is not run. */
  prepare(misc: MiscCheckSpec, warn: (reason: string) => void): PreparedMiscScript | string;
  /** One run; never rejects. The signal kills the group at once (the check's own time ran out, or the checks stop). */
  run(script: PreparedMiscScript, signal: AbortSignal): Promise<MiscRun>;
}

export interface MiscScriptDeps {
  runner: ProcessRunner;
  accounts: AccountDatabase;
  daemonIdentity: ScriptIdentity;
  securityFs: SecurityFs;
  /** The configuration in force (script_user, enable_script_security). */
  globalDefs(): Pick<GlobalDefs, "scriptUser" | "enableScriptSecurity">;
}

export function createMiscScripts(deps: MiscScriptDeps): MiscScripts {
  return {
    prepare(misc, warn) {
      const globals = deps.globalDefs();
      const identity = resolveScriptIdentity(deps.accounts, misc.user, globals.scriptUser, deps.daemonIdentity);
      if (!identity.ok) return identity.error;
      const reasons: string[] = [];
      const context = { identity: identity.identity, enableScriptSecurity: globals.enableScriptSecurity, securityFs: deps.securityFs };
      const script = prepareNotifyScript(misc.command, context, (reason) => reasons.push(reason));
      // keepalived: "Disabling misc script ... since not found/accessible" or "... due to insecure": the problem says which.
      if (typeof script === "string") return reasons.length ? `${script}: ${reasons.join("; ")}` : script;
      for (const reason of reasons) warn(reason);
      return {
        argv: script.command.argv,
        program: script.command.mode === "exec" ? script.command.argv[0]! : misc.command,
        timeoutMs: misc.timeoutMs,
        ...(script.uid !== undefined ? { uid: script.uid } : {}),
        ...(script.gid !== undefined ? { gid: script.gid } : {}),
      };
    },
    async run(script, signal) {
      const running = deps.runner.start({
        argv: script.argv,
        timeoutMs: script.timeoutMs,
        killGraceMs: MISC_KILL_GRACE_MS,
        outputLimitBytes: OUTPUT_LIMIT_BYTES,
        ...(script.uid !== undefined ? { uid: script.uid } : {}),
        ...(script.gid !== undefined ? { gid: script.gid } : {}),
      });
      const onAbort = () => running.kill();
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
      const result = await running.result;
      signal.removeEventListener("abort", onAbort);
      return miscRunOf(result, script.timeoutMs);
    },
  };
}

/** The run as the epilog takes it: a script that caught the SIGTERM and exited is judged by its status, as keepalived does. */
export function miscRunOf(result: ProcessResult, timeoutMs: number): MiscRun {
  const output = result.output.trim();
  if (result.spawnError !== undefined)
    return { exit: { kind: "not started", error: result.spawnError }, text: `could not start: ${result.spawnError}`, output };
  if (result.exitCode !== null) return { exit: { kind: "exited", status: result.exitCode }, text: `exited with status ${result.exitCode}`, output };
  const signal = result.signal ?? "SIGKILL";
  return {
    exit: { kind: "signaled", signal, timedOut: result.timedOut },
    text: result.timedOut ? `timed out after ${timeoutMs / 1000} s` : `killed by signal ${signal}`,
    output,
  };
}
