// Root test: a gratuitous ARP from A, captured by tcpdump in B, byte for byte.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { NetAgent } from "./agent.ts";
import { capturedBytes, createVethLan, startCapture, type VethLan } from "./netns.ts";

const isRoot = process.getuid?.() === 0;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe.skipIf(!isRoot)("gratuitous ARP", () => {
  let lan: VethLan;
  let a: NetAgent;

  beforeAll(async () => {
    lan = createVethLan();
    a = await NetAgent.start(lan.a);
  });

  afterAll(async () => {
    await a?.stop();
    lan?.destroy();
  });

  test("B captures keepalived's frame: request, sender = target = VIP, target MAC broadcast", async () => {
    const capture = await startCapture(lan.b, "arp host 10.77.0.41");
    const { mac } = await a.call("garp", { interfaceName: "eth0", vip: "10.77.0.41" });
    expect(mac).toBe(lan.macA);
    const output = await capture.output();
    expect(output).toContain(
      `${lan.macA} > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.77.0.41 (ff:ff:ff:ff:ff:ff) tell 10.77.0.41, length 28`,
    );
    const mac6 = lan.macA.replaceAll(":", "");
    expect(hex(capturedBytes(output))).toBe(
      "ffffffffffff" + mac6 + "0806" + "0001" + "0800" + "06" + "04" + "0001" + mac6 + "0a4d0029" + "ffffffffffff" + "0a4d0029",
    );
  });

  test("B updates its neighbour entry for the VIP to A's MAC", async () => {
    // A gratuitous ARP updates an existing entry (arp_accept=0 doesn't create new ones), so seed one.
    lan.ip(lan.b, "neigh", "replace", "10.77.0.41", "lladdr", "02:00:00:00:00:99", "dev", "eth0", "nud", "stale");
    await a.call("garp", { interfaceName: "eth0", vip: "10.77.0.41" });
    await Bun.sleep(100);
    expect(lan.ip(lan.b, "neigh", "show", "10.77.0.41")).toContain(`lladdr ${lan.macA}`);
  });

  test("sending on a link that is down fails with a readable error", async () => {
    lan.ip(lan.a, "link", "set", "eth0", "down");
    const failure = await a.call("garp", { interfaceName: "eth0", vip: "10.77.0.41" }).catch((e) => e);
    lan.ip(lan.a, "link", "set", "eth0", "up");
    expect(failure.code).toBe("ENETDOWN");
    expect(failure.message).toBe("sendto(gratuitous ARP) for 10.77.0.41 on eth0: Network is down (errno 100)");
  });
});
