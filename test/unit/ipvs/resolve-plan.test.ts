// keepalived 2.2.7's defaults and corrections for a virtual_server, one golden test per rule,
// each naming the keepalived function it mirrors.
import { describe, expect, test } from "bun:test";
import { resolvePlans } from "../../../src/ipvs/resolve-plan.ts";
import type { ResolvedVirtualServer } from "../../../src/ipvs/resolved-plan.ts";
import { serviceKeyText } from "../../../src/ipvs/types.ts";
import type { VirtualServerPlan } from "../../../src/ipvs/virtual-server-plan.ts";
import { ip, realServer, virtualServer } from "./support/plans.ts";

function only(plan: VirtualServerPlan): { vs: ResolvedVirtualServer; notes: string[] } {
  const { virtualServers, notes } = resolvePlans([plan]);
  expect(virtualServers).toHaveLength(1);
  return { vs: virtualServers[0]!, notes };
}

const rs = [realServer("10.0.0.2", 80)];

describe("service settings (check_data.c validate_check_config, check_parser.c)", () => {
  test("scheduler defaults to wlc (validate_check_config, IPVS_DEF_SCHED)", () => {
    const { vs, notes } = only(virtualServer("10.0.0.1", 80, rs, { scheduler: undefined }));
    expect(vs.services[0]!.scheduler).toBe("wlc");
    expect(notes.join()).toContain("no scheduler set, setting default 'wlc'");
  });

  test("protocol defaults to UDP for an address service and is dropped for a fwmark (validate_check_config)", () => {
    expect(only(virtualServer("10.0.0.1", 53, rs, { protocol: undefined })).vs.services[0]!.key).toEqual({
      kind: "address",
      protocol: "UDP",
      address: ip("10.0.0.1"),
      port: 53,
    });
    const mark = only(virtualServer("10.0.0.1", 0, [realServer("10.0.0.2", 0)], { key: { kind: "fwmark", fwmark: 7 }, protocol: "TCP" }));
    expect(mark.vs.protocol).toBeUndefined();
    expect(mark.vs.services[0]!.key).toEqual({ kind: "fwmark", family: 4, fwmark: 7 });
    expect(mark.notes.join()).toContain("protocol specified for fwmark; ignored");
  });

  test("ops only for UDP: reset on TCP and SCTP, kept on UDP and on a fwmark (validate_check_config)", () => {
    const flags = { ops: true };
    expect(only(virtualServer("10.0.0.1", 80, rs, { flags, protocol: "TCP" })).vs.services[0]!.flags.onePacket).toBe(false);
    expect(only(virtualServer("10.0.0.1", 80, rs, { flags, protocol: "SCTP" })).vs.services[0]!.flags.onePacket).toBe(false);
    expect(only(virtualServer("10.0.0.1", 53, rs, { flags, protocol: "UDP" })).vs.services[0]!.flags.onePacket).toBe(true);
    expect(only(virtualServer("10.0.0.1", 0, rs, { flags, key: { kind: "fwmark", fwmark: 3 } })).vs.services[0]!.flags.onePacket).toBe(true);
    expect(only(virtualServer("10.0.0.1", 80, rs, { flags, protocol: "TCP" })).notes.join()).toContain("ops) requires UDP");
  });

  test("flags mapping: flag-1..3 are SCHED1..3; sh-fallback/mh-fallback SCHED1 and sh-port/mh-port SCHED2 under their own scheduler only (lbflags_handler)", () => {
    const flagsOf = (scheduler: string, flags: VirtualServerPlan["flags"]) =>
      only(virtualServer("10.0.0.1", 80, rs, { scheduler, flags })).vs.services[0]!.flags;
    expect(flagsOf("rr", { flag1: true, flag3: true })).toEqual({ persistent: false, onePacket: false, sched1: true, sched2: false, sched3: true });
    expect(flagsOf("sh", { shFallback: true, shPort: true })).toMatchObject({ sched1: true, sched2: true, sched3: false });
    expect(flagsOf("mh", { mhPort: true })).toMatchObject({ sched1: false, sched2: true });
    expect(flagsOf("mh", { mhFallback: true })).toMatchObject({ sched1: true, sched2: false });
    expect(flagsOf("rr", { shPort: true, mhFallback: true })).toMatchObject({ sched1: false, sched2: false });
    expect(only(virtualServer("10.0.0.1", 80, rs, { scheduler: "wrr", flags: { shPort: true } })).notes.join()).toContain(
      "sh-port only applies to the sh scheduler",
    );
  });
});

describe("persistence (check_parser.c pto_handler / pgr_handler, ipvswrapper.c ipvs_set_srule)", () => {
  test("persistence_timeout with no value is 360 s and sets the persistent flag (pto_handler, IPVS_SVC_PERSISTENT_TIMEOUT)", () => {
    const spec = only(virtualServer("10.0.0.1", 80, rs, { persistence: { timeoutS: "default" } })).vs.services[0]!;
    expect(spec.timeoutS).toBe(360);
    expect(spec.flags.persistent).toBe(true);
    expect(only(virtualServer("10.0.0.1", 80, rs, { persistence: { timeoutS: 50 } })).vs.services[0]!.timeoutS).toBe(50);
  });

  test("not persistent: timeout 0, the one-client netmask, no engine (ipvs_set_srule)", () => {
    const spec = only(virtualServer("10.0.0.1", 80, rs, { persistence: { engine: "sip" } })).vs.services[0]!;
    expect(spec).toMatchObject({ timeoutS: 0, netmask: 0xffffffff });
    expect(spec.flags.persistent).toBe(false);
    expect(spec.persistenceEngine).toBeUndefined();
  });

  test("persistence_granularity alone makes the service persistent for 360 s (pgr_handler)", () => {
    const spec = only(virtualServer("10.0.0.1", 80, rs, { persistence: { granularity: { family: 4, netmask: ip("255.255.255.0") } } })).vs.services[0]!;
    expect(spec).toMatchObject({ timeoutS: 360, netmask: 0xffffff00 });
  });

  test("netmask forms: an IPv4 mask as its value, an IPv6 prefix length, /128 by default (ipvs_set_srule)", () => {
    const v6 = [realServer("2001:db8::2", 80)];
    const prefix = only(virtualServer("2001:db8::1", 80, v6, { persistence: { timeoutS: 60, granularity: { family: 6, prefixLength: 64 } } })).vs.services[0]!;
    expect(prefix).toMatchObject({ timeoutS: 60, netmask: 64 });
    expect(only(virtualServer("2001:db8::1", 80, v6, { persistence: { timeoutS: 60 } })).vs.services[0]!.netmask).toBe(128);
    expect(
      only(virtualServer("10.0.0.1", 80, rs, { persistence: { timeoutS: 60, granularity: { family: 4, netmask: ip("255.255.0.0") } } })).vs.services[0]!
        .netmask,
    ).toBe(0xffff0000);
    const mismatch = only(virtualServer("2001:db8::1", 80, v6, { persistence: { timeoutS: 60, granularity: { family: 4, netmask: ip("255.255.255.0") } } }));
    expect(mismatch.vs.services[0]!.netmask).toBe(128);
    expect(mismatch.notes.join()).toContain("is an IPv4 form but the virtual server is IPv6");
  });

  test("persistence_engine goes with a persistent service (ipvs_set_srule)", () => {
    expect(only(virtualServer("10.0.0.1", 5060, rs, { protocol: "UDP", persistence: { timeoutS: 30, engine: "sip" } })).vs.services[0]!.persistenceEngine).toBe(
      "sip",
    );
  });

  test("a zero port is only valid when persistent, so it becomes persistent for 360 s (validate_check_config)", () => {
    const { vs, notes } = only(virtualServer("10.0.0.1", 0, [realServer("10.0.0.2", 0)]));
    expect(vs.services[0]!.timeoutS).toBe(360);
    expect(notes.join()).toContain("zero port only valid for persistent services");
  });
});

describe("virtual_server_group (ipvswrapper.c ipvs_group_cmd / ipvs_group_range_cmd, ipwrapper.c link_vsg_to_vs)", () => {
  const group = (entries: Extract<VirtualServerPlan["key"], { kind: "group" }>["entries"], more: Partial<VirtualServerPlan> = {}, servers = rs) =>
    only(virtualServer("0.0.0.0", 0, servers, { key: { kind: "group", name: "web", entries }, ...more }));

  test("groups expand v4 ranges (across an octet), single addresses, then fwmarks, in keepalived's order (ipvs_group_cmd)", () => {
    const { vs } = group([
      { kind: "fwmark", fwmark: 9 },
      { kind: "range", first: ip("10.0.0.254"), last: ip("10.0.1.1"), port: 80 },
      { kind: "range", first: ip("10.0.9.9"), last: ip("10.0.9.9"), port: 443 },
    ]);
    expect(vs.services.map((s) => serviceKeyText(s.key))).toEqual([
      "TCP 10.0.0.254:80",
      "TCP 10.0.0.255:80",
      "TCP 10.0.1.0:80",
      "TCP 10.0.1.1:80",
      "TCP 10.0.9.9:443",
      "FWM 9 IPv4",
    ]);
    expect(vs.id).toBe("group web TCP");
    expect(vs.keepalivedName).toBe("[web]:0");
  });

  test("groups expand v6 ranges on the last 16-bit group, as ae00::2-9 (ipvs_group_range_cmd)", () => {
    const { vs } = group(
      [
        { kind: "range", first: ip("ae00::2"), last: ip("ae00::4"), port: 80 },
        { kind: "fwmark", fwmark: 5, family: 6 },
      ],
      {},
      [realServer("ae01::2", 80)],
    );
    expect(vs.services.map((s) => serviceKeyText(s.key))).toEqual(["TCP [ae00::2]:80", "TCP [ae00::3]:80", "TCP [ae00::4]:80", "FWM 5 IPv6"]);
    expect(vs.services.every((s) => s.netmask === 128)).toBe(true);
  });

  test("group fwmark family: the entry's, else the virtual server's, else IPv4 (ipvs_group_cmd)", () => {
    const fromServers = group([{ kind: "fwmark", fwmark: 1 }], {}, [realServer("2001:db8::2", 0)]);
    expect(fromServers.vs.services[0]!.key).toEqual({ kind: "fwmark", family: 6, fwmark: 1 });
    const tunnelled = group([{ kind: "fwmark", fwmark: 1 }], { forwarding: { method: "TUN" } });
    expect(tunnelled.vs.services[0]!.key).toEqual({ kind: "fwmark", family: 4, fwmark: 1 });
    expect(tunnelled.notes.join()).toContain("defaulting to IPv4");
    expect(group([{ kind: "fwmark", fwmark: 1, family: 6 }], { forwarding: { method: "TUN" } }).vs.services[0]!.key).toEqual({
      kind: "fwmark",
      family: 6,
      fwmark: 1,
    });
  });

  test("groups with IPv4 and IPv6 need every server tunnelled (link_vsg_to_vs)", () => {
    const entries = [
      { kind: "range" as const, first: ip("10.0.0.1"), last: ip("10.0.0.1"), port: 80 },
      { kind: "range" as const, first: ip("2001:db8::1"), last: ip("2001:db8::1"), port: 80 },
    ];
    const mixed = group(entries, { forwarding: { method: "TUN" } });
    expect(mixed.vs.family).toBeUndefined();
    expect(mixed.vs.services.map((s) => serviceKeyText(s.key))).toEqual(["TCP 10.0.0.1:80", "TCP [2001:db8::1]:80"]);
    const { virtualServers, notes } = resolvePlans([virtualServer("0.0.0.0", 0, rs, { key: { kind: "group", name: "g", entries } })]);
    expect(virtualServers).toEqual([]);
    expect(notes.join()).toContain("holds IPv4 and IPv6");
  });

  test("groups keep a full netmask whatever persistence_granularity says, as keepalived 2.2.7 writes it (ipvs_group_range_cmd)", () => {
    const { vs, notes } = group(
      [
        { kind: "range", first: ip("10.0.0.1"), last: ip("10.0.0.2"), port: 80 },
        { kind: "fwmark", fwmark: 4 },
      ],
      {
        persistence: { timeoutS: 100, granularity: { family: 4, netmask: ip("255.255.255.0") } },
      },
    );
    expect(vs.services.map((s) => [s.timeoutS, s.flags.persistent, s.netmask])).toEqual([
      [100, true, 0xffffffff],
      [100, true, 0xffffffff],
      [100, true, 0xffffffff],
    ]);
    expect(notes.join()).toContain("not applied to group services");
  });

  test("a group entry without a port makes the group persistent (validate_check_config)", () => {
    expect(group([{ kind: "range", first: ip("10.0.0.1"), last: ip("10.0.0.1"), port: 0 }]).vs.services[0]!.timeoutS).toBe(360);
  });

  test("virtual servers of one group are numbered for keepalived's names (link_vsg_to_vs, format_vs)", () => {
    const entries = [{ kind: "range" as const, first: ip("10.0.0.1"), last: ip("10.0.0.1"), port: 80 }];
    const { virtualServers } = resolvePlans([
      virtualServer("0.0.0.0", 0, rs, { key: { kind: "group", name: "g", entries }, protocol: "TCP" }),
      virtualServer("0.0.0.0", 0, rs, { key: { kind: "group", name: "g", entries }, protocol: "UDP" }),
    ]);
    expect(virtualServers.map((v) => [v.id, v.keepalivedName])).toEqual([
      ["group g TCP", "[g]:0"],
      ["group g UDP", "[g]:1"],
    ]);
  });
});

describe("real and sorry servers (check_data.c validate_check_config, check_parser.c rs_end_handler / vs_end_handler)", () => {
  test("lb kinds: NAT is masquerade, DR direct-route, TUN tunnel (ipip unless type says); a real server's own wins (svr_forwarding_handler)", () => {
    const { vs } = only(
      virtualServer(
        "10.0.0.1",
        80,
        [
          realServer("10.0.0.2", 8080),
          realServer("10.0.0.3", 80, { forwarding: { method: "NAT" } }),
          realServer("10.0.0.4", 80, { forwarding: { method: "TUN" } }),
          realServer("10.0.0.5", 80, { forwarding: { method: "TUN", type: "gue", port: 6080, checksum: "remcsum" } }),
          realServer("10.0.0.6", 80, { forwarding: { method: "TUN", type: "gre", checksum: "csum" } }),
        ],
        { forwarding: { method: "DR" } },
      ),
    );
    expect(vs.realServers.map((r) => [r.id, r.forward, r.tunnel])).toEqual([
      ["10.0.0.2:80", "direct-route", undefined],
      ["10.0.0.3:80", "masquerade", undefined],
      ["10.0.0.4:80", "tunnel", { type: "ipip", port: 0, checksum: "nocsum" }],
      ["10.0.0.5:80", "tunnel", { type: "gue", port: 6080, checksum: "remcsum" }],
      ["10.0.0.6:80", "tunnel", { type: "gre", port: 0, checksum: "csum" }],
    ]);
  });

  test("no lb_kind anywhere is NAT (validate_check_config)", () => {
    const { vs, notes } = only(virtualServer("10.0.0.1", 80, rs, { forwarding: undefined }));
    expect(vs.realServers[0]!.forward).toBe("masquerade");
    expect(notes.join()).toContain("setting default NAT");
  });

  test("ports: DR/TUN take the service's port, NAT keeps its own or takes it, a fwmark's DR servers have none (validate_check_config)", () => {
    const dr = only(virtualServer("10.0.0.1", 80, [realServer("10.0.0.2", 0), realServer("10.0.0.3", 8080)], { forwarding: { method: "DR" } }));
    expect(dr.vs.realServers.map((r) => r.id)).toEqual(["10.0.0.2:80", "10.0.0.3:80"]);
    expect(dr.notes.join()).toContain("port 8080 differs from the virtual server's 80; reset to 80");
    const nat = only(virtualServer("10.0.0.1", 80, [realServer("10.0.0.2", 0), realServer("10.0.0.3", 8080)]));
    expect(nat.vs.realServers.map((r) => r.id)).toEqual(["10.0.0.2:80", "10.0.0.3:8080"]);
    const mark = only(virtualServer("10.0.0.1", 0, [realServer("10.0.0.2", 80)], { key: { kind: "fwmark", fwmark: 2 }, forwarding: { method: "DR" } }));
    expect(mark.vs.realServers[0]!.id).toBe("10.0.0.2:0");
  });

  test("weight defaults to the virtual server's weight, then 1; inhibit_on_failure and alpha are inherited (validate_check_config)", () => {
    const { vs } = only(
      virtualServer(
        "10.0.0.1",
        80,
        [
          realServer("10.0.0.2", 80, { checkers: [{ id: "c" }, { id: "d", alpha: false }] }),
          realServer("10.0.0.3", 80, { weight: 7, inhibitOnFailure: false, alpha: false, checkers: [{ id: "c" }] }),
        ],
        {
          defaultWeight: 3,
          inhibitOnFailure: true,
          alpha: true,
        },
      ),
    );
    expect(vs.realServers.map((r) => [r.weight, r.inhibitOnFailure, r.checkers])).toEqual([
      [
        3,
        true,
        [
          { id: "c", alpha: true },
          { id: "d", alpha: false },
        ],
      ],
      [7, false, [{ id: "c", alpha: false }]],
    ]);
    expect(only(virtualServer("10.0.0.1", 80, rs)).vs.realServers[0]!.weight).toBe(1);
  });

  test("quorum is capped at the total weight and hysteresis kept below the quorum (validate_check_config)", () => {
    const capped = only(
      virtualServer("10.0.0.1", 80, [realServer("10.0.0.2", 80, { weight: 2 }), realServer("10.0.0.3", 80, { weight: 3 })], { quorum: 9, hysteresis: 7 }),
    );
    expect([capped.vs.quorum, capped.vs.hysteresis]).toEqual([5, 4]);
    expect(capped.notes.join()).toContain("reducing quorum to 5");
    const defaults = only(virtualServer("10.0.0.1", 80, rs));
    expect([defaults.vs.quorum, defaults.vs.hysteresis]).toEqual([1, 0]);
    const zero = only(virtualServer("10.0.0.1", 80, [realServer("10.0.0.2", 80, { weight: 0 })], { hysteresis: 2 }));
    expect([zero.vs.quorum, zero.vs.hysteresis]).toEqual([0, 0]);
  });

  test("a non-tunnelled real server of the other family is skipped; a tunnelled one stays (rs_end_handler)", () => {
    const { vs, notes } = only(
      virtualServer("10.0.0.1", 80, [
        realServer("2001:db8::2", 80),
        realServer("2001:db8::3", 80, { forwarding: { method: "TUN" } }),
        realServer("10.0.0.2", 80),
      ]),
    );
    expect(vs.realServers.map((r) => r.id)).toEqual(["[2001:db8::3]:80", "10.0.0.2:80"]);
    expect(notes.join()).toContain("real server 2001:db8::2 is IPv6 but the virtual server is IPv4");
  });

  test("a fwmark takes its family from its servers; all tunnelled and mixed is IPv4 (vs_end_handler)", () => {
    const fwmark = { kind: "fwmark" as const, fwmark: 8 };
    expect(only(virtualServer("::", 0, [realServer("2001:db8::2", 0)], { key: fwmark })).vs.id).toBe("FWM 8 IPv6");
    const tun = { forwarding: { method: "TUN" as const } };
    expect(only(virtualServer("::", 0, [realServer("2001:db8::2", 0)], { key: fwmark, ...tun })).vs.id).toBe("FWM 8 IPv6");
    expect(only(virtualServer("::", 0, [realServer("2001:db8::2", 0), realServer("10.0.0.2", 0)], { key: fwmark, ...tun })).vs.id).toBe("FWM 8 IPv4");
    expect(only(virtualServer("::", 0, [realServer("10.0.0.2", 0)], { key: { ...fwmark, family: 6 }, ...tun })).vs.id).toBe("FWM 8 IPv6");
  });

  test("a duplicated real server is removed (validate_check_config)", () => {
    const { vs, notes } = only(virtualServer("10.0.0.1", 80, [realServer("10.0.0.2", 80, { weight: 1 }), realServer("10.0.0.2", 80, { weight: 5 })]));
    expect(vs.realServers.map((r) => r.weight)).toEqual([1]);
    expect(notes.join()).toContain("is duplicated");
  });

  test("a sorry server that is also a real server takes its inhibit setting (validate_check_config)", () => {
    const { vs, notes } = only(
      virtualServer("10.0.0.1", 80, [realServer("10.0.0.2", 80, { inhibitOnFailure: true })], {
        sorryServer: { address: ip("10.0.0.2"), port: 80, inhibit: false },
      }),
    );
    expect(vs.sorryServer).toMatchObject({ inhibit: true, duplicatesRealServer: true, forward: "masquerade", port: 80 });
    expect(notes.join()).toContain("matches the sorry server");
  });

  test("a sorry server of the other family, not tunnelled, is skipped (vs_end_handler)", () => {
    const { vs } = only(virtualServer("10.0.0.1", 80, rs, { sorryServer: { address: ip("2001:db8::9"), port: 80, inhibit: false } }));
    expect(vs.sorryServer).toBeUndefined();
  });

  test("sorry_server_lvs_method, else the virtual server's; DR takes the service port (alloc_ssvr, validate_check_config)", () => {
    const { vs } = only(
      virtualServer("10.0.0.1", 80, rs, {
        forwarding: { method: "DR" },
        sorryServer: { address: ip("10.0.0.9"), port: 0, inhibit: false, forwarding: { method: "TUN", type: "gue", port: 5555 } },
      }),
    );
    expect(vs.sorryServer).toMatchObject({
      forward: "tunnel",
      tunnel: { type: "gue", port: 5555, checksum: "nocsum" },
      port: 80,
      keepalivedName: "[10.0.0.9]:tcp:80",
    });
  });

  test("a NAT sorry server keeps port 0 where a NAT real server takes the service's (validate_check_config fills in only real servers')", () => {
    const { vs } = only(virtualServer("10.0.0.1", 80, [realServer("10.0.0.2", 0)], { sorryServer: { address: ip("10.0.0.9"), port: 0, inhibit: false } }));
    expect(vs.realServers[0]!.port).toBe(80);
    expect(vs.sorryServer).toMatchObject({ forward: "masquerade", port: 0, keepalivedName: "[10.0.0.9]:tcp:0" });
  });

  test("ha_suspend cannot be used with fwmarks (validate_check_config)", () => {
    const { vs, notes } = only(virtualServer("10.0.0.1", 0, rs, { key: { kind: "fwmark", fwmark: 1 }, haSuspend: true }));
    expect(vs.haSuspend).toBe(false);
    expect(notes.join()).toContain("cannot use ha_suspend with fwmarks");
  });

  test("keepalived's names: [addr]:proto:port, FWM N, and none for a fwmark's protocol (format_vs, format_rs)", () => {
    const { vs } = only(virtualServer("2001:db8::1", 443, [realServer("2001:db8::2", 443)]));
    expect([vs.id, vs.keepalivedName, vs.realServers[0]!.keepalivedName]).toEqual(["TCP [2001:db8::1]:443", "[2001:db8::1]:tcp:443", "[2001:db8::2]:tcp:443"]);
    const mark = only(virtualServer("10.0.0.1", 0, [realServer("10.0.0.2", 0)], { key: { kind: "fwmark", fwmark: 12 } })).vs;
    expect([mark.keepalivedName, mark.realServers[0]!.keepalivedName]).toEqual(["FWM 12", "[10.0.0.2]:none:0"]);
  });

  test("a virtual server with no real servers left is ignored (validate_check_config)", () => {
    const { virtualServers, notes } = resolvePlans([virtualServer("10.0.0.1", 80, [realServer("2001:db8::2", 80)])]);
    expect(virtualServers).toEqual([]);
    expect(notes.join()).toContain("has no real servers");
  });

  test("a service declared by two virtual servers stays with the first", () => {
    const { virtualServers, notes } = resolvePlans([
      virtualServer("10.0.0.1", 80, rs),
      virtualServer("0.0.0.0", 0, rs, {
        key: { kind: "group", name: "g", entries: [{ kind: "range", first: ip("10.0.0.1"), last: ip("10.0.0.2"), port: 80 }] },
      }),
    ]);
    expect(virtualServers.map((v) => v.services.map((s) => serviceKeyText(s.key)))).toEqual([["TCP 10.0.0.1:80"], ["TCP 10.0.0.2:80"]]);
    expect(notes.join()).toContain("already belongs to TCP 10.0.0.1:80");
  });
});
