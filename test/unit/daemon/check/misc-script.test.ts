// MISC_CHECK's scripts run for real (the process runner, /bin/sh): made ready as keepalived
// does (no shell unless the text needs one, the user resolved, a missing program refused),
// each run's end as the epilog takes it, and at misc_timeout the whole process group killed.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../../../src/common/clock.ts";
import { createMiscScripts, miscRunOf, type PreparedMiscScript } from "../../../../src/daemon/check/misc-script.ts";
import { createProcessRunner } from "../../../../src/daemon/scripts/process-runner.ts";
import { nodeSecurityFs } from "../../../../src/daemon/scripts/script-security.ts";
import { parseAccountDatabase } from "../../../../src/daemon/scripts/script-user.ts";

const daemonIdentity = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
const scripts = createMiscScripts({
  runner: createProcessRunner(systemClock()),
  accounts: parseAccountDatabase(`root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n`, `root:x:0:\nnogroup:x:65534:\n`),
  daemonIdentity,
  securityFs: nodeSecurityFs,
  globalDefs: () => ({ enableScriptSecurity: false }),
});
const misc = (command: string, timeoutMs = 2_000, user?: { user: string }) => ({ command, timeoutMs, dynamic: false, ...(user ? { user } : {}) });
const prepared = (command: string, timeoutMs?: number): PreparedMiscScript => {
  const script = scripts.prepare(misc(command, timeoutMs), () => {});
  if (typeof script === "string") throw new Error(script);
  return script;
};
const never = new AbortController().signal;

describe("MISC_CHECK scripts", () => {
  test("a plain command is exec'd with keepalived's word splitting; shell syntax runs under /bin/sh -c", () => {
    expect(prepared("/bin/true --flag 'two words'").argv).toEqual(["/bin/true", "--flag", "two words"]);
    const shell = prepared("test -f /nonexistent || exit 3");
    expect(shell.argv).toEqual(["/bin/sh", "-c", "test -f /nonexistent || exit 3"]);
    expect(shell.program).toBe("test -f /nonexistent || exit 3");
  });

  test("refused: a program that is not there, a user that does not exist", () => {
    expect(scripts.prepare(misc("/no/such/check"), () => {})).toContain("/no/such/check");
    expect(scripts.prepare(misc("/bin/true", 1_000, { user: "nosuchuser" }), () => {})).toContain("nosuchuser");
    const nobody = scripts.prepare(misc("/bin/true", 1_000, { user: "nobody" }), () => {});
    expect(nobody).toMatchObject({ uid: 65534, gid: 65534 });
  });

  test("each end as the epilog takes it: the status, a signal, the output's last words", async () => {
    expect(await scripts.run(prepared("/bin/sh -c 'echo checking; exit 5'"), never)).toEqual({
      exit: { kind: "exited", status: 5 },
      text: "exited with status 5",
      output: "checking",
    });
    expect((await scripts.run(prepared("/bin/sh -c 'kill -SEGV $$'"), never)).exit).toEqual({ kind: "signaled", signal: "SIGSEGV", timedOut: false });
    expect(
      miscRunOf({ exitCode: null, signal: null, timedOut: false, output: "", outputTruncated: false, durationMs: 0, spawnError: "EACCES" }, 1_000).exit,
    ).toEqual({
      kind: "not started",
      error: "EACCES",
    });
  });

  test("at misc_timeout the whole group goes (the script's own children too): timed out", async () => {
    const dir = mkdtempSync(join(tmpdir(), "misc-"));
    const script = join(dir, "slow");
    writeFileSync(script, `#!/bin/sh\nsleep 60 &\necho $! > ${dir}/child\nwait\n`);
    chmodSync(script, 0o755);
    const startedMs = performance.now();
    const run = await scripts.run(prepared(script, 300), never);
    expect(performance.now() - startedMs).toBeLessThan(2_000);
    expect(run.exit).toEqual({ kind: "signaled", signal: "SIGTERM", timedOut: true });
    expect(run.text).toBe("timed out after 0.3 s");
    const child = Number(readFileSync(join(dir, "child"), "utf8"));
    await Bun.sleep(50);
    expect(existsSync(`/proc/${child}`) && !readFileSync(`/proc/${child}/stat`, "utf8").includes(") Z ")).toBe(false);
  });

  test("the check's own abort kills the script at once", async () => {
    const abort = new AbortController();
    const startedMs = performance.now();
    const running = scripts.run(prepared("/bin/sleep 30", 60_000), abort.signal);
    setTimeout(() => abort.abort(), 100);
    expect((await running).exit).toMatchObject({ kind: "signaled", signal: "SIGKILL" });
    expect(performance.now() - startedMs).toBeLessThan(2_000);
  });
});
