import { describe, expect, test } from "bun:test";
import {
  applyScriptOutcome,
  carriedScriptState,
  classifyScriptRun,
  initialScriptState,
  scriptHealth,
  type ScriptHealth,
  type ScriptOutcome,
  type ScriptTrackerConfig,
} from "../../../src/vrrp/script-tracker.ts";

/** Feed outcomes ("s"/"f" string) and return the health after each one plus which steps changed. */
function run(config: ScriptTrackerConfig, outcomes: string) {
  let state = initialScriptState(config);
  const health: ScriptHealth[] = [];
  const changes: number[] = [];
  [...outcomes].forEach((c, i) => {
    const step = applyScriptOutcome(state, config, c === "s" ? "success" : "failure");
    state = step.state;
    health.push(step.health);
    if (step.changed) changes.push(i);
  });
  return { health, changes, final: health.at(-1) };
}

const r2f3: ScriptTrackerConfig = { rise: 2, fall: 3, initFail: false };

describe("script tracker (keepalived rise/fall)", () => {
  test("health is unknown before the first result, failed at once with init_fail", () => {
    expect(scriptHealth(initialScriptState(r2f3), r2f3)).toBe("unknown");
    const initFail = { ...r2f3, initFail: true };
    expect(scriptHealth(initialScriptState(initFail), initFail)).toBe("failed");
  });

  test("the first result decides, even with rise 2: one success is healthy", () => {
    expect(run(r2f3, "s")).toEqual({ health: ["healthy"], changes: [0], final: "healthy" });
  });

  test("the first result decides: one failure is failed, even with fall 3", () => {
    expect(run(r2f3, "f")).toEqual({ health: ["failed"], changes: [0], final: "failed" });
  });

  test("rise 2 fall 3: three consecutive failures to go down, two consecutive successes to come back", () => {
    const { health, changes } = run(r2f3, "sfffss");
    expect(health).toEqual(["healthy", "healthy", "healthy", "failed", "failed", "healthy"]);
    expect(changes).toEqual([0, 3, 5]);
  });

  test("a success while counting failures resets the count (failures must be consecutive)", () => {
    expect(run(r2f3, "sffsff").final).toBe("healthy");
    expect(run(r2f3, "sffsfff").final).toBe("failed");
  });

  test("a failure while counting successes resets the count (successes must be consecutive)", () => {
    expect(run(r2f3, "fsfs").final).toBe("failed");
    expect(run(r2f3, "fsfss").final).toBe("healthy");
  });

  test("init_fail: starts failed, needs rise successes, failures are not changes", () => {
    const config = { rise: 2, fall: 3, initFail: true };
    const { health, changes } = run(config, "ffsfss");
    expect(health).toEqual(["failed", "failed", "failed", "failed", "failed", "healthy"]);
    expect(changes).toEqual([5]);
  });

  test("init_fail with rise 1: one success is enough", () => {
    expect(run({ rise: 1, fall: 1, initFail: true }, "s").changes).toEqual([0]);
  });

  test("rise 1 fall 1 follows every flap", () => {
    const { health, changes } = run({ rise: 1, fall: 1, initFail: false }, "sfsfs");
    expect(health).toEqual(["healthy", "failed", "healthy", "failed", "healthy"]);
    expect(changes).toEqual([0, 1, 2, 3, 4]);
  });

  test("flapping faster than rise/fall never changes state after the first result", () => {
    const { changes, final } = run({ rise: 3, fall: 3, initFail: false }, "s" + "fsffsfsffs".repeat(5));
    expect(changes).toEqual([0]);
    expect(final).toBe("healthy");
  });

  test("matches a literal transcription of keepalived's C on random sequences", () => {
    // vrrp_scheduler.c vrrp_script_child_thread + vrrp_init_script, transcribed.
    function keepalived(rise: number, fall: number, initFail: boolean, outcomes: ScriptOutcome[]) {
      let result = initFail ? 0 : rise - 1;
      let init = initFail ? "FAILED" : "INIT";
      const reports: string[] = [];
      for (const o of outcomes) {
        if (o === "success") {
          if (result < rise - 1) result++;
          else if (result !== rise + fall - 1) {
            if (result < rise) reports.push("up");
            result = rise + fall - 1;
          }
        } else if (result > rise) result--;
        else {
          if (result === rise || init === "INIT") reports.push("down");
          result = 0;
        }
        init = "DONE";
      }
      return reports;
    }
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let trial = 0; trial < 2000; trial++) {
      const config = { rise: 1 + Math.floor(random() * 4), fall: 1 + Math.floor(random() * 4), initFail: random() < 0.3 };
      const outcomes: ScriptOutcome[] = Array.from({ length: 30 }, () => (random() < 0.5 ? "success" : "failure"));
      let state = initialScriptState(config);
      const reports: string[] = [];
      for (const o of outcomes) {
        const step = applyScriptOutcome(state, config, o);
        state = step.state;
        if (step.changed) reports.push(step.health === "healthy" ? "up" : "down");
      }
      expect(reports).toEqual(keepalived(config.rise, config.fall, config.initFail, outcomes));
    }
  });
});

describe("classifyScriptRun", () => {
  const ok = { exitCode: 0, signal: null, timedOut: false };
  test("exit 0 succeeds; any other status fails with the status in the reason", () => {
    expect(classifyScriptRun(ok)).toEqual({ outcome: "success", reason: "exited with status 0" });
    expect(classifyScriptRun({ ...ok, exitCode: 1 })).toEqual({ outcome: "failure", reason: "exited with status 1" });
    expect(classifyScriptRun({ ...ok, exitCode: 2 }).outcome).toBe("failure");
    expect(classifyScriptRun({ ...ok, exitCode: 255 }).outcome).toBe("failure");
  });
  test("a signal or a timeout fails", () => {
    expect(classifyScriptRun({ exitCode: null, signal: "SIGSEGV", timedOut: false })).toEqual({ outcome: "failure", reason: "killed by signal SIGSEGV" });
    expect(classifyScriptRun({ exitCode: null, signal: "SIGKILL", timedOut: true })).toEqual({ outcome: "failure", reason: "timed out" });
  });
  test("a spawn error counts as success like keepalived 2.2.7, or failure on request", () => {
    const broken = { exitCode: null, signal: null, timedOut: false, spawnError: "program /x does not exist" };
    expect(classifyScriptRun(broken).outcome).toBe("success");
    expect(classifyScriptRun(broken).reason).toContain("/x does not exist");
    expect(classifyScriptRun(broken, true).outcome).toBe("failure");
  });
});

describe("a script kept by a reload (keepalived clear_diff_script)", () => {
  const was = { rise: 2, fall: 3, initFail: false };
  const feed = (outcomes: string, config: ScriptTrackerConfig = was) =>
    [...outcomes].reduce((state, c) => applyScriptOutcome(state, config, c === "s" ? "success" : "failure").state, initialScriptState(config));

  test("up stays up: fully up is fully up under the new rise/fall, part way down keeps its distance", () => {
    const now = { rise: 1, fall: 4, initFail: false };
    expect(carriedScriptState(feed("s"), was, now)).toEqual({ result: 4, pending: false });
    expect(scriptHealth(carriedScriptState(feed("s"), was, now), now)).toBe("healthy");
    // Up with one failure counted (result rise + fall - 2 = 3): one above rise.
    expect(carriedScriptState(feed("sf"), was, now)).toEqual({ result: 2, pending: false });
  });

  test("down stays down, with the successes it had counted as far from rise as before", () => {
    expect(carriedScriptState(feed("f"), was, was)).toEqual({ result: 0, pending: false });
    expect(carriedScriptState(feed("fs"), was, { rise: 3, fall: 1, initFail: false })).toEqual({ result: 2, pending: false });
    expect(scriptHealth(carriedScriptState(feed("f"), was, was), was)).toBe("failed");
  });

  test("one that had not reported yet starts afresh", () => {
    expect(carriedScriptState(initialScriptState(was), was, { rise: 1, fall: 1, initFail: true })).toEqual({ result: 0, pending: false });
    expect(carriedScriptState(initialScriptState(was), was, was)).toEqual(initialScriptState(was));
  });
});
