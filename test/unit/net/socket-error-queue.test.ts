// The error queue's control messages and struct sock_extended_err (<linux/errqueue.h>), on
// bytes a real kernel (6.18) returned from recvmsg(MSG_ERRQUEUE) on a connected UDP socket
// with IP_RECVERR / IPV6_RECVERR, after a router's unreachable and prohibit routes answered
// it; and on the ways a buffer can be short or hold other messages.
import { describe, expect, test } from "bun:test";
import {
  decodeControlMessages,
  decodeSockExtendedErr,
  IPPROTO_IPV6,
  IPV6_RECVERR,
  IP_RECVERR,
  queuedErrorOf,
  SO_EE_ORIGIN_ICMP,
  SO_EE_ORIGIN_ICMP6,
  SO_EE_ORIGIN_LOCAL,
} from "../../../src/net/socket-error-queue.ts";
import { fromHex } from "./hex.ts";

/** IPv4: the router 10.1.0.2 had `unreachable 10.2.0.5` (ICMP host unreachable). */
const HOST_UNREACHABLE = fromHex(`
  3000000000000000 00000000 0b000000   # cmsg_len 48, SOL_IP, IP_RECVERR
  71000000 02 03 01 00 00000000 00000000  # EHOSTUNREACH, SO_EE_ORIGIN_ICMP, type 3, code 1, pad, info, data
  0200 0000 0a010002 0000000000000000  # offender: sockaddr_in 10.1.0.2
`);

/** IPv6: the router fd00:1::2 had `prohibit fd00:2::6` (ICMPv6 administratively prohibited). */
const PROHIBITED = fromHex(`
  3c00000000000000 29000000 19000000   # cmsg_len 60, SOL_IPV6, IPV6_RECVERR
  0d000000 03 01 01 00 00000000 00000000  # EACCES, SO_EE_ORIGIN_ICMP6, type 1, code 1
  0a00 0000 00000000 fd000001000000000000000000000002 00000000  # offender: sockaddr_in6 fd00:1::2
  00000000                             # CMSG_SPACE padding to 64
`);

describe("decodeControlMessages", () => {
  test("one message: its level, type and data, the data ending at cmsg_len", () => {
    const [message, ...rest] = decodeControlMessages(HOST_UNREACHABLE);
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ level: 0, type: IP_RECVERR });
    expect(message!.data.length).toBe(32);
  });

  test("two messages: the second starts at the first's length rounded up to 8 (CMSG_ALIGN)", () => {
    // An IP_TTL message (int, cmsg_len 20, 4 bytes of padding) before the error.
    const ttl = fromHex("1400000000000000 00000000 02000000 40000000 00000000");
    const both = new Uint8Array([...ttl, ...HOST_UNREACHABLE]);
    const messages = decodeControlMessages(both);
    expect(messages.map((m) => [m.level, m.type, m.data.length])).toEqual([
      [0, 2, 4],
      [0, IP_RECVERR, 32],
    ]);
    expect(queuedErrorOf(messages)).toMatchObject({ errno: 113, code: 1 });
  });

  test("only the first `length` bytes count (msg_controllen); a truncated or short header ends the walk", () => {
    expect(decodeControlMessages(HOST_UNREACHABLE, 0)).toEqual([]);
    expect(decodeControlMessages(HOST_UNREACHABLE, 47)).toEqual([]);
    expect(decodeControlMessages(HOST_UNREACHABLE.subarray(0, 10))).toEqual([]);
    const shortLength = HOST_UNREACHABLE.slice();
    shortLength[0] = 8; // cmsg_len below the header's own size
    expect(decodeControlMessages(shortLength)).toEqual([]);
  });
});

describe("decodeSockExtendedErr", () => {
  test("IPv4 host unreachable: errno, origin, type, code, info and the router as offender", () => {
    const [message] = decodeControlMessages(HOST_UNREACHABLE);
    expect(decodeSockExtendedErr(message!.data)).toEqual({
      errno: 113,
      origin: SO_EE_ORIGIN_ICMP,
      type: 3,
      code: 1,
      info: 0,
      offender: { family: 4, text: "10.1.0.2" },
    });
  });

  test("IPv6 administratively prohibited: the offender from a sockaddr_in6", () => {
    const messages = decodeControlMessages(PROHIBITED);
    expect(messages.map((m) => [m.level, m.type])).toEqual([[IPPROTO_IPV6, IPV6_RECVERR]]);
    expect(queuedErrorOf(messages)).toEqual({
      errno: 13,
      origin: SO_EE_ORIGIN_ICMP6,
      type: 1,
      code: 1,
      info: 0,
      offender: { family: 6, text: "fd00:1::2" },
    });
  });

  test("ee_info is read (a fragmentation needed's MTU), little-endian", () => {
    const data = fromHex("5a000000 02 03 04 00 dc050000 00000000 0200 0000 c0000201 0000000000000000");
    expect(decodeSockExtendedErr(data)).toMatchObject({ errno: 90, code: 4, info: 1500, offender: { family: 4, text: "192.0.2.1" } });
  });

  test("a local error has no offender (AF_UNSPEC), nor has a struct cut before its sockaddr", () => {
    const local = fromHex("5a000000 01 00 00 00 dc050000 00000000 0000 0000 00000000 0000000000000000");
    expect(decodeSockExtendedErr(local)).toEqual({ errno: 90, origin: SO_EE_ORIGIN_LOCAL, type: 0, code: 0, info: 1500 });
    const [message] = decodeControlMessages(HOST_UNREACHABLE);
    expect(decodeSockExtendedErr(message!.data.subarray(0, 20))).not.toHaveProperty("offender");
  });

  test("shorter than the struct: a rejection that says so, not a throw", () => {
    expect(decodeSockExtendedErr(new Uint8Array(15))).toEqual({ rejected: "sock_extended_err needs 16 bytes, got 15" });
  });
});

describe("queuedErrorOf", () => {
  test("none among other messages, or an unreadable one: undefined", () => {
    const ttl = decodeControlMessages(fromHex("1400000000000000 00000000 02000000 40000000 00000000"));
    expect(queuedErrorOf(ttl)).toBeUndefined();
    expect(queuedErrorOf([{ level: 0, type: IP_RECVERR, data: new Uint8Array(8) }])).toBeUndefined();
    // IPV6_RECVERR's number at IPv4's level is not an error message.
    expect(queuedErrorOf([{ level: 0, type: IPV6_RECVERR, data: decodeControlMessages(PROHIBITED)[0]!.data }])).toBeUndefined();
  });
});
