import { describe, expect, test } from "bun:test";
import { instance, parseText } from "./helpers.ts";

const vi = (name: string, vrid: number, extra = "", iface = "eth0") => instance(extra, name, vrid).replace("interface eth0", `interface ${iface}`);

describe("duplicate VRIDs", () => {
  test("same VRID on the same interface is an error at the second instance (keepalived -t: A and B both use VRID 5)", () => {
    const r = parseText(vi("A", 5) + vi("B", 5));
    expect(r.config).toBeUndefined();
    expect(r.errors).toEqual([
      "keepalived.conf:11:3: error: vrrp_instance B uses virtual_router_id 5 on eth0, already used by vrrp_instance A (/etc/keepalived/keepalived.conf:1:1)",
    ]);
  });

  test("keepalived refuses it even when the versions differ (checked with keepalived -t), since the virtual MAC is shared", () => {
    expect(parseText(vi("A", 5) + vi("B", 5, "  version 3")).errors.length).toBe(1);
  });

  test("same VRID on different interfaces, or unicast with disjoint peers, is fine", () => {
    expect(parseText(vi("A", 5) + vi("B", 5, "", "eth1")).errors).toEqual([]);
    const peers = (p: string) => `  unicast_peer {\n    ${p}\n  }`;
    expect(parseText(vi("A", 5, peers("10.0.0.8")) + vi("B", 5, peers("10.0.0.9"))).errors).toEqual([]);
    expect(parseText(vi("A", 5, peers("10.0.0.8")) + vi("B", 5, peers("10.0.0.8"))).errors.length).toBe(1);
  });
});

describe("vrrp_sync_group", () => {
  const group = (name: string, members: string[], extra = "") =>
    `vrrp_sync_group ${name} {\n  group {\n${members.map((m) => `    ${m}\n`).join("")}  }\n${extra}}\n`;

  test("members, notify scripts and smtp_alert", () => {
    const r = parseText(
      group(
        "G1",
        ["VI_2", "VI_3"],
        '  notify_master "/usr/local/bin/vrrp.mast arg1 arg2"\n  notify_backup /b\n  notify_fault /f\n  notify /n\n  notify_stop /s\n  smtp_alert\n',
      ) +
        vi("VI_2", 2) +
        vi("VI_3", 3),
    );
    expect(r.messages).toEqual([]);
    expect(r.config?.syncGroups[0]).toMatchObject({
      name: "G1",
      members: ["VI_2", "VI_3"],
      notifyMaster: "/usr/local/bin/vrrp.mast arg1 arg2",
      notifyBackup: "/b",
      notifyFault: "/f",
      notify: "/n",
      notifyStop: "/s",
      smtpAlert: true,
    });
  });

  test("a member that is not an instance is an error", () => {
    expect(parseText(group("G", ["A", "NOPE"]) + vi("A", 1)).errors).toEqual(["keepalived.conf:4:5: error: vrrp_sync_group G: there is no vrrp_instance NOPE"]);
  });

  test("an instance in two groups is an error (keepalived -t: cannot exist in more than one sync group)", () => {
    const r = parseText(group("G", ["A", "B"]) + group("H", ["A", "B"]) + vi("A", 1) + vi("B", 2));
    expect(r.errors).toEqual([
      "keepalived.conf:9:5: error: vrrp_instance A is already in vrrp_sync_group G (/etc/keepalived/keepalived.conf:1:1); an instance can be in one group only",
      "keepalived.conf:10:5: error: vrrp_instance B is already in vrrp_sync_group G (/etc/keepalived/keepalived.conf:1:1); an instance can be in one group only",
    ]);
  });

  test("a one-member group warns, as keepalived does; group-level tracking is parsed but not implemented", () => {
    const r = parseText(group("G", ["A"], "  global_tracking\n") + vi("A", 1));
    expect(r.config).toBeDefined();
    expect(r.warnings).toEqual([
      "keepalived.conf:5:3: warning: parsed but not implemented: global_tracking",
      "keepalived.conf:1:1: warning: vrrp_sync_group G has only 1 instance - this probably isn't what you want",
    ]);
  });

  test("an empty group is an error", () => {
    expect(parseText("vrrp_sync_group G {\n  notify /x\n}").errors).toEqual([
      "keepalived.conf:1:1: error: vrrp_sync_group G needs a 'group { INSTANCE ... }' block with at least one instance",
    ]);
  });
});

describe("diagnostics API", () => {
  test("config is undefined iff there is an error; warnings alone keep it", () => {
    expect(parseText(vi("A", 1, "  foo 1")).config).toBeDefined();
    expect(parseText(vi("A", 1, "  priority 0")).config).toBeUndefined();
  });

  test("malformed input never throws", () => {
    const garbage = [
      "{",
      "}",
      "vrrp_instance",
      "vrrp_instance {",
      'vrrp_instance "',
      "virtual_server",
      "virtual_server fwmark",
      "real_server {",
      "$=",
      "@",
      "~SEQ(",
      "include",
      "${",
      "vrrp_instance A {\n virtual_ipaddress {\n /24 brd\n}",
      "virtual_server_group G {\n 1.2.3.4-1 x\n}",
    ];
    for (const text of garbage) expect(() => parseText(text)).not.toThrow();
    for (let i = 0; i < 200; i++) {
      const chars = "{} \n\"'#!$@~abc10./-_";
      let text = "";
      for (let k = 0; k < 60; k++) text += chars[(i * 31 + k * 17 + ((i * k) % 7)) % chars.length];
      expect(() => parseText(text)).not.toThrow();
    }
  });
});
