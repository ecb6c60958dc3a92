// The host facts the director's preflight and status read beside the IPVS table: sysctls in
// /proc/sys (read, and written when ipvs_set_sysctls says so), which kernel modules are loaded
// (/sys/module), and /proc/net/ip_vs_stats. Plain file I/O behind a port, so the rules that
// judge them (ipvs/preflight.ts, ipvs/ip-vs-stats.ts) are tested on values.
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface HostFactsPort {
  /** A sysctl's integer value; undefined when the kernel has no such file (or it holds no integer). */
  readSysctl(name: string): Promise<number | undefined>;
  writeSysctl(name: string, value: number): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** Those of `names` that are loaded kernel modules. */
  loadedModules(names: readonly string[]): Promise<string[]>;
  /** /proc/net/ip_vs_stats as text; undefined without IPVS. */
  ipvsStats(): Promise<string | undefined>;
}

/** "net.ipv4.vs.conntrack" -> /proc/sys/net/ipv4/vs/conntrack (sysctl(8)'s dots; no component here has one of its own). */
export function sysctlPath(name: string, root = "/"): string {
  return join(root, "proc/sys", ...name.split("."));
}

/** The real host; `root` lets a test point it at a directory laid out like / instead. */
export function procHost(root = "/"): HostFactsPort {
  return {
    readSysctl: async (name) => {
      const text = (await readFile(sysctlPath(name, root), "utf8").catch(() => undefined))?.trim();
      // One integer only: a vector such as sync_threshold's "3\t50" is not a value these rules judge.
      return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : undefined;
    },
    writeSysctl: async (name, value) =>
      writeFile(sysctlPath(name, root), `${value}\n`).then(
        () => ({ ok: true as const }),
        (error: NodeJS.ErrnoException) => ({ ok: false as const, reason: `${sysctlPath(name, root)}: ${error.code ?? error.message}` }),
      ),
    loadedModules: async (names) => names.filter((name) => existsSync(join(root, "sys/module", name))),
    ipvsStats: () => readFile(join(root, "proc/net/ip_vs_stats"), "utf8").catch(() => undefined),
  };
}
