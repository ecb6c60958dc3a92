import { describe, expect, test } from "bun:test";
import { formatIpv4, parseIpv4 } from "../../../src/common/ipv4.ts";
import { parseAddressRange } from "../../../src/config/virtual-server.ts";
import { parseText } from "./helpers.ts";

const ip = (t: string) => parseIpv4(t)!;

describe("virtual_server", () => {
  test("address key, scheduler, forwarding, persistence, sorry server, quorum", () => {
    const r = parseText(`virtual_server 10.0.1.1 80 {
  delay_loop 6
  lb_algo wrr
  lb_kind DR
  persistence_timeout 900
  persistence_granularity 255.255.255.0
  protocol TCP
  sorry_server 192.168.200.200 1358
  alpha
  omega
  quorum 7
  hysteresis 2
  quorum_up "/usr/local/sbin/quorum-up.sh up"
  quorum_down /usr/local/sbin/quorum-down.sh
  virtualhost www.example.com
  connect_timeout 4
  real_server 10.0.0.1 8080 {
    weight 3
    inhibit_on_failure
    notify_up /up.sh
    notify_down "/down.sh x"
    TCP_CHECK {
      connect_port 80
      connect_timeout 3
    }
  }
}`);
    expect(r.messages).toEqual([]);
    const vs = r.config?.virtualServers[0];
    expect(vs).toMatchObject({
      key: { kind: "address", address: ip("10.0.1.1"), port: 80 },
      delayLoopS: 6,
      lbAlgo: "wrr",
      lbKind: "DR",
      persistenceTimeoutS: 900,
      persistenceGranularity: ip("255.255.255.0"),
      protocol: "TCP",
      sorryServer: { address: ip("192.168.200.200"), port: 1358 },
      alpha: true,
      omega: true,
      quorum: 7,
      hysteresis: 2,
      quorumUp: "/usr/local/sbin/quorum-up.sh up",
      quorumDown: "/usr/local/sbin/quorum-down.sh",
      virtualhost: "www.example.com",
      checkDefaults: { connectTimeoutS: 4 },
    });
    expect(vs?.realServers[0]).toMatchObject({
      address: ip("10.0.0.1"),
      port: 8080,
      weight: 3,
      inhibitOnFailure: true,
      notifyUp: "/up.sh",
      notifyDown: "/down.sh x",
    });
    expect(vs?.realServers[0]?.checkers).toEqual([
      { kind: "TCP_CHECK", connectPort: 80, connectTimeoutS: 3, location: { file: "/etc/keepalived/keepalived.conf", line: 22, col: 5 } },
    ]);
  });

  test("defaults: delay_loop 60, wlc, NAT, quorum 1; no protocol warns that keepalived 2.2.7 picks UDP (seen in keepalived -d)", () => {
    const r = parseText("virtual_server 10.0.0.1 81 {\n  persistence_timeout\n  real_server 10.0.0.3 {\n  }\n}");
    expect(r.config?.virtualServers[0]).toMatchObject({
      delayLoopS: 60,
      lbAlgo: "wlc",
      lbKind: "NAT",
      protocol: "UDP",
      quorum: 1,
      hysteresis: 0,
      persistenceTimeoutS: 360,
    });
    expect(r.config?.virtualServers[0]?.realServers[0]).toMatchObject({ weight: 1, inhibitOnFailure: false, checkers: [] });
    expect(r.warnings).toEqual([
      "keepalived.conf:1:1: warning: virtual_server has no protocol; keepalived 2.2.7 defaults to UDP - add 'protocol TCP' if that is what you mean",
    ]);
  });

  test("fwmark and group keys", () => {
    const r = parseText(
      "virtual_server fwmark 1 {\n  real_server 192.168.201.100 {\n  }\n}\nvirtual_server_group G {\n  10.0.0.1 80\n}\nvirtual_server group G {\n  protocol TCP\n}",
    );
    expect(r.config?.virtualServers.map((v) => v.key)).toEqual([
      { kind: "fwmark", fwmark: 1 },
      { kind: "group", group: "G" },
    ]);
    expect(parseText("virtual_server group NOPE {\n  protocol TCP\n}").errors).toEqual([
      "keepalived.conf:1:1: error: virtual_server group NOPE: there is no virtual_server_group NOPE",
    ]);
  });

  test("invalid scheduler, forwarding method, protocol and address are errors", () => {
    const r = parseText("virtual_server 10.0.0.1 80 {\n  lvs_sched bogus\n  lvs_method FOO\n  protocol ICMP\n  real_server 10.0.0.999 80 {\n  }\n}");
    expect(r.errors).toEqual([
      "keepalived.conf:2:13: error: lvs_sched must be one of rr|wrr|lc|wlc|lblc|sh|mh|dh|fo|ovf|lblcr|sed|nq|twos, got bogus",
      "keepalived.conf:3:14: error: lvs_method must be NAT, DR or TUN, got FOO",
      "keepalived.conf:4:12: error: protocol must be TCP, UDP or SCTP, got ICMP",
      "keepalived.conf:5:15: error: real_server address must be IPv4, got 10.0.0.999",
    ]);
    expect(parseText("virtual_server 10.0.0.1 99999 {\n}").errors).toEqual(["keepalived.conf:1:25: error: virtual_server port must be 0..65535, got 99999"]);
  });
});

describe("checkers", () => {
  const rs = (body: string) => {
    const r = parseText(`track_file tf {\n  file /x\n}\nvirtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n${body}\n  }\n}`);
    return { ...r, checkers: r.config?.virtualServers[0]?.realServers[0]?.checkers ?? [] };
  };

  test("HTTP_GET and SSL_GET with urls, digests, status code ranges, nb_get_retry (deprecated, as keepalived says)", () => {
    const r = rs(`    HTTP_GET {
      url {
        path /index.html
        digest 640205b7b0fc66c1ea91c463fac6334d
        status_code 200-299 503
        virtualhost a.example
      }
      connect_timeout 3
      nb_get_retry 3
      delay_before_retry 2
      connect_ip 10.0.0.9
      connect_port 8080
      bindto 10.0.0.5
      virtualhost b.example
    }
    SSL_GET {
      url {
        path /
      }
      enable_sni
    }`);
    const [http, ssl] = r.checkers;
    expect(http).toMatchObject({
      kind: "HTTP_GET",
      connectTimeoutS: 3,
      retry: 3,
      delayBeforeRetryS: 2,
      connectIp: ip("10.0.0.9"),
      connectPort: 8080,
      bindTo: ip("10.0.0.5"),
      virtualhost: "b.example",
    });
    if (http?.kind !== "HTTP_GET") throw new Error("expected HTTP_GET");
    expect(http.urls.map(({ path, digest, statusCodes, virtualhost }) => ({ path, digest, statusCodes, virtualhost }))).toEqual([
      {
        path: "/index.html",
        digest: "640205b7b0fc66c1ea91c463fac6334d",
        statusCodes: [
          { from: 200, to: 299 },
          { from: 503, to: 503 },
        ],
        virtualhost: "a.example",
      },
    ]);
    expect(ssl).toMatchObject({ kind: "SSL_GET", enableSni: true });
    expect(r.warnings).toEqual(["keepalived.conf:15:7: warning: nb_get_retry is deprecated; use retry"]);
  });

  test("SMTP_CHECK with host blocks, MISC_CHECK, DNS_CHECK, UDP_CHECK, PING_CHECK, FILE_CHECK", () => {
    const r = rs(`    SMTP_CHECK {
      helo_name "foo.bar.com"
      host {
        connect_ip 172.16.1.12
        connect_port 25
        bindto 172.16.1.2
      }
    }
    MISC_CHECK {
      misc_path "/usr/local/bin/script.sh arg1 arg2"
      misc_timeout 5
      misc_dynamic
      user nobody
    }
    DNS_CHECK {
      type A
      name example.com
    }
    UDP_CHECK {
      payload ab12
      require_reply
    }
    PING_CHECK {
    }
    FILE_CHECK {
      track_file tf
      dynamic
      weight 2 reverse
    }`);
    expect(r.messages).toEqual([]);
    expect(r.checkers.map((c) => c.kind)).toEqual(["SMTP_CHECK", "MISC_CHECK", "DNS_CHECK", "UDP_CHECK", "PING_CHECK", "FILE_CHECK"]);
    expect(r.checkers[0]).toMatchObject({ heloName: "foo.bar.com", hosts: [{ connectIp: ip("172.16.1.12"), connectPort: 25, bindTo: ip("172.16.1.2") }] });
    expect(r.checkers[1]).toMatchObject({ path: "/usr/local/bin/script.sh arg1 arg2", timeoutS: 5, dynamic: true, user: { user: "nobody" } });
    expect(r.checkers[2]).toMatchObject({ type: "A", name: "example.com" });
    expect(r.checkers[3]).toMatchObject({ payload: "ab12", requireReply: true });
    expect(r.checkers[5]).toMatchObject({ trackFile: "tf", dynamic: true, weight: 2, weightReverse: true });
  });

  test("required checker options", () => {
    expect(rs("    MISC_CHECK {\n      misc_timeout 3\n    }").errors).toEqual(["keepalived.conf:7:5: error: MISC_CHECK needs 'misc_path'"]);
    expect(rs("    FILE_CHECK {\n      track_file nope\n    }").errors).toEqual(["keepalived.conf:7:5: error: FILE_CHECK: there is no track_file nope"]);
    expect(rs("    HTTP_GET {\n      url {\n        digest x\n      }\n    }").errors).toEqual(["keepalived.conf:8:7: error: url block needs 'path'"]);
    expect(rs("    HTTP_GET {\n      url {\n        path /\n        status_code 2000\n      }\n    }").errors).toEqual([
      "keepalived.conf:10:21: error: status_code must be 100..999, got 2000",
    ]);
  });
});

describe("virtual_server_group", () => {
  test("addresses, ranges and fwmarks", () => {
    const r = parseText("virtual_server_group VSG_1 {\n  10.0.0.1 8080\n  192.168.200.3-10 80\n  192.168.202.8/29\n  fwmark 2\n}");
    expect(r.messages).toEqual([]);
    const g = r.config?.virtualServerGroups[0];
    expect(g?.name).toBe("VSG_1");
    expect(g?.entries.map((e) => (e.kind === "fwmark" ? `fwmark ${e.fwmark}` : `${formatIpv4(e.first)}-${formatIpv4(e.last)}:${e.port ?? "-"}`))).toEqual([
      "10.0.0.1-10.0.0.1:8080",
      "192.168.200.3-192.168.200.10:80",
      "192.168.202.8-192.168.202.15:-",
      "fwmark 2",
    ]);
  });

  test("range forms from the man page", () => {
    const r = parseAddressRange("192.168.200.250-192.168.201.10");
    expect(r && [formatIpv4(r.first), formatIpv4(r.last)]).toEqual(["192.168.200.250", "192.168.201.10"]);
    expect(parseAddressRange("10.0.0.9-3")).toBeUndefined();
    expect(parseText("virtual_server_group G {\n  bogus 80\n}").errors).toEqual([
      "keepalived.conf:2:3: error: virtual_server_group entry must be IP, IP-LAST, IP-IP, IP/PREFIX or 'fwmark N', got bogus",
    ]);
  });
});
