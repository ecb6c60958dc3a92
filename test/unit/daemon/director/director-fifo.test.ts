// The director's notify FIFOs on real FIFOs in a temporary directory: keepalived's lines
// (check/ipwrapper.c notify_fifo_vs / notify_fifo_rs) to lvs_notify_fifo and to the global
// notify_fifo, the global one first; one FIFO when both name one path; and at a stop the
// readers told first (SIGTERM), then the omega lines, then the FIFOs closed and removed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../../../src/common/clock.ts";
import type { Config } from "../../../../src/config/index.ts";
import { createProcessRunner } from "../../../../src/daemon/scripts/process-runner.ts";
import { realServer, virtualServer } from "../../ipvs/support/plans.ts";
import { drainFifo, waitFor } from "../scripts/fifo-helpers.ts";
import { rig, settle } from "./director-rig.ts";

let dir = "";
let n = 0;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "tandem-director-fifo-"))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fresh = () => join(dir, `fifo-${++n}`);

const configWith = (globalDefs: Record<string, unknown>) => ({ globalDefs: { enableScriptSecurity: false, ...globalDefs } }) as unknown as Config;
const START_LINES = ["RS [10.0.1.2]:tcp:80 [10.0.0.1]:tcp:80 UP", "RS [10.0.1.3]:tcp:80 [10.0.0.1]:tcp:80 UP", "VS [10.0.0.1]:tcp:80 UP"];

async function stopped(r: ReturnType<typeof rig>): Promise<void> {
  const stopping = r.service.stop("SIGTERM");
  r.clock.advance(3_000);
  await stopping;
}

describe("the director's notify FIFOs", () => {
  test("lvs_notify_fifo: keepalived's lines for every notify, the real servers at start with rs_init_notifies, then the quorum; removed at stop", async () => {
    const path = fresh();
    const r = rig({ config: configWith({ lvsNotifyFifo: path }), globals: { rsInitNotifies: true } });
    await r.service.start();
    await settle();
    expect(drainFifo(path)).toEqual(START_LINES);
    await stopped(r);
    expect(existsSync(path)).toBe(false);
  });

  test("notify_fifo gets the same lines as lvs_notify_fifo, and is opened first (notify_fifo_open)", async () => {
    const global = fresh();
    const lvs = fresh();
    const r = rig({ config: configWith({ notifyFifo: global, lvsNotifyFifo: lvs }), globals: { rsInitNotifies: true } });
    await r.service.start();
    await settle();
    expect(drainFifo(global)).toEqual(START_LINES);
    expect(drainFifo(lvs)).toEqual(START_LINES);
    const opened = r.logger.lines.flatMap((l) => /(\w*notify_fifo) \S+: open/.exec(l)?.[1] ?? []);
    expect(opened).toEqual(["notify_fifo", "lvs_notify_fifo"]);
    await stopped(r);
    expect([existsSync(global), existsSync(lvs)]).toEqual([false, false]);
  });

  test("notify_fifo alone gets the director's lines", async () => {
    const global = fresh();
    const r = rig({ config: configWith({ notifyFifo: global }) });
    await r.service.start();
    await settle();
    expect(drainFifo(global)).toEqual(["VS [10.0.0.1]:tcp:80 UP"]);
    await stopped(r);
  });

  test("notify_fifo and lvs_notify_fifo on one path: one FIFO, each line once, keepalived's note", async () => {
    const path = fresh();
    const r = rig({ config: configWith({ notifyFifo: path, lvsNotifyFifo: path }) });
    await r.service.start();
    await settle();
    expect(drainFifo(path)).toEqual(["VS [10.0.0.1]:tcp:80 UP"]);
    expect(r.logger.lines.some((l) => l.includes(`notify FIFO ${path} has been specified for global and LVS FIFO - ignoring LVS FIFO`))).toBe(true);
    await stopped(r);
  });

  test("at a stop the readers have SIGTERM before the omega lines, which one that reads on still gets", async () => {
    const path = fresh();
    const out = join(dir, `out-${n}`);
    const script = join(dir, `reader-${n}.sh`);
    // doc/samples/sample_notify_fifo.sh's protocol: note the TERM, read on until the FIFO closes.
    writeFileSync(
      script,
      `#!/bin/sh\ntrap 'echo TERM >> ${out}' TERM\nexec 3< "$1"\nwhile :; do if read line <&3; then echo "$line" >> ${out}; elif grep -q "VS.*DOWN" ${out} 2>/dev/null; then exit 0; fi; done\n`,
    );
    chmodSync(script, 0o755);
    const plans = [virtualServer("10.0.0.1", 80, [realServer("10.0.1.2", 80, { weight: 1 })], { omega: true })];
    const r = rig({ config: configWith({ notifyFifo: path, notifyFifoScript: script }), plans, runner: () => createProcessRunner(systemClock()) });
    await r.service.start();
    await waitFor(() => existsSync(out) && readFileSync(out, "utf8").includes("VS"));
    const stopping = r.service.stop("SIGTERM");
    await waitFor(() => readFileSync(out, "utf8").includes("DOWN"));
    r.clock.advance(3_000);
    await stopping;
    expect(readFileSync(out, "utf8").trim().split("\n")).toEqual([
      "VS [10.0.0.1]:tcp:80 UP",
      "TERM",
      "RS [10.0.1.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN",
      "VS [10.0.0.1]:tcp:80 DOWN",
    ]);
    expect(existsSync(path)).toBe(false);
  });
});
