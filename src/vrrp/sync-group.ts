// vrrp_sync_group: members move together (keepalived vrrp_sync.c semantics).
// FAULT if any member has a fault of its own; BACKUP as soon as any member wants BACKUP
// (prefer backup to avoid thrashing); MASTER only when every member wants MASTER.
import type { VrrpState } from "./machine.ts";

export interface MemberView {
  name: string;
  state: VrrpState;
  wantState: "MASTER" | "BACKUP" | "FAULT";
  /** Faulted by its own trackers (not merely held in FAULT by the group). */
  ownFault: boolean;
}

export type GroupTarget = "MASTER" | "BACKUP" | "FAULT";

export interface SyncDecision {
  /** undefined while a member has not started yet or has stopped. */
  target: GroupTarget | undefined;
  forces: { name: string; state: GroupTarget }[];
}

export function decideSyncGroup(members: readonly MemberView[]): SyncDecision {
  if (members.some((m) => m.state === "INIT" || m.state === "STOP")) return { target: undefined, forces: [] };
  if (members.some((m) => m.ownFault)) {
    return { target: "FAULT", forces: members.filter((m) => m.state !== "FAULT").map((m) => ({ name: m.name, state: "FAULT" })) };
  }
  const held = members.filter((m) => m.state === "FAULT");
  if (held.length > 0) return { target: "BACKUP", forces: held.map((m) => ({ name: m.name, state: "BACKUP" })) };
  if (members.some((m) => m.wantState === "BACKUP")) {
    return { target: "BACKUP", forces: members.filter((m) => m.state === "MASTER").map((m) => ({ name: m.name, state: "BACKUP" })) };
  }
  return { target: "MASTER", forces: members.filter((m) => m.state !== "MASTER").map((m) => ({ name: m.name, state: "MASTER" })) };
}

/** The group's own state as shown to operators and passed to group notify scripts. */
export function groupState(members: readonly MemberView[]): VrrpState {
  if (members.some((m) => m.state === "INIT")) return "INIT";
  if (members.every((m) => m.state === "STOP")) return "STOP";
  if (members.some((m) => m.state === "FAULT")) return "FAULT";
  if (members.every((m) => m.state === "MASTER")) return "MASTER";
  return "BACKUP";
}

/** What the driver needs from a member instance. */
export interface SyncMember {
  readonly name: string;
  view(): MemberView;
  force(state: GroupTarget, detail: string): void;
}

/**
 * Applies decideSyncGroup after every member step. Forcing a member steps it, which
 * calls reconcile() again: the guard turns that recursion into a loop.
 */
export class SyncGroupDriver {
  private members: SyncMember[] = [];
  private reconciling = false;
  private again = false;
  private lastState: VrrpState;

  /** `initialState`: a group kept through a reload starts from its state, so it reports no transition. */
  constructor(
    readonly name: string,
    private readonly onGroupState: (from: VrrpState, to: VrrpState) => void,
    initialState: VrrpState = "INIT",
  ) {
    this.lastState = initialState;
  }

  add(member: SyncMember): void {
    this.members.push(member);
  }

  state(): VrrpState {
    return this.lastState;
  }

  memberNames(): string[] {
    return this.members.map((m) => m.name);
  }

  /**
   * keepalived vrrp_init_state: a new group none of whose members waits on a vrrp_script is
   * BACKUP (FAULT if one of them is faulted) before they start, and notifies that first.
   */
  announce(state: "BACKUP" | "FAULT"): void {
    if (this.lastState !== "INIT") return;
    this.lastState = state;
    this.onGroupState("INIT", state);
  }

  reconcile(): void {
    if (this.reconciling) {
      this.again = true;
      return;
    }
    this.reconciling = true;
    try {
      // Each pass forces members toward one target; a forced step can change the views,
      // so loop until a pass forces nothing. Bounded: a member cannot flap within one input.
      for (let pass = 0; pass < 8; pass++) {
        this.again = false;
        const views = this.members.map((m) => m.view());
        const decision = decideSyncGroup(views);
        for (const force of decision.forces) {
          const member = this.members.find((m) => m.name === force.name);
          const culprit = views.find((v) => (force.state === "FAULT" ? v.ownFault : force.state === "BACKUP" ? v.wantState === "BACKUP" : true));
          member?.force(
            force.state,
            `sync group ${this.name}: ${culprit && force.state !== "MASTER" ? `${culprit.name} is ${force.state}` : "all members want MASTER"}`,
          );
        }
        if (decision.forces.length === 0 && !this.again) break;
      }
    } finally {
      this.reconciling = false;
    }
    const now = groupState(this.members.map((m) => m.view()));
    // A group never goes back to INIT: one announced before its members started stays as it said.
    if (now !== this.lastState && now !== "INIT") {
      const from = this.lastState;
      this.lastState = now;
      this.onGroupState(from, now);
    }
  }
}
