// The verdict lines in keepalived 2.2.7's words, per checker kind (the sources' format strings),
// tandem's reason after a failure.
import { describe, expect, test } from "bun:test";
import type { CheckerKind } from "../../../../src/check/check-spec.ts";
import { verdictLine } from "../../../../src/daemon/check/verdict-lines.ts";

const line = (kind: CheckerKind, up: boolean, retriesSpent = 0) =>
  verdictLine({ kind, name: "[10.0.0.2]:tcp:80", virtualServerName: "[10.0.0.1]:tcp:80", up, retriesSpent, text: "connection refused" });

describe("verdictLine", () => {
  test("successes: check_tcp.c, check_http.c, check_udp.c, check_ping.c", () => {
    expect(line("TCP_CHECK", true)).toBe("TCP connection to [10.0.0.2]:tcp:80 success.");
    expect(line("HTTP_GET", true)).toBe("Remote Web server [10.0.0.2]:tcp:80 succeed on service.");
    expect(line("SSL_GET", true)).toBe("Remote Web server [10.0.0.2]:tcp:80 succeed on service.");
    expect(line("UDP_CHECK", true)).toBe("UDP connection to [10.0.0.2]:tcp:80 success.");
    expect(line("PING_CHECK", true)).toBe("ICMP connection to [10.0.0.2]:tcp:80 success.");
    expect(line("SMTP_CHECK", true)).toBe("Remote SMTP server [10.0.0.2]:tcp:80 succeed on service.");
  });

  test("failures, with and without retries spent, the reason after keepalived's words", () => {
    expect(line("TCP_CHECK", false)).toBe("TCP_CHECK on service [10.0.0.2]:tcp:80 failed: connection refused");
    expect(line("TCP_CHECK", false, 2)).toBe("TCP_CHECK on service [10.0.0.2]:tcp:80 failed after 2 retries: connection refused");
    expect(line("SSL_GET", false, 1)).toBe("HTTP_CHECK on service [10.0.0.2]:tcp:80 failed after 1 retries: connection refused");
    expect(line("UDP_CHECK", false, 1)).toBe("UDP_CHECK on service [10.0.0.2]:tcp:80 failed after 1 retries: connection refused");
    expect(line("PING_CHECK", false, 1)).toBe("ICMP CHECK on service [10.0.0.2]:tcp:80 of [10.0.0.1]:tcp:80 failed after 1 retries: connection refused");
    expect(line("PING_CHECK", false)).toBe("ICMP CHECK on service [10.0.0.2]:tcp:80 failed: connection refused");
    expect(line("DNS_CHECK", false, 3)).toBe("DNS_CHECK ([10.0.0.2]:tcp:80) connection refused after 3 retries");
    expect(line("DNS_CHECK", true)).toBe("DNS_CHECK ([10.0.0.2]:tcp:80) succeeded: connection refused");
  });
});
