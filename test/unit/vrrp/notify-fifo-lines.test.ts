// keepalived 2.2.7's VRRP notify FIFO lines, golden strings from vrrp/vrrp_notify.c
// notify_fifo ("%s \"%s\" %s %d\n"), and the states fifo_write_vrrp_states_on_reload writes
// (vrrp_scheduler.c vrrp_init_state), checked against keepalived itself in
// test/netns/notify-fifo.test.ts.
import { describe, expect, test } from "bun:test";
import { groupFifoLine, reloadStateLines, vrrpFifoLine } from "../../../src/vrrp/notify-fifo-lines.ts";

describe("vrrpFifoLine", () => {
  test('TYPE "NAME" STATE PRIORITY, the name quoted, the priority as a number', () => {
    expect(vrrpFifoLine("INSTANCE", "VI_1", "MASTER", 100)).toBe('INSTANCE "VI_1" MASTER 100');
    expect(vrrpFifoLine("INSTANCE", "VI_1", "BACKUP", 85)).toBe('INSTANCE "VI_1" BACKUP 85');
    expect(vrrpFifoLine("INSTANCE", "web-vip", "FAULT", 1)).toBe('INSTANCE "web-vip" FAULT 1');
    expect(vrrpFifoLine("INSTANCE", "VI_1", "STOP", 255)).toBe('INSTANCE "VI_1" STOP 255');
    expect(vrrpFifoLine("INSTANCE", "VI_1", "DELETED", 90)).toBe('INSTANCE "VI_1" DELETED 90');
  });

  test("the events that are not states: MASTER_RX_LOWER_PRI, MASTER_PRIORITY, BACKUP_PRIORITY", () => {
    expect(vrrpFifoLine("INSTANCE", "VI_1", "MASTER_RX_LOWER_PRI", 100)).toBe('INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100');
    expect(vrrpFifoLine("INSTANCE", "VI_1", "MASTER_PRIORITY", 85)).toBe('INSTANCE "VI_1" MASTER_PRIORITY 85');
    expect(vrrpFifoLine("INSTANCE", "VI_1", "BACKUP_PRIORITY", 90)).toBe('INSTANCE "VI_1" BACKUP_PRIORITY 90');
  });

  test("a sync group is written with priority 0 (notify_group_fifo)", () => {
    expect(groupFifoLine("G1", "BACKUP")).toBe('GROUP "G1" BACKUP 0');
    expect(groupFifoLine("G1", "STOP")).toBe('GROUP "G1" STOP 0');
  });
});

describe("reloadStateLines (fifo_write_vrrp_states_on_reload)", () => {
  test("the groups first, whatever their state; then the instances that are not master", () => {
    const groups = [
      { name: "G1", state: "MASTER", priority: 0 },
      { name: "G2", state: "FAULT", priority: 0 },
    ];
    const instances = [
      { name: "VI_1", state: "MASTER", priority: 100 },
      { name: "VI_2", state: "BACKUP", priority: 90 },
      { name: "VI_3", state: "FAULT", priority: 90 },
      { name: "VI_4", state: "INIT", priority: 90 },
    ];
    expect(reloadStateLines(groups, instances)).toEqual(['GROUP "G1" MASTER 0', 'GROUP "G2" FAULT 0', 'INSTANCE "VI_2" BACKUP 90', 'INSTANCE "VI_3" FAULT 90']);
  });

  test("nothing kept, nothing written", () => {
    expect(reloadStateLines([], [])).toEqual([]);
  });
});
