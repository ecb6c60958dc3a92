// Builders for virtual server plans in tests: keepalived's defaults unless a test says otherwise.
import { parseIpAddress, type IpAddress } from "../../../../src/common/ip-address.ts";
import type { RealServerPlan, VirtualServerPlan } from "../../../../src/ipvs/virtual-server-plan.ts";

export function ip(text: string): IpAddress {
  const address = parseIpAddress(text);
  if (!address) throw new Error(`bad address in test: ${text}`);
  return address;
}

export function realServer(address: string, port: number, more: Partial<RealServerPlan> = {}): RealServerPlan {
  return { address: ip(address), port, checkers: [], ...more };
}

/** `virtual_server 10.0.0.1 80 { protocol TCP; lb_algo rr; ... }` with the given real servers. */
export function virtualServer(address: string, port: number, realServers: RealServerPlan[], more: Partial<VirtualServerPlan> = {}): VirtualServerPlan {
  return {
    key: { kind: "address", address: ip(address), port },
    protocol: "TCP",
    scheduler: "rr",
    flags: {},
    persistence: {},
    forwarding: { method: "NAT" },
    inhibitOnFailure: false,
    alpha: false,
    omega: false,
    haSuspend: false,
    realServers,
    ...more,
  };
}
