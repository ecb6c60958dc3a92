// The director's global_defs keywords: lvs_sync_daemon (both forms), lvs_timeouts, lvs_flush,
// lvs_flush_on_stop and tandem's real_server_drain_timeout, with keepalived 2.2.7's errors.

import { describe, expect, test } from "bun:test";
import { keywordSupport } from "../../../src/config/index.ts";
import { instance, parseText } from "./helpers.ts";

/** global_defs whose 2nd line is `line`, and an instance VI_1 with VRID 51. */
const global = (line: string) => parseText(`global_defs {\n  ${line}\n}\n${instance("")}`);
const defsOf = (r: ReturnType<typeof parseText>) => r.config?.globalDefs;

describe("lvs_sync_daemon", () => {
  test("IF alone: both sync daemons, sync id 0", () => {
    const r = global("lvs_sync_daemon eth0");
    expect(r.messages).toEqual([]);
    expect(defsOf(r)?.lvsSyncDaemon).toEqual({ interface: "eth0", syncId: 0 });
  });

  test("IF inst NAME: follows the instance, whose VRID is the sync id unless id is given", () => {
    expect(defsOf(global("lvs_sync_daemon eth0 inst VI_1"))?.lvsSyncDaemon).toEqual({ interface: "eth0", instance: "VI_1", syncId: 51 });
    expect(defsOf(global("lvs_sync_daemon eth0 inst VI_1 id 7"))?.lvsSyncDaemon).toEqual({ interface: "eth0", instance: "VI_1", syncId: 7 });
  });

  test("every option: id, maxlen, port, ttl, group (IPv4 or IPv6 multicast)", () => {
    const r = global("lvs_sync_daemon eth0 inst VI_1 id 0 maxlen 1400 port 8849 ttl 3 group 224.0.0.82");
    expect(r.messages).toEqual([]);
    expect(defsOf(r)?.lvsSyncDaemon).toEqual({
      interface: "eth0",
      instance: "VI_1",
      syncId: 0,
      maxLen: 1400,
      port: 8849,
      ttl: 3,
      group: { family: 4, text: "224.0.0.82" },
    });
    expect(defsOf(global("lvs_sync_daemon eth0 group FF02::81"))?.lvsSyncDaemon?.group).toEqual({ family: 6, text: "ff02::81" });
  });

  test("the form before 1.2.20: IF NAME [ID], the id with keepalived's request for the keyword", () => {
    expect(defsOf(global("lvs_sync_daemon eth0 VI_1"))?.lvsSyncDaemon).toEqual({ interface: "eth0", instance: "VI_1", syncId: 51 });
    const r = global("lvs_sync_daemon eth0 VI_1 5");
    expect(r.warnings).toEqual(["keepalived.conf:2:29: warning: lvs_sync_daemon: write the sync id as 'id 5' (keepalived asks for the keyword too)"]);
    expect(defsOf(r)?.lvsSyncDaemon).toEqual({ interface: "eth0", instance: "VI_1", syncId: 5 });
    expect(defsOf(global("lvs_sync_daemon eth0 VI_1 port 9000"))?.lvsSyncDaemon).toEqual({ interface: "eth0", instance: "VI_1", syncId: 51, port: 9000 });
  });

  const errors: [string, string][] = [
    ["lvs_sync_daemon", "keepalived.conf:2:3: error: lvs_sync_daemon needs an interface name"],
    ["lvs_sync_daemon abcdefghijklmnop", "keepalived.conf:2:19: error: lvs_sync_daemon: interface name abcdefghijklmnop is longer than 15 characters"],
    ["lvs_sync_daemon eth0 inst NOPE", "keepalived.conf:2:3: error: lvs_sync_daemon: there is no vrrp_instance NOPE; keepalived drops the sync daemon"],
    ["lvs_sync_daemon eth0 inst", "keepalived.conf:2:24: error: lvs_sync_daemon: 'inst' needs a value"],
    ["lvs_sync_daemon eth0 id", "keepalived.conf:2:24: error: lvs_sync_daemon: 'id' needs a value"],
    ["lvs_sync_daemon eth0 id 256", "keepalived.conf:2:27: error: lvs_sync_daemon id must be 0..255, got 256"],
    ["lvs_sync_daemon eth0 maxlen 65508", "keepalived.conf:2:31: error: lvs_sync_daemon maxlen must be 1..65507, got 65508"],
    ["lvs_sync_daemon eth0 port 0", "keepalived.conf:2:29: error: lvs_sync_daemon port must be 1..65535, got 0"],
    ["lvs_sync_daemon eth0 ttl 0", "keepalived.conf:2:28: error: lvs_sync_daemon ttl must be 1..255, got 0"],
    ["lvs_sync_daemon eth0 group 10.0.0.1", "keepalived.conf:2:30: error: lvs_sync_daemon group 10.0.0.1 is not a multicast address"],
    ["lvs_sync_daemon eth0 group 2001:db8::1", "keepalived.conf:2:30: error: lvs_sync_daemon group 2001:db8::1 is not a multicast address"],
    ["lvs_sync_daemon eth0 group nowhere", "keepalived.conf:2:30: error: lvs_sync_daemon group must be an IPv4 or IPv6 address, got nowhere"],
    ["lvs_sync_daemon eth0 VI_1 x", "keepalived.conf:2:29: error: lvs_sync_daemon sync id must be an integer 0..255, got x"],
    [
      "lvs_sync_daemon eth0 VI_1 inst VI_2",
      "keepalived.conf:2:34: error: lvs_sync_daemon: the vrrp instance is already given as VI_1; keepalived ignores VI_2",
    ],
    ["lvs_sync_daemon eth0 inst VI_1 bogus", "keepalived.conf:2:34: error: lvs_sync_daemon: unknown option bogus (inst, id, maxlen, port, ttl or group)"],
    [
      "lvs_sync_daemon eth0\n  lvs_sync_daemon eth1",
      "keepalived.conf:3:3: error: lvs_sync_daemon is already set at /etc/keepalived/keepalived.conf:2:3; keepalived ignores this one",
    ],
  ];
  for (const [line, message] of errors) {
    test(`error: ${line.replace("\n  ", " / ")}`, () => {
      expect(global(line).errors).toEqual([message]);
    });
  }
});

describe("lvs_timeouts", () => {
  test("tcp, tcpfin, udp in any order; a second line adds to the first", () => {
    expect(defsOf(global("lvs_timeouts tcp 900 tcpfin 120 udp 300"))?.lvsTimeouts).toEqual({ tcpS: 900, tcpFinS: 120, udpS: 300 });
    expect(defsOf(global("lvs_timeouts udp 0\n  lvs_timeouts tcp 60"))?.lvsTimeouts).toEqual({ udpS: 0, tcpS: 60 });
  });

  const errors: [string, string][] = [
    ["lvs_timeouts", "keepalived.conf:2:3: error: lvs_timeouts needs at least one of tcp SECS, tcpfin SECS, udp SECS"],
    ["lvs_timeouts tcp", "keepalived.conf:2:3: error: lvs_timeouts needs at least one of tcp SECS, tcpfin SECS, udp SECS"],
    ["lvs_timeouts tcp 5 udp", "keepalived.conf:2:22: error: lvs_timeouts: 'udp' needs a number of seconds"],
    ["lvs_timeouts udp 2678401", "keepalived.conf:2:20: error: lvs_timeouts udp must be 0..2678400, got 2678401"],
    ["lvs_timeouts tcp x", "keepalived.conf:2:20: error: lvs_timeouts tcp must be an integer 0..2678400, got x"],
    ["lvs_timeouts sctp 5", "keepalived.conf:2:16: error: lvs_timeouts: unknown option sctp (tcp, tcpfin or udp)"],
  ];
  for (const [line, message] of errors) {
    test(`error: ${line}`, () => {
      expect(global(line).errors).toEqual([message]);
    });
  }
});

describe("lvs_flush, lvs_flush_on_stop", () => {
  test("lvs_flush: off by default", () => {
    expect(defsOf(global(""))?.lvsFlush).toBe(false);
    expect(defsOf(global("lvs_flush"))?.lvsFlush).toBe(true);
  });

  test("lvs_flush_on_stop, and VS; lvs_flush_onstop is the deprecated spelling", () => {
    expect(defsOf(global("lvs_flush_on_stop"))?.lvsFlushOnStop).toBe("full");
    expect(defsOf(global("lvs_flush_on_stop VS"))?.lvsFlushOnStop).toBe("vs");
    const r = global("lvs_flush_onstop");
    expect(r.warnings).toEqual(["keepalived.conf:2:3: warning: lvs_flush_onstop is deprecated; use lvs_flush_on_stop"]);
    expect(defsOf(r)?.lvsFlushOnStop).toBe("full");
  });

  test("lvs_flush_on_stop with anything but VS is an error", () => {
    expect(global("lvs_flush_on_stop vs").errors).toEqual(["keepalived.conf:2:21: error: lvs_flush_on_stop takes nothing or VS, got vs"]);
  });
});

describe("real_server_drain_timeout (tandem)", () => {
  test("300 s by default, any whole number of seconds up to 31 days", () => {
    expect(defsOf(global(""))?.realServerDrainTimeoutS).toBe(300);
    expect(defsOf(global("real_server_drain_timeout 0"))?.realServerDrainTimeoutS).toBe(0);
    expect(defsOf(global("real_server_drain_timeout 3600"))?.realServerDrainTimeoutS).toBe(3600);
    expect(global("real_server_drain_timeout 1.5").errors).toEqual([
      "keepalived.conf:2:29: error: real_server_drain_timeout must be an integer 0..2678400, got 1.5",
    ]);
  });

  test("is marked as a tandem extension in the keyword table", () => {
    expect(keywordSupport().find((k) => k.keyword === "real_server_drain_timeout")).toEqual({
      keyword: "real_server_drain_timeout",
      block: "global_defs",
      status: "supported",
      note: "tandem extension; seconds a removed or drained real server keeps its connections at weight 0 before it is deleted (default 300; 0: at once)",
    });
  });
});

describe("ipvs_set_sysctls (tandem)", () => {
  test("off by default: the preflight only reports; the bare keyword turns it on; a value is an error", () => {
    expect(defsOf(global(""))?.ipvsSetSysctls).toBe(false);
    expect(defsOf(global("ipvs_set_sysctls"))?.ipvsSetSysctls).toBe(true);
    expect(global("ipvs_set_sysctls no").errors).toEqual([
      "keepalived.conf:2:20: error: ipvs_set_sysctls takes no value: write it alone to have tandem set the sysctls, leave it out to have them only reported",
    ]);
  });

  test("is marked as a tandem extension in the keyword table", () => {
    expect(keywordSupport().find((k) => k.keyword === "ipvs_set_sysctls")).toMatchObject({
      block: "global_defs",
      status: "supported",
      note: "tandem extension; the director sets the sysctls its preflight finds wrong (ip_forward for NAT, expire_nodest_conn, expire_quiescent_template, conntrack) instead of only warning",
    });
  });
});

describe("rs_init_notifies, lvs_notify_fifo, lvs_notify_fifo_script", () => {
  test("rs_init_notifies: off by default; on bare or with a true value", () => {
    expect(defsOf(global(""))?.rsInitNotifies).toBe(false);
    expect(defsOf(global("rs_init_notifies"))?.rsInitNotifies).toBe(true);
    expect(defsOf(global("rs_init_notifies false"))?.rsInitNotifies).toBe(false);
  });

  test("the FIFO and its script; a second FIFO is an error; an owner is not implemented", () => {
    const r = parseText(`global_defs {\n  lvs_notify_fifo /run/lvs.fifo\n  lvs_notify_fifo_script "/usr/local/bin/read-fifo -v"\n}\n${instance("")}`);
    expect([defsOf(r)?.lvsNotifyFifo, defsOf(r)?.lvsNotifyFifoScript]).toEqual(["/run/lvs.fifo", "/usr/local/bin/read-fifo -v"]);
    const twice = parseText(`global_defs {\n  lvs_notify_fifo /run/a.fifo\n  lvs_notify_fifo /run/b.fifo\n}\n${instance("")}`);
    expect(twice.errors).toEqual([
      "keepalived.conf:3:3: error: lvs_notify_fifo is already set at /etc/keepalived/keepalived.conf:2:3; keepalived keeps the first and ignores this one",
    ]);
    expect(global("lvs_notify_fifo /run/a.fifo nobody").warnings).toEqual([
      "keepalived.conf:2:31: warning: parsed but not implemented: an owner for lvs_notify_fifo (the FIFO belongs to script_user)",
    ]);
  });
});

describe("notify_fifo, vrrp_notify_fifo and their scripts; fifo_write_vrrp_states_on_reload", () => {
  test("each FIFO and its script are read; the states on reload flag is off unless written, and takes no value", () => {
    const r = parseText(
      `global_defs {\n  notify_fifo /run/n.fifo\n  notify_fifo_script "/usr/local/bin/read n"\n  vrrp_notify_fifo /run/v.fifo\n  vrrp_notify_fifo_script /usr/local/bin/read-v\n  fifo_write_vrrp_states_on_reload\n}\n${instance("")}`,
    );
    expect(r.messages).toEqual([]);
    const d = defsOf(r);
    expect([d?.notifyFifo, d?.notifyFifoScript, d?.vrrpNotifyFifo, d?.vrrpNotifyFifoScript, d?.fifoWriteVrrpStatesOnReload]).toEqual([
      "/run/n.fifo",
      "/usr/local/bin/read n",
      "/run/v.fifo",
      "/usr/local/bin/read-v",
      true,
    ]);
    expect(defsOf(global(""))?.fifoWriteVrrpStatesOnReload).toBeUndefined();
  });

  test("a second one is an error, keepalived keeping the first; an owner is not implemented", () => {
    const twice = parseText(`global_defs {\n  vrrp_notify_fifo /run/a.fifo\n  vrrp_notify_fifo /run/b.fifo\n}\n${instance("")}`);
    expect(twice.errors).toEqual([
      "keepalived.conf:3:3: error: vrrp_notify_fifo is already set at /etc/keepalived/keepalived.conf:2:3; keepalived keeps the first and ignores this one",
    ]);
    expect(global("notify_fifo /run/a.fifo nobody").warnings).toEqual([
      "keepalived.conf:2:27: warning: parsed but not implemented: an owner for notify_fifo (the FIFO belongs to script_user)",
    ]);
  });

  test("all seven are supported", () => {
    const names = [
      "notify_fifo",
      "notify_fifo_script",
      "vrrp_notify_fifo",
      "vrrp_notify_fifo_script",
      "fifo_write_vrrp_states_on_reload",
      "lvs_notify_fifo",
      "lvs_notify_fifo_script",
    ];
    const support = keywordSupport().filter((k) => k.block === "global_defs" && names.includes(k.keyword));
    expect(support.map((k) => [k.keyword, k.status])).toEqual(names.map((n) => [n, "supported"]));
  });
});
