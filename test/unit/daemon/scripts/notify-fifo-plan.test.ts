// Which notify FIFOs each process opens and which script each runs, keepalived 2.2.7's rules
// (core/global_data.c init_global_data, vrrp/vrrp.c vrrp_complete_init), with its log lines.
import { describe, expect, test } from "bun:test";
import { planNotifyFifos } from "../../../../src/daemon/scripts/notify-fifo-plan.ts";

const all = {
  notifyFifo: "/run/notify.fifo",
  notifyFifoScript: "/usr/local/bin/read global",
  vrrpNotifyFifo: "/run/vrrp.fifo",
  vrrpNotifyFifoScript: "/usr/local/bin/read vrrp",
  lvsNotifyFifo: "/run/lvs.fifo",
  lvsNotifyFifoScript: "/usr/local/bin/read lvs",
};

describe("planNotifyFifos", () => {
  test("nothing configured: no FIFO", () => {
    expect(planNotifyFifos({}, "vrrp", false)).toEqual({ fifos: [], notes: [] });
    expect(planNotifyFifos({}, "director", true)).toEqual({ fifos: [], notes: [] });
  });

  test("each process opens the global FIFO first, then its own; the director runs the global script when it runs", () => {
    expect(planNotifyFifos(all, "director", true).fifos).toEqual([
      { keyword: "notify_fifo", path: "/run/notify.fifo", script: "/usr/local/bin/read global" },
      { keyword: "lvs_notify_fifo", path: "/run/lvs.fifo", script: "/usr/local/bin/read lvs" },
    ]);
    expect(planNotifyFifos(all, "vrrp", true).fifos).toEqual([
      { keyword: "notify_fifo", path: "/run/notify.fifo" },
      { keyword: "vrrp_notify_fifo", path: "/run/vrrp.fifo", script: "/usr/local/bin/read vrrp" },
    ]);
  });

  test("with no director (no virtual_server, or -P) the VRRP engine runs notify_fifo_script", () => {
    expect(planNotifyFifos(all, "vrrp", false).fifos[0]).toEqual({ keyword: "notify_fifo", path: "/run/notify.fifo", script: "/usr/local/bin/read global" });
  });

  test("notify_fifo on vrrp_notify_fifo's path: the VRRP process drops vrrp_notify_fifo and its script", () => {
    const plan = planNotifyFifos({ ...all, vrrpNotifyFifo: all.notifyFifo }, "vrrp", false);
    expect(plan.fifos).toEqual([{ keyword: "notify_fifo", path: "/run/notify.fifo", script: "/usr/local/bin/read global" }]);
    expect(plan.notes).toEqual(["notify FIFO /run/notify.fifo has been specified for global and vrrp FIFO - ignoring vrrp FIFO"]);
  });

  test("notify_fifo on lvs_notify_fifo's path: the director drops lvs_notify_fifo and its script", () => {
    const plan = planNotifyFifos({ ...all, lvsNotifyFifo: all.notifyFifo }, "director", true);
    expect(plan.fifos).toEqual([{ keyword: "notify_fifo", path: "/run/notify.fifo", script: "/usr/local/bin/read global" }]);
    expect(plan.notes).toEqual(["notify FIFO /run/notify.fifo has been specified for global and LVS FIFO - ignoring LVS FIFO"]);
  });

  test("lvs_ and vrrp_notify_fifo on one path, both with a script: VRRP's runs, the LVS one is dropped; both write", () => {
    const shared = { ...all, lvsNotifyFifo: all.vrrpNotifyFifo };
    const director = planNotifyFifos(shared, "director", true);
    expect(director.fifos[1]).toEqual({ keyword: "lvs_notify_fifo", path: "/run/vrrp.fifo" });
    expect(director.notes).toEqual(["LVS notify FIFO and vrrp FIFO are the same both with scripts - ignoring LVS FIFO script"]);
    expect(planNotifyFifos(shared, "vrrp", true).fifos[1]).toEqual({ keyword: "vrrp_notify_fifo", path: "/run/vrrp.fifo", script: "/usr/local/bin/read vrrp" });
    // Only the LVS one has a script: it keeps it.
    const { vrrpNotifyFifoScript: _, ...lvsScriptOnly } = shared;
    expect(planNotifyFifos(lvsScriptOnly, "director", true).fifos[1]).toEqual({
      keyword: "lvs_notify_fifo",
      path: "/run/vrrp.fifo",
      script: "/usr/local/bin/read lvs",
    });
  });

  test("a script without its FIFO runs nothing", () => {
    expect(planNotifyFifos({ vrrpNotifyFifoScript: "/usr/local/bin/read vrrp", notifyFifoScript: "/x" }, "vrrp", false).fifos).toEqual([]);
  });
});
