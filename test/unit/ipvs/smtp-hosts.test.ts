// SMTP_CHECK's deprecated `host` blocks become checkers of their own, as check_smtp.c's
// smtp_check_end_handler makes them: the SMTP_CHECK itself stays one only when it sets a
// connection option or has no host.
import { describe, expect, test } from "bun:test";
import { memoryFiles, parseConfig } from "../../../src/config/index.ts";
import { checkSpecOf } from "../../../src/daemon/check/check-spec-of.ts";
import { planVirtualServers } from "../../../src/ipvs/plan-virtual-servers.ts";

function checkers(smtp: string) {
  const text = `virtual_server 10.0.0.1 25 {\n  protocol TCP\n  real_server 10.0.0.2 25 {\n    ${smtp}\n  }\n}\n`;
  const parsed = parseConfig("/etc/keepalived/keepalived.conf", { ...memoryFiles({ "/etc/keepalived/keepalived.conf": text }), configId: undefined });
  if (!parsed.config) throw new Error(JSON.stringify(parsed.diagnostics));
  const plan = planVirtualServers(parsed.config, checkSpecOf);
  return plan[0]!.realServers[0]!.checkers.map((c) => ({
    id: c.id,
    to: `${c.check!.connect!.address.text}:${c.check!.connect!.port}`,
    helo: c.check!.smtp!.heloName,
    retry: c.check!.timing.retry,
  }));
}

describe("SMTP_CHECK host blocks", () => {
  test("no connection option of its own: the first host takes the checker's place, each further host is one more; timers and helo_name shared", () => {
    expect(
      checkers(`SMTP_CHECK {
      helo_name lb.example
      retry 2
      host {
        connect_ip 10.0.0.7
      }
      host {
        connect_port 2525
      }
    }`),
    ).toEqual([
      { id: "SMTP_CHECK#0", to: "10.0.0.7:25", helo: "lb.example", retry: 2 },
      { id: "SMTP_CHECK#1", to: "10.0.0.2:2525", helo: "lb.example", retry: 2 },
    ]);
  });

  test("a connection option of its own: the checker is a host too, and its hosts do not inherit that option", () => {
    expect(
      checkers(`SMTP_CHECK {
      connect_port 587
      host {
        connect_ip 10.0.0.7
      }
    }`),
    ).toEqual([
      { id: "SMTP_CHECK#0", to: "10.0.0.2:587", helo: "smtpchecker.keepalived.org", retry: 1 },
      { id: "SMTP_CHECK#1", to: "10.0.0.7:25", helo: "smtpchecker.keepalived.org", retry: 1 },
    ]);
  });

  test("no host: the checker alone", () => {
    expect(checkers(`SMTP_CHECK {\n      connect_timeout 2\n    }`)).toEqual([
      { id: "SMTP_CHECK#0", to: "10.0.0.2:25", helo: "smtpchecker.keepalived.org", retry: 1 },
    ]);
  });
});

describe("SMTP_CHECK host blocks' timers", () => {
  test("retry written in a host sets the whole checker's (the last one wins); a host keeps the checker's connect_timeout", () => {
    const text = `virtual_server 10.0.0.1 25 {\n  protocol TCP\n  real_server 10.0.0.2 25 {\n    SMTP_CHECK {\n      connect_timeout 7\n      host {\n        connect_ip 10.0.0.7\n        retry 4\n      }\n      host {\n        connect_ip 10.0.0.8\n        retry 5\n      }\n    }\n  }\n}\n`;
    const parsed = parseConfig("/etc/keepalived/keepalived.conf", { ...memoryFiles({ "/etc/keepalived/keepalived.conf": text }), configId: undefined });
    const plan = planVirtualServers(parsed.config!, checkSpecOf);
    expect(plan[0]!.realServers[0]!.checkers.map((c) => [c.check!.connect!.address.text, c.check!.timing.retry, c.check!.timing.connectTimeoutMs])).toEqual([
      ["10.0.0.2", 5, 7000],
      ["10.0.0.7", 5, 7000],
      ["10.0.0.8", 5, 7000],
    ]);
  });
});
