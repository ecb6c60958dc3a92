// The engine's share of the configuration: the VRRP parts whole, no virtual servers.
import { describe, expect, test } from "bun:test";
import { serialize } from "bun:jsc";
import { memoryFiles, parseConfig } from "../../../../src/config/index.ts";
import { engineConfigOf } from "../../../../src/daemon/supervisor/engine-config.ts";
import { keepalivedConf } from "../../../bench/ipvs-director-tables.ts";

describe("engineConfigOf", () => {
  test("keeps every VRRP part as it is and leaves out the virtual servers and their groups", () => {
    const text = `${keepalivedConf({ services: 200, realServers: 10 })}
virtual_server_group G {
  10.2.0.1 80
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    10.1.0.100/24
  }
}`;
    const config = parseConfig("/k.conf", { ...memoryFiles({ "/k.conf": text }), configId: undefined }).config!;
    expect(config.virtualServers).toHaveLength(200);
    expect(config.vrrpInstances).toHaveLength(1);
    expect(config.virtualServerGroups).toHaveLength(1);
    const engine = engineConfigOf(config);
    expect(engine).toEqual({ ...config, virtualServers: [], virtualServerGroups: [] });
    expect(engine.vrrpInstances).toBe(config.vrrpInstances);
    // What crosses the IPC channel to the engine: a small fraction of the whole.
    expect(serialize(engine).byteLength).toBeLessThan(serialize(config).byteLength / 50);
  });
});
