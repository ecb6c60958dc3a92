// Resolves script_user / per-script `user USER [GROUP]` names to uid/gid from /etc/passwd
// and /etc/group, with keepalived's defaults (lib/notify.c set_uid_gid, get_default_script_user).

import { readFileSync } from "node:fs";

export interface ScriptIdentity {
  uid: number;
  gid: number;
}

export interface AccountDatabase {
  users: ReadonlyMap<string, { uid: number; gid: number }>;
  groups: ReadonlyMap<string, number>;
}

export type ResolvedIdentity = { ok: true; identity: ScriptIdentity } | { ok: false; error: string };

/** keepalived runs scripts as this user when no script_user is given and the user exists. */
export const defaultScriptUserName = "keepalived_script";

/** Parse passwd(5) and group(5) text. Malformed lines are skipped, as getpwnam(3) does. */
export function parseAccountDatabase(passwdText: string, groupText: string): AccountDatabase {
  const users = new Map<string, { uid: number; gid: number }>();
  for (const line of passwdText.split("\n")) {
    const fields = line.split(":");
    const uid = Number(fields[2]);
    const gid = Number(fields[3]);
    if (fields.length >= 4 && fields[0] && Number.isInteger(uid) && Number.isInteger(gid) && !users.has(fields[0])) {
      users.set(fields[0], { uid, gid });
    }
  }
  const groups = new Map<string, number>();
  for (const line of groupText.split("\n")) {
    const fields = line.split(":");
    const gid = Number(fields[2]);
    if (fields.length >= 3 && fields[0] && fields[2] !== "" && Number.isInteger(gid) && !groups.has(fields[0])) groups.set(fields[0], gid);
  }
  return { users, groups };
}

/** Read the real account files; a missing file reads as empty (then only numeric ids would work: none do, like keepalived). */
export function readAccountDatabase(passwdPath = "/etc/passwd", groupPath = "/etc/group"): AccountDatabase {
  const read = (path: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return "";
    }
  };
  return parseAccountDatabase(read(passwdPath), read(groupPath));
}

/** USER [GROUP] -> uid/gid; the group defaults to the user's primary group (keepalived set_uid_gid). */
export function resolveUserGroup(db: AccountDatabase, user: string, group?: string): ResolvedIdentity {
  const account = db.users.get(user);
  if (!account) return { ok: false, error: `script user '${user}' does not exist in /etc/passwd: create it or name another user` };
  if (group === undefined) return { ok: true, identity: { uid: account.uid, gid: account.gid } };
  const gid = db.groups.get(group);
  if (gid === undefined) return { ok: false, error: `script group '${group}' does not exist in /etc/group: create it or name another group` };
  return { ok: true, identity: { uid: account.uid, gid } };
}

/**
 * Who runs a script: its own `user`, else global `script_user`, else keepalived_script if it
 * exists, else the daemon's own uid/gid (keepalived get_default_script_user).
 */
export function resolveScriptIdentity(
  db: AccountDatabase,
  own: { user: string; group?: string } | undefined,
  globalScriptUser: { user: string; group?: string } | undefined,
  daemon: ScriptIdentity,
): ResolvedIdentity {
  const chosen = own ?? globalScriptUser;
  if (chosen) return resolveUserGroup(db, chosen.user, chosen.group);
  const fallback = resolveUserGroup(db, defaultScriptUserName);
  return fallback.ok ? fallback : { ok: true, identity: { ...daemon } };
}
