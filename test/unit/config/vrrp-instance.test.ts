import { describe, expect, test } from "bun:test";
import { parseIpv4 } from "../../../src/common/ipv4.ts";
import { instance, parseText } from "./helpers.ts";

const one = (extra: string, prefix = "") => {
  const r = parseText(prefix + instance(extra));
  return { ...r, vi: r.config?.vrrpInstances[0] };
};

describe("vrrp_instance values", () => {
  test("defaults: BACKUP, priority 100, advert 1 s, v2, preempt, fast preempt, no auth", () => {
    const { vi, messages } = one("");
    expect(messages).toEqual([]);
    expect(vi).toMatchObject({
      name: "VI_1",
      initialState: "BACKUP",
      interface: "eth0",
      vrid: 51,
      priority: 100,
      advertIntervalCs: 100,
      version: 2,
      preempt: true,
      preemptDelayS: 0,
      fastPreempt: true,
      dontTrackPrimary: false,
      useVmac: false,
      smtpAlert: false,
      unicastPeers: [],
    });
    expect(vi?.auth).toBeUndefined();
    expect(vi?.location).toEqual({ file: "/etc/keepalived/keepalived.conf", line: 1, col: 1 });
    expect(vi?.fieldLocations.vrid).toEqual({ file: "/etc/keepalived/keepalived.conf", line: 3, col: 3 });
  });

  test("state MASTER without a priority means priority 255, as keepalived 2.2.7 does (checked with keepalived -d)", () => {
    expect(one("  state MASTER").vi?.priority).toBe(255);
    expect(one("  state MASTER\n  priority 100").vi?.priority).toBe(100);
  });

  test("virtual_router_id out of range is an error with file:line:col", () => {
    const r = parseText(instance("").replace("virtual_router_id 51", "virtual_router_id 300"));
    expect(r.config).toBeUndefined();
    expect(r.errors).toEqual([
      "keepalived.conf:3:21: error: virtual_router_id must be 1..255, got 300",
      "keepalived.conf:1:1: error: vrrp_instance VI_1 needs 'virtual_router_id 1..255'",
    ]);
  });

  test("priority must be 1..255 (keepalived -t rejects 0 and 256)", () => {
    expect(one("  priority 0").errors).toEqual(["keepalived.conf:7:12: error: priority must be 1..255, got 0"]);
    expect(one("  priority abc").errors).toEqual(["keepalived.conf:7:12: error: priority must be an integer 1..255, got abc"]);
    expect(one("  priority 255\n  state BACKUP").vi?.priority).toBe(255);
  });

  test("missing interface and virtual_router_id are errors at the block", () => {
    const r = parseText("vrrp_instance X {\n  priority 10\n}");
    expect(r.errors).toEqual([
      "keepalived.conf:1:1: error: vrrp_instance X needs 'interface NAME'",
      "keepalived.conf:1:1: error: vrrp_instance X needs 'virtual_router_id 1..255'",
    ]);
  });

  test("state must be MASTER or BACKUP in upper case (keepalived -t: unknown state 'master')", () => {
    expect(one("  state master").errors).toEqual(["keepalived.conf:7:9: error: state must be MASTER or BACKUP (upper case), got master"]);
  });

  test("advert_int is stored in centiseconds; fractions need version 3", () => {
    expect(one("  advert_int 3").vi?.advertIntervalCs).toBe(300);
    expect(one("  version 3\n  advert_int 0.01").vi).toMatchObject({ version: 3, advertIntervalCs: 1 });
    expect(one("  advert_int 0.5").errors).toEqual([
      "keepalived.conf:7:3: error: advert_int 0.5 must be a whole number of seconds with VRRP version 2 (keepalived would round it); use 'version 3' for fractions",
    ]);
    expect(one("  advert_int 0.25", "global_defs {\n vrrp_version 3\n}\n").vi?.advertIntervalCs).toBe(25);
    // keepalived -t: "VRRPv3 advertisement interval 41.00s is out of range".
    expect(one("  version 3\n  advert_int 41").errors).toEqual([
      "keepalived.conf:8:3: error: advert_int 41 is too long for VRRP version 3; the maximum is 40.95 seconds",
    ]);
    expect(one("  advert_int 0").errors).toEqual(["keepalived.conf:7:14: error: advert_int must be 0.01..255, got 0"]);
  });

  test("the instance version overrides the global vrrp_version", () => {
    expect(one("", "global_defs {\n vrrp_version 3\n}\n").vi?.version).toBe(3);
    expect(one("  version 2", "global_defs {\n vrrp_version 3\n}\n").vi?.version).toBe(2);
    expect(one("  version 4").errors).toEqual(["keepalived.conf:7:11: error: version must be 2..3, got 4"]);
  });

  test("authentication PASS; a password over 8 characters is truncated with a warning (keepalived -t: Truncating auth_pass)", () => {
    expect(one("  authentication {\n    auth_type PASS\n    auth_pass 1111\n  }").vi?.auth).toEqual({ type: "PASS", password: "1111" });
    const long = one("  authentication {\n    auth_type PASS\n    auth_pass 123456789abc\n  }");
    expect(long.vi?.auth).toEqual({ type: "PASS", password: "12345678" });
    expect(long.warnings).toEqual([
      "keepalived.conf:9:15: warning: auth_pass is longer than 8 characters; only the first 8 are used ('12345678'), as in keepalived",
    ]);
  });

  test("auth_type AH is refused with a clear error", () => {
    expect(one("  authentication {\n    auth_type AH\n    auth_pass 1111\n  }").errors).toEqual([
      "keepalived.conf:8:5: error: auth_type AH is not supported by tandem; use PASS or no authentication",
    ]);
    expect(one("  authentication {\n    auth_type PASS\n  }").errors).toEqual([
      "keepalived.conf:7:3: error: authentication with auth_type PASS needs auth_pass",
    ]);
  });

  test("nopreempt, preempt_delay, fast_preempt extension", () => {
    expect(one("  nopreempt\n  preempt_delay 5.5\n  no_fast_preempt").vi).toMatchObject({ preempt: false, preemptDelayS: 5.5, fastPreempt: false });
    expect(one("  preempt_delay 1001").errors).toEqual(["keepalived.conf:7:17: error: preempt_delay must be 0..1000, got 1001"]);
  });

  test("nopreempt with priority 255 is reset with a warning (keepalived -t does the same)", () => {
    const r = one("  state MASTER\n  nopreempt");
    expect(r.vi?.preempt).toBe(true);
    expect(r.warnings).toEqual([
      "keepalived.conf:8:3: warning: nopreempt is incompatible with priority 255 (the address owner always preempts); keepalived resets it",
    ]);
  });

  test("track_interface, track_script and track_file entries with weights", () => {
    const r = one(
      "  track_interface {\n    eth1 weight 2\n    eth2 weight -2 reverse\n    eth3\n  }\n  track_script {\n    chk weight 5 noreverse\n  }\n  track_file {\n    tf\n  }",
      "vrrp_script chk {\n  script true\n}\ntrack_file tf {\n  file /tmp/x\n}\n",
    );
    expect(r.messages).toEqual([]);
    expect(r.vi?.trackInterfaces.map(({ name, weight, weightReverse }) => ({ name, weight, weightReverse }))).toEqual([
      { name: "eth1", weight: 2, weightReverse: undefined },
      { name: "eth2", weight: -2, weightReverse: true },
      { name: "eth3", weight: undefined, weightReverse: undefined },
    ]);
    expect(r.vi?.trackScripts.map((t) => [t.name, t.weight, t.weightReverse])).toEqual([["chk", 5, false]]);
    expect(r.vi?.trackFiles.map((t) => t.name)).toEqual(["tf"]);
    expect(one("  track_interface {\n    eth1 weight 254\n  }").errors).toEqual([
      "keepalived.conf:8:17: error: weight for track_interface eth1 must be -253..253, got 254",
    ]);
  });

  test("unicast: source, peers; extra peer options warn", () => {
    const r = one("  unicast_src_ip 10.0.0.2\n  unicast_peer {\n    10.0.0.3\n    10.0.0.4 min_ttl 3\n  }");
    expect(r.vi?.unicastSrcIp).toBe(parseIpv4("10.0.0.2")!);
    expect(r.vi?.unicastPeers).toEqual([parseIpv4("10.0.0.3")!, parseIpv4("10.0.0.4")!]);
    expect(r.warnings).toEqual(["keepalived.conf:10:14: warning: parsed but not implemented: unicast_peer options 'min_ttl 3'"]);
    expect(one("  unicast_peer {\n    10.0.0.300\n  }").errors).toEqual(["keepalived.conf:8:5: error: unicast_peer must be an IPv4 address, got 10.0.0.300"]);
  });

  test("notify scripts and garp overrides", () => {
    const r = one(
      '  notify_master "/bin/m.sh MASTER"\n  notify /bin/all.sh\n  notify_stop /bin/stop\n  garp_master_delay 10\n  garp_master_refresh 60\n  smtp_alert',
    );
    expect(r.vi).toMatchObject({
      notifyMaster: "/bin/m.sh MASTER",
      notify: "/bin/all.sh",
      notifyStop: "/bin/stop",
      garpMasterDelayS: 10,
      garpMasterRefreshS: 60,
      smtpAlert: true,
    });
    expect(r.vi?.garpMasterRepeat).toBeUndefined();
    expect(one("  garp_master_delay 0.5").errors).toEqual(["keepalived.conf:7:21: error: garp_master_delay must be an integer 0..86400, got 0.5"]);
  });

  test("notify_deleted: a flag with an optional command (keepalived.conf(5) notify_deleted [<STRING>])", () => {
    expect(one("").vi?.notifyDeleted).toBeUndefined();
    const bare = one("  notify_deleted");
    expect(bare.messages).toEqual([]);
    expect(bare.vi?.notifyDeleted).toEqual({});
    const withCommand = one('  notify_deleted "/bin/gone.sh VI_1"');
    expect(withCommand.messages).toEqual([]);
    expect(withCommand.vi?.notifyDeleted).toEqual({ command: "/bin/gone.sh VI_1" });
    expect(one("  notify_deleted /bin/gone.sh nobody").warnings).toEqual([
      "keepalived.conf:7:31: warning: parsed but not implemented: per-script user for notify_deleted (scripts run as script_user)",
    ]);
  });

  test("use_vmac is parsed with a not-implemented warning; unknown keywords warn and are ignored", () => {
    const r = one("  use_vmac vrrp.51\n  foo_bar 12");
    expect(r.vi?.useVmac).toBe(true);
    expect(r.warnings).toEqual([
      "keepalived.conf:7:3: warning: parsed but not implemented: use_vmac (VIPs are added to the instance interface)",
      "keepalived.conf:8:3: warning: unknown keyword 'foo_bar' in vrrp_instance; ignored",
    ]);
  });

  test("a missing value and a missing block are errors", () => {
    expect(one("  priority").errors).toEqual(["keepalived.conf:7:3: error: priority needs an integer 1..255"]);
    expect(one("  track_script chk").errors).toEqual(["keepalived.conf:7:3: error: track_script needs a { ... } block"]);
  });

  test("mcast_dst_ip other than 224.0.0.18 is refused", () => {
    expect(one("  mcast_dst_ip 224.0.0.19").errors).toEqual([
      "keepalived.conf:7:16: error: mcast_dst_ip 224.0.0.19 is not supported by tandem; only 224.0.0.18 (the default) is",
    ]);
  });

  test("a vrrp_instance name may be used once", () => {
    expect(parseText(instance("") + instance("", "VI_1", 52)).errors).toEqual([
      "keepalived.conf:9:15: error: vrrp_instance VI_1 is already defined at /etc/keepalived/keepalived.conf:1:1",
    ]);
  });
});
