// The engine's status (the API's InstanceView) built from a real parsed keepalived.conf:
// the plan keeps every address to install, and the view splits virtual_ipaddress from
// virtual_ipaddress_excluded; the observer shows what the engine sent.
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../../src/common/clock.ts";
import { formatIpv4, parseIpv4 } from "../../../../src/common/ipv4.ts";
import { silentLogger } from "../../../../src/common/logger.ts";
import { planRuntime, type InstancePlan } from "../../../../src/vrrp/instance-plan.ts";
import { engineStatus } from "../../../../src/daemon/engine/engine-status.ts";
import { createStatusSource } from "../../../../src/daemon/observe/status-view.ts";
import type { RuntimeReader } from "../../../../src/daemon/vrrp/vrrp-runtime.ts";
import { emptyCounters } from "../../../../src/vrrp/counters.ts";
import { VrrpInstance } from "../../../../src/vrrp/instance.ts";
import { parseText } from "../../config/helpers.ts";

const CONFIG = `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    10.99.0.41/24
    10.99.0.42
  }
  virtual_ipaddress_excluded {
    10.99.1.41/24 dev eth1
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  virtual_ipaddress_excluded {
    10.99.1.51
  }
}
`;

function plans(): InstancePlan[] {
  const parsed = parseText(CONFIG);
  expect(parsed.errors).toEqual([]);
  return planRuntime(parsed.config!).instances;
}

/** The runtime as the status reads it: real instances from the plans, never started. */
function runtimeOf(instancePlans: readonly InstancePlan[], clock: FakeClock): RuntimeReader {
  const running = instancePlans.map((plan) => {
    const instance = new VrrpInstance(
      { machine: { ...plan.machine, primaryIp: parseIpv4("10.99.0.11")! }, advertAddresses: plan.advertAddresses, auth: plan.auth, garp: plan.garp },
      {
        clock,
        logger: silentLogger,
        sendAdvert: () => {},
        addVips: async () => {},
        removeVips: async () => {},
        sendGratuitousArps: () => {},
        onTransition: () => {},
      },
    );
    return { plan, machine: () => instance.snapshot(), trackers: () => instance.trackerStatuses(), counters: () => emptyCounters(), lastTakeoverMs: undefined };
  });
  return {
    instances: () => running,
    channels: () => [],
    lastSplitBrain: () => undefined,
    groupStates: () => [],
    takeoverDurationsMs: () => [],
  };
}

const addresses = (vips: readonly { address: number; prefixLength: number }[]) => vips.map((v) => `${formatIpv4(v.address)}/${v.prefixLength}`);

describe("status view: virtual_ipaddress and virtual_ipaddress_excluded", () => {
  test("the plan installs both kinds and keeps them apart; only the normal ones are advertised", () => {
    const [vi1, vi2] = plans();
    expect(addresses(vi1!.vips)).toEqual(["10.99.0.41/24", "10.99.0.42/32", "10.99.1.41/24"]);
    expect(addresses(vi1!.normalVips)).toEqual(["10.99.0.41/24", "10.99.0.42/32"]);
    expect(addresses(vi1!.excludedVips)).toEqual(["10.99.1.41/24"]);
    expect(vi1!.advertAddresses.map(formatIpv4)).toEqual(["10.99.0.41", "10.99.0.42"]);
    expect(addresses(vi2!.vips)).toEqual(["10.99.1.51/32"]);
    expect(vi2!.normalVips).toEqual([]);
  });

  test("InstanceView.vips holds virtual_ipaddress, excludedVips virtual_ipaddress_excluded", () => {
    const clock = new FakeClock();
    const sent = engineStatus(runtimeOf(plans(), clock), clock, new Set(["VI_2"]));
    const status = createStatusSource(
      () => sent,
      { version: "0.1.0", pid: 1, startedAtMs: clock.wallMs(), configFile: "/etc/keepalived/keepalived.conf" },
      {
        routerId: () => undefined,
        history: () => ({ state: "ok", path: "/var/lib/tandem/events.db", droppedEvents: 0 }),
      },
    );
    expect(status.instances().map((i) => [i.name, i.vips, i.excludedVips])).toEqual([
      ["VI_1", ["10.99.0.41/24", "10.99.0.42/32"], ["10.99.1.41/24"]],
      ["VI_2", [], ["10.99.1.51/32"]],
    ]);
    expect(status.instances().map((i) => i.maintenance)).toEqual([false, true]);
    // The observer shows a copy: nothing a request does changes what the engine sent.
    status.instances()[0]!.vips.push("x");
    expect(sent.instances[0]!.vips).toEqual(["10.99.0.41/24", "10.99.0.42/32"]);
  });

  test("before the engine's first status the observer shows no instances, and the daemon as the supervisor", () => {
    const status = createStatusSource(
      () => undefined,
      { version: "0.1.0", pid: 42, startedAtMs: 5, configFile: "/k.conf" },
      {
        routerId: () => "lb",
        history: () => ({ state: "ok", path: ":memory:", droppedEvents: 0 }),
      },
    );
    expect(status.instances()).toEqual([]);
    expect(status.daemon()).toMatchObject({ pid: 42, routerId: "lb", startedAtMs: 5 });
  });
});
