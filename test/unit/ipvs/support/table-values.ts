// Test helper: short constructors for the IPVS table's values used across the codec tests.
import { parseIpAddress, type IpAddress } from "../../../../src/common/ip-address.ts";
import { NO_FLAGS, type DestinationSpec, type ServiceFlags, type ServiceKey, type ServiceSpec } from "../../../../src/ipvs/types.ts";

export function ip(text: string): IpAddress {
  const address = parseIpAddress(text);
  if (!address) throw new Error(`bad address ${text}`);
  return address;
}

export const tcp = (address: string, port: number): ServiceKey => ({ kind: "address", protocol: "TCP", address: ip(address), port });
export const udp = (address: string, port: number): ServiceKey => ({ kind: "address", protocol: "UDP", address: ip(address), port });
export const fwmark = (mark: number, family: 4 | 6 = 4): ServiceKey => ({ kind: "fwmark", family, fwmark: mark });

export const flags = (set: Partial<ServiceFlags> = {}): ServiceFlags => ({ ...NO_FLAGS, ...set });

export function service(key: ServiceKey, scheduler: string, extra: Partial<ServiceSpec> = {}): ServiceSpec {
  const family = key.kind === "fwmark" ? key.family : key.address.family;
  return { key, scheduler, flags: flags(), timeoutS: 0, netmask: family === 4 ? 0xffffffff : 128, ...extra };
}

/** The service part of ipvsadm's destination and delete commands: its command line names only the key. */
export const asIpvsadmSendsIt = (key: ServiceKey, netmask?: number): ServiceSpec => service(key, "", netmask === undefined ? {} : { netmask });

export function destination(
  address: string,
  port: number,
  forward: DestinationSpec["forward"],
  weight: number,
  extra: Partial<DestinationSpec> = {},
): DestinationSpec {
  return { address: ip(address), port, forward, weight, upperThreshold: 0, lowerThreshold: 0, ...extra };
}
