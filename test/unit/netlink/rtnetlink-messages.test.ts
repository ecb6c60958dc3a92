// rtnetlink link/address messages: requests byte-equal to iproute2's, replies from the kernel.
import { describe, expect, test } from "bun:test";
import { formatIpv4, parseIpv4 } from "../../../src/common/ipv4.ts";
import {
  attributeString,
  attributeU32,
  attributeU8,
  concatBytes,
  decodeMessages,
  encodeAttribute,
  encodeMessage,
  NLM_F_DUMP,
  NLM_F_REQUEST,
} from "../../../src/netlink/netlink-codec.ts";
import {
  decodeAddress,
  decodeLink,
  encodeAddAddressRequest,
  encodeDeleteAddressRequest,
  encodeGetAddressesRequest,
  encodeGetLinksRequest,
  IFF_LOWER_UP,
  IFF_RUNNING,
  IFF_UP,
  IFLA_ADDRESS,
  IFLA_IFNAME,
  IFLA_MTU,
  IFLA_OPERSTATE,
  IF_OPER_DOWN,
  IF_OPER_UP,
  linkTransition,
  RTM_DELADDR,
  RTM_NEWLINK,
  RT_SCOPE_LINK,
  type LinkInfo,
} from "../../../src/netlink/rtnetlink-messages.ts";
import { fixture, fromHex, toHex } from "../net/hex.ts";

const ip = (text: string) => parseIpv4(text)!;

describe("requests", () => {
  test("RTM_NEWADDR is byte-identical to `ip addr add ... brd ... scope link label d0:vip`", () => {
    const request = encodeAddAddressRequest(0x6b07b125, {
      index: 3,
      address: ip("10.1.2.3"),
      prefixLength: 24,
      broadcast: ip("10.1.2.255"),
      scope: RT_SCOPE_LINK,
      label: "d0:vip",
    });
    expect(toHex(request)).toBe(toHex(fromHex(fixture("rtm-newaddr-request-iproute2.hex"))));
  });

  test("RTM_DELADDR: ack requested, no create/excl flags, same address attributes", () => {
    const request = encodeDeleteAddressRequest(9, { index: 3, address: ip("10.1.2.3"), prefixLength: 24 });
    const [message] = decodeMessages(request).messages;
    expect(message!.header).toMatchObject({ type: RTM_DELADDR, flags: NLM_F_REQUEST | 0x4, seq: 9 });
    expect(toHex(message!.payload)).toBe("02180000" + "03000000" + "080002000a010203" + "080001000a010203");
  });

  test("dump requests", () => {
    expect(toHex(encodeGetLinksRequest(5))).toBe("20000000" + "1200" + "0103" + "05000000" + "00000000" + "00".repeat(16));
    const [addr] = decodeMessages(encodeGetAddressesRequest(6)).messages;
    expect(addr!.header.flags).toBe(NLM_F_REQUEST | NLM_F_DUMP);
    expect(toHex(addr!.payload)).toBe("0200000000000000");
  });

  test("a prefix length outside 0..32 is refused before it reaches the kernel", () => {
    expect(() => encodeAddAddressRequest(1, { index: 1, address: 1, prefixLength: 33 })).toThrow("prefix length 33 is not in 0..32");
  });
});

describe("decodeAddress", () => {
  test("the kernel's RTM_NEWADDR dump reply", () => {
    const [message] = decodeMessages(fromHex(fixture("rtm-getaddr-dump-reply.hex"))).messages;
    const address = decodeAddress(message!);
    expect(address).toEqual({
      index: 3,
      address: ip("10.1.2.3"),
      prefixLength: 24,
      label: "d0:vip",
      scope: RT_SCOPE_LINK,
      broadcast: ip("10.1.2.255"),
      secondary: false,
      flags: 0x80, // IFA_F_PERMANENT
    });
  });

  test("secondary flag, no broadcast, IFA_ADDRESS only", () => {
    const payload = concatBytes([new Uint8Array([2, 32, 0x01, 0, 2, 0, 0, 0]), encodeAttribute(1, new Uint8Array([10, 0, 0, 9]))]);
    const address = decodeAddress({ header: { length: 0, type: 20, flags: 0, seq: 0, pid: 0 }, payload });
    expect(address).toMatchObject({ index: 2, prefixLength: 32, secondary: true, broadcast: undefined, label: "" });
    expect(formatIpv4((address as { address: number }).address)).toBe("10.0.0.9");
  });

  test("rejections: too short, not IPv4, no address", () => {
    const header = { length: 0, type: 20, flags: 0, seq: 0, pid: 0 };
    expect(decodeAddress({ header, payload: new Uint8Array(4) })).toEqual({ rejected: "ifaddrmsg needs 8 bytes, got 4" });
    expect(decodeAddress({ header, payload: new Uint8Array([10, 64, 0, 0, 1, 0, 0, 0]) })).toEqual({ rejected: "address family 10 is not AF_INET" });
    expect(decodeAddress({ header, payload: new Uint8Array([2, 24, 0, 0, 1, 0, 0, 0]) })).toEqual({ rejected: "neither IFA_LOCAL nor IFA_ADDRESS is present" });
  });
});

function linkMessage(flags: number, operState: number, name = "eth0"): Uint8Array {
  const ifinfomsg = new Uint8Array(16);
  const view = new DataView(ifinfomsg.buffer);
  view.setUint16(2, 1, true); // ARPHRD_ETHER
  view.setInt32(4, 7, true);
  view.setUint32(8, flags, true);
  return encodeMessage(
    { type: RTM_NEWLINK, flags: 0, seq: 0 },
    concatBytes([
      ifinfomsg,
      attributeString(IFLA_IFNAME, name),
      attributeU8(IFLA_OPERSTATE, operState),
      attributeU32(IFLA_MTU, 1500),
      encodeAttribute(IFLA_ADDRESS, new Uint8Array([2, 0x99, 0, 0, 0, 0x11])),
    ]),
  );
}

describe("decodeLink", () => {
  test("up = IFF_UP and IFF_RUNNING; operstate, MTU and MAC", () => {
    const link = decodeLink(decodeMessages(linkMessage(IFF_UP | IFF_RUNNING | IFF_LOWER_UP, IF_OPER_UP)).messages[0]!);
    expect(link).toEqual({
      index: 7,
      name: "eth0",
      mac: "02:99:00:00:00:11",
      up: true,
      adminUp: true,
      running: true,
      operState: "up",
      flags: IFF_UP | IFF_RUNNING | IFF_LOWER_UP,
      mtu: 1500,
    });
  });

  test("administratively up without carrier is not up", () => {
    const link = decodeLink(decodeMessages(linkMessage(IFF_UP, IF_OPER_DOWN)).messages[0]!) as LinkInfo;
    expect([link.up, link.adminUp, link.running, link.operState]).toEqual([false, true, false, "down"]);
  });

  test("a short ifinfomsg is rejected with a reason", () => {
    expect(decodeLink({ header: { length: 0, type: RTM_NEWLINK, flags: 0, seq: 0, pid: 0 }, payload: new Uint8Array(10) })).toEqual({
      rejected: "ifinfomsg needs 16 bytes, got 10",
    });
  });
});

describe("linkTransition", () => {
  const link = (up: boolean) => ({ up }) as LinkInfo;
  test("reports only changes; an unseen link counts as down", () => {
    expect(linkTransition(true, link(true))).toBeUndefined();
    expect(linkTransition(true, link(false))).toBe("link-down");
    expect(linkTransition(false, link(true))).toBe("link-up");
    expect(linkTransition(undefined, link(true))).toBe("link-up");
    expect(linkTransition(undefined, link(false))).toBeUndefined();
  });
});
