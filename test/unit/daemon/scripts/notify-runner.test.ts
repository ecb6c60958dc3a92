import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../../../src/common/clock.ts";
import { memoryLogger } from "../../../../src/common/logger.ts";
import { createNotifyRunner, type NotifyRunRecord, type NotifyTarget } from "../../../../src/daemon/scripts/notify-runner.ts";
import { createProcessRunner } from "../../../../src/daemon/scripts/process-runner.ts";
import { parseScriptCommand } from "../../../../src/daemon/scripts/script-command.ts";

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tandem-notify-"));
  // Records its arguments; detects overlap with a lock file; sleeps a varying short time.
  script(
    "record.sh",
    `#!/bin/sh
log="$1"; shift
if [ -e "$log.lock" ]; then echo OVERLAP >> "$log"; fi
touch "$log.lock"
sleep 0.0$(( $$ % 5 ))
echo "$*" >> "$log"
rm -f "$log.lock"
echo "said $*"
`,
  );
  script("slow.sh", "#!/bin/sh\nsleep 5\n");
  script("fail.sh", "#!/bin/sh\necho broken >&2\nexit 3\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string) {
  writeFileSync(join(dir, name), body);
  chmodSync(join(dir, name), 0o755);
}
const cmd = (text: string) => {
  const parsed = parseScriptCommand(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return { command: parsed.command };
};
const lines = (log: string) => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);

function setup(targets: NotifyTarget[], extra: { timeoutMs?: number; stopTimeoutMs?: number } = {}) {
  const clock = systemClock();
  const records: NotifyRunRecord[] = [];
  const logger = memoryLogger();
  const notifier = createNotifyRunner({ clock, runner: createProcessRunner(clock), logger, targets, onRun: (r) => records.push(r), ...extra });
  return { notifier, records, logger };
}

describe("notify runner", () => {
  test("state script first with no extra args, then notify with INSTANCE NAME STATE PRIORITY", async () => {
    const log = join(dir, "order.log");
    const { notifier, records } = setup([
      { kind: "INSTANCE", name: "VI_1", master: cmd(`${dir}/record.sh ${log} master-script`), notify: cmd(`${dir}/record.sh ${log}`) },
    ]);
    notifier.transition("INSTANCE", "VI_1", "MASTER", 100);
    await notifier.idle();
    expect(lines(log)).toEqual(["master-script", "INSTANCE VI_1 MASTER 100"]);
    expect(records.map((r) => r.role)).toEqual(["notify_master", "notify"]);
    expect(records[1]).toMatchObject({ kind: "INSTANCE", name: "VI_1", state: "MASTER", priority: 100, exitCode: 0, timedOut: false });
    expect(records[1]!.argv.slice(-4)).toEqual(["INSTANCE", "VI_1", "MASTER", "100"]);
    expect(records[1]!.output).toBe("said INSTANCE VI_1 MASTER 100\n");
  });

  test("a burst of 5 transitions runs in order, never two at once for one instance", async () => {
    const log = join(dir, "burst.log");
    const { notifier, records } = setup([{ kind: "INSTANCE", name: "VI_2", notify: cmd(`${dir}/record.sh ${log}`) }]);
    const states = ["BACKUP", "MASTER", "FAULT", "BACKUP", "MASTER"] as const;
    states.forEach((s, i) => notifier.transition("INSTANCE", "VI_2", s, 90 + i));
    await notifier.idle();
    expect(lines(log)).toEqual(states.map((s, i) => `INSTANCE VI_2 ${s} ${90 + i}`));
    expect(records.length).toBe(5);
  });

  test("different instances do not wait for each other", async () => {
    const log = join(dir, "parallel.log");
    const { notifier } = setup([
      { kind: "INSTANCE", name: "SLOW", notify: cmd(`/bin/sh -c 'sleep 0.4; echo slow >> ${log}'`) },
      { kind: "INSTANCE", name: "FAST", notify: cmd(`/bin/sh -c 'echo fast >> ${log}'`) },
    ]);
    notifier.transition("INSTANCE", "SLOW", "MASTER", 100);
    notifier.transition("INSTANCE", "FAST", "MASTER", 100);
    await notifier.idle();
    expect(lines(log)).toEqual(["fast", "slow"]);
  });

  test("sync groups: GROUP NAME STATE PRIORITY", async () => {
    const log = join(dir, "group.log");
    const { notifier } = setup([{ kind: "GROUP", name: "G1", fault: cmd(`${dir}/record.sh ${log} group-fault`), notify: cmd(`${dir}/record.sh ${log}`) }]);
    notifier.transition("GROUP", "G1", "FAULT", 0);
    await notifier.idle();
    expect(lines(log)).toEqual(["group-fault", "GROUP G1 FAULT 0"]);
  });

  describe("an instance removed by a reload (keepalived clear_diff_vrrp)", () => {
    const target = (log: string, notifyDeleted: boolean): NotifyTarget => ({
      kind: "INSTANCE",
      name: "VI_D",
      fault: cmd(`${dir}/record.sh ${log} fault-script`),
      stop: cmd(`${dir}/record.sh ${log} stop-script`),
      ...(notifyDeleted ? { notifyDeleted, deleted: cmd(`${dir}/record.sh ${log} deleted-script`) } : {}),
      notify: cmd(`${dir}/record.sh ${log}`),
    });

    test("with notify_deleted: DELETED to its script and the generic one, with the scripts from before the reload", async () => {
      const log = join(dir, "deleted.log");
      const { notifier, records } = setup([target(log, true)]);
      notifier.setTargets([]); // the reload that removed it
      notifier.transition("INSTANCE", "VI_D", "STOP", 50); // its shutdown: not in the new targets, so nothing
      notifier.deleted("VI_D", "MASTER", 50);
      await notifier.idle();
      expect(lines(log)).toEqual(["deleted-script", "INSTANCE VI_D DELETED 50"]);
      expect(records.map((r) => [r.role, r.state])).toEqual([
        ["notify_deleted", "DELETED"],
        ["notify", "DELETED"],
      ]);
    });

    test("notify_deleted with no command: DELETED to the generic script only", async () => {
      const log = join(dir, "deleted-bare.log");
      const { notifier } = setup([{ ...target(log, true), deleted: undefined }]);
      notifier.setTargets([]);
      notifier.deleted("VI_D", "FAULT", 0);
      await notifier.idle();
      expect(lines(log)).toEqual(["INSTANCE VI_D DELETED 0"]);
    });

    test("without notify_deleted: FAULT to the generic script only (not notify_fault), and nothing if it was FAULT already", async () => {
      const log = join(dir, "deleted-fault.log");
      const { notifier } = setup([target(log, false)]);
      notifier.setTargets([]);
      notifier.deleted("VI_D", "FAULT", 50);
      await notifier.idle();
      expect(lines(log)).toEqual([]);
      notifier.deleted("VI_D", "BACKUP", 50);
      await notifier.idle();
      expect(lines(log)).toEqual(["INSTANCE VI_D FAULT 50"]);
    });

    test("forgotten at the next reload; unknown names and groups run nothing", async () => {
      const log = join(dir, "deleted-gone.log");
      const { notifier } = setup([target(log, true), { kind: "GROUP", name: "G_D", notify: cmd(`${dir}/record.sh ${log}`) }]);
      notifier.setTargets([]);
      notifier.setTargets([]);
      notifier.deleted("VI_D", "MASTER", 50);
      notifier.deleted("G_D", "MASTER", 50);
      notifier.deleted("VI_X", "MASTER", 50);
      await notifier.idle();
      expect(lines(log)).toEqual([]);
    });
  });

  test("a hung script is killed at the timeout and the queue moves on", async () => {
    const log = join(dir, "timeout.log");
    const { notifier, records, logger } = setup([{ kind: "INSTANCE", name: "VI_T", backup: cmd(`${dir}/slow.sh`), notify: cmd(`${dir}/record.sh ${log}`) }], {
      timeoutMs: 200,
    });
    const started = performance.now();
    notifier.transition("INSTANCE", "VI_T", "BACKUP", 80);
    await notifier.idle();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(records[0]).toMatchObject({ role: "notify_backup", timedOut: true, signal: "SIGKILL" });
    expect(lines(log)).toEqual(["INSTANCE VI_T BACKUP 80"]);
    expect(logger.lines.some((l) => l.startsWith("warn notify_backup for INSTANCE VI_T (BACKUP) timed out"))).toBe(true);
  });

  test("STOP uses the short stop timeout", async () => {
    const { notifier, records } = setup([{ kind: "INSTANCE", name: "VI_S", stop: cmd(`${dir}/slow.sh`) }], { timeoutMs: 30_000, stopTimeoutMs: 100 });
    notifier.transition("INSTANCE", "VI_S", "STOP", 0);
    await notifier.idle();
    expect(records[0]).toMatchObject({ role: "notify_stop", timedOut: true });
  });

  test("a missing script is reported with spawnError and does not block the next", async () => {
    const log = join(dir, "missing.log");
    const { notifier, records, logger } = setup([
      { kind: "INSTANCE", name: "VI_M", master: cmd(`${dir}/does-not-exist.sh`), notify: cmd(`${dir}/record.sh ${log}`) },
    ]);
    notifier.transition("INSTANCE", "VI_M", "MASTER", 100);
    await notifier.idle();
    expect(records[0]!.spawnError).toContain("does not exist");
    expect(records[1]!.exitCode).toBe(0);
    expect(logger.lines.some((l) => l.includes("notify_master for INSTANCE VI_M (MASTER) could not run"))).toBe(true);
  });

  test("a failing script's status and first output line are logged", async () => {
    const { notifier, records, logger } = setup([{ kind: "INSTANCE", name: "VI_F", fault: cmd(`${dir}/fail.sh`) }]);
    notifier.transition("INSTANCE", "VI_F", "FAULT", 100);
    await notifier.idle();
    expect(records[0]).toMatchObject({ exitCode: 3, output: "broken\n" });
    expect(logger.lines.some((l) => l.includes("exited with status 3") && l.includes(": broken"))).toBe(true);
  });

  test("unknown targets and states without scripts do nothing", async () => {
    const { notifier, records } = setup([{ kind: "INSTANCE", name: "VI_N", master: cmd("/bin/true") }]);
    notifier.transition("INSTANCE", "OTHER", "MASTER", 100);
    notifier.transition("INSTANCE", "VI_N", "BACKUP", 100);
    await notifier.idle();
    expect(records).toEqual([]);
  });

  test("stop() kills the running script and drops the queue", async () => {
    const log = join(dir, "stop.log");
    const { notifier, records } = setup([{ kind: "INSTANCE", name: "VI_X", master: cmd(`${dir}/slow.sh`), notify: cmd(`${dir}/record.sh ${log}`) }]);
    notifier.transition("INSTANCE", "VI_X", "MASTER", 100);
    await Bun.sleep(50);
    const started = performance.now();
    await notifier.stop();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(records.map((r) => r.signal)).toEqual(["SIGKILL"]);
    notifier.transition("INSTANCE", "VI_X", "MASTER", 100);
    await notifier.idle();
    expect(lines(log)).toEqual([]);
  });
});
