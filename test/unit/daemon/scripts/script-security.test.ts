import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkScriptSecurity, isExecutable, nodeSecurityFs, type FileStat, type SecurityFs } from "../../../../src/daemon/scripts/script-security.ts";

const dir = (perm: number, uid = 0, gid = 0): FileStat => ({ mode: 0o040000 | perm, uid, gid });
const file = (perm: number, uid = 0, gid = 0): FileStat => ({ mode: 0o100000 | perm, uid, gid });
const link = (uid = 0): FileStat => ({ mode: 0o120000 | 0o777, uid, gid: 0 });

function fakeFs(entries: Record<string, FileStat>, links: Record<string, string> = {}): SecurityFs {
  const resolve = (p: string) => links[p] ?? p;
  return {
    lstat: (p) => entries[p],
    stat: (p) => entries[resolve(p)],
    realpath: (p) => (entries[resolve(p)] ? resolve(p) : undefined),
  };
}

const base = { "/": dir(0o755), "/etc": dir(0o755), "/etc/keepalived": dir(0o755) };
const asRoot = { uid: 0, gid: 0, enableScriptSecurity: true };
const check = (entries: Record<string, FileStat>, extra: Partial<Parameters<typeof checkScriptSecurity>[0]> = {}, links = {}) =>
  checkScriptSecurity({ program: "/etc/keepalived/check.sh", ...asRoot, ...extra }, fakeFs(entries, links));

describe("checkScriptSecurity (keepalived check_script_secure)", () => {
  test("root-owned path, 0755 script: runs, no reasons", () => {
    expect(check({ ...base, "/etc/keepalived/check.sh": file(0o755) })).toEqual({ run: true, insecure: false, reasons: [] });
  });

  test("script owned by a non-root user, run as root: refused with a reason", () => {
    const verdict = check({ ...base, "/etc/keepalived/check.sh": file(0o755, 1000, 1000) });
    expect(verdict.run).toBe(false);
    expect(verdict.insecure).toBe(true);
    expect(verdict.reasons[0]).toContain("owned by uid 1000");
    expect(verdict.reasons[0]).toContain("enable_script_security");
  });

  test("world-writable script or group-writable with non-root group: refused", () => {
    expect(check({ ...base, "/etc/keepalived/check.sh": file(0o757) }).reasons[0]).toContain("world-writable");
    expect(check({ ...base, "/etc/keepalived/check.sh": file(0o775, 0, 50) }).reasons[0]).toContain("writable by group 50");
  });

  test("group-writable by the root group is fine", () => {
    expect(check({ ...base, "/etc/keepalived/check.sh": file(0o775, 0, 0) }).run).toBe(true);
  });

  test("a writable directory on the path (not the file) is enough to refuse", () => {
    const verdict = check({ ...base, "/etc/keepalived": dir(0o777), "/etc/keepalived/check.sh": file(0o755) });
    expect(verdict.run).toBe(false);
    expect(verdict.reasons[0]).toContain("/etc/keepalived is world-writable");
  });

  test("a directory owned by a non-root user is refused", () => {
    expect(check({ ...base, "/etc": dir(0o755, 1000), "/etc/keepalived/check.sh": file(0o755) }).reasons[0]).toContain("/etc is owned by uid 1000");
  });

  test("a sticky world-writable directory (like /tmp) is accepted", () => {
    expect(
      checkScriptSecurity({ program: "/tmp/check.sh", ...asRoot }, fakeFs({ "/": dir(0o755), "/tmp": dir(0o1777), "/tmp/check.sh": file(0o755) })).run,
    ).toBe(true);
  });

  test("without enable_script_security an insecure script still runs, flagged insecure", () => {
    const verdict = check({ ...base, "/etc/keepalived/check.sh": file(0o777) }, { enableScriptSecurity: false });
    expect(verdict).toMatchObject({ run: true, insecure: true });
    expect(verdict.reasons[0]).toContain("running anyway");
  });

  test("a script run as a non-root user is not path-checked", () => {
    expect(check({ ...base, "/etc/keepalived": dir(0o777), "/etc/keepalived/check.sh": file(0o755) }, { uid: 1000, gid: 1000 }).run).toBe(true);
  });

  test("...unless it is setuid root", () => {
    const verdict = check({ ...base, "/etc/keepalived": dir(0o777), "/etc/keepalived/check.sh": file(0o4755) }, { uid: 1000, gid: 1000 });
    expect(verdict.run).toBe(false);
  });

  test("root group alone (gid 0) also needs protection", () => {
    expect(check({ ...base, "/etc/keepalived": dir(0o777), "/etc/keepalived/check.sh": file(0o755) }, { uid: 1000, gid: 0 }).run).toBe(false);
  });

  test("missing script: refused regardless of enable_script_security", () => {
    const verdict = check(base, { enableScriptSecurity: false });
    expect(verdict.run).toBe(false);
    expect(verdict.reasons[0]).toContain("cannot be accessed");
  });

  test("not executable for its user: refused", () => {
    expect(check({ ...base, "/etc/keepalived/check.sh": file(0o644) }).reasons[0]).toContain("not executable");
    expect(check({ ...base, "/etc/keepalived/check.sh": file(0o700) }, { uid: 1000, gid: 1000 }).run).toBe(false);
  });

  test("a symlink: both the link's path and the target's path are checked", () => {
    const entries = {
      ...base,
      "/etc/keepalived/check.sh": link(),
      "/home": dir(0o755),
      "/home/u": dir(0o755, 1000, 1000),
      "/home/u/real.sh": file(0o755),
    };
    const verdict = check(entries, {}, { "/etc/keepalived/check.sh": "/home/u/real.sh" });
    expect(verdict.run).toBe(false);
    expect(verdict.reasons[0]).toContain("/home/u is owned by uid 1000");
  });

  test("isExecutable follows owner, then group, then other", () => {
    expect(isExecutable(file(0o010, 5, 7), 5, 7)).toBe(false);
    expect(isExecutable(file(0o010, 5, 7), 6, 7)).toBe(true);
    expect(isExecutable(file(0o001, 5, 7), 6, 8)).toBe(true);
    expect(isExecutable(file(0o001, 5, 7), 0, 0)).toBe(true);
  });
});

describe.skipIf(process.getuid?.() !== 0)("checkScriptSecurity on the real file system (root)", () => {
  test("a symlinked directory on the path (merged /usr: /bin -> usr/bin) is accepted", () => {
    const entries = { "/": dir(0o755), "/bin": link(), "/usr": dir(0o755), "/usr/bin": dir(0o755), "/usr/bin/sh": file(0o755) };
    const fs: SecurityFs = {
      // lstat follows symlinks in all but the last component, as lstat(2) does.
      lstat: (p) => entries[p as keyof typeof entries] ?? entries[p.replace(/^\/bin\//, "/usr/bin/") as keyof typeof entries],
      stat: (p) => entries[p.replace(/^\/bin\//, "/usr/bin/") as keyof typeof entries],
      realpath: (p) => p.replace(/^\/bin\//, "/usr/bin/"),
    };
    expect(checkScriptSecurity({ program: "/bin/sh", ...asRoot }, fs)).toEqual({ run: true, insecure: false, reasons: [] });
  });

  test("the shell that runs shell-syntax scripts passes on this machine's real file system", () => {
    expect(checkScriptSecurity({ program: "/bin/sh", ...asRoot }, nodeSecurityFs).run).toBe(true);
  });

  let root = "";
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "tandem-sec-"));
    chmodSync(root, 0o755);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test("a safe script passes; making its directory user-owned refuses it", () => {
    const scripts = join(root, "scripts");
    mkdirSync(scripts, { mode: 0o755 });
    const script = join(scripts, "check.sh");
    writeFileSync(script, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    // tmpdir() itself may sit under a sticky /tmp: both are accepted by keepalived's rule.
    expect(checkScriptSecurity({ program: script, ...asRoot }, nodeSecurityFs)).toEqual({ run: true, insecure: false, reasons: [] });
    chownSync(scripts, 65534, 65534);
    const verdict = checkScriptSecurity({ program: script, ...asRoot }, nodeSecurityFs);
    expect(verdict.run).toBe(false);
    expect(verdict.reasons[0]).toContain(`${scripts} is owned by uid 65534`);
  });
});
