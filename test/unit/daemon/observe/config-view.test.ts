import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { memoryFiles, parseConfig, type Config } from "../../../../src/config/index.ts";
import { CONFIG_FIELDS, type RecordFields } from "../../../../src/config/model-fields.ts";
import { createConfigSource, MASK, presentConfig } from "../../../../src/daemon/observe/config-view.ts";
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

// Every address field the model has: a config that sets each one at least once.
const everyAddress = `global_defs {
    lvs_sync_daemon eth0 inst VI_1 group ff02::81
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    unicast_src_ip 10.0.0.1
    mcast_src_ip 10.0.0.9
    unicast_peer {
        10.0.0.2
        10.0.0.3
    }
    virtual_ipaddress {
        10.0.0.41/24 brd 10.0.0.255 dev eth0
    }
    virtual_ipaddress_excluded {
        10.0.1.41/24 brd 10.0.1.255
    }
}
virtual_server_group VSG {
    192.168.1.10-20 80
    10.1.0.0/24 443
    fwmark 7
}
virtual_server 192.168.1.1 80 {
    protocol TCP
    lvs_sched rr
    lvs_method NAT
    persistence_granularity 255.255.255.0
    sorry_server 192.168.1.250 8080
    real_server 192.168.1.11 80 {
        weight 2
        TCP_CHECK {
            connect_ip 192.168.1.12
            connect_port 81
            bindto 192.168.1.2
        }
        SMTP_CHECK {
            host {
                connect_ip 192.168.1.13
                bindto 192.168.1.3
            }
        }
    }
}
virtual_server 2001:db8::1 443 {
    protocol TCP
    lvs_sched rr
    lvs_method NAT
    real_server 2001:db8::11 443 {
        TCP_CHECK {
            connect_ip 2001:db8::12
            bindto 2001:db8::2
        }
    }
}
virtual_server group VSG {
    protocol TCP
    lvs_sched rr
    lvs_method NAT
    real_server 192.168.1.21 80 {
    }
}
`;

/** The table's address fields as paths ("virtualServers.key.address"), arrays and variants folded. */
function addressPaths(fields: RecordFields, prefix: string, wanted: "ipv4" | "ip"): string[] {
  return Object.entries(fields).flatMap(([key, kind]) => {
    const path = `${prefix}${key}`;
    if (kind === wanted) return [path];
    if (typeof kind === "string") return [];
    if ("record" in kind) return addressPaths(kind.record, `${path}.`, wanted);
    return [...new Set(Object.values(kind.variants).flatMap((v) => addressPaths(v, `${path}.`, wanted)))];
  });
}

/** Every leaf of the shown JSON, by the same folded path. */
function leaves(value: unknown, path: string, out = new Map<string, unknown[]>()): Map<string, unknown[]> {
  if (Array.isArray(value)) for (const v of value) leaves(v, path, out);
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) leaves(v, path ? `${path}.${k}` : k, out);
  else out.set(path, [...(out.get(path) ?? []), value]);
  return out;
}

describe("config view: addresses by the model's field table", () => {
  const parsed = parseConfig("k.conf", memoryFiles({ "k.conf": everyAddress }));
  const shown = presentConfig(parsed.config!);
  const seen = leaves(shown, "");

  test("the test config parses with no errors", () => {
    expect(parsed.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  test("every IPv4-number field of the model is shown, and only as a dotted quad", () => {
    const paths = addressPaths(CONFIG_FIELDS, "", "ipv4");
    expect(paths.length).toBeGreaterThan(5);
    for (const path of paths) {
      const values = seen.get(path);
      // A new address field fails here until this test's config sets it.
      expect({ path, set: values !== undefined }).toEqual({ path, set: true });
      for (const v of values!) expect({ path, v }).toEqual({ path, v: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/) });
    }
  });

  test("every IpAddress field of the model is shown as its text, IPv4 or IPv6", () => {
    const paths = addressPaths(CONFIG_FIELDS, "", "ip");
    expect(paths.length).toBeGreaterThan(8);
    for (const path of paths) {
      const values = seen.get(path);
      expect({ path, set: values !== undefined }).toEqual({ path, set: true });
      for (const v of values!) expect({ path, v }).toEqual({ path, v: expect.stringMatching(/^(\d+\.\d+\.\d+\.\d+|[0-9a-f:]*:[0-9a-f:]*)$/) });
    }
    expect(seen.get("virtualServers.key.address")).toEqual(["192.168.1.1", "2001:db8::1"]);
    expect(seen.get("virtualServers.realServers.checkers.connectIp")).toEqual(["192.168.1.12", "2001:db8::12"]);
    expect(seen.get("globalDefs.lvsSyncDaemon.group")).toEqual(["ff02::81"]);
  });

  test("the fields the old key-name pattern missed: group ranges and persistence_granularity", () => {
    expect(seen.get("virtualServerGroups.entries.first")).toEqual(["192.168.1.10", "10.1.0.0"]);
    expect(seen.get("virtualServerGroups.entries.last")).toEqual(["192.168.1.20", "10.1.0.255"]);
    expect(seen.get("virtualServers.persistenceGranularity.netmask")).toEqual(["255.255.255.0"]);
    expect(seen.get("vrrpInstances.unicastPeers")).toEqual(["10.0.0.2", "10.0.0.3"]);
  });

  test("numbers beside addresses stay numbers", () => {
    expect(seen.get("virtualServers.key.port")).toEqual([80, 443]);
    expect(seen.get("virtualServers.family")).toEqual([4, 6, 4]);
    expect(seen.get("virtualServers.sorryServer.port")).toEqual([8080]);
    expect(seen.get("virtualServers.realServers.checkers.connectPort")).toEqual([81]);
    expect(seen.get("virtualServerGroups.entries.port")).toEqual([80, 443]);
    expect(seen.get("virtualServerGroups.entries.fwmark")).toEqual([7]);
    expect(seen.get("vrrpInstances.virtualIps.prefixLength")).toEqual([24]);
  });

  test("a field the table does not know is an error naming it, never shown unformatted", () => {
    const config = parsed.config!;
    const odd = { ...config, vrrpInstances: [{ ...config.vrrpInstances[0]!, peerAddress: 167772161 }] } as unknown as Config;
    expect(() => presentConfig(odd)).toThrow("config.vrrpInstances[0].peerAddress is not in the model's field table");
  });

  test("every sample configuration is shown with no field unknown to the table", () => {
    const dir = join(import.meta.dir, "../../../fixtures/config");
    const files = [...readdirSync(join(dir, "samples")).map((f) => join("samples", f)), "seed-179.conf", "seed-180.conf"];
    for (const file of files) {
      const config = parseConfig("k.conf", memoryFiles({ "k.conf": readFileSync(join(dir, file), "utf8") })).config;
      if (config) expect(() => presentConfig(config)).not.toThrow();
    }
  });
});
