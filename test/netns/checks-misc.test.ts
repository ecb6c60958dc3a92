// MISC_CHECK and FILE_CHECK in the built binary: real scripts run by the daemon (tandem -C,
// no IPVS on the host: the checks run and decide alive). A script that fails by its exit
// status, a hung one killed with its whole process group at misc_timeout, misc_dynamic
// weights read back from GET /ipvs/state, and a track_file's value followed by FILE_CHECK. Detection times are measured from keepalived's log lines and checked
// against what the configuration implies (delay_loop 1, retry 1, delay_before_retry 1).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupStale, createTopology, exec, ownLog, tandemImpl, waitFor, type DaemonHandle, type Topology } from "./lib/index.ts";
import { isRoot } from "./support/pair-scenarios.ts";
import { loggedAt } from "./support/check-logs.ts";

const unavailable = tandemImpl.unavailableReason();
const RS = "10.99.0.100";
/** ha_suspend's IPv6 virtual server and its real server (a MISC_CHECK: nothing is connected to). */
const VIP6 = "fd00:99::53";
const RS6 = "fd00:99::100";

describe.skipIf(!isRoot || unavailable !== null)("MISC_CHECK scripts and FILE_CHECK (root, netns)", () => {
  let topo: Topology;
  let daemon: DaemonHandle;
  let dir: string;
  const api = () => `http://${topo.box("a").ip}:8080`;
  const detected = async (text: string, fromMs: number, timeoutMs: number) =>
    (await waitFor(() => loggedAt(ownLog(daemon), text, fromMs), { timeoutMs, intervalMs: 20, what: `the log line "${text}"` })) - fromMs;
  const checkerOf = async (port: number) => {
    const r = await exec(topo.box("a").ns, ["curl", "-sS", "-m", "5", `${api()}/ipvs/state`]);
    const vs = JSON.parse(r.stdout).virtualServers[0];
    return vs.realServers.find((s: { port: number }) => s.port === port).checkers[0];
  };

  beforeAll(async () => {
    await cleanupStale();
    topo = await createTopology();
    const box = topo.box("a");
    dir = box.runDir;
    // A script that exec()s (no shell): its status is the file's number.
    writeFileSync(join(dir, "weight"), "12\n");
    writeFileSync(join(dir, "dynamic.sh"), `#!/bin/sh\nexit $(cat ${dir}/weight)\n`);
    // A script that hangs while the file is there, with a child of its own that must go with it.
    writeFileSync(join(dir, "hang.sh"), `#!/bin/sh\nif [ -f ${dir}/hang ]; then sleep 60 & echo $! > ${dir}/hang.child; wait; fi\nexit 0\n`);
    for (const name of ["dynamic.sh", "hang.sh"]) chmodSync(join(dir, name), 0o755);
    writeFileSync(join(dir, "file-weight"), "3\n");
    const config = `
global_defs {
    api_listen ${box.ip}:8080
}
track_file rs_weight {
    file ${dir}/file-weight
    weight 2
}
virtual_server 10.99.0.51 80 {
    protocol TCP
    delay_loop 1
    real_server ${RS} 80 {
        MISC_CHECK {
            misc_path "test ! -f ${dir}/down"
            retry 1
            delay_before_retry 1
        }
    }
    real_server ${RS} 81 {
        MISC_CHECK {
            misc_path ${dir}/hang.sh
            misc_timeout 1
        }
    }
    real_server ${RS} 82 {
        MISC_CHECK {
            misc_path ${dir}/dynamic.sh
            misc_dynamic
        }
    }
    real_server ${RS} 83 {
        FILE_CHECK {
            track_file rs_weight
        }
    }
}
virtual_server 10.99.0.52 80 {
    protocol TCP
    delay_loop 1
    ha_suspend
    real_server ${RS} 80 {
        MISC_CHECK {
            misc_path /bin/true
        }
    }
}
virtual_server ${VIP6} 80 {
    protocol TCP
    delay_loop 1
    ha_suspend
    real_server ${RS6} 80 {
        MISC_CHECK {
            misc_path /bin/true
        }
    }
}
`;
    daemon = await tandemImpl.start({ ns: box.ns, runDir: box.runDir, config, extraArgs: ["-C"] });
  }, 30_000);

  afterAll(async () => {
    if (daemon?.alive()) await daemon.stop("SIGTERM", 5000);
    await topo?.destroy();
  }, 30_000);

  test("each script's first run judges its real server: keepalived's lines", async () => {
    const fromMs = Date.now() - 2_000;
    for (const port of [80, 81, 82]) await detected(`Misc check for [[${RS}]:tcp:${port} VS [10.99.0.51]:tcp:80] by [`, fromMs, 8_000);
    // The shell-syntax command ran under /bin/sh -c, the others exec'd.
    expect(ownLog(daemon)).toContain(`by [test ! -f ${dir}/down] succeeded.`);
    expect(ownLog(daemon)).toContain(`by [${dir}/dynamic.sh] succeeded.`);
  }, 15_000);

  test("a failing status: down after retry + 1 failures, a delay_before_retry apart; back at the first success", async () => {
    const faultMs = Date.now();
    writeFileSync(join(dir, "down"), "");
    const downMs = await detected(`by [test ! -f ${dir}/down] failed after 1 retry (exited with status 1).`, faultMs, 6_000);
    // The next run within delay_loop, its retry delay_before_retry after it started.
    expect(downMs).toBeGreaterThanOrEqual(900);
    expect(downMs).toBeLessThan(3_000);
    const fixMs = Date.now();
    rmSync(join(dir, "down"));
    const upMs = await detected(`by [test ! -f ${dir}/down] succeeded.`, fixMs, 4_000);
    expect(upMs).toBeLessThan(1_800);
    console.log(`checks-misc: exit status 1 detected in ${downMs} ms, recovery in ${upMs} ms (delay_loop 1 s, retry 1, delay_before_retry 1 s)`);
  }, 15_000);

  test("a hung script: killed with its child at misc_timeout, 'timed out'; the next run succeeds", async () => {
    const faultMs = Date.now();
    writeFileSync(join(dir, "hang"), "");
    const downMs = await detected(`by [${dir}/hang.sh] timed out with retry disabled (timed out after 1 s).`, faultMs, 6_000);
    // Due within delay_loop, then misc_timeout: at most about 2 s.
    expect(downMs).toBeLessThan(3_000);
    const child = Number(readFileSync(join(dir, "hang.child"), "utf8"));
    await waitFor(() => !existsSync(`/proc/${child}`) || readFileSync(`/proc/${child}/stat`, "utf8").includes(") Z "), {
      timeoutMs: 3_000,
      intervalMs: 50,
      what: "the hung script's child killed with its group",
    });
    rmSync(join(dir, "hang"));
    await detected(`by [${dir}/hang.sh] succeeded.`, faultMs + downMs, 4_000);
    console.log(`checks-misc: hung script timed out in ${downMs} ms (misc_timeout 1 s)`);
  }, 15_000);

  test("misc_dynamic: the exit status minus 2 is the weight, changed as soon as the status changes, with no verdict line", async () => {
    await waitFor(async () => (await checkerOf(82)).dynamicWeight === 10, { timeoutMs: 4_000, intervalMs: 100, what: "weight 10 from status 12" });
    const changeMs = Date.now();
    writeFileSync(join(dir, "weight"), "7\n");
    await waitFor(async () => (await checkerOf(82)).dynamicWeight === 5, { timeoutMs: 4_000, intervalMs: 50, what: "weight 5 from status 7" });
    const tookMs = Date.now() - changeMs;
    expect(tookMs).toBeLessThan(2_500);
    expect(loggedAt(ownLog(daemon), `by [${dir}/dynamic.sh]`, changeMs)).toBeUndefined();
    // Status 1 fails (retry 0 for MISC_CHECK): down, and no weight while down.
    writeFileSync(join(dir, "weight"), "1\n");
    await detected(`by [${dir}/dynamic.sh] failed with retry disabled (exited with status 1).`, changeMs, 4_000);
    await waitFor(async () => (await checkerOf(82)).state === "down", { timeoutMs: 2_000, intervalMs: 50, what: "the API showing the checker down" });
    expect((await checkerOf(82)).dynamicWeight).toBeUndefined();
    console.log(`checks-misc: misc_dynamic weight change visible in ${tookMs} ms`);
  }, 20_000);

  test("FILE_CHECK: the file's value times the track_file's weight is added; a fault value takes the server down; each change at once", async () => {
    await waitFor(async () => (await checkerOf(83)).weightDelta === 6, { timeoutMs: 4_000, intervalMs: 100, what: "weight +6 from 3 x 2" });
    const changeMs = Date.now();
    writeFileSync(join(dir, "file-weight"), "-2147483648\n");
    await detected(`FILE_CHECK of [${RS}]:tcp:83 (VS [10.99.0.51]:tcp:80): track_file rs_weight down`, changeMs, 3_000);
    const downMs = Date.now() - changeMs;
    writeFileSync(join(dir, "file-weight"), "5\n");
    await waitFor(async () => (await checkerOf(83)).weightDelta === 10, { timeoutMs: 3_000, intervalMs: 50, what: "weight +10 from 5 x 2" });
    expect(downMs).toBeLessThan(1_000);
    console.log(`checks-misc: FILE_CHECK fault seen in ${downMs} ms`);
  }, 15_000);

  test("ha_suspend: the checks wait until the virtual server's address is on the box, and stop again when it leaves", async () => {
    const vs = "[10.99.0.52]:tcp:80";
    const startMs = Date.now();
    await Bun.sleep(2_500);
    expect(loggedAt(ownLog(daemon), `VS ${vs}] by [/bin/true]`, 0)).toBeUndefined();
    const ns = topo.box("a").ns;
    await exec(ns, ["ip", "addr", "add", "10.99.0.52/32", "dev", "eth0"]);
    const activateMs = await detected(`Activating healthchecker for service [${RS}]:tcp:80 for VS ${vs}`, startMs, 3_000);
    await detected(`Misc check for [[${RS}]:tcp:80 VS ${vs}] by [/bin/true] succeeded.`, startMs, 4_000);
    await exec(ns, ["ip", "addr", "del", "10.99.0.52/32", "dev", "eth0"]);
    await detected(`Suspending healthchecker for service [${RS}]:tcp:80 for VS ${vs}`, startMs + activateMs, 3_000);
    console.log(`checks-misc: ha_suspend activated ${activateMs - 2_500} ms after the address came`);
  }, 15_000);

  test("ha_suspend for IPv6: the checks wait for the address, run through its duplicate address detection, stop when it leaves", async () => {
    const vs = `[${VIP6}]:tcp:80`;
    const service = `[${RS6}]:tcp:80`;
    const startMs = Date.now();
    await Bun.sleep(1_500);
    expect(loggedAt(ownLog(daemon), `VS ${vs}] by [/bin/true]`, 0)).toBeUndefined();
    const ns = topo.box("a").ns;
    const addedMs = Date.now();
    // Not nodad: the address comes tentative, and a second RTM_NEWADDR follows when DAD is done.
    await exec(ns, ["ip", "-6", "addr", "add", `${VIP6}/64`, "dev", "eth0"]);
    const activateMs = await detected(`Activating healthchecker for service ${service} for VS ${vs}`, addedMs, 3_000);
    await detected(`Misc check for [${service} VS ${vs}] by [/bin/true] succeeded.`, startMs, 4_000);
    await waitFor(async () => !(await exec(ns, ["ip", "-6", "addr", "show", "dev", "eth0", "tentative"])).stdout.includes(VIP6), {
      timeoutMs: 5_000,
      intervalMs: 50,
      what: `${VIP6} past duplicate address detection`,
    });
    const deletedMs = Date.now();
    await exec(ns, ["ip", "-6", "addr", "del", `${VIP6}/64`, "dev", "eth0"]);
    const suspendMs = await detected(`Suspending healthchecker for service ${service} for VS ${vs}`, deletedMs, 3_000);
    // Suspended: no check runs after the line (one already under way may still finish).
    await Bun.sleep(2_500);
    const lastRun = ownLog(daemon)
      .split("\n")
      .filter((line) => line.includes(`VS ${vs}] by [/bin/true]`))
      .map((line) => Date.parse(line.slice(0, 24)))
      .at(-1)!;
    expect(lastRun).toBeLessThan(deletedMs + suspendMs + 1_200);
    expect(ownLog(daemon)).not.toContain("IPv6 addresses are not followed");
    console.log(`checks-misc: ha_suspend (IPv6) activated ${activateMs} ms after the address came, suspended ${suspendMs} ms after it left`);
  }, 20_000);
});
