// The desired IPVS table by keepalived 2.2.7's rules, one golden test per rule, each naming
// the keepalived function it mirrors (ipwrapper.c, ipvswrapper.c).
import { describe, expect, test } from "bun:test";
import { desiredTable } from "../../../src/ipvs/desired-table.ts";
import { IDLE_DIRECTOR } from "../../../src/ipvs/quorum-machine.ts";
import type { RealServerPlan } from "../../../src/ipvs/virtual-server-plan.ts";
import { TestDirector } from "./support/director.ts";
import { ip, realServer, virtualServer } from "./support/plans.ts";

const checked = (address: string, more: Partial<RealServerPlan> = {}) => realServer(address, 80, { checkers: [{ id: "tcp" }], ...more });

describe("weights (ipvswrapper.c ipvs_set_drule, check_data.h real_weight)", () => {
  test("an alive real server is in at its configured weight, plus its dynamic weight, clamped (ipvs_set_drule)", () => {
    const director = new TestDirector([virtualServer("10.0.0.1", 80, [checked("10.0.0.2", { weight: 3 }), realServer("10.0.0.3", 80, { weight: 0 })])]).start();
    expect(director.weights()).toEqual({ "10.0.0.2:80": 3, "10.0.0.3:80": 0 });
    director.report("10.0.0.2:80", "tcp", { up: true, weightDelta: 4 });
    expect(director.weights()).toEqual({ "10.0.0.2:80": 7, "10.0.0.3:80": 0 });
    director.report("10.0.0.2:80", "tcp", { up: true, weightDelta: -10 });
    expect(director.weights()["10.0.0.2:80"]).toBe(0);
  });

  test("a failed real server is removed (perform_svr_state, LVS_CMD_DEL_DEST)", () => {
    const director = new TestDirector([virtualServer("10.0.0.1", 80, [checked("10.0.0.2"), checked("10.0.0.3")])]).start();
    director.report("10.0.0.2:80", "tcp", { up: false });
    expect(director.weights()).toEqual({ "10.0.0.3:80": 1 });
    expect(director.table().realServers[0]).toMatchObject({ realServer: "10.0.0.2:80", alive: false, desiredWeight: undefined, reason: "failed" });
  });

  test("inhibit_on_failure: a failed real server stays at weight 0 (ipvs_cmd turns DEL_DEST into EDIT_DEST)", () => {
    const director = new TestDirector([
      virtualServer("10.0.0.1", 80, [checked("10.0.0.2", { inhibitOnFailure: true, weight: 5 }), checked("10.0.0.3")]),
    ]).start();
    director.report("10.0.0.2:80", "tcp", { up: false });
    expect(director.weights()).toEqual({ "10.0.0.2:80": 0, "10.0.0.3:80": 1 });
    expect(director.table().realServers[0]!.reason).toBe("inhibited");
  });

  test("alpha with inhibit_on_failure: in at weight 0 from the start (init_service_rs)", () => {
    const director = new TestDirector([
      virtualServer("10.0.0.1", 80, [checked("10.0.0.2", { inhibitOnFailure: true }), checked("10.0.0.3")], { alpha: true }),
    ]).start();
    expect(director.weights()).toEqual({ "10.0.0.2:80": 0 });
    director.report("10.0.0.3:80", "tcp", { up: true });
    expect(director.weights()).toEqual({ "10.0.0.2:80": 0, "10.0.0.3:80": 1 });
  });

  test("a drained real server stays in at weight 0; a drained failed one follows the failure rule (tandem)", () => {
    const director = new TestDirector([virtualServer("10.0.0.1", 80, [checked("10.0.0.2", { weight: 4 }), checked("10.0.0.3", { weight: 4 })])]).start();
    director.drain("10.0.0.2:80", true);
    expect(director.weights()).toEqual({ "10.0.0.2:80": 0, "10.0.0.3:80": 4 });
    expect(director.table().realServers[0]).toMatchObject({ drained: true, effectiveWeight: 4, desiredWeight: 0, reason: "drained" });
    director.report("10.0.0.2:80", "tcp", { up: false });
    expect(director.weights()).toEqual({ "10.0.0.3:80": 4 });
    director.report("10.0.0.2:80", "tcp", { up: true }).drain("10.0.0.2:80", false);
    expect(director.weights()).toEqual({ "10.0.0.2:80": 4, "10.0.0.3:80": 4 });
  });
});

describe("sorry server (ipwrapper.c update_quorum_state, perform_quorum_state, init_service_vs)", () => {
  const sorry = { address: ip("10.0.0.9"), port: 8080, inhibit: false };

  test("sorry server in while the quorum is down: real servers out, inhibited ones at 0, the sorry server at weight 1 (update_quorum_state)", () => {
    const director = new TestDirector([
      virtualServer(
        "10.0.0.1",
        80,
        [checked("10.0.0.2", { weight: 2 }), checked("10.0.0.3", { weight: 2, inhibitOnFailure: true }), checked("10.0.0.4", { weight: 2 })],
        {
          quorum: 5,
          sorryServer: sorry,
        },
      ),
    ]).start();
    expect(director.weights()).toEqual({ "10.0.0.2:80": 2, "10.0.0.3:80": 2, "10.0.0.4:80": 2 });
    director.report("10.0.0.4:80", "tcp", { up: false });
    expect(director.weights()).toEqual({ "10.0.0.3:80": 0, "10.0.0.9:8080": 1 });
    expect(director.table().virtualServers[0]).toEqual({ virtualServer: "TCP 10.0.0.1:80", quorumUp: false, sorryServerActive: true });
    expect(director.table().realServers.map((r) => r.reason)).toEqual(["sorry-server-active", "sorry-server-active", "sorry-server-active"]);
  });

  test("sorry server out when the quorum is back: alive real servers back at their weights (update_quorum_state, perform_quorum_state)", () => {
    const director = new TestDirector([
      virtualServer("10.0.0.1", 80, [checked("10.0.0.2", { weight: 2 }), checked("10.0.0.3", { weight: 2 })], { quorum: 4, sorryServer: sorry }),
    ]).start();
    director.report("10.0.0.3:80", "tcp", { up: false });
    // A weight change while the sorry server is in waits until the real servers are back (update_svr_wgt).
    director.report("10.0.0.2:80", "tcp", { up: true, weightDelta: 1 });
    expect(director.weights()).toEqual({ "10.0.0.9:8080": 1 });
    director.report("10.0.0.3:80", "tcp", { up: true });
    expect(director.weights()).toEqual({ "10.0.0.2:80": 3, "10.0.0.3:80": 2 });
  });

  test("sorry_server_inhibit: the sorry server stays at weight 0 while out (init_service_vs)", () => {
    const director = new TestDirector([virtualServer("10.0.0.1", 80, [checked("10.0.0.2")], { sorryServer: { ...sorry, inhibit: true } })]).start();
    expect(director.weights()).toEqual({ "10.0.0.2:80": 1, "10.0.0.9:8080": 0 });
    director.report("10.0.0.2:80", "tcp", { up: false });
    expect(director.weights()).toEqual({ "10.0.0.9:8080": 1 });
    director.report("10.0.0.2:80", "tcp", { up: true });
    expect(director.weights()).toEqual({ "10.0.0.2:80": 1, "10.0.0.9:8080": 0 });
  });

  test("a sorry server that is also a real server replaces it while in and leaves it alone while out (s_svr_duplicates_rs)", () => {
    const director = new TestDirector([
      virtualServer("10.0.0.1", 80, [checked("10.0.0.2", { weight: 3, inhibitOnFailure: true }), checked("10.0.0.3", { weight: 3 })], {
        quorum: 6,
        sorryServer: { address: ip("10.0.0.2"), port: 80, inhibit: true },
      }),
    ]).start();
    expect(director.weights()).toEqual({ "10.0.0.2:80": 3, "10.0.0.3:80": 3 });
    director.report("10.0.0.3:80", "tcp", { up: false });
    expect(director.weights()).toEqual({ "10.0.0.2:80": 1 });
    expect(director.table().notes).toEqual([]);
  });

  test("alpha with a sorry server: the sorry server is in from the start (update_quorum_state at init)", () => {
    const director = new TestDirector([virtualServer("10.0.0.1", 80, [checked("10.0.0.2")], { alpha: true, sorryServer: sorry })]).start();
    expect(director.weights()).toEqual({ "10.0.0.9:8080": 1 });
    director.report("10.0.0.2:80", "tcp", { up: true });
    expect(director.weights()).toEqual({ "10.0.0.2:80": 1 });
  });
});

describe("destinations (ipvswrapper.c ipvs_cmd, ipvs_group_cmd, ipvs_set_drule)", () => {
  test("lb kinds and tunnels reach the destination: NAT keeps the server's port, DR and TUN the service's (ipvs_cmd)", () => {
    const director = new TestDirector([
      virtualServer("10.0.0.1", 80, [
        realServer("10.0.0.2", 8080, { upperThreshold: 100, lowerThreshold: 10 }),
        realServer("10.0.0.3", 0, { forwarding: { method: "DR" } }),
        realServer("10.0.0.4", 0, { forwarding: { method: "TUN", type: "gue", port: 6080, checksum: "csum" } }),
      ]),
    ]).start();
    expect(director.table().table.services[0]!.destinations).toEqual([
      { address: ip("10.0.0.2"), port: 8080, forward: "masquerade", weight: 1, upperThreshold: 100, lowerThreshold: 10 },
      { address: ip("10.0.0.3"), port: 80, forward: "direct-route", weight: 1, upperThreshold: 0, lowerThreshold: 0 },
      {
        address: ip("10.0.0.4"),
        port: 80,
        forward: "tunnel",
        weight: 1,
        upperThreshold: 0,
        lowerThreshold: 0,
        tunnel: { type: "gue", port: 6080, checksum: "csum" },
      },
    ]);
  });

  test("a group puts every real server in every service: DR at each entry's port, 0 for fwmarks, NAT at its own (ipvs_group_cmd)", () => {
    const director = new TestDirector([
      virtualServer("0.0.0.0", 0, [realServer("10.0.1.2", 0, { forwarding: { method: "DR" } }), realServer("10.0.1.3", 8080)], {
        key: {
          kind: "group",
          name: "web",
          entries: [
            { kind: "range", first: ip("10.0.0.1"), last: ip("10.0.0.2"), port: 80 },
            { kind: "range", first: ip("10.0.0.5"), last: ip("10.0.0.5"), port: 443 },
            { kind: "fwmark", fwmark: 6 },
          ],
        },
      }),
    ]).start();
    const services = director.table().table.services;
    expect(services.map((s) => s.destinations.map((d) => `${d.address.text}:${d.port}`))).toEqual([
      ["10.0.1.2:80", "10.0.1.3:8080"],
      ["10.0.1.2:80", "10.0.1.3:8080"],
      ["10.0.1.2:443", "10.0.1.3:8080"],
      ["10.0.1.2:0", "10.0.1.3:8080"],
    ]);
  });

  test("v6 group services get v6 destinations and tunnelled v4 ones (ipvs_group_cmd, IPVS_DEST_ATTR_ADDR_FAMILY)", () => {
    const director = new TestDirector([
      virtualServer("::", 0, [realServer("2001:db8::2", 0), realServer("10.0.1.2", 0, { forwarding: { method: "TUN" } })], {
        key: { kind: "group", name: "v6", entries: [{ kind: "range", first: ip("2001:db8::10"), last: ip("2001:db8::11"), port: 53 }] },
        protocol: "UDP",
      }),
    ]).start();
    const services = director.table().table.services;
    expect(services.map((s) => [s.key.kind === "address" ? s.key.address.text : "", s.destinations.map((d) => `${d.address.text}:${d.port}`)])).toEqual([
      ["2001:db8::10", ["2001:db8::2:0", "10.0.1.2:53"]],
      ["2001:db8::11", ["2001:db8::2:0", "10.0.1.2:53"]],
    ]);
  });

  test("nothing before start and after stop", () => {
    const director = new TestDirector([virtualServer("10.0.0.1", 80, [realServer("10.0.0.2", 80)])]);
    expect(desiredTable(director.virtualServers, director.health, director.intent, IDLE_DIRECTOR).table).toEqual({ services: [] });
    director.start();
    expect(director.table().table.services).toHaveLength(1);
    director.stop();
    expect(director.table().table).toEqual({ services: [] });
  });

  test("the services carry the resolved settings", () => {
    const director = new TestDirector([
      virtualServer("10.0.0.1", 80, [realServer("10.0.0.2", 80)], { scheduler: "sh", flags: { shPort: true }, persistence: { timeoutS: "default" } }),
    ]).start();
    const { destinations, ...service } = director.table().table.services[0]!;
    expect(service).toEqual({
      key: { kind: "address", protocol: "TCP", address: ip("10.0.0.1"), port: 80 },
      scheduler: "sh",
      flags: { persistent: true, onePacket: false, sched1: false, sched2: true, sched3: false },
      timeoutS: 360,
      netmask: 0xffffffff,
    });
    expect(destinations).toHaveLength(1);
  });
});

describe("slowstart (tandem's; slow-start.ts): the ramp is an input", () => {
  const RAMP = { atMs: 0, atWallMs: 1_800_000_000_000 };
  const two = () =>
    new TestDirector([
      virtualServer("10.0.0.1", 80, [checked("10.0.0.2", { weight: 20, slowStartMs: 10_000 }), checked("10.0.0.3")]),
      virtualServer("10.0.0.5", 80, [checked("10.0.0.6", { weight: 4 })]),
    ]).start();

  test("an alive server with a ramp under way: its ramp's weight, reason slow-start; over, its full weight; sorry server in, out as ever", () => {
    const director = two();
    const ramps = { [director.virtualServers[0]!.id]: { "10.0.0.2:80": RAMP } };
    const at = (nowMs: number) => desiredTable(director.virtualServers, director.health, director.intent, director.state, undefined, { ramps, nowMs });
    expect(at(5_000).realServers[0]).toEqual({
      virtualServer: "TCP 10.0.0.1:80",
      realServer: "10.0.0.2:80",
      alive: true,
      drained: false,
      effectiveWeight: 20,
      desiredWeight: 10,
      reason: "slow-start",
      slowStart: { sinceMs: RAMP.atWallMs, untilMs: RAMP.atWallMs + 10_000 },
    });
    expect(at(5_000).table.services[0]!.destinations.map((d) => d.weight)).toEqual([10, 1]);
    expect(at(10_000).realServers[0]).toMatchObject({ desiredWeight: 20, reason: "alive" });
    expect(at(10_000).realServers[0]!.slowStart).toBeUndefined();
    director.drain("10.0.0.2:80", true);
    expect(at(5_000).realServers[0]).toMatchObject({ desiredWeight: 0, reason: "drained" });
  });

  test("a pass later in the ramp works out again only the virtual servers with a ramp under way", () => {
    const director = two();
    const [web, other] = director.virtualServers;
    const ramps = { [web!.id]: { "10.0.0.2:80": RAMP } };
    const first = desiredTable(director.virtualServers, director.health, director.intent, director.state, undefined, { ramps, nowMs: 5_000 });
    const later = desiredTable(director.virtualServers, director.health, director.intent, director.state, first, { ramps, nowMs: 5_500 });
    expect(later.parts.get(other!.id)).toBe(first.parts.get(other!.id)!);
    expect(later.parts.get(web!.id)).not.toBe(first.parts.get(web!.id)!);
    expect([...later.changedServices]).toEqual(["TCP 10.0.0.1:80"]);
    expect(later.table.services[0]!.destinations[0]!.weight).toBe(11);
    // The ramp over and gone from the input: worked out once more, at full weight; then reused.
    const over = desiredTable(director.virtualServers, director.health, director.intent, director.state, later, { ramps: {}, nowMs: 10_000 });
    expect(over.table.services[0]!.destinations[0]!.weight).toBe(20);
    const after = desiredTable(director.virtualServers, director.health, director.intent, director.state, over, { ramps: {}, nowMs: 10_500 });
    expect(after.parts.get(web!.id)).toBe(over.parts.get(web!.id)!);
    expect(after.changedServices.size).toBe(0);
  });
});
