// RTM_NEWADDR / RTM_DELADDR of both families, on what a real kernel (6.18) sent: an AF_UNSPEC
// dump's IPv4 and IPv6 addresses, and the events of an IPv6 address added (tentative), leaving
// duplicate address detection, and deleted; and the messages that are not addresses.
import { describe, expect, test } from "bun:test";
import { decodeMessages } from "../../../src/netlink/netlink-codec.ts";
import { decodeInterfaceAddress, encodeGetInterfaceAddressesRequest, IFA_F_TENTATIVE, RTMGRP_IPV6_IFADDR } from "../../../src/netlink/interface-addresses.ts";
import { IFA_F_PERMANENT, RTM_DELADDR, RTM_NEWADDR, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE } from "../../../src/netlink/rtnetlink-messages.ts";
import { fixture, fromHex, toHex } from "../net/hex.ts";

const messagesOf = (name: string) => {
  const { messages, problem } = decodeMessages(fromHex(fixture(name)));
  expect(problem).toBeUndefined();
  return messages;
};

describe("encodeGetInterfaceAddressesRequest", () => {
  test("an RTM_GETADDR dump request with ifaddrmsg family AF_UNSPEC: every family's addresses", () => {
    // nlmsghdr: length 24, RTM_GETADDR (22), NLM_F_REQUEST|NLM_F_DUMP (0x301), seq 7, pid 0; ifaddrmsg all zero.
    expect(toHex(encodeGetInterfaceAddressesRequest(7))).toBe("18000000" + "1600" + "0103" + "07000000" + "00000000" + "0000000000000000");
    expect(RTMGRP_IPV6_IFADDR).toBe(0x100);
  });
});

describe("decodeInterfaceAddress", () => {
  test("the AF_UNSPEC dump: the IPv4 address and both IPv6 link-local ones, each with its interface", () => {
    expect(messagesOf("rtm-getaddr-unspec-dump.hex").map(decodeInterfaceAddress)).toEqual([
      { index: 3, address: { family: 4, text: "10.1.2.3" }, prefixLength: 24, scope: RT_SCOPE_UNIVERSE, flags: IFA_F_PERMANENT },
      { index: 2, address: { family: 6, text: "fe80::f0b7:40ff:fec2:a89a" }, prefixLength: 64, scope: RT_SCOPE_LINK, flags: IFA_F_PERMANENT },
      { index: 3, address: { family: 6, text: "fe80::202a:aaff:feb9:4cc2" }, prefixLength: 64, scope: RT_SCOPE_LINK, flags: IFA_F_PERMANENT },
    ]);
  });

  test("the events: an IPv6 address added tentative, an IPv4 one deleted, the IPv6 one past DAD, then deleted", () => {
    const events = messagesOf("rtm-addr-events-ipv4-ipv6.hex");
    expect(events.map((m) => m.header.type)).toEqual([RTM_NEWADDR, RTM_DELADDR, RTM_NEWADDR, RTM_DELADDR]);
    const decoded = events.map(decodeInterfaceAddress);
    const v6 = { index: 3, address: { family: 6, text: "fd00:99::53" }, prefixLength: 64, scope: RT_SCOPE_UNIVERSE } as const;
    expect(decoded).toEqual([
      { ...v6, flags: IFA_F_TENTATIVE | IFA_F_PERMANENT },
      { index: 3, address: { family: 4, text: "10.1.2.3" }, prefixLength: 24, scope: RT_SCOPE_UNIVERSE, flags: IFA_F_PERMANENT },
      { ...v6, flags: IFA_F_PERMANENT },
      { ...v6, flags: IFA_F_PERMANENT },
    ]);
  });

  test("IFA_LOCAL before IFA_ADDRESS (a point-to-point link's peer is in IFA_ADDRESS); the u8 flags without IFA_FLAGS", () => {
    const header = { length: 0, type: RTM_NEWADDR, flags: 0, seq: 0, pid: 0 };
    const peerLink = fromHex("02 20 01 00 05000000  0800 0100 0a000002  0800 0200 0a000001");
    expect(decodeInterfaceAddress({ header, payload: peerLink })).toEqual({
      index: 5,
      address: { family: 4, text: "10.0.0.1" },
      prefixLength: 32,
      scope: RT_SCOPE_UNIVERSE,
      flags: 1,
    });
  });

  test("what is not an address of either family is rejected with its reason, never thrown", () => {
    const header = { length: 0, type: RTM_NEWADDR, flags: 0, seq: 0, pid: 0 };
    expect(decodeInterfaceAddress({ header, payload: new Uint8Array(4) })).toEqual({ rejected: "ifaddrmsg needs 8 bytes, got 4" });
    expect(decodeInterfaceAddress({ header, payload: fromHex("07 00 00 00 01000000") })).toEqual({
      rejected: "address family 7 is neither AF_INET nor AF_INET6",
    });
    // An IPv6 message whose address attribute holds only 4 bytes.
    expect(decodeInterfaceAddress({ header, payload: fromHex("0a 40 00 00 01000000  0800 0100 0a000001") })).toEqual({
      rejected: "neither IFA_LOCAL nor IFA_ADDRESS holds an IPv6 address",
    });
  });
});
