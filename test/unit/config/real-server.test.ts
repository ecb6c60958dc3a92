// real_server: keepalived 2.2.7's keywords, inheritance from the virtual server, families, ports, duplicates.

import { describe, expect, test } from "bun:test";
import { parseText } from "./helpers.ts";

/** A real server whose 6th line is `line`, in a TCP virtual server on port 80 with lvs_method `method`. */
const rsLine = (line: string, method = "NAT", header = "10.0.0.1 80", rsHeader = "10.0.0.2 80") =>
  parseText(`virtual_server ${header} {\n  protocol TCP\n  lvs_sched rr\n  lvs_method ${method}\n  real_server ${rsHeader} {\n    ${line}\n  }\n}\n`);
const rsOf = (r: ReturnType<typeof parseText>, i = 0) => {
  const rs = r.config?.virtualServers[0]?.realServers[i];
  if (!rs) throw new Error(`no real server ${i}: ${r.messages.join("; ")}`);
  return rs;
};
/** Several real servers (their headers and bodies) in one virtual server. */
const servers = (list: string[], method = "NAT", header = "10.0.0.1 80") =>
  parseText(
    `virtual_server ${header} {\n  protocol TCP\n  lvs_sched rr\n  lvs_method ${method}\n${list.map((h) => `  real_server ${h} {\n  }\n`).join("")}}\n`,
  );

describe("real_server address and port", () => {
  test("IPv4 and IPv6, with or without a port", () => {
    expect(rsOf(rsLine("")).address).toEqual({ family: 4, text: "10.0.0.2" });
    const r = rsLine("", "NAT", "2001:db8::1 80", "2001:db8:0::2 8080");
    expect(r.messages).toEqual([]);
    expect(rsOf(r)).toMatchObject({ address: { family: 6, text: "2001:db8::2" }, port: 8080 });
  });

  test("a bad address or port is an error", () => {
    expect(rsLine("", "NAT", "10.0.0.1 80", "10.0.0.999 80").errors).toEqual([
      "keepalived.conf:5:15: error: real_server address must be an IPv4 or IPv6 address, got 10.0.0.999",
    ]);
    expect(rsLine("", "NAT", "10.0.0.1 80", "10.0.0.2 70000").errors).toEqual(["keepalived.conf:5:24: error: real_server port must be 0..65535, got 70000"]);
  });

  test("a real server of the other family is skipped by keepalived (an error here), unless it is tunnelled", () => {
    expect(rsLine("", "NAT", "10.0.0.1 80", "2001:db8::2 80").errors).toEqual([
      "keepalived.conf:5:3: error: real_server 2001:db8::2 is IPv6 but the virtual server is IPv4; keepalived skips it (only a TUN real server may differ)",
    ]);
    const r = rsLine("", "TUN", "10.0.0.1 80", "2001:db8::2 80");
    expect(r.messages).toEqual([]);
    expect(rsOf(r)).toMatchObject({ address: { family: 6 }, lbKind: "TUN" });
  });

  test("the first non-tunnelled real server settles a fwmark service's family", () => {
    const r = servers(["2001:db8::2", "10.0.0.3"], "NAT", "fwmark 5");
    expect(r.errors).toEqual([
      "keepalived.conf:7:3: error: real_server 10.0.0.3 is IPv4 but the virtual server is IPv6; keepalived skips it (only a TUN real server may differ)",
    ]);
  });
});

describe("ports as keepalived fills them in", () => {
  test("NAT: a real server without a port takes the service's; with one it keeps it", () => {
    const r = servers(["10.0.0.2", "10.0.0.3 8080"]);
    expect(r.messages).toEqual([]);
    expect(r.config?.virtualServers[0]?.realServers.map((rs) => rs.port)).toEqual([80, 8080]);
  });

  test("DR and TUN: the service's port; a different one is reset, with keepalived's warning", () => {
    const r = servers(["10.0.0.2", "10.0.0.3 8080"], "DR");
    expect(r.warnings).toEqual([
      "keepalived.conf:7:3: warning: real_server 10.0.0.3 port 8080 differs from virtual_server 10.0.0.1 80's port 80, which DR cannot change; keepalived uses 80",
    ]);
    expect(r.config?.virtualServers[0]?.realServers.map((rs) => rs.port)).toEqual([80, 80]);
  });

  test("fwmark: NAT keeps what is written (0 if none); DR's port is cleared, with a warning", () => {
    expect(servers(["10.0.0.2", "10.0.0.3 8080"], "NAT", "fwmark 5").config?.virtualServers[0]?.realServers.map((rs) => rs.port)).toEqual([0, 8080]);
    const r = servers(["10.0.0.3 8080"], "DR", "fwmark 5");
    expect(r.warnings).toContain(
      "keepalived.conf:5:3: warning: virtual_server fwmark 5 is a fwmark service, so real_server 10.0.0.3's port 8080 is not used (DR); keepalived clears it",
    );
    expect(r.config?.virtualServers[0]?.realServers[0]?.port).toBe(0);
  });

  test("a real server written twice is an error (keepalived removes the second)", () => {
    expect(servers(["10.0.0.2 80", "10.0.0.2 80"]).errors).toEqual([
      "keepalived.conf:7:3: error: real_server 10.0.0.2 80 is already in virtual_server 10.0.0.1 80 at /etc/keepalived/keepalived.conf:5:3; keepalived removes the second",
    ]);
  });

  test("two real servers that become one destination once the port is filled in are an error (the kernel takes it once)", () => {
    expect(servers(["10.0.0.2", "10.0.0.2 80"]).errors).toEqual([
      "keepalived.conf:7:3: error: real_server 10.0.0.2 becomes port 80, the same destination as the real server at /etc/keepalived/keepalived.conf:5:3; the kernel takes it once",
    ]);
  });
});

describe("real_server keywords", () => {
  test("weight 0..2147483647; the virtual server's weight (1) when unset", () => {
    expect(rsOf(rsLine("weight 0")).weight).toBe(0);
    expect(rsOf(rsLine("weight 2147483647")).weight).toBe(2147483647);
    expect(rsLine("weight 2147483648").errors).toEqual(["keepalived.conf:6:12: error: weight must be 0..2147483647, got 2147483648"]);
  });

  test("lvs_method per real server, with a tunnel; lb_kind is unknown there in keepalived 2.2.7", () => {
    const r = rsLine("lvs_method TUN type gue port 6080");
    expect(rsOf(r)).toMatchObject({ lbKind: "TUN", tunnel: { type: "gue", port: 6080, checksum: "nocsum" } });
    expect(rsOf(rsLine("lvs_method DR", "TUN"))).toMatchObject({ lbKind: "DR" });
    expect(rsOf(rsLine("lvs_method DR", "TUN"))?.tunnel).toBeUndefined();
    expect(rsLine("lb_kind DR").warnings).toEqual(["keepalived.conf:6:5: warning: unknown keyword 'lb_kind' in real_server; ignored"]);
  });

  test("uthreshold and lthreshold, 0 (none) by default", () => {
    expect(rsOf(rsLine("uthreshold 100\n    lthreshold 10"))).toMatchObject({ uthreshold: 100, lthreshold: 10 });
    expect(rsLine("uthreshold -1").errors).toEqual(["keepalived.conf:6:16: error: uthreshold must be 0..4294967295, got -1"]);
  });

  test("inhibit_on_failure [BOOL]; its own value wins over the virtual server's", () => {
    expect(rsOf(rsLine("inhibit_on_failure")).inhibitOnFailure).toBe(true);
    const r = parseText(
      "virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lvs_sched rr\n  lvs_method NAT\n  inhibit_on_failure\n  real_server 10.0.0.2 80 {\n    inhibit_on_failure off\n  }\n  real_server 10.0.0.3 80 {\n  }\n}\n",
    );
    expect(r.config?.virtualServers[0]?.realServers.map((rs) => rs.inhibitOnFailure)).toEqual([false, true]);
    expect(rsLine("inhibit_on_failure maybe").errors).toEqual(["keepalived.conf:6:24: error: inhibit_on_failure takes on|off|true|false|yes|no, got maybe"]);
  });

  test("alpha [BOOL], over the virtual server's", () => {
    expect(rsOf(rsLine("alpha")).checkDefaults.alpha).toBe(true);
    expect(rsOf(rsLine("alpha no")).checkDefaults.alpha).toBe(false);
  });

  test("notify_up and notify_down; a second one is an error (keepalived keeps the first)", () => {
    expect(rsOf(rsLine('notify_up /up.sh\n    notify_down "/down.sh x"'))).toMatchObject({ notifyUp: "/up.sh", notifyDown: "/down.sh x" });
    expect(rsLine("notify_down /a\n    notify_down /b").errors).toEqual([
      "keepalived.conf:7:5: error: notify_down is already set at /etc/keepalived/keepalived.conf:6:5; keepalived keeps the first and ignores this one",
    ]);
  });

  test("checker defaults: its own over the virtual server's, with keepalived's bounds (retry 0 refused)", () => {
    const r = rsLine("delay_loop 3\n    connect_timeout 2.5\n    retry 4\n    delay_before_retry 1\n    warmup 9");
    expect(rsOf(r)?.checkDefaults).toEqual({ delayLoopS: 3, connectTimeoutS: 2.5, retry: 4, delayBeforeRetryS: 1, warmupS: 9, alpha: false });
    expect(rsLine("retry 0").errors).toEqual(["keepalived.conf:6:11: error: retry must be 1..4294967295, got 0"]);
  });

  test("virtualhost; smtp_alert, snmp_name and BFD_CHECK are parsed and ignored with a warning", () => {
    expect(rsOf(rsLine("virtualhost a.example")).virtualhost).toBe("a.example");
    for (const line of ["smtp_alert", "snmp_name rs1", "BFD_CHECK {\n    }"])
      expect(rsLine(line).warnings).toEqual([`keepalived.conf:6:5: warning: parsed but not implemented: ${line.split(/[ \n]/)[0]}`]);
  });

  test("connection options belong to checkers: connect_ip, connect_port, bindto in a real_server are unknown, as in keepalived", () => {
    for (const line of ["connect_ip 10.0.0.9", "connect_port 80", "bindto 10.0.0.5", "nb_get_retry 3"])
      expect(rsLine(line).warnings).toEqual([`keepalived.conf:6:5: warning: unknown keyword '${line.split(" ")[0]}' in real_server; ignored`]);
  });
});
