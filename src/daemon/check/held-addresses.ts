// The addresses on this box as ha_suspend counts them: an address is here while any interface
// holds it (an IPv6 link-local address is on many), IPv4 and IPv6 alike. Each change says
// whether the addresses present changed, so that the checks are told only then. keepalived
// counts RTM_NEWADDRs instead (check_api.c ha_suspend_addr_count), and an IPv6 address leaving
// duplicate address detection, a second RTM_NEWADDR, would keep its count up after the
// address is deleted; one entry per interface and address cannot. Pure.
import type { IpAddress } from "../../common/ip-address.ts";

export interface HeldAddress {
  /** The interface's index. */
  index: number;
  address: IpAddress;
}

const addressKey = (address: IpAddress): string => `${address.family} ${address.text}`;

export class HeldAddresses {
  /** address key -> the interfaces holding it, and the address. */
  private readonly held = new Map<string, { address: IpAddress; interfaces: Set<number> }>();

  constructor(initial: readonly HeldAddress[] = []) {
    for (const entry of initial) this.add(entry);
  }

  /** RTM_NEWADDR: true when the address was on no interface before. */
  add({ index, address }: HeldAddress): boolean {
    const key = addressKey(address);
    const entry = this.held.get(key);
    if (entry) {
      entry.interfaces.add(index);
      return false;
    }
    this.held.set(key, { address, interfaces: new Set([index]) });
    return true;
  }

  /** RTM_DELADDR: true when no interface holds the address any more. */
  remove({ index, address }: HeldAddress): boolean {
    const key = addressKey(address);
    const entry = this.held.get(key);
    if (!entry?.interfaces.delete(index) || entry.interfaces.size > 0) return false;
    this.held.delete(key);
    return true;
  }

  /** Each address present once, whatever the number of interfaces holding it. */
  present(): IpAddress[] {
    return [...this.held.values()].map((entry) => entry.address);
  }
}
