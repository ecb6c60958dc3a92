// keepalived 2.2.7's VRRP notify FIFO lines (vrrp/vrrp_notify.c notify_fifo): `INSTANCE "VI_1"
// MASTER 100`, `GROUP "G1" BACKUP 0`, as scripts written for keepalived parse them, and which
// states a reload writes with fifo_write_vrrp_states_on_reload (vrrp_scheduler.c
// vrrp_init_state). Pure.

export type FifoSubject = "INSTANCE" | "GROUP";

/**
 * An instance's or group's state; MASTER_RX_LOWER_PRI when a master hears a lower priority
 * (send_event_notify), MASTER_PRIORITY / BACKUP_PRIORITY for notify_priority_changes.
 */
export type FifoState = "MASTER" | "BACKUP" | "FAULT" | "STOP" | "DELETED" | "MASTER_RX_LOWER_PRI" | "MASTER_PRIORITY" | "BACKUP_PRIORITY";

/** snprintf(line, size, "%s \"%s\" %s %d\n", type, name, state, priority): the newline is the writer's. */
export function vrrpFifoLine(subject: FifoSubject, name: string, state: FifoState, priority: number): string {
  return `${subject} "${name}" ${state} ${priority}`;
}

/** keepalived prints 0 for a sync group (notify_group_fifo). */
export function groupFifoLine(name: string, state: FifoState): string {
  return vrrpFifoLine("GROUP", name, state, 0);
}

export interface KeptState {
  name: string;
  state: string;
  priority: number;
}

/**
 * fifo_write_vrrp_states_on_reload: the lines of what a reload kept and did not notify, the
 * groups first. A group writes its state whatever it is; an instance only when it is not
 * master: vrrp_init_state keeps a reloaded master through its reload_master branch, which
 * writes nothing.
 */
export function reloadStateLines(groups: readonly KeptState[], instances: readonly KeptState[]): string[] {
  const shown = (state: string): state is "MASTER" | "BACKUP" | "FAULT" => state === "MASTER" || state === "BACKUP" || state === "FAULT";
  return [
    ...groups.flatMap((g) => (shown(g.state) ? [groupFifoLine(g.name, g.state)] : [])),
    ...instances.flatMap((i) => (shown(i.state) && i.state !== "MASTER" ? [vrrpFifoLine("INSTANCE", i.name, i.state, i.priority)] : [])),
  ];
}
