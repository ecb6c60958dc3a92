// Root test: rtnetlink links and addresses in a namespace, checked against `ip` itself.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { NetAgent } from "./agent.ts";
import { createVethLan, type VethLan } from "./netns.ts";

const isRoot = process.getuid?.() === 0;
const RT_SCOPE_LINK = 253;

describe.skipIf(!isRoot)("rtnetlink in a namespace", () => {
  let lan: VethLan;
  let a: NetAgent;
  const vip = { interfaceName: "eth0", address: "10.77.0.41", prefixLength: 24, broadcast: "10.77.0.255", label: "eth0:vip" };

  beforeAll(async () => {
    lan = createVethLan();
    a = await NetAgent.start(lan.a);
  });

  afterAll(async () => {
    await a?.stop();
    lan?.destroy();
  });

  test("listLinks: name, MAC, MTU and up as `ip link` shows them", async () => {
    const links = await a.call("links");
    const eth0 = links.find((l: { name: string }) => l.name === "eth0");
    expect(eth0).toMatchObject({ mac: lan.macA, mtu: 1500, up: true, adminUp: true, running: true, operState: "up" });
    expect(lan.ip(lan.a, "-o", "link", "show", "eth0")).toContain(`${eth0.index}: eth0@`);
    expect(links.find((l: { name: string }) => l.name === "lo")).toMatchObject({ up: true, mtu: 65536, mac: "00:00:00:00:00:00" });
  });

  test("listAddresses and primaryIpv4", async () => {
    const addresses = await a.call("addresses", { interfaceName: "eth0" });
    const index = Number(lan.ip(lan.a, "-o", "link", "show", "eth0").split(":")[0]);
    expect(addresses).toEqual([{ index, address: lan.addressA, prefixLength: 24, label: "eth0", scope: 0, secondary: false, flags: 0x80 }]);
    expect(await a.call("primary", { interfaceName: "eth0" })).toEqual({ address: lan.addressA });
  });

  test("addAddress with label and broadcast appears in `ip addr` exactly; it is secondary, the primary stays", async () => {
    await a.call("addAddress", vip);
    const line = lan.ip(lan.a, "-4", "-o", "addr", "show", "dev", "eth0", "label", "eth0:vip");
    expect(line.replace(/\\\s+valid_lft.*$/s, "").trim()).toMatch(/^\d+: eth0\s+inet 10\.77\.0\.41\/24 brd 10\.77\.0\.255 scope global secondary eth0:vip$/);
    const addresses = await a.call("addresses", { interfaceName: "eth0" });
    expect(addresses.map((x: { address: string; secondary: boolean; label: string }) => [x.address, x.secondary, x.label])).toEqual([
      [lan.addressA, false, "eth0"],
      ["10.77.0.41", true, "eth0:vip"],
    ]);
    expect(await a.call("primary", { interfaceName: "eth0" })).toEqual({ address: lan.addressA });
  });

  test("adding it again fails distinguishably with EEXIST", async () => {
    const failure = await a.call("addAddress", vip).catch((e) => e);
    expect(failure.code).toBe("EEXIST");
    expect(failure.message).toBe('RTM_NEWADDR 10.77.0.41/24 on eth0 label eth0:vip: File exists (errno 17): kernel says "ipv4: Address already assigned"');
  });

  test("deleteAddress removes it; deleting again fails with EADDRNOTAVAIL", async () => {
    await a.call("deleteAddress", vip);
    expect(lan.ip(lan.a, "-4", "-o", "addr", "show", "dev", "eth0")).not.toContain("10.77.0.41");
    const failure = await a.call("deleteAddress", vip).catch((e) => e);
    expect(failure.code).toBe("EADDRNOTAVAIL");
    expect(failure.message).toStartWith("RTM_DELADDR 10.77.0.41/24 on eth0 label eth0:vip: Cannot assign requested address (errno 99)");
  });

  test("a scope-link /32 VIP in another subnet is listed first by the kernel, yet is not the primary", async () => {
    const other = { interfaceName: "eth0", address: "10.78.0.9", prefixLength: 32, scope: RT_SCOPE_LINK };
    await a.call("addAddress", other);
    expect(lan.ip(lan.a, "-4", "-o", "addr", "show", "dev", "eth0")).toMatch(/inet 10\.78\.0\.9\/32 scope link eth0/);
    const listed = await a.call("addresses", { interfaceName: "eth0" });
    expect(listed.map((x: { address: string; secondary: boolean }) => [x.address, x.secondary])).toEqual([
      ["10.78.0.9", false],
      [lan.addressA, false],
    ]);
    expect(await a.call("primary", { interfaceName: "eth0" })).toEqual({ address: lan.addressA });
    await a.call("deleteAddress", other);
  });

  test("an unknown interface is ENODEV; an overlong label is refused with a reason", async () => {
    const missing = await a.call("addAddress", { ...vip, interfaceName: "nope0" }).catch((e) => e);
    expect(missing.code).toBe("ENODEV");
    expect(missing.message).toBe('if_nametoindex for "nope0": No such device (errno 19)');
    const badLabel = await a.call("addAddress", { ...vip, label: "eth0:a-long-vip-label" }).catch((e) => e);
    expect(badLabel.message).toBe('address label "eth0:a-long-vip-label" is longer than 15 bytes');
  });
});
