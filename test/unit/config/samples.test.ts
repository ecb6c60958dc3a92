// Every keepalived sample in test/fixtures/config/samples (copied from ../shared/keepalived-compat/samples)
// parses, and means what it says. `keepalived -t` accepts all of them.

import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { formatIpv4 } from "../../../src/common/ipv4.ts";
import { formatDiagnostic, nodeFiles, parseConfig, type Config } from "../../../src/config/index.ts";

const dir = join(import.meta.dir, "../../fixtures/config/samples");
const parse = (name: string) => {
  const r = parseConfig(join(dir, name), nodeFiles);
  return { ...r, errors: r.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic) };
};
const ok = (name: string): Config => {
  const r = parse(name);
  expect(r.errors).toEqual([]);
  return r.config as Config;
};
const vips = (c: Config, i: number) => c.vrrpInstances[i]?.virtualIps.map((v) => `${formatIpv4(v.address)}/${v.prefixLength}`);
const rsList = (c: Config, i = 0) => c.virtualServers[i]?.realServers.map((r) => `${r.address.text}:${r.port}`);
const checkerKinds = (c: Config) => c.virtualServers.flatMap((v) => v.realServers.flatMap((r) => r.checkers.map((k) => k.kind)));

describe("keepalived sample configurations", () => {
  test("the fixture directory holds all 16 samples", () => {
    expect(readdirSync(dir).length).toBe(16);
  });

  test("every sample except SSL_GET (auth_type AH) parses with zero errors", () => {
    for (const name of readdirSync(dir)) {
      if (name === "keepalived.conf.SSL_GET") continue;
      const r = parse(name);
      expect({ name, errors: r.errors }).toEqual({ name, errors: [] });
      expect(r.config).toBeDefined();
    }
  });

  test("SSL_GET: its only error is the deliberate refusal of auth_type AH; the virtual servers parse", () => {
    const r = parse("keepalived.conf.SSL_GET");
    expect(r.errors).toEqual([`${join(dir, "keepalived.conf.SSL_GET")}:20:9: error: auth_type AH is not supported by tandem; use PASS or no authentication`]);
  });

  test("HTTP_GET.port: SSL_GET with connect_port and retry", () => {
    const c = ok("keepalived.conf.HTTP_GET.port");
    expect(c.globalDefs).toMatchObject({
      routerId: "LVS_DEVEL",
      notificationEmail: ["acassen"],
      smtpServer: { host: "192.168.200.1", port: 25 },
      smtpConnectTimeoutS: 30,
    });
    expect(c.virtualServers[0]).toMatchObject({ lbAlgo: "rr", lbKind: "NAT", persistenceTimeoutS: 50, protocol: "TCP", delayLoopS: 6 });
    expect(rsList(c)).toEqual(["192.168.201.100:443"]);
    expect(c.virtualServers[0]?.realServers[0]?.checkers[0]).toMatchObject({
      kind: "SSL_GET",
      connectPort: 444,
      connectTimeoutS: 3,
      retry: 3,
      delayBeforeRetryS: 3,
    });
  });

  test("SMTP_CHECK: three real servers, host blocks", () => {
    const c = ok("keepalived.conf.SMTP_CHECK");
    expect(rsList(c)).toEqual(["172.16.1.10:25", "172.16.1.11:25", "172.16.1.12:25"]);
    const checks = c.virtualServers[0]!.realServers.map((r) => r.checkers[0]!);
    expect(checks.map((k) => (k.kind === "SMTP_CHECK" ? [k.heloName, k.hosts.length] : []))).toEqual([
      ["foo.bar.com", 0],
      ["foo.bar.com", 3],
      ["foo.bar.com", 3],
    ]);
    const last = checks[2];
    expect(last?.kind === "SMTP_CHECK" && last.hosts[2]?.connectPort).toBe(587);
  });

  test("fwmark: a fwmark virtual server with port-less real servers (port 0), IPv4 from its real servers", () => {
    const c = ok("keepalived.conf.fwmark");
    expect(c.virtualServers[0]?.key).toEqual({ kind: "fwmark", fwmark: 1 });
    expect(c.virtualServers[0]).toMatchObject({ persistenceTimeoutS: 900, family: 4 });
    expect(c.virtualServers[0]?.protocol).toBeUndefined();
    expect(rsList(c)).toEqual(["192.168.201.100:0", "192.168.201.101:0"]);
    expect(checkerKinds(c)).toEqual(["TCP_CHECK", "TCP_CHECK"]);
  });

  test("inhibit: inhibit_on_failure followed by a comment", () => {
    const c = ok("keepalived.conf.inhibit");
    expect(c.virtualServers[0]?.realServers[0]).toMatchObject({ inhibitOnFailure: true, weight: 1 });
  });

  test("misc_check and misc_check_arg: the script path, with its arguments", () => {
    const a = ok("keepalived.conf.misc_check").virtualServers[0]?.realServers[0]?.checkers[0];
    expect(a).toMatchObject({ kind: "MISC_CHECK", path: "/usr/local/bin/script.sh", dynamic: false });
    const b = ok("keepalived.conf.misc_check_arg").virtualServers[0]?.realServers[0]?.checkers[0];
    expect(b).toMatchObject({ kind: "MISC_CHECK", path: "/usr/local/bin/script.sh arg1 arg2" });
  });

  test("quorum: ten real servers, alpha/omega, quorum 7, hysteresis 2", () => {
    const c = ok("keepalived.conf.quorum");
    expect(c.virtualServers[0]).toMatchObject({ alpha: true, omega: true, quorum: 7, hysteresis: 2, lbAlgo: "wrr", quorumUp: "/usr/local/sbin/quorum-up.sh" });
    expect(rsList(c)?.length).toBe(10);
    expect(rsList(c)?.[9]).toBe("10.0.0.10:8080");
  });

  test("sample: nopreempt instance and a sorry server", () => {
    const c = ok("keepalived.conf.sample");
    expect(c.vrrpInstances[0]).toMatchObject({ name: "VI_1", vrid: 50, priority: 100, preempt: false, initialState: "BACKUP" });
    expect(vips(c, 0)).toEqual(["192.168.200.11/32", "192.168.200.12/32", "192.168.200.13/32"]);
    expect(c.virtualServers[0]?.sorryServer?.port).toBe(1358);
    expect(checkerKinds(c)).toEqual(["HTTP_GET"]);
  });

  test("status_code: ranges and single codes", () => {
    const c = ok("keepalived.conf.status_code");
    const k = c.virtualServers[0]?.realServers[0]?.checkers[0];
    if (k?.kind !== "SSL_GET") throw new Error("expected SSL_GET");
    expect(k.urls.map((u) => u.statusCodes)).toEqual([
      [
        { from: 200, to: 299 },
        { from: 400, to: 499 },
        { from: 503, to: 503 },
        { from: 505, to: 505 },
      ],
      [{ from: 200, to: 200 }],
    ]);
  });

  test("track_interface: VIPs on other devices; static_routes and virtual_routes are ignored with warnings", () => {
    const r = parse("keepalived.conf.track_interface");
    const c = r.config!;
    expect(c.vrrpInstances[0]).toMatchObject({ interface: "eth0.1", vrid: 51, initialState: "MASTER", priority: 100 });
    expect(c.vrrpInstances[0]?.trackInterfaces.map((t) => t.name)).toEqual(["eth0", "eth1"]);
    expect(c.vrrpInstances[0]?.virtualIps.map((v) => v.device)).toEqual([undefined, "eth1", "eth2"]);
    expect(r.diagnostics.map((d) => d.message)).toEqual(["parsed but not implemented: static_routes", "parsed but not implemented: virtual_routes"]);
  });

  test("virtual_server_group: the group and a virtual server using it", () => {
    const c = ok("keepalived.conf.virtual_server_group");
    expect(c.virtualServerGroups[0]?.entries.length).toBe(6);
    expect(c.virtualServers[0]?.key).toEqual({ kind: "group", group: "VSG_1" });
    expect(rsList(c)).toEqual(["192.168.200.1:1358", "192.168.200.2:1358"]);
  });

  test("vrrp: four instances on two interfaces, PASS auth, a labelled VIP, garp_master_delay", () => {
    const c = ok("keepalived.conf.vrrp");
    expect(c.vrrpInstances.map((i) => [i.name, i.interface, i.vrid, i.priority, i.initialState])).toEqual([
      ["VI_1", "eth0", 51, 100, "MASTER"],
      ["VI_2", "eth0", 50, 50, "BACKUP"],
      ["VI_3", "eth1", 52, 100, "MASTER"],
      ["VI_4", "eth1", 53, 50, "BACKUP"],
    ]);
    expect(c.vrrpInstances[0]).toMatchObject({ auth: { type: "PASS", password: "1111" }, garpMasterDelayS: 10, smtpAlert: true });
    expect(c.vrrpInstances[0]?.virtualIps[3]).toMatchObject({ label: "eth0:1" });
    expect(c.vrrpInstances[1]?.auth).toBeUndefined();
  });

  test("vrrp.localcheck: five scripts with weights, weighted track_interface and track_script", () => {
    const c = ok("keepalived.conf.vrrp.localcheck");
    expect(c.vrrpScripts.map((s) => [s.name, s.script, s.intervalS, s.weight, s.rise, s.fall])).toEqual([
      ["chk_sshd", "killall -0 sshd", 2, -4, 2, 2],
      ["chk_haproxy", "killall -0 haproxy", 2, 0, 1, 1],
      ["chk_http_port", "</dev/tcp/127.0.0.1/80", 1, -2, 1, 1],
      ["chk_https_port", "</dev/tcp/127.0.0.1/443", 1, -2, 1, 1],
      ["chk_smtp_port", "</dev/tcp/127.0.0.1/25", 1, -2, 1, 1],
    ]);
    expect(c.vrrpInstances.length).toBe(9);
    const vi1 = c.vrrpInstances[0]!;
    expect(vi1.trackInterfaces.map((t) => [t.name, t.weight])).toEqual([
      ["eth1", 2],
      ["eth2", -2],
      ["eth3", undefined],
    ]);
    expect(vi1.trackScripts.map((t) => [t.name, t.weight])).toEqual([
      ["chk_sshd", undefined],
      ["chk_haproxy", 2],
      ["chk_http_port", undefined],
      ["chk_https_port", undefined],
      ["chk_smtp_port", undefined],
    ]);
    expect(vips(c, 0)).toEqual(["192.168.200.18/25"]);
    expect(vips(c, 3)).toEqual(["192.168.201.19/28"]);
  });

  test("vrrp.scripts: sync group G1 of VI_2 and VI_3 with notify scripts; per-instance notify", () => {
    const c = ok("keepalived.conf.vrrp.scripts");
    expect(c.syncGroups[0]).toMatchObject({ name: "G1", members: ["VI_2", "VI_3"], notifyMaster: "/usr/local/bin/vrrp.mast arg1 arg2" });
    expect(c.vrrpInstances[0]).toMatchObject({ notifyMaster: "/usr/local/bin/vrrp.sh  MASTER  VI_1", notifyFault: "/usr/local/bin/vrrp.sh  FAULT  VI_1" });
    expect(c.vrrpInstances.map((i) => i.priority)).toEqual([100, 150, 150]);
  });

  test("vrrp.sync: two sync groups over nine instances", () => {
    const c = ok("keepalived.conf.vrrp.sync");
    expect(c.syncGroups.map((g) => [g.name, g.members])).toEqual([
      ["G1", ["VI_1", "VI_2", "VI_5", "VI_6", "VI_7", "VI_8", "VI_9"]],
      ["G2", ["VI_3", "VI_4"]],
    ]);
    expect(c.vrrpInstances.map((i) => i.vrid)).toEqual([51, 52, 53, 54, 55, 56, 57, 58, 59]);
    expect(vips(c, 1)).toEqual(["192.168.201.18/26"]);
  });
});
