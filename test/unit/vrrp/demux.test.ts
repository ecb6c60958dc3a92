// Demultiplexing one socket's datagrams to instances, on keepalived's captured adverts: by
// VRID, the same version first when a v2 and a v3 instance share a VRID, our own adverts
// dropped silently, other routers' VRIDs reported as foreign, bad IPv4 headers as malformed,
// and a failed check charged to the instance whose rules were applied.
import { describe, expect, test } from "bun:test";
import { parseIpv4 } from "../../../src/common/ipv4.ts";
import { demuxPacket, type DemuxTarget } from "../../../src/vrrp/demux.ts";
import type { ReceiveExpectation } from "../../../src/vrrp/receive-checks.ts";
import { ipPacketOf, KAP_A, VIP } from "./golden.ts";

const V2 = ipPacketOf("v2-advert.hex"); // VRID 51, priority 100, PASS "1111", from KAP_A
const V3 = ipPacketOf("v3-advert.hex");
const OURS = parseIpv4("10.99.0.12")!;

function expectation(overrides: Partial<ReceiveExpectation>): ReceiveExpectation {
  return { version: 2, vrid: 51, advertIntervalCs: 100, addresses: [VIP], auth: { type: "PASS", password: "1111" }, unicast: false, ...overrides };
}

function targets(...list: [string, Partial<ReceiveExpectation>][]): DemuxTarget<string>[] {
  return list.map(([handle, overrides]) => ({ handle, expectation: expectation(overrides) }));
}

describe("demuxPacket", () => {
  test("delivers to the instance with the packet's VRID", () => {
    const result = demuxPacket(V2, targets(["VI_50", { vrid: 50 }], ["VI_51", {}]), new Set([OURS]));
    expect(result.kind).toBe("deliver");
    if (result.kind !== "deliver") return;
    expect(result.target).toBe("VI_51");
    expect(result.received.sourceIp).toBe(KAP_A);
    expect(result.received.advert.priority).toBe(100);
  });

  test("a v2 and a v3 instance on one VRID each get their own version's packets", () => {
    const both = targets(["v3", { version: 3, auth: undefined }], ["v2", { version: 2 }]);
    const v2 = demuxPacket(V2, both, new Set([OURS]));
    const v3 = demuxPacket(V3, both, new Set([OURS]));
    expect(v2.kind === "deliver" && v2.target).toBe("v2");
    expect(v3.kind === "deliver" && v3.target).toBe("v3");
  });

  test("with only the other version on that VRID, the packet is judged (and rejected) by its rules", () => {
    const result = demuxPacket(V2, targets(["v3", { version: 3, auth: undefined }]), new Set([OURS]));
    expect(result).toMatchObject({ kind: "reject", target: "v3", sourceIp: KAP_A, rejection: { code: "version" } });
  });

  test("our own advert looped back is dropped without a count", () => {
    expect(demuxPacket(V2, targets(["VI_51", {}]), new Set([KAP_A]))).toEqual({ kind: "own" });
  });

  test("a VRID nobody here runs is foreign, with who sent it", () => {
    expect(demuxPacket(V2, targets(["VI_52", { vrid: 52 }]), new Set([OURS]))).toEqual({ kind: "foreign", vrid: 51, version: 2, sourceIp: KAP_A });
  });

  test("a wrong password is a rejection charged to the instance", () => {
    const result = demuxPacket(V2, targets(["VI_51", { auth: { type: "PASS", password: "2222" } }]), new Set([OURS]));
    expect(result).toMatchObject({ kind: "reject", target: "VI_51", rejection: { code: "auth_failure" } });
  });

  test("a datagram whose IPv4 header cannot be read is malformed: there is no VRID to trust", () => {
    expect(demuxPacket(V2.slice(0, 12), targets(["VI_51", {}]), new Set([OURS])).kind).toBe("malformed");
    const badVersion = V2.slice();
    badVersion[0] = 0x65;
    expect(demuxPacket(badVersion, targets(["VI_51", {}]), new Set([OURS])).kind).toBe("malformed");
    expect(demuxPacket(new Uint8Array(0), targets(["VI_51", {}]), new Set([OURS])).kind).toBe("malformed");
  });
});
