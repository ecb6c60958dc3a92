// Root test: link and address events from the rtnetlink subscription socket, as they happen.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { NetAgent } from "./agent.ts";
import { createVethLan, type VethLan } from "./netns.ts";

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)("network monitor", () => {
  let lan: VethLan;
  let a: NetAgent;

  beforeAll(async () => {
    lan = createVethLan();
    a = await NetAgent.start(lan.a);
    const { initialLinks } = await a.call("watch");
    expect(initialLinks.find((l: { name: string }) => l.name === "eth0")).toMatchObject({ up: true });
  });

  afterAll(async () => {
    await a?.stop();
    lan?.destroy();
  });

  /** Runs an `ip` change and returns the matching event and how long it took to arrive. */
  async function timedEvent(change: () => void, kind: string) {
    a.clearEvents();
    const before = performance.timeOrigin + performance.now();
    change();
    const event = await a.waitForEvent((e) => e.event === "network" && e.kind === kind, 1000, kind);
    return { event, latencyMs: Number(event.atWallMs) - before };
  }

  test("link down and up on our veth end arrive within 100 ms", async () => {
    const down = await timedEvent(() => lan.ip(lan.a, "link", "set", "eth0", "down"), "link-down");
    expect(down.event.link).toMatchObject({ name: "eth0", up: false, adminUp: false });
    const up = await timedEvent(() => lan.ip(lan.a, "link", "set", "eth0", "up"), "link-up");
    expect(up.event.link).toMatchObject({ name: "eth0", up: true, running: true });
    console.log(`link events after \`ip link set\` (includes spawning ip): down ${down.latencyMs.toFixed(1)} ms, up ${up.latencyMs.toFixed(1)} ms`);
    expect(down.latencyMs).toBeLessThan(100);
    expect(up.latencyMs).toBeLessThan(100);
  });

  test("the peer going down is a carrier loss here: link-down with adminUp still true", async () => {
    const down = await timedEvent(() => lan.ip(lan.b, "link", "set", "eth0", "down"), "link-down");
    expect(down.event.link).toMatchObject({ name: "eth0", up: false, adminUp: true, running: false, operState: "down" });
    const up = await timedEvent(() => lan.ip(lan.b, "link", "set", "eth0", "up"), "link-up");
    expect(up.event.link).toMatchObject({ up: true, operState: "up" });
    expect(Math.max(down.latencyMs, up.latencyMs)).toBeLessThan(100);
    // Only transitions are reported: one of each, however many RTM_NEWLINKs the kernel sent.
    await Bun.sleep(100);
    expect(a.events.filter((e) => e.event === "network" && String(e.kind).startsWith("link-"))).toHaveLength(1);
  });

  test("address added and removed", async () => {
    const added = await timedEvent(() => lan.ip(lan.a, "addr", "add", "10.77.0.41/24", "dev", "eth0", "label", "eth0:vip"), "address-added");
    expect(added.event.address).toMatchObject({ address: "10.77.0.41", prefixLength: 24, label: "eth0:vip", secondary: true });
    const removed = await timedEvent(() => lan.ip(lan.a, "addr", "del", "10.77.0.41/24", "dev", "eth0"), "address-removed");
    expect(removed.event.address).toMatchObject({ address: "10.77.0.41" });
    expect(Math.max(added.latencyMs, removed.latencyMs)).toBeLessThan(100);
  });

  test("a link that is deleted reports link-removed", async () => {
    lan.ip(lan.a, "link", "add", "tv0", "type", "veth", "peer", "name", "tv1");
    const removed = await timedEvent(() => lan.ip(lan.a, "link", "del", "tv0"), "link-removed");
    expect(["tv0", "tv1"]).toContain(String((removed.event.link as { name: string }).name));
  });
});
