// The quorum machine against keepalived 2.2.7's rules, one golden test per rule, each naming
// the ipwrapper.c function it mirrors: quorum and hysteresis at their boundaries, the sorry
// server, notifies and their arguments, alpha, omega, drains, reloads.
import { describe, expect, test } from "bun:test";
import type { RealServerPlan, VirtualServerPlan } from "../../../src/ipvs/virtual-server-plan.ts";
import { TestDirector } from "./support/director.ts";
import { ip, realServer, virtualServer } from "./support/plans.ts";

const checked = (address: string, more: Partial<RealServerPlan> = {}) => realServer(address, 80, { checkers: [{ id: "tcp" }], ...more });
const servers = (count: number, more: Partial<RealServerPlan> = {}) => Array.from({ length: count }, (_, i) => checked(`10.0.0.${i + 2}`, more));
const VS_NAME = "[10.0.0.1]:tcp:80";
const sorry = { address: ip("10.0.0.99"), port: 80, inhibit: false };

describe("quorum (update_quorum_state, set_quorum_states)", () => {
  test("quorum up/down with hysteresis at the boundaries: up at quorum + hysteresis, down below quorum - hysteresis", () => {
    const director = new TestDirector([
      virtualServer("10.0.0.1", 80, servers(8), { quorum: 5, hysteresis: 2, quorumUp: "/bin/qup", quorumDown: "/bin/qdown" }),
    ]).start();
    expect(director.messages()).toContain(`Gained quorum 5+2=7 <= 8 for VS ${VS_NAME}`);
    expect(director.notifies()).toEqual([`/bin/qup|VS ${VS_NAME} UP`]);
    for (const n of [2, 3, 4, 5, 6]) {
      director.report(`10.0.0.${n}:80`, "tcp", { up: false });
      expect(director.events().filter((e) => e.startsWith("quorum"))).toEqual([]);
    }
    // Live weight 3 = quorum - hysteresis: still up; 2 is below it.
    director.report("10.0.0.7:80", "tcp", { up: false });
    expect(director.events()).toEqual(["real-server-down check 10.0.0.7:80", "quorum-lost check"]);
    expect(director.messages()[1]).toBe(`Lost quorum 5-2=3 > 2 for VS ${VS_NAME}`);
    expect(director.notifies()).toEqual([`-|RS [10.0.0.7]:tcp:80 ${VS_NAME} DOWN`, `/bin/qdown|VS ${VS_NAME} DOWN`]);
    for (const n of [2, 3, 4, 5]) {
      director.report(`10.0.0.${n}:80`, "tcp", { up: true });
      expect(director.events().filter((e) => e.startsWith("quorum"))).toEqual([]);
    }
    // Live weight 6 < 7 stays down; 7 comes up.
    director.report("10.0.0.6:80", "tcp", { up: true });
    expect(director.events()).toEqual(["real-server-up check 10.0.0.6:80", "quorum-gained check"]);
  });

  test("a quorum of 0 (every configured weight 0) is up while some weight is live (tandem; keepalived's hysteresis wraps and it never comes up)", () => {
    const director = new TestDirector([virtualServer("10.0.0.1", 80, servers(1, { weight: 0 }), { sorryServer: sorry })]).start();
    expect(director.virtualServers[0]!.quorum).toBe(0);
    expect(director.events()).toEqual(["real-server-up start 10.0.0.2:80", "quorum-lost start", "sorry-server-in quorum"]);
    director.report("10.0.0.2:80", "tcp", { up: true, dynamicWeight: 3 });
    expect(director.events()).toEqual(["real-server-reweighted check 10.0.0.2:80", "quorum-gained check", "sorry-server-out quorum"]);
    director.report("10.0.0.2:80", "tcp", { up: true, dynamicWeight: 3 });
    expect(director.events()).toEqual([]);
  });

  test("a weight change re-weighs the quorum (update_svr_wgt)", () => {
    const director = new TestDirector([virtualServer("10.0.0.1", 80, [checked("10.0.0.2", { weight: 5 })], { quorum: 5, quorumDown: "/bin/qdown" })]).start();
    director.report("10.0.0.2:80", "tcp", { up: true, dynamicWeight: 4 });
    expect(director.events()).toEqual(["real-server-reweighted check 10.0.0.2:80", "quorum-lost check"]);
    expect(director.messages()[0]).toBe(`Changing weight from 5 to 4 for active service [10.0.0.2]:tcp:80 of VS ${VS_NAME}`);
    expect(director.notifies()).toEqual([`/bin/qdown|VS ${VS_NAME} DOWN`]);
  });

  test("starting with the quorum down notifies only with a sorry server, which goes in (update_quorum_state with init)", () => {
    const plain = new TestDirector([virtualServer("10.0.0.1", 80, servers(2), { alpha: true, quorumDown: "/bin/qdown" })]).start();
    expect(plain.notifies()).toEqual([]);
    expect(plain.events()).toEqual(["real-server-down start 10.0.0.2:80", "real-server-down start 10.0.0.3:80"]);
    const withSorry = new TestDirector([virtualServer("10.0.0.1", 80, servers(2), { alpha: true, quorumDown: "/bin/qdown", sorryServer: sorry })]).start();
    expect(withSorry.events().slice(2)).toEqual(["quorum-lost start", "sorry-server-in quorum"]);
    expect(withSorry.messages().slice(2)).toEqual([
      `Starting with quorum down 1-0=1 > 0 for VS ${VS_NAME}`,
      `Adding sorry server [10.0.0.99]:tcp:80 to VS ${VS_NAME}`,
    ]);
    expect(withSorry.notifies()).toEqual([`/bin/qdown|VS ${VS_NAME} DOWN`]);
  });

  test("sorry server in and out with the quorum; an inhibited one is enabled and disabled (update_quorum_state)", () => {
    const director = new TestDirector([virtualServer("10.0.0.1", 80, servers(2), { quorum: 2, sorryServer: { ...sorry, inhibit: true } })]).start();
    director.report("10.0.0.2:80", "tcp", { up: false });
    expect(director.events()).toEqual(["real-server-down check 10.0.0.2:80", "quorum-lost check", "sorry-server-in quorum"]);
    expect(director.messages()[2]).toBe(`Enabling sorry server [10.0.0.99]:tcp:80 to VS ${VS_NAME}`);
    director.report("10.0.0.2:80", "tcp", { up: true });
    expect(director.events()).toEqual(["real-server-up check 10.0.0.2:80", "quorum-gained check", "sorry-server-out quorum"]);
    expect(director.messages()[2]).toBe(`Disabling sorry server [10.0.0.99]:tcp:80 from VS ${VS_NAME}`);
  });

  test("a drain takes the server's weight out of the quorum (tandem)", () => {
    const director = new TestDirector([virtualServer("10.0.0.1", 80, servers(2), { quorum: 2, quorumDown: "/bin/qdown" })]).start();
    director.drain("10.0.0.2:80", true);
    expect(director.events()).toEqual(["real-server-reweighted drain 10.0.0.2:80", "quorum-lost drain"]);
    expect(director.messages()[0]).toBe(`Draining service [10.0.0.2]:tcp:80 of VS ${VS_NAME} (weight 1 to 0)`);
    director.drain("10.0.0.2:80", false);
    expect(director.events()).toEqual(["real-server-reweighted drain 10.0.0.2:80", "quorum-gained drain"]);
  });
});

describe("notifies (do_rs_notifies, do_vs_notifies, notify_fifo_rs, notify_fifo_vs)", () => {
  test("notify arguments: the scripts run as configured, with no argument added; the FIFO gets keepalived's RS and VS lines", () => {
    const director = new TestDirector([
      virtualServer("10.0.0.1", 80, [checked("10.0.0.2", { notifyUp: "/usr/bin/rs-up web 'a b'", notifyDown: "/usr/bin/rs-down web" }), checked("10.0.0.3")], {
        quorum: 2,
        quorumUp: "/usr/bin/q up",
        quorumDown: "/usr/bin/q down",
      }),
    ]).start();
    director.report("10.0.0.2:80", "tcp", { up: false });
    expect(director.notifies()).toEqual([`/usr/bin/rs-down web|RS [10.0.0.2]:tcp:80 ${VS_NAME} DOWN`, `/usr/bin/q down|VS ${VS_NAME} DOWN`]);
    director.report("10.0.0.2:80", "tcp", { up: true });
    expect(director.notifies()).toEqual([`/usr/bin/rs-up web 'a b'|RS [10.0.0.2]:tcp:80 ${VS_NAME} UP`, `/usr/bin/q up|VS ${VS_NAME} UP`]);
  });

  test("the FIFO names a fwmark service FWM N and its servers' protocol none; a group [name]:N (format_vs, format_rs)", () => {
    const mark = new TestDirector([
      virtualServer("10.0.0.1", 0, [realServer("10.0.0.2", 0, { checkers: [{ id: "c" }] })], { key: { kind: "fwmark", fwmark: 7 } }),
    ]).start();
    mark.report("10.0.0.2:0", "c", { up: false });
    expect(mark.notifies()).toEqual(["-|RS [10.0.0.2]:none:0 FWM 7 DOWN", "-|VS FWM 7 DOWN"]);
  });

  test("rs_init_notifies: alive servers notify up at start (init_service_rs)", () => {
    const director = new TestDirector([virtualServer("10.0.0.1", 80, [checked("10.0.0.2", { notifyUp: "/bin/up" })])]).start(true);
    expect(director.notifies()).toEqual([`/bin/up|RS [10.0.0.2]:tcp:80 ${VS_NAME} UP`, `-|VS ${VS_NAME} UP`]);
    expect(new TestDirector([virtualServer("10.0.0.1", 80, [checked("10.0.0.2", { notifyUp: "/bin/up" })])]).start().notifies()).toEqual([
      `-|VS ${VS_NAME} UP`,
    ]);
  });

  test("inhibit_on_failure changes the words: Disabling/Enabling service ... of VS (perform_svr_state)", () => {
    const director = new TestDirector([virtualServer("10.0.0.1", 80, servers(2, { inhibitOnFailure: true }))]).start();
    director.report("10.0.0.2:80", "tcp", { up: false });
    expect(director.messages()).toEqual([`Disabling service [10.0.0.2]:tcp:80 of VS ${VS_NAME}`]);
    director.report("10.0.0.2:80", "tcp", { up: true });
    expect(director.messages()).toEqual([`Enabling service [10.0.0.2]:tcp:80 of VS ${VS_NAME}`]);
  });
});

describe("alpha (validate_check_config, update_svr_checker_state)", () => {
  test("alpha: a server starts down, its first failure notifies down once, its first success brings it up", () => {
    const director = new TestDirector([
      virtualServer("10.0.0.1", 80, [checked("10.0.0.2", { notifyDown: "/bin/down", notifyUp: "/bin/up" })], { alpha: true }),
    ]).start();
    expect(director.weights()).toEqual({});
    director.report("10.0.0.2:80", "tcp", { up: false });
    expect(director.notifies()).toEqual([`/bin/down|RS [10.0.0.2]:tcp:80 ${VS_NAME} DOWN`]);
    director.report("10.0.0.2:80", "tcp", { up: false });
    expect(director.notifies()).toEqual([]);
    director.report("10.0.0.2:80", "tcp", { up: true });
    expect(director.events()).toEqual(["real-server-up check 10.0.0.2:80", "quorum-gained check"]);
    expect(director.weights()).toEqual({ "10.0.0.2:80": 1 });
  });

  test("without alpha a first failure of a server already down notifies nothing", () => {
    const director = new TestDirector([
      virtualServer("10.0.0.1", 80, [realServer("10.0.0.2", 80, { notifyDown: "/bin/down", checkers: [{ id: "a" }, { id: "b" }] })]),
    ]).start();
    director.report("10.0.0.2:80", "a", { up: false });
    expect(director.notifies()).toContain(`/bin/down|RS [10.0.0.2]:tcp:80 ${VS_NAME} DOWN`);
    director.report("10.0.0.2:80", "b", { up: false });
    expect(director.effects).toEqual([]);
  });

  test("without alpha a first success changes nothing and notifies nothing", () => {
    const director = new TestDirector([virtualServer("10.0.0.1", 80, [checked("10.0.0.2", { notifyUp: "/bin/up" })])]).start();
    director.report("10.0.0.2:80", "tcp", { up: true });
    expect(director.effects).toEqual([]);
  });
});

describe("omega and stop (clear_services, clear_service_rs, update_vs_notifies)", () => {
  const plan = (omega: boolean): VirtualServerPlan[] => [
    virtualServer("10.0.0.1", 80, [checked("10.0.0.2", { notifyDown: "/bin/down" }), checked("10.0.0.3", { notifyDown: "/bin/down" })], {
      omega,
      quorumDown: "/bin/qdown",
    }),
  ];

  test("omega: on stop the alive servers' notify_down and the quorum_down run, each given a second", () => {
    const director = new TestDirector(plan(true)).start();
    director.report("10.0.0.3:80", "tcp", { up: false }).stop();
    expect(director.notifies()).toEqual([`/bin/down|RS [10.0.0.2]:tcp:80 ${VS_NAME} DOWN|stopping`, `/bin/qdown|VS ${VS_NAME} DOWN|stopping`]);
    expect(director.events()).toEqual(["real-server-removed stop 10.0.0.2:80", "real-server-removed stop 10.0.0.3:80", "quorum-lost stop"]);
    expect(director.messages()[0]).toBe(`Shutting down service [10.0.0.2]:tcp:80 from VS ${VS_NAME}`);
  });

  test("without omega nothing is notified on stop", () => {
    const director = new TestDirector(plan(false)).start().stop();
    expect(director.notifies()).toEqual([]);
    expect(director.state.phase).toBe("stopped");
  });

  test("omega's quorum_down runs even when the quorum was already down, as keepalived's update_vs_notifies does", () => {
    const director = new TestDirector(plan(true)).start();
    director.report("10.0.0.2:80", "tcp", { up: false }).report("10.0.0.3:80", "tcp", { up: false }).stop();
    expect(director.notifies()).toEqual([`/bin/qdown|VS ${VS_NAME} DOWN|stopping`]);
  });

  test("lvs_flush_on_stop skips the real servers' notifies but not the quorum's (clear_service_vs)", () => {
    const director = new TestDirector(plan(true)).start().stop("full");
    expect(director.notifies()).toEqual([`/bin/qdown|VS ${VS_NAME} DOWN|stopping`]);
  });

  test("after stop, inputs change nothing", () => {
    const director = new TestDirector(plan(true)).start().stop();
    director.report("10.0.0.2:80", "tcp", { up: false });
    expect(director.effects).toEqual([]);
  });
});

describe("reload (clear_diff_services, clear_diff_rs, clear_diff_s_srv, init_service_vs)", () => {
  const base = (rs: RealServerPlan[], more: Partial<VirtualServerPlan> = {}) => virtualServer("10.0.0.1", 80, rs, { quorumDown: "/bin/qdown", ...more });

  test("a removed real server that was alive notifies down with its old script; a new one comes in quietly", () => {
    const director = new TestDirector([base([checked("10.0.0.2", { notifyDown: "/bin/old-down" }), checked("10.0.0.3")])]).start();
    director.reload([base([checked("10.0.0.3"), checked("10.0.0.4", { notifyUp: "/bin/up" })])]);
    expect(director.events()).toEqual(["real-server-removed reload 10.0.0.2:80", "real-server-up reload 10.0.0.4:80"]);
    expect(director.notifies()).toEqual([`/bin/old-down|RS [10.0.0.2]:tcp:80 ${VS_NAME} DOWN`]);
    expect(director.weights()).toEqual({ "10.0.0.3:80": 1, "10.0.0.4:80": 1 });
  });

  test("kept servers keep their state: a failed one stays out without a notify", () => {
    const director = new TestDirector([base(servers(2))]).start();
    director.report("10.0.0.2:80", "tcp", { up: false }).reload([base(servers(2))]);
    expect(director.effects).toEqual([]);
    expect(director.weights()).toEqual({ "10.0.0.3:80": 1 });
  });

  test("a removed virtual server takes its quorum with it (clear_service_vs, update_vs_notifies)", () => {
    const director = new TestDirector([base(servers(1)), virtualServer("10.0.0.50", 80, servers(1))]).start();
    director.reload([virtualServer("10.0.0.50", 80, servers(1))]);
    expect(director.events()).toEqual(["real-server-removed reload 10.0.0.2:80", "quorum-lost reload", "virtual-server-removed reload"]);
    expect(director.notifies()).toEqual([`-|RS [10.0.0.2]:tcp:80 ${VS_NAME} DOWN`, `/bin/qdown|VS ${VS_NAME} DOWN`]);
    expect(director.table().table.services).toHaveLength(1);
  });

  test("a changed quorum setting is weighed at once; keepalived's words at init say 'Starting with quorum down'", () => {
    const director = new TestDirector([base(servers(3), { quorum: 2 })]).start();
    director.report("10.0.0.4:80", "tcp", { up: false });
    expect(director.events()).toEqual(["real-server-down check 10.0.0.4:80"]);
    director.reload([base(servers(3), { quorum: 3, hysteresis: 1 })]);
    expect(director.events()).toEqual([]);
    director.reload([base(servers(3), { quorum: 3 })]);
    expect(director.events()).toEqual(["quorum-lost reload"]);
    expect(director.messages()).toEqual([`Starting with quorum down 3-0=3 > 2 for VS ${VS_NAME}`]);
    expect(director.notifies()).toEqual([`/bin/qdown|VS ${VS_NAME} DOWN`]);
    director.reload([base(servers(3), { quorum: 2 })]);
    expect(director.events()).toEqual(["quorum-gained reload"]);
  });

  test("a sorry server replaced while in: the old goes out and the new one in (clear_diff_s_srv, init_service_vs)", () => {
    const director = new TestDirector([base(servers(1), { sorryServer: sorry })]).start();
    director.report("10.0.0.2:80", "tcp", { up: false });
    expect(director.weights()).toEqual({ "10.0.0.99:80": 1 });
    director.reload([base(servers(1), { sorryServer: { ...sorry, address: ip("10.0.0.98") } })]);
    expect(director.events()).toEqual(["sorry-server-out reload", "quorum-lost reload", "sorry-server-in quorum"]);
    expect(director.weights()).toEqual({ "10.0.0.98:80": 1 });
  });

  test("a new virtual server starts as at start (init_service_vs)", () => {
    const director = new TestDirector([base(servers(1))]).start();
    director.reload([base(servers(1)), virtualServer("10.0.0.70", 80, servers(1, { notifyUp: "/bin/up" }), { quorumUp: "/bin/qup" })], true);
    expect(director.events()).toEqual(["real-server-up reload 10.0.0.2:80", "quorum-gained reload"]);
    expect(director.notifies()).toEqual(["/bin/up|RS [10.0.0.2]:tcp:80 [10.0.0.70]:tcp:80 UP", "/bin/qup|VS [10.0.0.70]:tcp:80 UP"]);
  });
});

describe("purity", () => {
  const deepFreeze = <T>(value: T): T => {
    if (value && typeof value === "object") {
      for (const inner of Object.values(value)) deepFreeze(inner);
      Object.freeze(value);
    }
    return value;
  };

  test("step never changes the state, plans, health or intent it is given", () => {
    const director = new TestDirector([virtualServer("10.0.0.1", 80, servers(2), { quorum: 2, sorryServer: sorry })]).start();
    deepFreeze(director.state);
    deepFreeze(director.virtualServers);
    const before = JSON.stringify(director.state);
    director.report("10.0.0.2:80", "tcp", { up: false });
    director.drain("10.0.0.3:80", true);
    director.reload([virtualServer("10.0.0.1", 80, servers(1), { quorum: 1 })]);
    expect(director.events().length).toBeGreaterThan(0);
    director.stop();
    expect(JSON.stringify(deepFreeze(new TestDirector([virtualServer("10.0.0.1", 80, servers(2), { quorum: 2, sorryServer: sorry })]).start().state))).toBe(
      before,
    );
  });
});
