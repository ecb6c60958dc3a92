import { describe, expect, test } from "bun:test";
import { parseAccountDatabase, resolveScriptIdentity, resolveUserGroup } from "../../../../src/daemon/scripts/script-user.ts";

const db = parseAccountDatabase(
  ["root:x:0:0:root:/root:/bin/bash", "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin", "broken line", "web:x:33:33::/var/www:/bin/false", ""].join(
    "\n",
  ),
  ["root:x:0:", "nogroup:x:65534:", "www-data:x:33:", "adm:x:4:syslog"].join("\n"),
);

describe("script user resolution", () => {
  test("user alone takes the user's primary group", () => {
    expect(resolveUserGroup(db, "nobody")).toEqual({ ok: true, identity: { uid: 65534, gid: 65534 } });
  });
  test("user and group", () => {
    expect(resolveUserGroup(db, "web", "adm")).toEqual({ ok: true, identity: { uid: 33, gid: 4 } });
  });
  test("unknown user or group is an error naming it", () => {
    const user = resolveUserGroup(db, "ghost");
    expect(user.ok).toBe(false);
    if (!user.ok) expect(user.error).toContain("'ghost'");
    const group = resolveUserGroup(db, "web", "ghosts");
    expect(group.ok).toBe(false);
    if (!group.ok) expect(group.error).toContain("'ghosts'");
  });
  test("precedence: the script's own user, then script_user, then keepalived_script, then the daemon's ids", () => {
    const daemon = { uid: 0, gid: 0 };
    expect(resolveScriptIdentity(db, { user: "web" }, { user: "nobody" }, daemon)).toEqual({ ok: true, identity: { uid: 33, gid: 33 } });
    expect(resolveScriptIdentity(db, undefined, { user: "nobody" }, daemon)).toEqual({ ok: true, identity: { uid: 65534, gid: 65534 } });
    expect(resolveScriptIdentity(db, undefined, undefined, daemon)).toEqual({ ok: true, identity: { uid: 0, gid: 0 } });
    const withDefault = parseAccountDatabase("keepalived_script:x:990:990::/:/bin/false", "");
    expect(resolveScriptIdentity(withDefault, undefined, undefined, daemon)).toEqual({ ok: true, identity: { uid: 990, gid: 990 } });
  });
});
