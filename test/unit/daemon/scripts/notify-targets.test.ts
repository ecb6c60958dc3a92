// Notify targets from a parsed keepalived.conf: every notify command goes through the same
// script-security check as a vrrp_script (keepalived vrrp.c check_vrrp_script_security ->
// check_notify_script_secure), over a fake file system.
import { describe, expect, test } from "bun:test";
import { memoryLogger } from "../../../../src/common/logger.ts";
import { notifyTargets, type NotifyScriptContext } from "../../../../src/daemon/scripts/notify-targets.ts";
import type { FileStat, SecurityFs } from "../../../../src/daemon/scripts/script-security.ts";
import { planRuntime } from "../../../../src/vrrp/instance-plan.ts";
import { parseText } from "../../config/helpers.ts";

const dir = (perm: number, uid = 0, gid = 0): FileStat => ({ mode: 0o040000 | perm, uid, gid });
const file = (perm: number, uid = 0, gid = 0): FileStat => ({ mode: 0o100000 | perm, uid, gid });

function fakeFs(entries: Record<string, FileStat>): SecurityFs {
  return { lstat: (p) => entries[p], stat: (p) => entries[p], realpath: (p) => (entries[p] ? p : undefined) };
}

const secureTree = {
  "/": dir(0o755),
  "/etc": dir(0o755),
  "/etc/keepalived": dir(0o755),
  "/etc/keepalived/master.sh": file(0o755),
  "/etc/keepalived/notify.sh": file(0o755),
  "/bin": dir(0o755),
  "/bin/sh": file(0o755),
  "/usr": dir(0o755),
  "/usr/bin": dir(0o755),
  "/usr/bin/logger": file(0o755),
};

const CONFIG = `vrrp_sync_group G1 {
  group { VI_1 }
  notify_master /etc/keepalived/master.sh
  notify "/etc/keepalived/notify.sh group"
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress { 10.99.0.41/24 }
  notify_master "/etc/keepalived/master.sh instance"
  notify_backup "logger -t vrrp backup"
  notify_fault "echo fault > /run/vrrp-state"
  notify /etc/keepalived/notify.sh
  notify_deleted "/etc/keepalived/notify.sh deleted"
}
`;

function targets(entries: Record<string, FileStat>, context: Partial<NotifyScriptContext> = {}) {
  const parsed = parseText(CONFIG);
  expect(parsed.errors).toEqual([]);
  const plan = planRuntime(parsed.config!);
  const logger = memoryLogger();
  const all = notifyTargets(
    plan.instances,
    plan.syncGroups,
    { identity: { uid: 0, gid: 0 }, enableScriptSecurity: true, securityFs: fakeFs(entries), ...context },
    logger,
  );
  const instance = all.find((t) => t.kind === "INSTANCE" && t.name === "VI_1")!;
  const group = all.find((t) => t.kind === "GROUP" && t.name === "G1")!;
  return { instance, group, lines: logger.lines };
}

describe("notify targets and script security", () => {
  test("secure scripts are all kept, run as the script user, with no log lines", () => {
    const { instance, group, lines } = targets(secureTree, { identity: { uid: 0, gid: 0 } });
    expect(instance.master?.command.argv).toEqual(["/etc/keepalived/master.sh", "instance"]);
    expect(instance.backup?.command.argv).toEqual(["logger", "-t", "vrrp", "backup"]);
    expect(instance.fault?.command.mode).toBe("shell");
    expect(instance.notify?.command.argv).toEqual(["/etc/keepalived/notify.sh"]);
    expect(instance.master).toMatchObject({ uid: 0, gid: 0 });
    expect(group.master?.command.argv).toEqual(["/etc/keepalived/master.sh"]);
    expect(group.notify?.command.argv).toEqual(["/etc/keepalived/notify.sh", "group"]);
    expect(lines).toEqual([]);
  });

  test("with enable_script_security, a script in a world-writable directory is disabled for instances and groups alike", () => {
    const { instance, group, lines } = targets({ ...secureTree, "/etc/keepalived": dir(0o777) });
    expect(instance.master).toBeUndefined();
    expect(instance.notify).toBeUndefined();
    expect(group.master).toBeUndefined();
    expect(group.notify).toBeUndefined();
    // Scripts elsewhere are untouched.
    expect(instance.backup).toBeDefined();
    expect(instance.fault).toBeDefined();
    expect(lines.filter((l) => l.includes("is disabled: refused by script security")).length).toBe(5);
    expect(lines).toContainEqual(
      expect.stringContaining(
        `VI_1: notify_master script /etc/keepalived/master.sh runs as root but /etc/keepalived is world-writable - disabled because enable_script_security is set`,
      ),
    );
    expect(lines).toContainEqual(expect.stringContaining(`G1: notify "/etc/keepalived/notify.sh group" is disabled`));
  });

  test("without enable_script_security, an insecure script still runs, with a warning", () => {
    const { instance, lines } = targets({ ...secureTree, "/etc/keepalived/master.sh": file(0o755, 1000, 1000) }, { enableScriptSecurity: false });
    expect(instance.master?.command.argv).toEqual(["/etc/keepalived/master.sh", "instance"]);
    expect(
      lines.some((l) => l.startsWith("warn") && l.includes("owned by uid 1000") && l.includes("running anyway because enable_script_security is not set")),
    ).toBe(true);
    expect(lines.some((l) => l.includes("is disabled"))).toBe(false);
  });

  test("a script that does not run as root is not policed", () => {
    const { instance, lines } = targets({ ...secureTree, "/etc/keepalived": dir(0o777) }, { identity: { uid: 1000, gid: 1000 } });
    expect(instance.master).toMatchObject({ uid: 1000, gid: 1000 });
    expect(lines).toEqual([]);
  });

  test("a missing or non-executable script is disabled even without enable_script_security", () => {
    const entries: Record<string, FileStat> = { ...secureTree, "/etc/keepalived/master.sh": file(0o644) };
    delete entries["/usr/bin/logger"];
    const { instance, lines } = targets(entries, { enableScriptSecurity: false, identity: { uid: 1000, gid: 1000 } });
    expect(instance.master).toBeUndefined();
    expect(instance.backup).toBeUndefined();
    expect(lines).toContainEqual(expect.stringContaining('VI_1: notify_master "/etc/keepalived/master.sh instance" is disabled: refused by script security'));
    expect(lines).toContainEqual(expect.stringContaining("is not executable for uid:gid 1000:1000"));
    expect(lines).toContainEqual(expect.stringContaining('VI_1: notify_backup "logger -t vrrp backup" is disabled: program logger not found in'));
  });

  test("notify_deleted: the flag and its command, which is checked like the others", () => {
    const { instance, group } = targets(secureTree);
    expect(instance.notifyDeleted).toBe(true);
    expect(instance.deleted?.command.argv).toEqual(["/etc/keepalived/notify.sh", "deleted"]);
    expect(group.notifyDeleted).toBeUndefined();
    expect(targets({ ...secureTree, "/etc/keepalived": dir(0o777) }).instance).toMatchObject({ notifyDeleted: true, deleted: undefined });
  });

  test("a shell-syntax command is checked as the shell that runs it", () => {
    const { instance } = targets({ ...secureTree, "/bin": dir(0o777) });
    expect(instance.fault).toBeUndefined();
    expect(instance.master).toBeDefined();
  });
});
