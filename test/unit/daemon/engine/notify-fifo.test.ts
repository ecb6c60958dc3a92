// The VRRP engine's notify FIFOs (notify_fifo, vrrp_notify_fifo) on the fake LAN: keepalived
// 2.2.7's lines (vrrp/vrrp_notify.c notify_fifo) for every instance and sync group change,
// after the notify scripts are started; a group's line after its members'; at a stop the
// readers told first (SIGTERM), then the STOP lines, then the FIFOs closed; at a reload closed
// and opened again before the DELETED / FAULT of a removed instance and, with
// fifo_write_vrrp_states_on_reload, the states kept; MASTER_RX_LOWER_PRI when a master hears
// a lower priority; who runs notify_fifo_script; one FIFO for two keywords on one path.
import { describe, expect, test } from "bun:test";
import { BoxLan } from "../../support/fake-box/box-lan.ts";
import { vrrpInstance } from "../../support/fake-box/keepalived-text.ts";
import { classicPair, VIP } from "./support/pair.ts";

const NOTIFY_FIFO = "/run/tandem/notify.fifo";
const VRRP_FIFO = "/run/tandem/vrrp.fifo";

function globalDefs(extra: string[] = []): string {
  return ["global_defs {", `  notify_fifo ${NOTIFY_FIFO}`, `  vrrp_notify_fifo ${VRRP_FIFO}`, ...extra.map((l) => `  ${l}`), "}", ""].join("\n");
}

const VIP2 = "10.99.0.102";
const grouped = (priority: number, state: "MASTER" | "BACKUP" = "BACKUP") =>
  ["vrrp_sync_group G1 {", "  group {", "    VI_1", "    VI_2", "  }", "}", ""].join("\n") +
  vrrpInstance({ name: "VI_1", vrid: 51, priority, state }) +
  vrrpInstance({ name: "VI_2", vrid: 52, priority, state, vips: [`${VIP2}/24`] });

describe("the engine's notify FIFOs", () => {
  test("a backup through a failover: BACKUP at start, MASTER when A dies, BACKUP when it is back, STOP at the end; both FIFOs alike", async () => {
    const { lan, a, b } = classicPair({ bPrefix: globalDefs() });
    await lan.runFor(5_000);
    a.crash();
    await lan.runFor(5_000);
    expect(b.state("VI_1")).toBe("MASTER");
    a.start();
    await lan.runFor(5_000);
    expect(lan.holders(VIP)).toEqual(["A"]);
    b.stop();
    await lan.runFor(3_000);
    const lines = ['INSTANCE "VI_1" BACKUP 90', 'INSTANCE "VI_1" MASTER 90', 'INSTANCE "VI_1" BACKUP 90', 'INSTANCE "VI_1" STOP 90'];
    expect(b.fifos.lines(VRRP_FIFO)).toEqual(lines);
    expect(b.fifos.lines(NOTIFY_FIFO)).toEqual(lines);
    // keepalived vrrp_terminate_phase1: script_killall before notify_shutdown; the FIFOs close last.
    expect(b.fifos.story(VRRP_FIFO)).toEqual(["open", ...lines.slice(0, 3), "terminate", lines[3]!, "close"]);
    // The global FIFO first, as notify_fifo_open does.
    expect(b.fifos.records.filter((r) => r.kind === "open").map((r) => r.path)).toEqual([NOTIFY_FIFO, VRRP_FIFO]);
  });

  test("the priority written is the effective one: 100 - 15 while a tracked script fails", async () => {
    const { lan, a } = classicPair({
      aPrefix: globalDefs() + ["vrrp_script chk {", '  script "/etc/keepalived/check.sh"', "  interval 1", "  weight -15", "}", ""].join("\n"),
      a: { extra: ["track_script {", "  chk", "}"] },
      setup: (a) => a.programs.set("/etc/keepalived/check.sh"),
    });
    await lan.runFor(5_000);
    a.programs.exitWith("/etc/keepalived/check.sh", 1);
    await lan.runFor(5_000);
    expect(lan.holders(VIP)).toEqual(["B"]);
    expect(a.fifos.lines(VRRP_FIFO)).toEqual(['INSTANCE "VI_1" BACKUP 100', 'INSTANCE "VI_1" MASTER 100', 'INSTANCE "VI_1" BACKUP 85']);
  });

  // keepalived forks the scripts and then writes the line; tandem queues them (each instance's
  // run in order, spawned a microtask later) and then writes the line, in the same step.
  test("each line is written in the step that queues its notify scripts, and carries the generic script's four words", async () => {
    const scripts = ['notify_master "/etc/keepalived/master.sh"', 'notify "/etc/keepalived/notify.sh"'];
    const { lan, a } = classicPair({
      aPrefix: globalDefs(),
      a: { extra: scripts },
      setup: (a) => {
        a.programs.set("/etc/keepalived/master.sh");
        a.programs.set("/etc/keepalived/notify.sh");
      },
    });
    await lan.runFor(5_000);
    const master = a.fifos.records.find((r) => r.kind === "line" && r.path === VRRP_FIFO && r.line === 'INSTANCE "VI_1" MASTER 100');
    // Written when the BACKUP run had started and before the master script's (the next microtask).
    expect(master?.kind === "line" && master.programRuns).toBe(a.programs.runs.findIndex((r) => r.argv[0] === "/etc/keepalived/master.sh"));
    expect(a.programs.runsOf("/etc/keepalived/master.sh")).toHaveLength(1);
    // The generic script hears the same four words the line carries.
    expect(a.programs.runsOf("/etc/keepalived/notify.sh").map((r) => r.argv.slice(1).join(" "))).toEqual([
      "INSTANCE VI_1 BACKUP 100",
      "INSTANCE VI_1 MASTER 100",
    ]);
  });

  test('a sync group: GROUP "G1" BACKUP 0 before its members start, a group MASTER after every member\'s MASTER, one GROUP STOP after them all', async () => {
    const lan = new BoxLan();
    const a = lan.box("A", "10.99.0.11/24", grouped(100, "MASTER"));
    const b = lan.box("B", "10.99.0.12/24", globalDefs() + grouped(90));
    a.start();
    b.start();
    await lan.runFor(5_000);
    a.crash();
    await lan.runFor(5_000);
    expect([b.state("VI_1"), b.state("VI_2")]).toEqual(["MASTER", "MASTER"]);
    b.stop();
    await lan.runFor(3_000);
    expect(b.fifos.lines(VRRP_FIFO)).toEqual([
      // keepalived vrrp_init_state: a group that waits on no script is BACKUP before its members.
      'GROUP "G1" BACKUP 0',
      'INSTANCE "VI_1" BACKUP 90',
      'INSTANCE "VI_2" BACKUP 90',
      'INSTANCE "VI_1" MASTER 90',
      'INSTANCE "VI_2" MASTER 90',
      'GROUP "G1" MASTER 0',
      // notify_shutdown: every instance's STOP, then the group's (no BACKUP as its members stop one by one).
      'INSTANCE "VI_1" STOP 90',
      'INSTANCE "VI_2" STOP 90',
      'GROUP "G1" STOP 0',
    ]);
    expect(b.events("group.transition").map((e) => `${e.data.from}->${e.data.to}`)).toEqual(["INIT->BACKUP", "BACKUP->MASTER", "MASTER->STOP"]);
  });

  test("a sync group tracking a script says its members' states first, as keepalived once the script has reported", async () => {
    const lan = new BoxLan();
    const chk = ["vrrp_script chk {", '  script "/etc/keepalived/check.sh"', "  interval 1", "}", ""].join("\n");
    const text = globalDefs() + chk + grouped(90).replace("  priority 90\n", "  priority 90\n  track_script {\n    chk\n  }\n");
    const b = lan.box("B", "10.99.0.12/24", text);
    b.programs.set("/etc/keepalived/check.sh");
    b.start();
    await lan.runFor(1_000);
    expect(b.fifos.lines(VRRP_FIFO).slice(0, 3)).toEqual(['INSTANCE "VI_1" BACKUP 90', 'INSTANCE "VI_2" BACKUP 90', 'GROUP "G1" BACKUP 0']);
  });

  test("a master that hears a lower priority (a split brain heals) writes MASTER_RX_LOWER_PRI with its own priority", async () => {
    const { lan, a, b } = classicPair({ aPrefix: globalDefs() });
    await lan.runFor(5_000);
    lan.wire.cut("A", "B");
    await lan.runFor(5_000);
    expect(lan.holders(VIP).sort()).toEqual(["A", "B"]);
    lan.wire.heal();
    await lan.runFor(3_000);
    expect(lan.holders(VIP)).toEqual(["A"]);
    expect(a.fifos.lines(VRRP_FIFO)).toContain('INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100');
    expect(b.state("VI_1")).toBe("BACKUP");
  });
});

describe("the engine's notify FIFOs at a reload", () => {
  const two = (prefix: string, priority: number, extra: string[] = []) =>
    prefix +
    vrrpInstance({ name: "VI_1", vrid: 51, priority, state: "MASTER" }) +
    vrrpInstance({ name: "VI_2", vrid: 52, priority, vips: [`${VIP2}/24`], extra });

  test("closed and opened again, then a removed instance's FAULT (DELETED with notify_deleted); nothing for one kept", async () => {
    const lan = new BoxLan();
    const a = lan.box("A", "10.99.0.11/24", two(globalDefs(), 100));
    a.start();
    await lan.runFor(5_000);
    a.reload(globalDefs() + vrrpInstance({ name: "VI_1", vrid: 51, priority: 100, state: "MASTER" }));
    await lan.runFor(1_000);
    // close() stops the reader (SIGTERM) first; then the new configuration's FIFO, then the removal.
    expect(a.fifos.story(VRRP_FIFO).slice(-4)).toEqual(['INSTANCE "VI_2" MASTER 100', "close", "open", 'INSTANCE "VI_2" FAULT 100']);
    a.reload(two(globalDefs(), 100, ["notify_deleted"]));
    await lan.runFor(5_000);
    a.reload(globalDefs() + vrrpInstance({ name: "VI_1", vrid: 51, priority: 100, state: "MASTER" }));
    await lan.runFor(1_000);
    expect(a.fifos.lines(VRRP_FIFO).at(-1)).toBe('INSTANCE "VI_2" DELETED 100');
  });

  test("fifo_write_vrrp_states_on_reload: the kept groups' states and the kept instances' that are not master (vrrp_init_state)", async () => {
    const lan = new BoxLan();
    const option = globalDefs(["fifo_write_vrrp_states_on_reload"]);
    const a = lan.box("A", "10.99.0.11/24", option + grouped(100, "MASTER"));
    const b = lan.box("B", "10.99.0.12/24", option + grouped(90));
    a.start();
    b.start();
    await lan.runFor(5_000);
    const before = { a: a.fifos.lines(VRRP_FIFO).length, b: b.fifos.lines(VRRP_FIFO).length };
    a.reload(option + grouped(100, "MASTER"));
    b.reload(option + grouped(90));
    await lan.runFor(2_000);
    expect(a.fifos.lines(VRRP_FIFO).slice(before.a)).toEqual(['GROUP "G1" MASTER 0']);
    expect(b.fifos.lines(VRRP_FIFO).slice(before.b)).toEqual(['GROUP "G1" BACKUP 0', 'INSTANCE "VI_1" BACKUP 90', 'INSTANCE "VI_2" BACKUP 90']);
    expect(b.fifos.lines(NOTIFY_FIFO).slice(before.b)).toEqual(b.fifos.lines(VRRP_FIFO).slice(before.b));
  });

  test("without fifo_write_vrrp_states_on_reload a reload that changes nothing writes nothing", async () => {
    const { lan, b } = classicPair({ bPrefix: globalDefs() });
    await lan.runFor(5_000);
    const before = b.fifos.lines(VRRP_FIFO);
    b.reload(globalDefs() + vrrpInstance({ priority: 90 }));
    await lan.runFor(2_000);
    expect(b.fifos.lines(VRRP_FIFO)).toEqual(before);
  });
});

describe("who runs notify_fifo_script, and one path for two FIFOs", () => {
  const VS = ["virtual_server 10.0.0.1 80 {", "  protocol TCP", "  real_server 10.0.1.2 80 {", "  }", "}", ""].join("\n");
  const scripts = ['notify_fifo_script "/etc/keepalived/read-fifo global"', 'vrrp_notify_fifo_script "/etc/keepalived/read-fifo vrrp"'];

  const opens = (text: string, directorEnabled: boolean) => {
    // The supervisor's rule: a director runs for virtual servers, unless -P.
    const directorRuns = directorEnabled && text.includes("virtual_server");
    const lan = new BoxLan();
    const a = lan.box("A", "10.99.0.11/24", text);
    a.programs.set("/etc/keepalived/read-fifo");
    a.start(undefined, { directorRuns });
    return a.fifos.records.filter((r) => r.kind === "open").map((r) => (r.kind === "open" ? `${r.keyword} ${r.path} ${r.script?.join(" ") ?? "-"}` : ""));
  };

  test("the director runs notify_fifo_script when it runs (virtual servers, no -P); the engine runs its own script always", () => {
    const text = globalDefs(scripts) + vrrpInstance({ priority: 100 });
    expect(opens(text + VS, true)).toEqual([`notify_fifo ${NOTIFY_FIFO} -`, `vrrp_notify_fifo ${VRRP_FIFO} /etc/keepalived/read-fifo vrrp`]);
    expect(opens(text + VS, false)).toEqual([
      `notify_fifo ${NOTIFY_FIFO} /etc/keepalived/read-fifo global`,
      `vrrp_notify_fifo ${VRRP_FIFO} /etc/keepalived/read-fifo vrrp`,
    ]);
    expect(opens(text, true)).toEqual([
      `notify_fifo ${NOTIFY_FIFO} /etc/keepalived/read-fifo global`,
      `vrrp_notify_fifo ${VRRP_FIFO} /etc/keepalived/read-fifo vrrp`,
    ]);
  });

  test("notify_fifo and vrrp_notify_fifo on one path: one FIFO, each line once, and keepalived's note", async () => {
    const lan = new BoxLan();
    const text =
      ["global_defs {", `  notify_fifo ${NOTIFY_FIFO}`, `  vrrp_notify_fifo ${NOTIFY_FIFO}`, "}", ""].join("\n") +
      vrrpInstance({ priority: 100, state: "MASTER" });
    const a = lan.box("A", "10.99.0.11/24", text);
    a.start();
    await lan.runFor(5_000);
    expect(a.fifos.records.filter((r) => r.kind === "open")).toHaveLength(1);
    expect(a.fifos.lines(NOTIFY_FIFO)).toEqual(['INSTANCE "VI_1" BACKUP 100', 'INSTANCE "VI_1" MASTER 100']);
    expect(a.logger.lines.some((l) => l.includes(`notify FIFO ${NOTIFY_FIFO} has been specified for global and vrrp FIFO - ignoring vrrp FIFO`))).toBe(true);
  });
});
