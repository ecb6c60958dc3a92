// ha_suspend's view of this box's addresses: IPv4 and IPv6 alike, an address present while any
// interface holds it, a change reported only when the addresses present change; replayed on a
// real kernel's dump and events (test/fixtures/net), then on the cases the kernel makes rare.
import { describe, expect, test } from "bun:test";
import { HeldAddresses } from "../../../../src/daemon/check/held-addresses.ts";
import { parseIpAddress } from "../../../../src/common/ip-address.ts";
import { decodeMessages } from "../../../../src/netlink/netlink-codec.ts";
import { decodeInterfaceAddress, type InterfaceAddress } from "../../../../src/netlink/interface-addresses.ts";
import { RTM_NEWADDR } from "../../../../src/netlink/rtnetlink-messages.ts";
import { fixture, fromHex } from "../../net/hex.ts";

const decoded = (name: string) =>
  decodeMessages(fromHex(fixture(name))).messages.map((message) => ({
    type: message.header.type,
    address: decodeInterfaceAddress(message) as InterfaceAddress,
  }));
const texts = (held: HeldAddresses) => held.present().map((address) => address.text);
const at = (index: number, text: string) => ({ index, address: parseIpAddress(text)! });

describe("HeldAddresses", () => {
  test("a real dump, then the events of an IPv6 address added, past DAD and deleted, and an IPv4 one deleted", () => {
    const held = new HeldAddresses(decoded("rtm-getaddr-unspec-dump.hex").map((entry) => entry.address));
    expect(texts(held)).toEqual(["10.1.2.3", "fe80::f0b7:40ff:fec2:a89a", "fe80::202a:aaff:feb9:4cc2"]);
    const changes = decoded("rtm-addr-events-ipv4-ipv6.hex").map(({ type, address }) => (type === RTM_NEWADDR ? held.add(address) : held.remove(address)));
    // Added (a change), 10.1.2.3 deleted (a change), DAD's second RTM_NEWADDR (none), deleted (a change).
    expect(changes).toEqual([true, true, false, true]);
    expect(texts(held)).toEqual(["fe80::f0b7:40ff:fec2:a89a", "fe80::202a:aaff:feb9:4cc2"]);
  });

  test("an address on two interfaces stays present until the last one lets it go", () => {
    const held = new HeldAddresses();
    expect(held.add(at(2, "fe80::1"))).toBe(true);
    expect(held.add(at(3, "fe80::1"))).toBe(false);
    expect(texts(held)).toEqual(["fe80::1"]);
    expect(held.remove(at(2, "fe80::1"))).toBe(false);
    expect(texts(held)).toEqual(["fe80::1"]);
    expect(held.remove(at(3, "fe80::1"))).toBe(true);
    expect(held.present()).toEqual([]);
  });

  test("a removal of what was not held changes nothing; IPv4 and IPv6 side by side; any spelling of an address is one", () => {
    const held = new HeldAddresses([at(2, "10.0.0.1")]);
    expect(held.remove(at(3, "10.0.0.1"))).toBe(false);
    expect(held.remove(at(2, "10.0.0.2"))).toBe(false);
    expect(held.add(at(2, "2001:db8:0:0::1"))).toBe(true);
    expect(held.add(at(2, "2001:DB8::1"))).toBe(false);
    expect(held.present()).toEqual([
      { family: 4, text: "10.0.0.1" },
      { family: 6, text: "2001:db8::1" },
    ]);
  });
});
