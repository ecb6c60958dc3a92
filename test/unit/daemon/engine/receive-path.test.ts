// What the engine does with what arrives on the wire: every packet through the real
// socket path (demux by VRID, receive checks, counters in the status it sends), bad packets
// injected by a third host, authentication, unicast peers, and VRRPv2 beside VRRPv3.
import { describe, expect, test } from "bun:test";
import { parseIpv4 } from "../../../../src/common/ipv4.ts";
import { VRRP_MULTICAST_GROUP } from "../../../../src/common/vrrp-wire.ts";
import type { Advert } from "../../../../src/vrrp/advert.ts";
import { computeVrrpChecksum, encodeAdvert, passwordAuthData } from "../../../../src/vrrp/packet.ts";
import { masterDownIntervalMs, skewTimeMs } from "../../../../src/vrrp/timers.ts";
import type { BoxLan } from "../../support/fake-box/box-lan.ts";
import { vrrpInstance } from "../../support/fake-box/keepalived-text.ts";
import { encodeKernelIpv4 } from "../../support/fake-network/index.ts";
import { classicPair, LATENCY_MS, lastAdvertAt, VIP } from "./support/pair.ts";

const ip = (text: string) => parseIpv4(text)!;
const C = ip("10.99.0.13");

/** A third host on the wire that puts whatever datagram the test builds on it. */
function injector(lan: BoxLan) {
  const host = lan.network.host("C", "10.99.0.13/24");
  return (payload: Uint8Array, o: { ttl?: number; destination?: number } = {}) =>
    host.injectIpv4(
      "eth0",
      encodeKernelIpv4(
        { sourceIp: C, destinationIp: o.destination ?? VRRP_MULTICAST_GROUP, ttl: o.ttl ?? 255, tos: 0xc0, protocol: 112, identification: 7 },
        payload,
      ),
    );
}

/** An advert from C that A (priority 100, master) must yield to if it accepted it. */
function fromC(o: Partial<Advert> = {}, destinationIp = VRRP_MULTICAST_GROUP): Uint8Array {
  return encodeAdvert(
    { version: 2, vrid: 51, priority: 254, advertIntervalCs: 100, addresses: [ip(VIP)], authType: 0, authData: new Uint8Array(8), ...o },
    { sourceIp: C, destinationIp },
  );
}

const nonZero = (counters: Record<string, number>) => Object.fromEntries(Object.entries(counters).filter(([, n]) => n !== 0));

describe("bad packets are rejected and counted", () => {
  test("TTL, length, checksum, version, interval, address list, type and destination: each moves its counter, none moves the master", async () => {
    const { lan, a } = classicPair();
    const inject = injector(lan);
    await lan.runFor(5_000);
    inject(fromC(), { ttl: 64 });
    inject(fromC().subarray(0, 16)); // 4 bytes short of one address + auth data
    const badSum = fromC();
    badSum[7] = badSum[7]! ^ 0x01;
    inject(badSum);
    inject(
      encodeAdvert(
        { version: 3, vrid: 51, priority: 254, advertIntervalCs: 100, addresses: [ip(VIP)], authType: 0, authData: new Uint8Array(0) },
        { sourceIp: C, destinationIp: VRRP_MULTICAST_GROUP },
      ),
    );
    inject(fromC({ advertIntervalCs: 200 }));
    inject(fromC({ addresses: [ip("10.99.0.200")] }));
    const type2 = fromC();
    type2[0] = 0x22;
    const sum = computeVrrpChecksum(type2, 2, { sourceIp: C, destinationIp: VRRP_MULTICAST_GROUP });
    [type2[6], type2[7]] = [sum >>> 8, sum & 0xff];
    inject(type2);
    inject(fromC({}, ip("10.99.0.11")), { destination: ip("10.99.0.11") });
    // Dropped before any socket: a bad IPv4 header checksum (the kernel's ip_rcv).
    const broken = encodeKernelIpv4({ sourceIp: C, destinationIp: VRRP_MULTICAST_GROUP, ttl: 255, tos: 0xc0, protocol: 112, identification: 8 }, fromC());
    broken[10] = broken[10]! ^ 0xff;
    lan.network.hosts.get("C")!.injectIpv4("eth0", broken);
    // Another VRID on the LAN is not ours to judge or count.
    inject(fromC({ vrid: 99 }));
    await lan.runFor(1_100);
    expect(a.state("VI_1")).toBe("MASTER");
    expect(a.transitions()).toHaveLength(2);
    const { advertsSent, ...rest } = nonZero(a.counters("VI_1"));
    expect(advertsSent).toBeGreaterThan(0);
    expect(rest).toEqual({
      becomeMaster: 1,
      ipTtlErrors: 1,
      packetLengthErrors: 1,
      checksumErrors: 1,
      versionErrors: 1,
      advIntervalErrors: 1,
      addressListErrors: 2,
      invalidTypePktsRcvd: 1,
    });
    expect(a.logger.lines.some((l) => l.includes("dropped VRRP packet from 10.99.0.13: TTL is 64; must be 255"))).toBe(true);

    // The same path accepts a good advert: A yields to C's 254 at once.
    inject(fromC());
    await lan.runFor(10);
    expect(a.transitions().at(-1)).toMatchObject({ to: "BACKUP", cause: "higher-priority-advert" });
    expect(a.holds(VIP)).toBe(false);
  });

  test("the VRID picks whose checks and counters apply: a bad packet for VRID 52 is charged to VI_2, not VI_1", async () => {
    const { lan, a } = classicPair({ aPrefix: vrrpInstance({ name: "VI_2", vrid: 52, priority: 100, vips: ["10.99.0.102/24"] }) });
    const inject = injector(lan);
    await lan.runFor(5_000);
    inject(fromC({ vrid: 52, addresses: [ip("10.99.0.102")] }), { ttl: 1 });
    await lan.runFor(1_100);
    expect(a.counters("VI_2").ipTtlErrors).toBe(1);
    expect(a.counters("VI_1").ipTtlErrors).toBe(0);
  });
});

describe("authentication (VRRPv2 PASS)", () => {
  const pass = (password: string) => ["authentication {", "  auth_type PASS", `  auth_pass ${password}`, "}"];

  test("matching passwords: the password travels in the advert and one master is elected", async () => {
    const { lan, b } = classicPair({ a: { extra: pass("vi111") }, b: { extra: pass("vi111") } });
    await lan.runFor(10_000);
    expect(lan.holders(VIP)).toEqual(["A"]);
    const advert = lan.wire.adverts("A").at(-1)!.advert;
    expect([advert.authType, [...advert.authData]]).toEqual([1, [...passwordAuthData("vi111")]]);
    expect(b.counters("VI_1").authFailures).toBe(0);
    expect(b.counters("VI_1").advertsReceived).toBeGreaterThan(5);
  });

  test("a password mismatch: each box rejects and counts the other's adverts, and both hold the VIP", async () => {
    const { lan, a, b } = classicPair({ a: { extra: pass("secret1") }, b: { extra: pass("secret2") } });
    await lan.runFor(10_000);
    expect(lan.holders(VIP)).toEqual(["A", "B"]);
    expect(b.counters("VI_1").authFailures).toBeGreaterThan(5);
    expect(b.counters("VI_1").advertsReceived).toBe(0);
    expect(a.counters("VI_1").authFailures).toBeGreaterThan(2);
    expect(b.logger.lines.some((l) => l.includes("simple text password does not match"))).toBe(true);
  });

  test("PASS on one side only: an auth type mismatch, counted", async () => {
    const { lan, b } = classicPair({ a: { extra: pass("secret1") } });
    await lan.runFor(10_000);
    expect(b.counters("VI_1").authTypeMismatch).toBeGreaterThan(5);
    expect(lan.holders(VIP)).toEqual(["A", "B"]);
  });
});

describe("unicast peers", () => {
  const unicast = (self: string, peer: string) => [`unicast_src_ip ${self}`, "unicast_peer {", `  ${peer}`, "}"];

  test("adverts go to the peer's address and MAC only, the pair elects and fails over as with multicast", async () => {
    const { lan, a, b, client } = classicPair({ a: { extra: unicast("10.99.0.11", "10.99.0.12") }, b: { extra: unicast("10.99.0.12", "10.99.0.11") } });
    const bystander = lan.network.host("C", "10.99.0.13/24");
    await lan.runFor(10_000);
    expect(lan.holders(VIP)).toEqual(["A"]);
    const adverts = lan.wire.adverts("A");
    expect(adverts.length).toBeGreaterThan(5);
    for (const frame of adverts) {
      expect(frame.ip.destinationIp).toBe(ip("10.99.0.12"));
      expect(frame.ip.ttl).toBe(255);
      expect(frame.ethernet.destinationMac).toBe(b.host.link("eth0").mac);
      expect(frame.deliveredTo).toEqual(["B"]);
    }
    expect(b.counters("VI_1").advertsReceived).toBe(adverts.length);
    a.crash();
    const last = lastAdvertAt(lan, "A");
    await lan.runFor(5_000);
    expect(b.enteredAt("VI_1", "MASTER")).toBeCloseTo(last + LATENCY_MS + masterDownIntervalMs(2, 90, 100), 6);
    expect(client.reaches(VIP)).toBe("B");
  });

  test("a multicast advert on the same VRID never reaches a unicast pair: their sockets did not join 224.0.0.18", async () => {
    const { lan, a, b } = classicPair({ a: { extra: unicast("10.99.0.11", "10.99.0.12") }, b: { extra: unicast("10.99.0.12", "10.99.0.11") } });
    const inject = injector(lan);
    await lan.runFor(5_000);
    const frame = inject(fromC())!;
    await lan.runFor(1_100);
    expect(frame.lost.map((l) => l.why)).toEqual(["group 224.0.0.18 not joined on eth0", "group 224.0.0.18 not joined on eth0"]);
    expect(a.state("VI_1")).toBe("MASTER");
    expect(nonZero(b.counters("VI_1"))).toEqual({ advertsReceived: expect.any(Number) });
  });
});

describe("VRRPv2 and VRRPv3", () => {
  test.each([2, 3] as const)(
    "v%i: the adverts decode as that version (v3's checksum over the pseudo-header), election and graceful handover",
    async (version) => {
      const { lan, a, b } = classicPair({ a: { version }, b: { version } });
      await lan.runFor(10_000);
      const adverts = lan.wire.adverts("A");
      expect(adverts.length).toBeGreaterThan(5);
      expect(adverts.every((f) => f.advert.version === version && f.advert.advertIntervalCs === 100)).toBe(true);
      expect(adverts[0]!.bytes[14 + 20]! >> 4).toBe(version);
      a.stop();
      await lan.runFor(2_000);
      expect(b.enteredAt("VI_1", "MASTER")! - 10_000).toBeCloseTo(LATENCY_MS + skewTimeMs(version, 90, 100), 6);
    },
  );

  test("a v2 box and a v3 box on one VRID do not understand each other: version errors on both, both master", async () => {
    const { lan, a, b } = classicPair({ a: { version: 2 }, b: { version: 3 } });
    await lan.runFor(10_000);
    expect(lan.holders(VIP)).toEqual(["A", "B"]);
    expect(a.counters("VI_1").versionErrors).toBeGreaterThan(2);
    expect(b.counters("VI_1").versionErrors).toBeGreaterThan(2);
  });
});
