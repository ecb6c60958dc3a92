// keepalived.conf text through the config front end into the director's plans: every field
// of virtual_server, real_server, sorry_server, virtual_server_group and the checkers, then on
// through resolvePlans and desiredTable (keepalived-tables.test.ts holds whole tables against
// keepalived's own). And global_defs' director settings.
import { describe, expect, test } from "bun:test";
import { ipvsadmSave } from "../../../src/ipvs/ipvsadm-save.ts";
import { planIpvsGlobals } from "../../../src/ipvs/plan-ipvs-globals.ts";
import { checkerIds, planVirtualServers } from "../../../src/ipvs/plan-virtual-servers.ts";
import { resolvePlans } from "../../../src/ipvs/resolve-plan.ts";
import { parseText } from "../config/helpers.ts";
import { TestDirector } from "./support/director.ts";
import { plansOf } from "./support/keepalived-tables.ts";
import { ip } from "./support/plans.ts";

const tableOf = (text: string): string => ipvsadmSave(new TestDirector(plansOf(text)).start().table().table);

describe("virtual_server and real_server fields", () => {
  const text = `
virtual_server 10.0.0.1 80 {
  protocol TCP
  lvs_sched wrr
  lvs_method TUN type gue port 6080 csum
  weight 3
  quorum 4
  hysteresis 1
  quorum_up "/bin/up arg"
  quorum_down /bin/down
  inhibit_on_failure
  omega
  ha_suspend
  real_server 10.0.0.2 8080 {
    weight 2
    lvs_method NAT
    uthreshold 100
    lthreshold 10
    inhibit_on_failure no
    notify_up /bin/rs-up
    notify_down /bin/rs-down
    alpha
    TCP_CHECK {
    }
    HTTP_GET {
      alpha no
      url {
        path /
      }
    }
    TCP_CHECK {
      connect_port 81
    }
  }
  real_server 10.0.0.3 80 {
  }
}
`;

  test("each field, as the model has it after keepalived's inheritance", () => {
    const [plan] = plansOf(text);
    expect(plan).toEqual({
      key: { kind: "address", address: ip("10.0.0.1"), port: 80 },
      protocol: "TCP",
      scheduler: "wrr",
      flags: { ops: false, flag1: false, flag2: false, flag3: false },
      persistence: {},
      forwarding: { method: "TUN", type: "gue", port: 6080, checksum: "csum" },
      defaultWeight: 3,
      quorum: 4,
      hysteresis: 1,
      quorumUp: "/bin/up arg",
      quorumDown: "/bin/down",
      inhibitOnFailure: true,
      alpha: false,
      omega: true,
      haSuspend: true,
      realServers: [
        {
          address: ip("10.0.0.2"),
          port: 8080,
          weight: 2,
          forwarding: { method: "NAT" },
          upperThreshold: 100,
          lowerThreshold: 10,
          inhibitOnFailure: false,
          alpha: true,
          notifyUp: "/bin/rs-up",
          notifyDown: "/bin/rs-down",
          checkers: [{ id: "TCP_CHECK#0" }, { id: "HTTP_GET#0", alpha: false }, { id: "TCP_CHECK#1" }],
        },
        {
          address: ip("10.0.0.3"),
          port: 80,
          weight: 3,
          forwarding: { method: "TUN", type: "gue", port: 6080, checksum: "csum" },
          upperThreshold: 0,
          lowerThreshold: 0,
          inhibitOnFailure: true,
          alpha: false,
          checkers: [],
        },
      ],
    });
  });

  test("resolved: checker alpha from the checker, else the real server; the real server's notifies; keepalived's names", () => {
    const { virtualServers, notes } = resolvePlans(plansOf(text));
    const [vs] = virtualServers;
    expect(notes).toEqual([]);
    expect(vs).toMatchObject({
      id: "TCP 10.0.0.1:80",
      keepalivedName: "[10.0.0.1]:tcp:80",
      quorum: 4,
      hysteresis: 1,
      omega: true,
      haSuspend: true,
      quorumUp: "/bin/up arg",
    });
    expect(vs!.realServers[0]).toMatchObject({
      id: "10.0.0.2:8080",
      keepalivedName: "[10.0.0.2]:tcp:8080",
      notifyUp: "/bin/rs-up",
      checkers: [
        { id: "TCP_CHECK#0", alpha: true },
        { id: "HTTP_GET#0", alpha: false },
        { id: "TCP_CHECK#1", alpha: true },
      ],
    });
    expect(vs!.haSuspendAddresses).toEqual([ip("10.0.0.1")]);
  });

  test("in the table: alpha checkers start down, so the real server starts out, and the inhibited one stays at 0", () => {
    expect(tableOf(text)).toBe(
      ["-A -t 10.0.0.1:80 -s wrr", "-a -t 10.0.0.1:80 -r 10.0.0.3:80 -i -w 3 --tun-type gue --tun-port 6080 --tun-csum", ""].join("\n"),
    );
  });

  test("scheduler flags and persistence: the model's bits, the granularity as a netmask or a prefix", () => {
    const [v4, v6] = plansOf(`
virtual_server 10.0.0.1 443 {
  protocol UDP
  lvs_sched sh
  sh-port
  flag-3
  ops
  persistence_timeout 600
  persistence_granularity 255.255.255.0
  persistence_engine sip
  real_server 10.0.0.2 443 {
  }
}
virtual_server 2001:db8::1 443 {
  protocol TCP
  persistence_granularity 64
  real_server 2001:db8::2 443 {
  }
}
`);
    expect(v4).toMatchObject({
      flags: { ops: true, flag1: false, flag2: true, flag3: true },
      persistence: { timeoutS: 600, granularity: { family: 4, netmask: ip("255.255.255.0") }, engine: "sip" },
    });
    expect(v6!.persistence).toEqual({ timeoutS: 360, granularity: { family: 6, prefixLength: 64 } });
    const services = resolvePlans([v4!, v6!]).virtualServers.map((vs) => vs.services[0]);
    expect(services[0]).toMatchObject({
      netmask: 0xffffff00,
      timeoutS: 600,
      persistenceEngine: "sip",
      flags: { persistent: true, onePacket: true, sched2: true, sched3: true },
    });
    expect(services[1]).toMatchObject({ netmask: 64, timeoutS: 360 });
  });
});

describe("keys: fwmark and group", () => {
  test("a fwmark's family from ip_family; a group's entries, with each fwmark's own family", () => {
    const plans = plansOf(`
virtual_server_group mixed {
  10.0.0.1-3 80
  10.0.1.0/30
  fwmark 5
  fwmark 6 inet
}
virtual_server_group v6 {
  2001:db8::1-2 443
  fwmark 7 inet6
}
virtual_server fwmark 9 {
  ip_family inet6
  lvs_method DR
  real_server 2001:db8::9 {
  }
}
virtual_server group mixed {
  protocol TCP
  lvs_method DR
  real_server 10.0.0.100 {
  }
}
virtual_server group v6 {
  protocol TCP
  real_server 2001:db8::100 443 {
  }
}
`);
    expect(plans.map((p) => p.key)).toEqual([
      { kind: "fwmark", fwmark: 9, family: 6 },
      {
        kind: "group",
        name: "mixed",
        family: 4,
        entries: [
          { kind: "range", first: ip("10.0.0.1"), last: ip("10.0.0.3"), port: 80 },
          { kind: "range", first: ip("10.0.1.0"), last: ip("10.0.1.3"), port: 0 },
          { kind: "fwmark", fwmark: 5 },
          { kind: "fwmark", fwmark: 6, family: 4 },
        ],
      },
      {
        kind: "group",
        name: "v6",
        family: 6,
        entries: [
          { kind: "range", first: ip("2001:db8::1"), last: ip("2001:db8::2"), port: 443 },
          { kind: "fwmark", fwmark: 7, family: 6 },
        ],
      },
    ]);
    expect(plans[0]!.protocol).toBeUndefined();
    const resolved = resolvePlans(plans).virtualServers;
    expect(resolved.map((vs) => vs.id)).toEqual(["FWM 9 IPv6", "group mixed TCP", "group v6 TCP"]);
    expect(resolved[1]!.services).toHaveLength(3 + 4 + 2);
    expect(resolved[2]!.services.map((s) => (s.key.kind === "fwmark" ? `FWM ${s.key.fwmark}` : s.key.address.text))).toEqual([
      "2001:db8::1",
      "2001:db8::2",
      "FWM 7",
    ]);
  });

  test("a group of both families with only tunnelled real servers: no family, each entry its own", () => {
    const both = `
virtual_server_group both {
  10.0.0.1 80
  2001:db8::1 80
}
virtual_server group both {
  protocol TCP
  lvs_method TUN
  real_server 10.0.0.2 {
  }
}
`;
    const [plan] = plansOf(both);
    expect(plan!.key).toMatchObject({ kind: "group", name: "both" });
    expect("family" in plan!.key).toBe(false);
    expect(tableOf(both)).toBe(
      [
        "-A -t 10.0.0.1:80 -s wlc",
        "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -i -w 1 --tun-type ipip",
        "-A -t [2001:db8::1]:80 -s wlc",
        "-a -t [2001:db8::1]:80 -r 10.0.0.2:80 -i -w 1 --tun-type ipip",
        "",
      ].join("\n"),
    );
  });

  test("a virtual server whose group the model does not hold gives no plan", () => {
    const parsed = parseText("virtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n  }\n}\n");
    const config = parsed.config!;
    const orphan = { ...config.virtualServers[0]!, key: { kind: "group" as const, group: "gone" } };
    expect(planVirtualServers({ virtualServers: [orphan, config.virtualServers[0]!], virtualServerGroups: [] }).map((p) => p.key.kind)).toEqual(["address"]);
  });
});

describe("sorry_server", () => {
  test("its own method, else the virtual server's; inhibit; a NAT one keeps no port when none is written", () => {
    const plans = plansOf(`
virtual_server 10.0.0.1 80 {
  protocol TCP
  sorry_server 10.0.0.9
  sorry_server_inhibit
  real_server 10.0.0.2 80 {
  }
}
virtual_server 10.0.0.11 80 {
  protocol TCP
  lvs_method DR
  sorry_server 10.0.0.19 8080
  sorry_server_lvs_method TUN type gre csum
  real_server 10.0.0.12 80 {
  }
}
`);
    expect(plans.map((p) => p.sorryServer)).toEqual([
      { address: ip("10.0.0.9"), port: 0, forwarding: { method: "NAT" }, inhibit: true },
      { address: ip("10.0.0.19"), port: 80, forwarding: { method: "TUN", type: "gre", port: 0, checksum: "csum" }, inhibit: false },
    ]);
    expect(resolvePlans(plans).virtualServers.map((vs) => vs.sorryServer?.port)).toEqual([0, 80]);
  });
});

describe("checkerIds", () => {
  test("the kind and the ordinal among that kind, so other kinds coming and going leave an id alone", () => {
    expect(checkerIds([{ kind: "TCP_CHECK" }, { kind: "MISC_CHECK" }, { kind: "TCP_CHECK" }])).toEqual(["TCP_CHECK#0", "MISC_CHECK#0", "TCP_CHECK#1"]);
    expect(checkerIds([{ kind: "MISC_CHECK" }, { kind: "HTTP_GET" }, { kind: "TCP_CHECK" }, { kind: "TCP_CHECK" }]).slice(2)).toEqual([
      "TCP_CHECK#0",
      "TCP_CHECK#1",
    ]);
  });
});

describe("planIpvsGlobals", () => {
  const globalsOf = (body: string, instances = "") => {
    const parsed = parseText(`global_defs {\n${body}\n}\n${instances}`);
    if (!parsed.config) throw new Error(parsed.errors.join("\n"));
    return planIpvsGlobals(parsed.config.globalDefs);
  };

  test("nothing set: no sync daemon, timeouts left alone, no flush, removal one by one, tandem's five-minute drain, sysctls only reported", () => {
    expect(globalsOf("")).toEqual({ flushAtStart: false, flushOnStop: "none", drainTimeoutMs: 300_000, setSysctls: false, rsInitNotifies: false });
  });

  test("every setting", () => {
    const instance = "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    10.0.0.1/24\n  }\n}\n";
    expect(
      globalsOf(
        "  lvs_sync_daemon eth1 inst VI_1 maxlen 1400 port 8850 ttl 2 group 224.0.0.90\n  lvs_timeouts tcp 900 udp 0\n  lvs_flush\n  lvs_flush_on_stop VS\n  real_server_drain_timeout 30\n  ipvs_set_sysctls\n  rs_init_notifies",
        instance,
      ),
    ).toEqual({
      syncDaemon: { interfaceName: "eth1", instance: "VI_1", syncId: 51, maxLength: 1400, port: 8850, ttl: 2, group: ip("224.0.0.90") },
      // udp 0 is keepalived's "unset": the kernel's value stays.
      timeouts: { tcpS: 900 },
      flushAtStart: true,
      flushOnStop: "vs",
      drainTimeoutMs: 30_000,
      setSysctls: true,
      rsInitNotifies: true,
    });
  });

  test("a sync daemon with no instance, sync id 0; lvs_flush_on_stop alone flushes all; timeouts of 0 are none; rs_init_notifies false", () => {
    expect(globalsOf("  lvs_sync_daemon eth0\n  lvs_flush_on_stop\n  lvs_timeouts tcp 0 tcpfin 0\n  rs_init_notifies false")).toEqual({
      syncDaemon: { interfaceName: "eth0", syncId: 0 },
      flushAtStart: false,
      flushOnStop: "full",
      drainTimeoutMs: 300_000,
      setSysctls: false,
      rsInitNotifies: false,
    });
  });
});
