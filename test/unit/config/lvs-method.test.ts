// lvs_method's forms and errors (keepalived 2.2.7's svr_forwarding_handler), through a real server's block.

import { describe, expect, test } from "bun:test";
import { parseText } from "./helpers.ts";

const method = (args: string) =>
  parseText(`virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lvs_sched rr\n  lvs_method NAT\n  real_server 10.0.0.2 80 {\n    lvs_method ${args}\n  }\n}\n`);
const rsOf = (r: ReturnType<typeof parseText>) => r.config?.virtualServers[0]?.realServers[0];

describe("lvs_method forms", () => {
  const cases: [string, object][] = [
    ["NAT", { lbKind: "NAT" }],
    ["DR", { lbKind: "DR" }],
    ["TUN", { lbKind: "TUN", tunnel: { type: "ipip", port: 0, checksum: "nocsum" } }],
    ["TUN type ipip", { lbKind: "TUN", tunnel: { type: "ipip", port: 0, checksum: "nocsum" } }],
    ["TUN type ipip nocsum", { lbKind: "TUN", tunnel: { type: "ipip", port: 0, checksum: "nocsum" } }],
    ["TUN type gue port 6080", { lbKind: "TUN", tunnel: { type: "gue", port: 6080, checksum: "nocsum" } }],
    ["TUN type gue port 6080 csum", { lbKind: "TUN", tunnel: { type: "gue", port: 6080, checksum: "csum" } }],
    ["TUN port 6080 type gue remcsum", { lbKind: "TUN", tunnel: { type: "gue", port: 6080, checksum: "remcsum" } }],
    ["TUN type gre", { lbKind: "TUN", tunnel: { type: "gre", port: 0, checksum: "nocsum" } }],
    ["TUN type gre csum", { lbKind: "TUN", tunnel: { type: "gre", port: 0, checksum: "csum" } }],
  ];
  for (const [args, expected] of cases) {
    test(`lvs_method ${args}`, () => {
      const r = method(args);
      expect(r.messages).toEqual([]);
      expect(rsOf(r)).toMatchObject(expected);
    });
  }

  test("tunnel options after NAT or DR are checked as keepalived checks them, then ignored with a warning", () => {
    const r = method("DR type gre");
    expect(r.warnings).toEqual(["keepalived.conf:6:19: warning: lvs_method: tunnel options apply to TUN only; ignored for DR"]);
    expect(rsOf(r)?.tunnel).toBeUndefined();
    expect(method("DR type gue").errors.length).toBe(1);
  });
});

describe("lvs_method errors", () => {
  const cases: [string, string][] = [
    ["", "keepalived.conf:6:5: error: lvs_method needs NAT, DR or TUN"],
    ["FOO", "keepalived.conf:6:16: error: lvs_method must be NAT, DR or TUN, got FOO"],
    ["TUN type", "keepalived.conf:6:20: error: lvs_method: 'type' needs ipip, gue or gre"],
    ["TUN type vxlan", "keepalived.conf:6:25: error: lvs_method: unknown tunnel type vxlan; use ipip, gue or gre"],
    ["TUN type gue port", "keepalived.conf:6:29: error: lvs_method: 'port' needs the gue tunnel's UDP port 1..65535"],
    ["TUN type gue port 0", "keepalived.conf:6:34: error: lvs_method gue tunnel port must be 1..65535, got 0"],
    ["TUN type gue", "keepalived.conf:6:20: error: lvs_method: a gue tunnel needs 'port N', and only a gue tunnel takes a port"],
    ["TUN type gre port 80", "keepalived.conf:6:20: error: lvs_method: a gue tunnel needs 'port N', and only a gue tunnel takes a port"],
    ["TUN csum", "keepalived.conf:6:20: error: lvs_method: an ipip tunnel takes no checksum option"],
    ["TUN type gre remcsum", "keepalived.conf:6:20: error: lvs_method: a gre tunnel takes nocsum or csum, not remcsum"],
    ["TUN bogus", "keepalived.conf:6:20: error: lvs_method: unknown tunnel option bogus (type, port, nocsum, csum or remcsum)"],
  ];
  for (const [args, message] of cases) {
    test(`lvs_method ${args || "(nothing)"}`, () => {
      expect(method(args).errors).toEqual([message]);
    });
  }
});
