// The VRRP state machine's data: its configuration, its state, the inputs it takes and
// the effects it asks for (RFC 5798 section 6). The logic is in machine.ts.
import type { VrrpVersion } from "./advert.ts";

export type VrrpState = "INIT" | "BACKUP" | "MASTER" | "FAULT" | "STOP";

export interface MachineConfig {
  name: string;
  version: VrrpVersion;
  vrid: number;
  /** Configured priority; 255 makes this router the address owner. */
  basePriority: number;
  advertIntervalCs: number;
  /** keepalived `state`: MASTER only shortens the first wait (one advert interval). */
  initialState: "MASTER" | "BACKUP";
  preempt: boolean;
  preemptDelayMs: number;
  /**
   * Tandem extension: a Backup that outranks the master it hears takes over at once
   * instead of discarding the advert and waiting out Master_Down_Interval.
   */
  fastPreempt: boolean;
  /** Our advert source address: ties between equal priorities go to the higher address. */
  primaryIp: number;
  /** Member of a sync group: becoming MASTER needs the group's consent (sync-group.ts). */
  inSyncGroup: boolean;
}

/** The router we accept as master while we are Backup. */
export interface HeardMaster {
  ip: number;
  priority: number;
  advertIntervalCs: number;
  lastHeardMs: number;
}

export interface Machine {
  readonly config: MachineConfig;
  readonly state: VrrpState;
  /** The state this router would take on its own; a sync group may hold it elsewhere. */
  readonly wantState: "MASTER" | "BACKUP" | "FAULT";
  readonly effectivePriority: number;
  /** v3 learns the master's interval (RFC 5798 6.4.2); v2 always uses its own. */
  readonly masterAdvertIntervalCs: number;
  /** MASTER: when the next advert is due. BACKUP: when the master is declared down. */
  readonly timerAtMs: number | undefined;
  /** preempt_delay: when a lower-priority master may be preempted. */
  readonly preemptAtMs: number | undefined;
  readonly heardMaster: HeardMaster | undefined;
  /** Fault reasons of our own trackers and interfaces. */
  readonly faultReasons: readonly string[];
  /** Held in FAULT by the sync group because another member is faulted. */
  readonly forcedFault: boolean;
  readonly stateSinceMs: number;
  /** Last time we announced (became master or re-sent ARPs on hearing another master). */
  readonly lastReannounceMs: number | undefined;
  /**
   * Held at start (keepalived's vrrp_startup_delay, tandem's director-ready gate): until then
   * the machine does not become master, and a Backup's down timer runs from this time.
   */
  readonly holdUntilMs: number | undefined;
}

export type TransitionCause =
  | "startup"
  | "address-owner"
  | "master-down-timer"
  | "priority-zero-advert"
  | "preempt-lower-priority-advert"
  | "preempt-delay-expired"
  | "priority-raised"
  | "higher-priority-advert"
  | "fault"
  | "fault-cleared"
  | "sync-group"
  | "shutdown";

export interface TransitionReason {
  cause: TransitionCause;
  detail: string;
  peer?: { ip: number; priority: number };
  /** When we last heard the master we replaced (for takeover-time measurements). */
  lastAdvertHeardMs?: number;
  /** master-down-timer with a master heard: how long it was silent, and in adverts at its interval. */
  silentMs?: number;
  advertsMissed?: number;
}

export type Input =
  | { kind: "start" }
  | { kind: "advert"; sourceIp: number; priority: number; advertIntervalCs: number }
  | { kind: "timer" }
  | { kind: "priority"; effectivePriority: number }
  | { kind: "fault"; reasons: readonly string[] }
  | { kind: "force"; state: "MASTER" | "BACKUP" | "FAULT"; detail: string }
  /** The hold ends at another time (the director gate released it early); undefined: now. */
  | { kind: "hold"; untilMs: number | undefined }
  | { kind: "shutdown" };

export type Effect =
  | { kind: "sendAdvert"; priority: number }
  | { kind: "addVips" }
  | { kind: "removeVips" }
  /** Start the gratuitous ARP schedule for our VIPs. */
  | { kind: "announce"; why: string }
  | { kind: "transition"; from: VrrpState; to: VrrpState; reason: TransitionReason }
  /** In a sync group: this member's timer says MASTER; the group decides. */
  | { kind: "wantMaster" }
  | { kind: "note"; level: "info" | "warn"; message: string }
  /** Another router advertises as master while we are master: a split brain (healing). */
  | { kind: "otherMaster"; sourceIp: number; priority: number }
  | { kind: "priorityChanged"; from: number; to: number };

export interface StepResult {
  machine: Machine;
  effects: Effect[];
}
