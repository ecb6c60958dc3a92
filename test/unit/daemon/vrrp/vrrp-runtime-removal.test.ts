// The runtime on in-memory network ports and a fake clock: a reload that drops an instance
// reports it as removed (with the state and priority it had), which the engine turns into
// keepalived's DELETED/FAULT notify; a kept or a changed instance is not removed.
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../../src/common/clock.ts";
import { parseIpv4 } from "../../../../src/common/ipv4.ts";
import { silentLogger } from "../../../../src/common/logger.ts";
import type { LinkInfo, NetworkPorts } from "../../../../src/net/index.ts";
import type { Tracking } from "../../../../src/daemon/vrrp/tracking.ts";
import { VrrpRuntime, type RuntimeEvent } from "../../../../src/daemon/vrrp/vrrp-runtime.ts";
import { planRuntime, type RuntimePlan } from "../../../../src/vrrp/instance-plan.ts";
import { parseText } from "../../config/helpers.ts";

const eth0: LinkInfo = { index: 2, name: "eth0", mac: "02:00:00:00:00:01", up: true, adminUp: true, running: true, operState: "up", flags: 0, mtu: 1500 };

/** Accepts every request: an interface with one address, sockets that send into nowhere. */
function memoryPorts(): NetworkPorts {
  return {
    rtnetlink: {
      listLinks: async () => [eth0],
      getLink: async (name) => (name === "eth0" ? eth0 : undefined),
      listAddresses: async () => [],
      primaryIpv4: async () => parseIpv4("10.99.0.1"),
      addAddress: async () => {},
      deleteAddress: async () => {},
      close: () => {},
    },
    openVrrpSocket: async (options) => ({ interfaceName: options.interfaceName, interfaceIndex: eth0.index, sourceIp: options.sourceIp, send: () => {}, close: async () => {} }),
    openArpSender: async (interfaceName) => ({ interfaceName, mac: eth0.mac, sendGratuitousArp: () => {}, close: () => {} }),
    watchNetwork: async () => ({ initialLinks: [eth0], close: async () => {} }),
    close: () => {},
  };
}

const noTracking: Tracking = { start: async () => {}, onLink: () => {}, refreshInstance: () => {}, stop: async () => {} };

const instance = (name: string, vrid: number, priority: number) =>
  `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n  priority ${priority}\n  virtual_ipaddress { 10.99.0.${vrid}/24 }\n}\n`;

function plan(text: string): RuntimePlan {
  const parsed = parseText(text);
  expect(parsed.errors).toEqual([]);
  return planRuntime(parsed.config!);
}

describe("VrrpRuntime reload: removed instances", () => {
  test("an instance dropped from the configuration is reported removed with its last state and priority; kept and changed ones are not", async () => {
    const clock = new FakeClock();
    const events: RuntimeEvent[] = [];
    const runtime = new VrrpRuntime({ clock, logger: silentLogger, net: memoryPorts(), keepVipsOnStop: false, createTracking: () => noTracking, onEvent: (e) => events.push(e) });
    await runtime.start(plan(instance("VI_1", 1, 100) + instance("VI_2", 2, 90) + instance("VI_3", 3, 80)));
    clock.advance(5_000); // no peers: every instance becomes master
    for (let i = 0; i < 10; i++) await Promise.resolve(); // the VIP operations settle
    expect(runtime.instances().map(({ machine }) => machine().state)).toEqual(["MASTER", "MASTER", "MASTER"]);

    events.length = 0;
    await runtime.apply(plan(instance("VI_1", 1, 100) + instance("VI_3", 3, 70)));
    const removed = events.filter((e) => e.kind === "removed");
    expect(removed.map((e) => ({ name: e.plan.name, lastState: e.lastState, effectivePriority: e.effectivePriority }))).toEqual([{ name: "VI_2", lastState: "MASTER", effectivePriority: 90 }]);
    // It stopped first (priority 0 and its addresses released), then was reported removed.
    const kinds = events.map((e) => (e.kind === "transition" ? `${e.transition.instance} ${e.transition.to}` : e.kind === "removed" ? `removed ${e.plan.name}` : e.kind));
    expect(kinds.indexOf("VI_2 STOP")).toBeGreaterThanOrEqual(0);
    expect(kinds.indexOf("VI_2 STOP")).toBeLessThan(kinds.indexOf("removed VI_2"));
    // VI_3 changed (priority), so it restarted: stopped, not removed.
    expect(kinds).toContain("VI_3 STOP");
    expect(runtime.instances().map(({ plan }) => plan.name)).toEqual(["VI_1", "VI_3"]);
    await runtime.stop();
  });
});
