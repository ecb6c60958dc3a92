// The quorum machine's data (quorum-machine.ts): the director's memory of each virtual server
// (its quorum, which has hysteresis, and what it last saw of each real server), the inputs
// it steps on, the operator's intent, and the effects it asks for (scripts, history). Pure.
import type { HealthTable } from "./real-server-health.ts";
import type { ResolvedVirtualServer } from "./resolved-plan.ts";

/** The operator's intent for the director: real servers drained through the API. */
export interface DirectorIntent {
  drained: readonly { virtualServer: string; realServer: string }[];
}

export const NO_INTENT: DirectorIntent = Object.freeze({ drained: [] });

/** Each virtual server's drained real servers as one text ("" or absent: none): cheap to compare between two intents. */
export function drainedByVirtualServer(intent: DirectorIntent): Map<string, string> {
  const byVs = new Map<string, string[]>();
  for (const d of intent.drained) byVs.set(d.virtualServer, [...(byVs.get(d.virtualServer) ?? []), d.realServer]);
  return new Map([...byVs].map(([vs, servers]) => [vs, servers.sort().join("\n")]));
}

/** The drained real servers as "virtual server id|real server id" keys. */
export function drainedKeys(intent: DirectorIntent): Set<string> {
  return new Set(intent.drained.map((d) => operatorDrainKey(d.virtualServer, d.realServer)));
}

/** "virtual server id|real server id": a real server the operator drained, as the intent names it (drain.ts keys kernel destinations). */
export function operatorDrainKey(virtualServer: string, realServer: string): string {
  return `${virtualServer}|${realServer}`;
}

export interface RealServerMemory {
  alive: boolean;
  /** real_weight of the effective weight, drain aside. */
  weight: number;
  drained: boolean;
  /** Checkers that have given a verdict: an alpha checker's first failure is notified once. */
  checkersRun: readonly string[];
}

export interface VirtualServerMemory {
  /** keepalived's quorum_state_up. */
  quorumUp: boolean;
  /** The sorry server in the pool (its "address:port"), in place of the real servers; set when the quorum goes down. */
  sorryServerIn?: string;
  realServers: Readonly<Record<string, RealServerMemory>>;
}

export interface DirectorState {
  phase: "idle" | "running" | "stopped";
  virtualServers: Readonly<Record<string, VirtualServerMemory>>;
}

export const IDLE_DIRECTOR: DirectorState = Object.freeze({ phase: "idle", virtualServers: {} });

/** What every input carries: the plans in force, the checkers' health, the operator's intent. */
export interface DirectorView {
  virtualServers: readonly ResolvedVirtualServer[];
  health: HealthTable;
  intent: DirectorIntent;
}

export type DirectorInput =
  /** init_services: `rsInitNotifies` is global_defs rs_init_notifies. */
  | ({ kind: "start"; rsInitNotifies?: boolean } & DirectorView)
  /** A checker verdict or a drain changed something (the daemon steps after each). */
  /**
   * A checker's verdict or the operator's drains changed. With `previous` (the health and intent
   * of the step before), a virtual server whose health entry is the same object and whose
   * drained servers are the same keeps its memory as it is.
   */
  | ({ kind: "health"; previous?: { health: HealthTable; intent: DirectorIntent } } & DirectorView)
  /**
   * clear_diff_services + init_services: the plans before the reload name what went away. A
   * virtual server the reload left as it was (the same object in both, with the same health
   * entry as `previousHealth`) keeps its memory as it is: nothing about it changed.
   */
  | ({ kind: "reload"; previous: readonly ResolvedVirtualServer[]; previousHealth?: HealthTable; rsInitNotifies?: boolean } & DirectorView)
  /** clear_services on shutdown; lvs_flush_on_stop other than "none" skips the real servers' notifies, as keepalived does. */
  | ({ kind: "stop"; lvsFlushOnStop?: "none" | "vs" | "full" } & DirectorView);

export type ChangeCause = "start" | "check" | "reload" | "drain" | "quorum" | "stop";

export type DirectorEvent =
  | "real-server-up"
  | "real-server-down"
  | "real-server-reweighted"
  | "real-server-removed"
  | "quorum-gained"
  | "quorum-lost"
  | "sorry-server-in"
  | "sorry-server-out"
  | "virtual-server-removed";

/** The keyword whose script a notify runs: a real server's state, or its virtual server's quorum. */
export type NotifyRole = "notify_up" | "notify_down" | "quorum_up" | "quorum_down";

export type DirectorEffect =
  /**
   * keepalived's do_vs_notifies / do_rs_notifies: the configured script (run with no extra
   * arguments; notify_script_init(0, ...)) if any, and the notify FIFO line. While stopping,
   * keepalived gives a script one second (system_call_script with TIMER_HZ).
   */
  | { kind: "notify"; role: NotifyRole; script?: string; fifoLine: string; stopping: boolean; virtualServer: string; realServer?: string }
  /** A history record and log line; `message` is keepalived's wording. */
  | { kind: "record"; event: DirectorEvent; cause: ChangeCause; virtualServer: string; realServer?: string; message: string };

export interface DirectorStep {
  state: DirectorState;
  effects: DirectorEffect[];
}
