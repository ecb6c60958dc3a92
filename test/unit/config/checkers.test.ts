// Checker blocks inside a real_server: their keywords, and connect_ip / bindto as IPv4 or IPv6.

import { describe, expect, test } from "bun:test";
import type { IpAddress } from "../../../src/common/ip-address.ts";
import { parseText } from "./helpers.ts";

const ip = (text: string): IpAddress => ({ family: text.includes(":") ? 6 : 4, text });
const rs = (body: string) => {
  const r = parseText(
    `track_file tf {\n  file /x\n}\nvirtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n${body}\n  }\n  lvs_sched rr\n  lvs_method NAT\n}`,
  );
  return { ...r, checkers: r.config?.virtualServers[0]?.realServers[0]?.checkers ?? [] };
};

describe("checkers", () => {
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

describe("checker connection options, IPv4 and IPv6", () => {
  test("connect_ip and bindto take IPv6 addresses (RFC 5952 form)", () => {
    const r = rs("    TCP_CHECK {\n      connect_ip 2001:DB8::0:9\n      bindto 2001:db8::5\n    }");
    expect(r.messages).toEqual([]);
    expect(r.checkers[0]).toMatchObject({ connectIp: ip("2001:db8::9"), bindTo: ip("2001:db8::5") });
  });

  test("connect_ip and bindto of different families: keepalived skips the second, an error here", () => {
    expect(rs("    TCP_CHECK {\n      connect_ip 2001:db8::9\n      bindto 10.0.0.5\n    }").errors).toEqual([
      "keepalived.conf:9:14: error: bindto 10.0.0.5 is IPv4 but connect_ip is 2001:db8::9; keepalived skips it",
    ]);
    expect(rs("    TCP_CHECK {\n      bindto 10.0.0.5\n      connect_ip 2001:db8::9\n    }").errors).toEqual([
      "keepalived.conf:9:18: error: connect_ip 2001:db8::9 is IPv6 but bindto is 10.0.0.5; keepalived skips it",
    ]);
  });

  test("SMTP_CHECK hosts take IPv6 too", () => {
    const r = rs("    SMTP_CHECK {\n      host {\n        connect_ip 2001:db8::25\n      }\n    }");
    expect(r.checkers[0]).toMatchObject({ hosts: [{ connectIp: ip("2001:db8::25") }] });
  });

  test("a link-local IPv6 destination needs bind_if (keepalived's check_conn_opts), whether connect_ip or the real server", () => {
    expect(rs("    TCP_CHECK {\n      connect_ip fe80::1\n    }").errors).toEqual([
      "keepalived.conf:7:5: error: the checker connects to the link-local address fe80::1, which needs bind_if (the interface to use)",
    ]);
    expect(rs("    TCP_CHECK {\n      connect_ip fe80::1\n      bind_if eth0\n    }").errors).toEqual([]);
    // fe8::1 is 0fe8::1, not link-local.
    expect(rs("    TCP_CHECK {\n      connect_ip fe8::1\n    }").errors).toEqual([]);
    const r = parseText(
      "virtual_server fe80::1 80 {\n  protocol TCP\n  lvs_sched rr\n  lvs_method NAT\n  real_server fe80::2 80 {\n    PING_CHECK {\n    }\n  }\n}\n",
    );
    expect(r.errors).toEqual([
      "keepalived.conf:6:5: error: the checker connects to the link-local address fe80::2, which needs bind_if (the interface to use)",
    ]);
  });

  test("bind_if longer than 15 characters is an error", () => {
    expect(rs("    TCP_CHECK {\n      bind_if abcdefghijklmnop\n    }").errors).toEqual([
      "keepalived.conf:8:15: error: bind_if: interface name abcdefghijklmnop is longer than 15 characters",
    ]);
  });

  test("keepalived's checker ranges: retry 0 is allowed here, connect_timeout 0 and delay_loop 0 are not", () => {
    expect(rs("    TCP_CHECK {\n      retry 0\n    }").checkers[0]).toMatchObject({ retry: 0 });
    expect(rs("    TCP_CHECK {\n      connect_timeout 0\n    }").errors).toEqual([
      "keepalived.conf:8:23: error: connect_timeout must be 0.000001..4294.967295, got 0",
    ]);
    expect(rs("    TCP_CHECK {\n      delay_loop 0\n    }").errors).toEqual([
      "keepalived.conf:8:18: error: delay_loop must be 0.000001..18446744073709.55, got 0",
    ]);
  });
});
