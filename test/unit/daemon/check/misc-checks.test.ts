// MISC_CHECK in the runner on the fake clock, its script's runs scripted: when each run
// starts (delay_loop from the last START, check_misc.c), keepalived's verdict lines, the
// misc_dynamic weight handed to the director whenever the status asks for another one, a
// script killed at misc_timeout, and a script that is refused.
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../../src/common/clock.ts";
import { memoryLogger } from "../../../../src/common/logger.ts";
import { memoryFiles, parseConfig } from "../../../../src/config/index.ts";
import type { MiscExit } from "../../../../src/check/checker-state.ts";
import { CheckerRunner } from "../../../../src/daemon/check/checker-runner.ts";
import type { MiscRun, MiscScripts } from "../../../../src/daemon/check/misc-script.ts";
import { planDirector } from "../../../../src/daemon/director/director-command.ts";
import { directorConfigOf } from "../../../../src/daemon/ipc/director-config.ts";
import { resolvePlans } from "../../../../src/ipvs/resolve-plan.ts";
import type { CheckerVerdict } from "../../../../src/ipvs/real-server-health.ts";

function resolved(text: string) {
  const parsed = parseConfig("/etc/keepalived/keepalived.conf", { ...memoryFiles({ "/etc/keepalived/keepalived.conf": text }), configId: undefined });
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (!parsed.config || errors.length) throw new Error(JSON.stringify(errors));
  return resolvePlans(planDirector(directorConfigOf(parsed.config)).virtualServers).virtualServers;
}

const flush = () => new Promise((r) => setImmediate(r));

/** One scripted run: how it ends and how long it takes (the last repeats). */
type Step = { exit: MiscExit; ms: number } | "hang";
const exited = (status: number, ms = 100): Step => ({ exit: { kind: "exited", status }, ms });

function rig(steps: Step[], options: { refuse?: string } = {}) {
  const clock = new FakeClock();
  const logger = memoryLogger("info");
  const starts: number[] = [];
  const timeouts: number[] = [];
  const verdicts: { atMs: number; verdict: CheckerVerdict; reason: string }[] = [];
  const scripts: MiscScripts = {
    prepare: (misc) => options.refuse ?? { argv: [misc.command], program: misc.command, timeoutMs: misc.timeoutMs },
    run: (script, signal) => {
      starts.push(clock.nowMs());
      timeouts.push(script.timeoutMs);
      const step = steps.length > 1 ? steps.shift()! : steps[0]!;
      return new Promise<MiscRun>((resolve) => {
        // A hung script is killed by the process runner at misc_timeout: it then reports SIGTERM, timed out.
        const { exit, ms } = step === "hang" ? { exit: { kind: "signaled", signal: "SIGTERM", timedOut: true } as MiscExit, ms: script.timeoutMs } : step;
        const timer = clock.at(clock.nowMs() + ms, () =>
          resolve({ exit, text: exit.kind === "exited" ? `exited with status ${exit.status}` : "timed out", output: "" }),
        );
        signal.addEventListener("abort", () => {
          timer.cancel();
          resolve({ exit: { kind: "signaled", signal: "SIGKILL", timedOut: false }, text: "killed", output: "" });
        });
      });
    },
  };
  const runner = new CheckerRunner({
    clock,
    logger,
    random: () => 0,
    verdict: (_target, verdict, reason) => verdicts.push({ atMs: clock.nowMs(), verdict, reason }),
    miscScripts: scripts,
  });
  const until = async (ms: number) => {
    for (;;) {
      await flush();
      const due = clock.nextDueMs();
      if (due === undefined || due > ms) break;
      clock.advanceTo(due);
    }
    clock.advanceTo(ms);
    await flush();
  };
  return { clock, logger, starts, timeouts, verdicts, runner, until };
}

const config = (options = "") => `
virtual_server 10.0.0.1 80 {
  protocol TCP
  delay_loop 10
  real_server 10.0.0.2 80 {
    MISC_CHECK {
      misc_path /usr/local/bin/check
      warmup 0
      ${options.split(";").join("\n      ")}
    }
  }
}`;

describe("MISC_CHECK in the runner", () => {
  test("runs are due delay_loop after the last one started, not ended; exit 0 is up, a failure with retry 0 down at once", async () => {
    const r = rig([exited(0, 3_000), exited(0, 3_000), exited(1, 500), exited(0, 500)]);
    r.runner.configure(resolved(config()));
    r.runner.start();
    await r.until(45_000);
    expect(r.starts).toEqual([1_000, 11_000, 21_000, 31_000, 41_000]);
    expect(r.verdicts.map((v) => [v.atMs, v.verdict.up])).toEqual([
      [4_000, true],
      [21_500, false],
      [31_500, true],
    ]);
    expect(r.logger.lines.some((l) => l.includes("Misc check for [[10.0.0.2]:tcp:80 VS [10.0.0.1]:tcp:80] by [/usr/local/bin/check] succeeded."))).toBe(true);
    expect(
      r.logger.lines.some((l) =>
        l.includes("Misc check for [[10.0.0.2]:tcp:80 VS [10.0.0.1]:tcp:80] by [/usr/local/bin/check] failed with retry disabled (exited with status 1)."),
      ),
    ).toBe(true);
    await r.runner.stop();
  });

  test("retry 1: the failure is run again delay_before_retry after its start, and only the second one is a verdict", async () => {
    const r = rig([exited(0), exited(2), exited(2), exited(0)]);
    r.runner.configure(resolved(config("retry 1;delay_before_retry 3")));
    r.runner.start();
    await r.until(30_000);
    expect(r.starts.slice(0, 4)).toEqual([1_000, 11_000, 14_000, 24_000]);
    expect(r.verdicts.map((v) => [v.atMs, v.verdict.up])).toEqual([
      [1_100, true],
      [14_100, false],
      [24_100, true],
    ]);
    expect(r.logger.lines.some((l) => l.includes("failed after 1 retry (exited with status 2)."))).toBe(true);
    await r.runner.stop();
  });

  test("misc_dynamic: 2-255 pass and set the weight to status - 2, handed on whenever the status changes, up or not; 0 the configured weight again", async () => {
    const r = rig([exited(12), exited(12), exited(7), exited(0), exited(1), exited(7)]);
    r.runner.configure(resolved(config("misc_dynamic")));
    r.runner.start();
    await r.until(60_000);
    expect(r.verdicts.map((v) => [v.atMs, v.verdict])).toEqual([
      [1_100, { up: true, dynamicWeight: 10 }],
      [21_100, { up: true, dynamicWeight: 5 }],
      [31_100, { up: true }],
      [41_100, { up: false }],
      [51_100, { up: true, dynamicWeight: 5 }],
    ]);
    expect(r.runner.view()[0]).toMatchObject({ up: true, dynamicWeight: 5 });
    // The director replaying the verdicts after it opens gets the weight in force.
    expect(r.runner.verdicts()[0]!.verdict).toEqual({ up: true, dynamicWeight: 5 });
    await r.runner.stop();
  });

  test("a hung script: killed at misc_timeout (default: the virtual server's delay_loop), a failure 'timed out'", async () => {
    const r = rig(["hang"]);
    r.runner.configure(resolved(config("misc_timeout 4")));
    r.runner.start();
    await r.until(12_000);
    expect(r.timeouts[0]).toBe(4_000);
    expect(r.verdicts.map((v) => [v.atMs, v.verdict.up])).toEqual([[5_000, false]]);
    expect(r.logger.lines.some((l) => l.includes("by [/usr/local/bin/check] timed out with retry disabled (timed out)."))).toBe(true);
    await r.runner.stop();

    const d = rig([exited(0)]);
    d.runner.configure(resolved(config()));
    d.runner.start();
    await d.until(2_000);
    expect(d.timeouts[0]).toBe(10_000);
    await d.runner.stop();
  });

  test("a refused script is not run: the checker keeps its initial state and says why", async () => {
    const r = rig([exited(0)], { refuse: "refused by script security" });
    r.runner.configure(resolved(config()));
    r.runner.start();
    await r.until(30_000);
    expect(r.starts).toEqual([]);
    expect(r.runner.view()[0]).toMatchObject({ up: true, hasRun: false, problem: "refused by script security" });
    expect(r.logger.lines.some((l) => l.includes("not checked: refused by script security; it stays up"))).toBe(true);
    await r.runner.stop();
  });
});
