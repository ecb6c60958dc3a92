// Struct layouts for Linux x86-64: sockaddr_in, ip_mreqn, sockaddr_ll, sockaddr_nl, timeval, iovec, msghdr.
import { describe, expect, test } from "bun:test";
import {
  decodeMsghdrResult,
  decodeInt32,
  decodeSockaddrNl,
  encodeCString,
  encodeInt32,
  encodeIovec,
  encodeIpMreqn,
  encodeMsghdr,
  encodeSockaddrIn,
  encodeSockaddrLl,
  encodeSockaddrNl,
  encodeTimeval,
  ETH_P_ARP,
  interfaceNameProblem,
} from "../../../src/net/libc-structs.ts";
import { toHex } from "./hex.ts";

describe("socket structs", () => {
  test("sockaddr_in: family little-endian, port and address big-endian, 8 zero bytes", () => {
    expect(toHex(encodeSockaddrIn(0x0a630029, 0x1234))).toBe("0200" + "1234" + "0a630029" + "0000000000000000");
  });

  test("ip_mreqn: group, local address (network order), ifindex (host order)", () => {
    expect(toHex(encodeIpMreqn(0xe0000012, 0, 7))).toBe("e0000012" + "00000000" + "07000000");
  });

  test("sockaddr_ll: 20 bytes, protocol big-endian, halen and address", () => {
    const bytes = encodeSockaddrLl({ protocol: ETH_P_ARP, interfaceIndex: 3, address: new Uint8Array([255, 255, 255, 255, 255, 255]) });
    expect(bytes.length).toBe(20);
    expect(toHex(bytes)).toBe("1100" + "0806" + "03000000" + "0000" + "00" + "06" + "ffffffffffff0000");
  });

  test("sockaddr_nl: family, pad, port id and groups in host order", () => {
    const bytes = encodeSockaddrNl(0x01020304, 0x11);
    expect(toHex(bytes)).toBe("1000" + "0000" + "04030201" + "11000000");
    expect(decodeSockaddrNl(bytes)).toEqual({ family: 16, portId: 0x01020304, groups: 0x11 });
  });

  test("iovec: a 64-bit pointer and a 64-bit length", () => {
    expect(toHex(encodeIovec(0x7f0011223344, 64))).toBe("44332211007f0000" + "4000000000000000");
  });

  test("msghdr: 56 bytes; name, namelen (then 4 bytes of padding), iov, iovlen, control, controllen, flags", () => {
    const bytes = encodeMsghdr({ name: 0x1000, nameLength: 128, iov: 0x2000, iovCount: 1, control: 0x3000, controlLength: 512 });
    expect(toHex(bytes)).toBe(
      "0010000000000000" +
        "80000000" +
        "00000000" +
        "0020000000000000" +
        "0100000000000000" +
        "0030000000000000" +
        "0002000000000000" +
        "00000000" +
        "00000000",
    );
    // What recvmsg writes back: msg_controllen (the bytes filled in) and msg_flags (MSG_CTRUNC 0x8).
    bytes.set([48, 0, 0, 0, 0, 0, 0, 0], 40);
    bytes.set([8, 0, 0, 0], 48);
    expect(decodeMsghdrResult(bytes)).toEqual({ controlLength: 48, flags: 8 });
  });

  test("timeval: 64-bit seconds and microseconds", () => {
    expect(toHex(encodeTimeval(2500))).toBe("0200000000000000" + "20a1070000000000");
  });

  test("int option values are native-endian", () => {
    expect(toHex(encodeInt32(255))).toBe("ff000000");
    expect(decodeInt32(encodeInt32(-1))).toBe(-1);
  });

  test("C strings are NUL-terminated", () => {
    expect(toHex(encodeCString("eth0"))).toBe("6574683000");
  });

  test("interface names are checked like the kernel's dev_valid_name()", () => {
    expect(interfaceNameProblem("eth0")).toBeUndefined();
    expect(interfaceNameProblem("veth-a.100")).toBeUndefined();
    expect(interfaceNameProblem("")).toContain("empty");
    expect(interfaceNameProblem("a-very-long-name0")).toContain("longer than 15 bytes");
    expect(interfaceNameProblem("eth0:vip")).toContain("':'");
  });
});
