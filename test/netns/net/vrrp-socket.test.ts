// Root test: VRRP raw sockets between two namespaces on a veth LAN (RFC 3768 5.2 IP fields).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { NetAgent, type AgentEvent } from "./agent.ts";
import { capturedBytes, createVethLan, startCapture, type VethLan } from "./netns.ts";

const isRoot = process.getuid?.() === 0;
// keepalived's v2 advert body (VRID 51, prio 100, PASS "1111", 10.99.0.41).
const ADVERT = "2133640101010cdc0a6300293131313100000000";

const hexBytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (p) => parseInt(p, 16));
const ipText = (bytes: Uint8Array, offset: number) => Array.from(bytes.subarray(offset, offset + 4)).join(".");
const packets = (agent: NetAgent, name: string) => agent.events.filter((e) => e.event === "packet" && e.name === name);

describe.skipIf(!isRoot)("VRRP socket on a veth LAN", () => {
  let lan: VethLan;
  let a: NetAgent;
  let b: NetAgent;

  beforeAll(async () => {
    lan = createVethLan();
    [a, b] = await Promise.all([NetAgent.start(lan.a), NetAgent.start(lan.b)]);
  });

  afterAll(async () => {
    await Promise.allSettled([a?.stop(), b?.stop()]);
    lan?.destroy();
  });

  test("a multicast advert from A reaches B with TTL 255, TOS 0xc0, A's address, to 224.0.0.18; A hears nothing of its own", async () => {
    const opened = await a.call("openVrrp", { name: "mc", interfaceName: "eth0", multicast: true });
    expect(opened.sourceIp).toBe(lan.addressA); // facade: primary IPv4 by default
    await b.call("openVrrp", { name: "mc", interfaceName: "eth0", multicast: true });

    await a.call("sendVrrp", { name: "mc", hex: ADVERT, destination: "224.0.0.18" });
    const received = await b.waitForEvent((e) => e.event === "packet" && e.name === "mc", 2000, "advert in B");
    const bytes = hexBytes(String(received.hex));
    expect(bytes[0]).toBe(0x45); // IPv4, 20-byte header
    expect(bytes[1]).toBe(0xc0); // TOS
    expect((bytes[2]! << 8) | bytes[3]!).toBe(40); // total length
    expect(((bytes[6]! << 8) | bytes[7]!) & 0x4000).toBe(0); // DF clear, as keepalived
    expect(bytes[8]).toBe(255); // TTL
    expect(bytes[9]).toBe(112); // protocol VRRP
    expect(ipText(bytes, 12)).toBe(lan.addressA);
    expect(ipText(bytes, 16)).toBe("224.0.0.18");
    expect(Buffer.from(bytes.subarray(20)).toString("hex")).toBe(ADVERT);

    await Bun.sleep(300);
    expect(packets(a, "mc")).toHaveLength(0); // IP_MULTICAST_LOOP off
  });

  test("tcpdump in B sees the same: Ethernet src = A's MAC, dst 01:00:5e:00:00:12", async () => {
    const capture = await startCapture(lan.b, "ip proto 112");
    await a.call("sendVrrp", { name: "mc", hex: ADVERT, destination: "224.0.0.18" });
    const output = await capture.output();
    const frame = capturedBytes(output);
    expect(output).toContain(`${lan.macA} > 01:00:5e:00:00:12`);
    expect(frame.length).toBe(14 + 40);
    expect(frame[14 + 1]).toBe(0xc0);
    expect(frame[14 + 8]).toBe(255);
    expect(ipText(frame, 14 + 12)).toBe(lan.addressA);
    expect(ipText(frame, 14 + 16)).toBe("224.0.0.18");
  });

  test("with mcast_src_ip the adverts carry that address, and B still receives them", async () => {
    lan.ip(lan.a, "addr", "add", "10.77.0.11/24", "dev", "eth0");
    await a.call("openVrrp", { name: "src", interfaceName: "eth0", multicast: true, sourceIp: "10.77.0.11" });
    b.clearEvents();
    await a.call("sendVrrp", { name: "src", hex: ADVERT, destination: "224.0.0.18" });
    const received = await b.waitForEvent((e) => e.event === "packet" && e.name === "mc", 2000, "advert from 10.77.0.11");
    expect(ipText(hexBytes(String(received.hex)), 12)).toBe("10.77.0.11");
    await a.call("closeVrrp", { name: "src" });
  });

  test("unicast to a peer address arrives with TTL 255 on a unicast-only socket", async () => {
    await b.call("openVrrp", { name: "uc", interfaceName: "eth0", multicast: false });
    await a.call("openVrrp", { name: "uc", interfaceName: "eth0", multicast: false, sourceIp: lan.addressA });
    await a.call("sendVrrp", { name: "uc", hex: ADVERT, destination: lan.addressB });
    const received = await b.waitForEvent((e) => e.event === "packet" && e.name === "uc", 2000, "unicast advert in B");
    const bytes = hexBytes(String(received.hex));
    expect([bytes[1], bytes[8], ipText(bytes, 12), ipText(bytes, 16)]).toEqual([0xc0, 255, lan.addressA, lan.addressB]);
    await Promise.all([a.call("closeVrrp", { name: "uc" }), b.call("closeVrrp", { name: "uc" })]);
  });

  test("a burst of 25 adverts sent back to back arrives as 25 separate packets", async () => {
    b.clearEvents();
    await a.call("sendVrrp", { name: "mc", hex: ADVERT, destination: "224.0.0.18", count: 25 });
    await b.waitForEvent(() => packets(b, "mc").length >= 25, 2000, "25 adverts");
    await Bun.sleep(100);
    const all = packets(b, "mc");
    expect(all).toHaveLength(25);
    expect(all.every((e) => String(e.hex).length === 80)).toBe(true);
  });

  test("waiting for packets does not block timers or burn CPU", async () => {
    const probe = await b.call("idleProbe", { ms: 1000 });
    console.log(`idle 1 s with open sockets: ${probe.ticks} ticks of a 10 ms interval, ${probe.cpuMs.toFixed(1)} ms CPU`);
    expect(probe.ticks).toBeGreaterThanOrEqual(80);
    expect(probe.cpuMs).toBeLessThan(100);
  });

  test("latency: advert round trip A -> B -> A (B echoes from inside its process)", async () => {
    await a.call("closeVrrp", { name: "mc" });
    await b.call("closeVrrp", { name: "mc" });
    await a.call("openVrrp", { name: "ping", interfaceName: "eth0", multicast: true, quiet: true });
    await b.call("openVrrp", { name: "echo", interfaceName: "eth0", multicast: true, echo: true, quiet: true });
    const { roundTripsMs } = await a.call("pingPong", { name: "ping", hex: ADVERT, destination: "224.0.0.18", count: 200 });
    const sorted = [...(roundTripsMs as number[])].sort((x, y) => x - y);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    console.log(
      `VRRP round trip over veth (200 runs): min ${at(0).toFixed(3)} ms, median ${at(0.5).toFixed(3)} ms, p99 ${at(0.99).toFixed(3)} ms, max ${at(1).toFixed(3)} ms; one way ~ median/2`,
    );
    expect(at(0.5)).toBeLessThan(10);

    // One way, send call in A to onPacket in B, on the shared wall clock.
    await b.call("closeVrrp", { name: "echo" });
    await b.call("openVrrp", { name: "one", interfaceName: "eth0", multicast: true });
    const oneWay: number[] = [];
    for (let i = 0; i < 20; i++) {
      b.clearEvents();
      const { sentAtWallMs } = await a.call("sendVrrp", { name: "ping", hex: ADVERT, destination: "224.0.0.18" });
      const got: AgentEvent = await b.waitForEvent((e) => e.event === "packet", 1000, "one-way advert");
      oneWay.push(Number(got.atWallMs) - sentAtWallMs);
    }
    oneWay.sort((x, y) => x - y);
    console.log(
      `VRRP one way (before sendto in A -> onPacket in B, wall clocks of two processes, 20 runs): median ${oneWay[10]!.toFixed(3)} ms, max ${oneWay[19]!.toFixed(3)} ms`,
    );
    await a.call("closeVrrp", { name: "ping" });
    await b.call("closeVrrp", { name: "one" });
  });

  /** /proc/net/raw may list a closed socket for a few ms while the kernel finishes releasing it. */
  async function rawSocketsSettle(agent: NetAgent, expected: number): Promise<number> {
    let count = -1;
    for (let i = 0; i < 50 && count !== expected; i++) {
      if (i > 0) await Bun.sleep(10);
      count = (await agent.call("rawSockets")).count;
    }
    return count;
  }

  test("close() releases both sockets and stops deliveries", async () => {
    expect(await rawSocketsSettle(b, 0)).toBe(0);
    await b.call("openVrrp", { name: "short", interfaceName: "eth0", multicast: true });
    await a.call("openVrrp", { name: "tx", interfaceName: "eth0", multicast: true });
    expect((await b.call("rawSockets")).count).toBe(2);
    await b.call("closeVrrp", { name: "short" });
    b.clearEvents();
    await a.call("sendVrrp", { name: "tx", hex: ADVERT, destination: "224.0.0.18" });
    await Bun.sleep(200);
    expect(packets(b, "short")).toHaveLength(0);
    expect(await rawSocketsSettle(b, 0)).toBe(0);
    await a.call("closeVrrp", { name: "tx" });
  });

  test("errors name the call, the interface and the errno", async () => {
    const failure = await b.call("openVrrp", { name: "bad", interfaceName: "nope0", multicast: true, sourceIp: "10.77.0.2" }).catch((e) => e);
    expect(failure.message).toBe('if_nametoindex for "nope0": No such device (errno 19)');
    expect(failure.code).toBe("ENODEV");
  });
});
