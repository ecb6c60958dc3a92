import { describe, expect, test } from "bun:test";
import { instance, parseText } from "./helpers.ts";

describe("global_defs", () => {
  test("defaults when absent", () => {
    const g = parseText("").config?.globalDefs;
    expect(g).toMatchObject({
      vrrpVersion: 2,
      garpMasterDelayS: 5,
      garpMasterRepeat: 5,
      garpMasterRefreshS: 0,
      garpMasterRefreshRepeat: 1,
      enableScriptSecurity: false,
      notificationEmail: [],
    });
    expect(g?.routerId).toBeUndefined();
    expect(g?.apiListen).toBeUndefined();
  });

  test("every supported keyword", () => {
    const r = parseText(`global_defs {
  notification_email {
    a@example.com
    b@example.com
  }
  notification_email_from lb@example.com
  smtp_server 192.168.200.1 2525
  smtp_connect_timeout 30
  router_id LVS_DEVEL
  vrrp_version 3
  vrrp_garp_master_delay 10
  vrrp_garp_master_repeat 2
  vrrp_garp_master_refresh 60
  vrrp_garp_master_refresh_repeat 3
  script_user keepalived_script nogroup
  enable_script_security
  api_listen 0.0.0.0:8080
  api_token_file /etc/tandem/token
  history_max_age_days 30
  history_max_events 50000
}`);
    expect(r.messages).toEqual([]);
    expect(r.config?.globalDefs).toMatchObject({
      notificationEmail: ["a@example.com", "b@example.com"],
      notificationEmailFrom: "lb@example.com",
      smtpServer: { host: "192.168.200.1", port: 2525 },
      smtpConnectTimeoutS: 30,
      routerId: "LVS_DEVEL",
      vrrpVersion: 3,
      garpMasterDelayS: 10,
      garpMasterRepeat: 2,
      garpMasterRefreshS: 60,
      garpMasterRefreshRepeat: 3,
      scriptUser: { user: "keepalived_script", group: "nogroup" },
      enableScriptSecurity: true,
      apiListen: "0.0.0.0:8080",
      apiTokenFile: "/etc/tandem/token",
      historyMaxAgeDays: 30,
      historyMaxEvents: 50000,
    });
    expect(r.config?.globalDefs.fieldLocations.routerId).toEqual({ file: "/etc/keepalived/keepalived.conf", line: 9, col: 3 });
  });

  test("smtp_server port defaults to 25", () => {
    expect(parseText("global_defs {\n smtp_server mail.example.com\n}").config?.globalDefs.smtpServer).toEqual({ host: "mail.example.com", port: 25 });
  });

  test("known but unimplemented keywords warn; vrrp_mcast_group4 other than the default is an error", () => {
    const r = parseText("global_defs {\n  vrrp_strict\n  enable_snmp_vrrp\n  vrrp_mcast_group4 224.0.0.18\n}");
    expect(r.messages).toEqual([
      "keepalived.conf:2:3: warning: parsed but not implemented: vrrp_strict",
      "keepalived.conf:3:3: warning: parsed but not implemented: enable_snmp_vrrp",
    ]);
    expect(parseText("global_defs {\n  vrrp_mcast_group4 224.0.0.100\n}").errors).toEqual([
      "keepalived.conf:2:21: error: vrrp_mcast_group4 224.0.0.100 is not supported by tandem; only 224.0.0.18 (the default) is",
    ]);
  });

  test("unknown top-level keywords warn with their location", () => {
    expect(parseText("\n  frobnicate 1 {\n x\n}").messages).toEqual(["keepalived.conf:2:3: warning: unknown keyword 'frobnicate' in the top level; ignored"]);
  });

  test("static_ipaddress / static_routes are parsed and ignored with a warning", () => {
    const r = parseText("static_ipaddress {\n  192.168.1.1/24 dev eth0 scope global\n}\nstatic_routes {\n  10.0.0.0/8 via 192.168.1.254\n}");
    expect(r.config).toBeDefined();
    expect(r.warnings).toEqual([
      "keepalived.conf:1:1: warning: parsed but not implemented: static_ipaddress",
      "keepalived.conf:4:1: warning: parsed but not implemented: static_routes",
    ]);
  });
});

describe("vrrp_script", () => {
  test("defaults: interval 1, timeout = interval (keepalived kills a script after interval: checked with a sleeping script), weight 0, rise/fall 1", () => {
    const r = parseText('vrrp_script chk {\n  script "killall -0 sshd"\n  interval 2\n}');
    expect(r.config?.vrrpScripts[0]).toMatchObject({
      name: "chk",
      script: "killall -0 sshd",
      intervalS: 2,
      timeoutS: 2,
      weight: 0,
      weightReverse: false,
      rise: 1,
      fall: 1,
      initFail: false,
    });
    expect(r.config?.vrrpScripts[0]?.location).toEqual({ file: "/etc/keepalived/keepalived.conf", line: 1, col: 1 });
  });

  test("all keywords", () => {
    const r = parseText(
      "vrrp_script chk {\n  script /usr/bin/check --fast 'a b'\n  interval 1\n  timeout 3\n  weight -15 reverse\n  rise 2\n  fall 3\n  user nobody nogroup\n  init_fail\n}",
    );
    expect(r.messages).toEqual([]);
    expect(r.config?.vrrpScripts[0]).toMatchObject({
      script: "/usr/bin/check --fast 'a b'",
      timeoutS: 3,
      weight: -15,
      weightReverse: true,
      rise: 2,
      fall: 3,
      user: { user: "nobody", group: "nogroup" },
      initFail: true,
    });
  });

  test("weight range -253..253 and a missing script line", () => {
    expect(parseText("vrrp_script chk {\n  script true\n  weight 254\n}").errors).toEqual([
      "keepalived.conf:3:10: error: weight for vrrp_script chk must be -253..253, got 254",
    ]);
    expect(parseText("vrrp_script chk {\n  interval 1\n}").errors).toEqual(["keepalived.conf:1:1: error: vrrp_script chk has no 'script' line"]);
  });

  test("track_script naming an unknown vrrp_script warns and is dropped (keepalived -t: track script nosuch not found, ignoring...)", () => {
    const r = parseText(instance("  track_script {\n    nosuch\n  }"));
    expect(r.config?.vrrpInstances[0]?.trackScripts).toEqual([]);
    expect(r.messages).toEqual(["keepalived.conf:8:5: warning: (VI_1) track script nosuch not found, ignoring (no such block; keepalived does the same)"]);
  });
});

describe("track_file", () => {
  test("file, weight default 1, init_file; vrrp_track_file is a deprecated synonym (keepalived warns too)", () => {
    const r = parseText('track_file a {\n  file /run/a\n}\nvrrp_track_file b {\n  file "/run/b"\n  weight -5 reverse\n  init_file 7 overwrite\n}');
    expect(r.config?.trackFiles.map(({ name, file, weight, weightReverse, initFile }) => ({ name, file, weight, weightReverse, initFile }))).toEqual([
      { name: "a", file: "/run/a", weight: 1, weightReverse: false, initFile: undefined },
      { name: "b", file: "/run/b", weight: -5, weightReverse: true, initFile: { value: 7, overwrite: true } },
    ]);
    expect(r.messages).toEqual(["keepalived.conf:4:1: warning: vrrp_track_file is deprecated; use track_file"]);
  });

  test("a track_file needs a file", () => {
    expect(parseText("track_file a {\n  weight 2\n}").errors).toEqual(["keepalived.conf:1:1: error: track_file a has no 'file' line"]);
  });
});
