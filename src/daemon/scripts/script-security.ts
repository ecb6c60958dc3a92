// keepalived's script checks at load time (lib/notify.c check_script_secure/check_security):
// is the script there, executable for its user, and - when it runs as root - safe from
// modification by non-root users. The file system is injected so the rules are unit-testable.
// vrrp_scripts and notify scripts both go through it, as in keepalived (vrrp.c check_vrrp_script_security).

import { lstatSync, realpathSync, statSync } from "node:fs";
import { scriptSearchPath } from "./process-runner.ts";

export interface FileStat {
  /** st_mode, including the S_IFMT type bits. */
  mode: number;
  uid: number;
  gid: number;
}

export interface SecurityFs {
  /** Does not follow a final symlink; undefined when it cannot be read. */
  lstat(path: string): FileStat | undefined;
  stat(path: string): FileStat | undefined;
  realpath(path: string): string | undefined;
}

export interface ScriptSecurityInput {
  /** Absolute path of the program that will be exec'd (after any PATH search; /bin/sh for shell-mode scripts). */
  program: string;
  uid: number;
  gid: number;
  /** global_defs enable_script_security */
  enableScriptSecurity: boolean;
}

export interface ScriptSecurityVerdict {
  /** false: keepalived disables the script (a vrrp_script is then dropped from every track_script list). */
  run: boolean;
  /** Some part of the path is modifiable by non-root while the script runs as root. */
  insecure: boolean;
  /** Human-readable, one per finding; empty when all is well. */
  reasons: string[];
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;

const typeOf = (mode: number) => mode & S_IFMT;

export function checkScriptSecurity(input: ScriptSecurityInput, fs: SecurityFs): ScriptSecurityVerdict {
  const { program, uid, gid } = input;
  const realPath = fs.realpath(program);
  if (realPath === undefined) return refuse(`script ${program} cannot be accessed (missing, or a directory on its path is not searchable)`);
  const file = fs.stat(realPath);
  if (!file) return refuse(`script ${program} cannot be accessed`);
  if (typeOf(file.mode) !== S_IFREG) return refuse(`script ${program} is not a regular file`);
  if (!isExecutable(file, uid, gid)) return refuse(`script ${program} is not executable for uid:gid ${uid}:${gid}: chmod it or run it as another user`);

  // keepalived only polices scripts that end up with root power.
  const needsProtection =
    uid === 0 ||
    gid === 0 ||
    (file.uid === 0 && (file.mode & 0o100) !== 0 && (file.mode & S_ISUID) !== 0) ||
    (file.gid === 0 && (file.mode & 0o010) !== 0 && (file.mode & S_ISGID) !== 0);
  if (!needsProtection) return { run: true, insecure: false, reasons: [] };

  const paths = realPath === program ? [program] : [program, realPath];
  const reasons: string[] = [];
  let insecure = false;
  for (const path of paths) {
    const finding = checkPathComponents(path, fs);
    if (!finding) continue;
    if (finding.kind === "refuse") return refuse(finding.reason);
    insecure = true;
    reasons.push(finding.reason);
  }
  if (!insecure) return { run: true, insecure: false, reasons: [] };
  const consequence = input.enableScriptSecurity
    ? "disabled because enable_script_security is set"
    : "running anyway because enable_script_security is not set";
  return { run: !input.enableScriptSecurity, insecure: true, reasons: reasons.map((r) => `${r} - ${consequence}`) };
}

/** The absolute program exec would run for a script's first word (keepalived's PATH search for a bare name). */
export function resolveScriptProgram(program: string, fs: SecurityFs): string | undefined {
  if (program.includes("/")) return program;
  for (const dir of scriptSearchPath.split(":")) if (fs.stat(`${dir}/${program}`)) return `${dir}/${program}`;
  return undefined;
}

function refuse(reason: string): ScriptSecurityVerdict {
  return { run: false, insecure: false, reasons: [reason] };
}

/** keepalived is_executable(): root needs any x bit; otherwise owner, group, other in order. */
export function isExecutable(file: FileStat, uid: number, gid: number): boolean {
  if (uid === 0) return (file.mode & 0o111) !== 0;
  if (uid === file.uid) return (file.mode & 0o100) !== 0;
  if (gid === file.gid) return (file.mode & 0o010) !== 0;
  return (file.mode & 0o001) !== 0;
}

/** Walks "/", "/a", "/a/b", ... with lstat; stops at the first problem, like check_security(). */
function checkPathComponents(path: string, fs: SecurityFs): { kind: "refuse" | "insecure"; reason: string } | undefined {
  const parts = path.split("/").filter((p) => p !== "");
  const prefixes = ["/", ...parts.map((_, i) => "/" + parts.slice(0, i + 1).join("/"))];
  for (let i = 0; i < prefixes.length; i++) {
    const component = prefixes[i]!;
    const isLast = i === prefixes.length - 1;
    const st = fs.lstat(component);
    if (!st) return { kind: "refuse", reason: `script ${path}: cannot stat ${component}` };
    const type = typeOf(st.mode);
    // A symlinked directory on the way (Debian 12's merged /usr: /bin -> usr/bin) is fine:
    // its target is walked too, since the caller also checks the resolved path.
    if ((!isLast && type !== S_IFDIR && type !== S_IFLNK) || (isLast && type !== S_IFREG && type !== S_IFLNK)) {
      return { kind: "refuse", reason: `script ${path}: wrong file type at ${component}` };
    }
    if (st.uid !== 0) {
      return { kind: "insecure", reason: `script ${path} runs as root but ${component} is owned by uid ${st.uid}, not root` };
    }
    // Sticky directories (like /tmp) and symlinks are exempt from the write-bit test, as in keepalived.
    const writeBitsMatter = (type === S_IFDIR && (st.mode & S_ISVTX) === 0) || type === S_IFREG;
    if (writeBitsMatter && st.gid !== 0 && (st.mode & 0o020) !== 0) {
      return { kind: "insecure", reason: `script ${path} runs as root but ${component} is writable by group ${st.gid}` };
    }
    if (writeBitsMatter && (st.mode & 0o002) !== 0) {
      return { kind: "insecure", reason: `script ${path} runs as root but ${component} is world-writable` };
    }
  }
  return undefined;
}

/** The real file system. */
export const nodeSecurityFs: SecurityFs = {
  lstat: (path) => statOrUndefined(() => lstatSync(path)),
  stat: (path) => statOrUndefined(() => statSync(path)),
  realpath: (path) => {
    try {
      return realpathSync(path);
    } catch {
      return undefined;
    }
  },
};

function statOrUndefined(read: () => { mode: number; uid: number; gid: number }): FileStat | undefined {
  try {
    const { mode, uid, gid } = read();
    return { mode, uid, gid };
  } catch {
    return undefined;
  }
}
