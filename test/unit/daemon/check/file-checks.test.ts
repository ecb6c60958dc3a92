// FILE_CHECK in the runner, its track_file's values handed in by a fake watcher: the verdict
// at the first value (no timer, no retry), the weight the value gives (times the checker's
// weight, else the track_file's; reverse), weight 0 as up/down only, a fault value, and a
// reload that adds a checker on a file already followed.
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../../src/common/clock.ts";
import { memoryLogger } from "../../../../src/common/logger.ts";
import { memoryFiles, parseConfig } from "../../../../src/config/index.ts";
import { CheckerRunner } from "../../../../src/daemon/check/checker-runner.ts";
import { planDirector } from "../../../../src/daemon/director/director-command.ts";
import { directorConfigOf } from "../../../../src/daemon/ipc/director-config.ts";
import { resolvePlans } from "../../../../src/ipvs/resolve-plan.ts";
import type { CheckerVerdict } from "../../../../src/ipvs/real-server-health.ts";

function resolved(text: string) {
  const parsed = parseConfig("/etc/keepalived/keepalived.conf", {
    ...memoryFiles({ "/etc/keepalived/keepalived.conf": text, "/run/w": "" }),
    configId: undefined,
  });
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (!parsed.config || errors.length) throw new Error(JSON.stringify(errors));
  return resolvePlans(planDirector(directorConfigOf(parsed.config)).virtualServers).virtualServers;
}

const flush = () => new Promise((r) => setImmediate(r));

function rig(initial: Record<string, number>) {
  const values = new Map(Object.entries(initial));
  let onChange: ((name: string, value: number) => void) | undefined;
  const watched: string[][] = [];
  const verdicts: { realServer: string; verdict: CheckerVerdict; reason: string }[] = [];
  const runner = new CheckerRunner({
    clock: new FakeClock(),
    logger: memoryLogger("info"),
    random: () => 0,
    verdict: (target, verdict, reason) => verdicts.push({ realServer: target.realServer, verdict, reason }),
    watchFiles: (files, change) => {
      watched.push(files.map((f) => `${f.name}=${f.path}`));
      onChange = change;
      return { start: async () => {}, stop: () => {}, current: (name) => values.get(name) };
    },
  });
  const write = (name: string, value: number) => {
    values.set(name, value);
    onChange!(name, value);
  };
  return { runner, verdicts, watched, write };
}

const config = (extra = "") => `
track_file weights {
  file /run/w
  weight 2
}
virtual_server 10.0.0.1 80 {
  protocol TCP
  real_server 10.0.0.2 80 {
    FILE_CHECK {
      track_file weights
    }
  }
  real_server 10.0.0.3 80 {
    FILE_CHECK {
      track_file weights
      weight 0
    }
  }
  real_server 10.0.0.4 80 {
    FILE_CHECK {
      track_file weights
      weight -3 reverse
    }
  }
  ${extra}
}`;

describe("FILE_CHECK in the runner", () => {
  test("the first value is each checker's verdict at once; a change gives a new weight or state, the same value nothing", async () => {
    const r = rig({ weights: 5 });
    r.runner.configure(resolved(config()));
    expect(r.watched).toEqual([["weights=/run/w"]]);
    r.runner.start();
    await flush();
    expect(r.verdicts).toEqual([
      // The track_file's weight 2: 5 * 2.
      { realServer: "10.0.0.2:80", verdict: { up: true, weightDelta: 10 }, reason: "/run/w reads 5: weight +10" },
      // weight 0: any non-zero value is a failure.
      { realServer: "10.0.0.3:80", verdict: { up: false }, reason: "/run/w reads 5" },
      // -3 reverse: 5 * -3 * -1.
      { realServer: "10.0.0.4:80", verdict: { up: true, weightDelta: 15 }, reason: "/run/w reads 5: weight +15" },
    ]);
    r.verdicts.length = 0;
    r.write("weights", 5);
    expect(r.verdicts).toEqual([]);
    r.write("weights", 0);
    expect(r.verdicts.map((v) => [v.realServer, v.verdict])).toEqual([
      ["10.0.0.2:80", { up: true }],
      ["10.0.0.3:80", { up: true }],
      ["10.0.0.4:80", { up: true }],
    ]);
    expect(r.runner.view().map((v) => [v.up, v.hasRun, v.weightDelta])).toEqual([
      [true, true, 0],
      [true, true, 0],
      [true, true, 0],
    ]);
    await r.runner.stop();
  });

  test("a value whose weight reaches IPVS_WEIGHT_FAULT is a failure; leaving it, up with its weight", async () => {
    const r = rig({ weights: 0 });
    r.runner.configure(resolved(config()));
    r.runner.start();
    await flush();
    r.verdicts.length = 0;
    r.write("weights", -2147483648);
    expect(r.verdicts.find((v) => v.realServer === "10.0.0.2:80")).toEqual({
      realServer: "10.0.0.2:80",
      verdict: { up: false },
      reason: "/run/w reads -2147483648: fault",
    });
    r.write("weights", -1);
    expect(r.verdicts.slice(-2)).toEqual([
      { realServer: "10.0.0.2:80", verdict: { up: true, weightDelta: -2 }, reason: "/run/w reads -1: weight -2" },
      { realServer: "10.0.0.4:80", verdict: { up: true, weightDelta: -3 }, reason: "/run/w reads -1: weight -3" },
    ]);
    await r.runner.stop();
  });

  test("a reload adding a FILE_CHECK on a file already followed: the same watcher, the new checker judged at once", async () => {
    const r = rig({ weights: 1 });
    r.runner.configure(resolved(config()));
    r.runner.start();
    await flush();
    r.verdicts.length = 0;
    r.runner.configure(resolved(config(`real_server 10.0.0.5 80 {\n    FILE_CHECK {\n      track_file weights\n    }\n  }`)));
    expect(r.watched).toHaveLength(1);
    expect(r.verdicts).toEqual([{ realServer: "10.0.0.5:80", verdict: { up: true, weightDelta: 2 }, reason: "/run/w reads 1: weight +2" }]);
    await r.runner.stop();
  });
});
