import { describe, expect, test } from "bun:test";
import { memoryFiles, parseConfig } from "../../../../src/config/index.ts";
import { createConfigSource, MASK } from "../../../../src/daemon/observe/config-view.ts";
import type { ConfigValidator } from "../../../../src/daemon/observe/config-validator.ts";

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
  const asked: string[] = [];
  const validator: ConfigValidator = { validate: async (t) => (asked.push(t), { kind: "busy" }), stop: () => {} };
  const source = createConfigSource(() => config, validator);

  test("secrets are masked, addresses readable, locations gone", () => {
    const shown = JSON.stringify(source.effective());
    expect(shown).not.toContain("secret1");
    expect(shown).toContain(MASK);
    expect(shown).toContain('"unicastSrcIp":"10.0.0.1"');
    expect(shown).toContain('"unicastPeers":["10.0.0.2"]');
    expect(shown).toContain('"address":"10.0.0.41"');
    expect(shown).not.toContain("fieldLocations");
  });

  test("validation goes to the validator (a child process), never parsed here", async () => {
    expect(await source.validate("x")).toEqual({ kind: "busy" });
    expect(asked).toEqual(["x"]);
  });
});
