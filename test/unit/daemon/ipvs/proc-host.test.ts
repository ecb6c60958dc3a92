// The host port on a directory laid out like / (proc/sys, sys/module, proc/net): sysctl names
// to paths, integers read, a missing file as undefined (not a 0), writes that land, a refused
// write with its errno, modules found by name, ip_vs_stats as text.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { procHost, sysctlPath } from "../../../../src/daemon/ipvs/proc-host.ts";

const root = mkdtempSync(join(tmpdir(), "proc-host-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, "proc/sys/net/ipv4/vs"), { recursive: true });
mkdirSync(join(root, "proc/net"), { recursive: true });
mkdirSync(join(root, "sys/module/nft_ct"), { recursive: true });
writeFileSync(join(root, "proc/sys/net/ipv4/ip_forward"), "0\n");
writeFileSync(join(root, "proc/sys/net/ipv4/vs/expire_nodest_conn"), "1\n");
writeFileSync(join(root, "proc/sys/net/ipv4/vs/sync_threshold"), "3\t50\n");
writeFileSync(join(root, "proc/net/ip_vs_stats"), "   Total Incoming\n");
const host = procHost(root);

describe("procHost", () => {
  test("sysctl(8) names map to /proc/sys paths", () => {
    expect(sysctlPath("net.ipv6.conf.all.forwarding")).toBe("/proc/sys/net/ipv6/conf/all/forwarding");
  });

  test("reads integers; a missing file, or one holding more than one integer, is undefined", async () => {
    expect(await host.readSysctl("net.ipv4.ip_forward")).toBe(0);
    expect(await host.readSysctl("net.ipv4.vs.expire_nodest_conn")).toBe(1);
    expect(await host.readSysctl("net.ipv4.vs.conntrack")).toBeUndefined();
    expect(await host.readSysctl("net.ipv4.vs.sync_threshold")).toBeUndefined();
  });

  test("writes the value as the kernel takes it; a write that fails says where and why", async () => {
    expect(await host.writeSysctl("net.ipv4.ip_forward", 1)).toEqual({ ok: true });
    expect(readFileSync(join(root, "proc/sys/net/ipv4/ip_forward"), "utf8")).toBe("1\n");
    expect(await host.writeSysctl("net.ipv4.nothere.x", 1)).toEqual({ ok: false, reason: `${join(root, "proc/sys/net/ipv4/nothere/x")}: ENOENT` });
  });

  test("loaded modules among those asked; ip_vs_stats as text, undefined without it", async () => {
    expect(await host.loadedModules(["xt_conntrack", "xt_state", "nft_ct"])).toEqual(["nft_ct"]);
    expect(await host.ipvsStats()).toBe("   Total Incoming\n");
    expect(await procHost(join(root, "none")).ipvsStats()).toBeUndefined();
  });
});
