import { describe, expect, test } from "bun:test";
import { memoryFiles, parseConfig } from "../../../src/config/index.ts";
import { createConfigSource, MASK } from "../../../src/daemon/config-view.ts";

const text = `vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    authentication {
        auth_type PASS
        auth_pass secret1
    }
    unicast_src_ip 10.0.0.1
    unicast_peer {
        10.0.0.2
    }
    virtual_ipaddress {
        10.0.0.41/24
    }
}
`;

describe("config view", () => {
  const config = parseConfig("k.conf", memoryFiles({ "k.conf": text })).config!;
  const source = createConfigSource(() => config);

  test("secrets are masked, addresses readable, locations gone", () => {
    const shown = JSON.stringify(source.effective());
    expect(shown).not.toContain("secret1");
    expect(shown).toContain(MASK);
    expect(shown).toContain('"unicastSrcIp":"10.0.0.1"');
    expect(shown).toContain('"unicastPeers":["10.0.0.2"]');
    expect(shown).toContain('"address":"10.0.0.41"');
    expect(shown).not.toContain("fieldLocations");
  });

  test("validation returns file:line:col diagnostics", () => {
    expect(source.validate(text)).toEqual({ ok: true, diagnostics: [] });
    const bad = source.validate("vrrp_instance X {\n  virtual_router_id 0\n}\n");
    expect(bad.ok).toBe(false);
    expect(bad.diagnostics[0]).toMatch(/^keepalived\.conf:2:\d+: error: virtual_router_id must be 1\.\.255, got 0$/);
  });
});
