// The director's memory as a pure machine: step(state, input) -> { state, effects }. Holds
// keepalived 2.2.7's quorum with hysteresis and the sorry server (ipwrapper.c
// update_quorum_state, perform_svr_state, update_svr_wgt, init_service_vs, clear_diff_services,
// clear_services) and asks for its notifies and history records; desired-table.ts turns the
// memory into the table.
import type {
  DirectorEffect,
  DirectorInput,
  DirectorState,
  DirectorStep,
  DirectorView,
  RealServerMemory,
  VirtualServerMemory,
  ChangeCause,
} from "./director-types.ts";
import { drainedKeys, drainKey } from "./director-types.ts";
import { realServerFifoLine, virtualServerFifoLine } from "./keepalived-names.ts";
import { effectiveWeight, isAlive, realServerHealth } from "./real-server-health.ts";
import type { ResolvedRealServer, ResolvedVirtualServer } from "./resolved-plan.ts";
import { destinationText } from "./types.ts";

export type * from "./director-types.ts";
export { IDLE_DIRECTOR, NO_INTENT } from "./director-types.ts";

export function step(state: DirectorState, input: DirectorInput): DirectorStep {
  switch (input.kind) {
    case "start":
      return onStart(input, Boolean(input.rsInitNotifies));
    case "health":
      return state.phase === "running" ? onHealth(state, input) : { state, effects: [] };
    case "reload":
      return state.phase === "running" ? onReload(state, input, Boolean(input.rsInitNotifies)) : { state, effects: [] };
    case "stop":
      return state.phase === "running" ? onStop(state, input, input.lvsFlushOnStop ?? "none") : { state, effects: [] };
  }
}

/** One virtual server being stepped: its plan, its memory so far, and the effects asked for. */
class Work {
  quorumUp: boolean;
  sorryServerIn: string | undefined;
  servers: Record<string, RealServerMemory>;

  constructor(
    readonly vs: ResolvedVirtualServer,
    memory: VirtualServerMemory,
    readonly effects: DirectorEffect[],
  ) {
    this.quorumUp = memory.quorumUp;
    this.sorryServerIn = memory.sorryServerIn;
    this.servers = { ...memory.realServers };
  }

  memory(): VirtualServerMemory {
    const memory: VirtualServerMemory = { quorumUp: this.quorumUp, realServers: this.servers };
    if (this.sorryServerIn !== undefined) memory.sorryServerIn = this.sorryServerIn;
    return memory;
  }

  record(event: Extract<DirectorEffect, { kind: "record" }>["event"], cause: ChangeCause, message: string, rs?: ResolvedRealServer): void {
    this.effects.push({ kind: "record", event, cause, virtualServer: this.vs.id, ...(rs ? { realServer: rs.id } : {}), message });
  }

  /** do_rs_notifies: notify_up or notify_down by the server's state, and its FIFO line. */
  notifyRealServer(rs: ResolvedRealServer, alive: boolean, stopping = false): void {
    const script = alive ? rs.notifyUp : rs.notifyDown;
    const fifoLine = realServerFifoLine(rs.keepalivedName, this.vs.keepalivedName, alive);
    this.effects.push({ kind: "notify", ...(script !== undefined ? { script } : {}), fifoLine, stopping, virtualServer: this.vs.id, realServer: rs.id });
  }

  /** do_vs_notifies: quorum_up or quorum_down by the quorum state, and its FIFO line. */
  notifyQuorum(stopping = false): void {
    const script = this.quorumUp ? this.vs.quorumUp : this.vs.quorumDown;
    const fifoLine = virtualServerFifoLine(this.vs.keepalivedName, this.quorumUp);
    this.effects.push({ kind: "notify", ...(script !== undefined ? { script } : {}), fifoLine, stopping, virtualServer: this.vs.id });
  }

  /** weigh_live_realservers; a drained server's weight is 0 in the kernel, so it counts 0 (tandem's choice). */
  liveWeight(): number {
    let sum = 0;
    for (const rs of this.vs.realServers) {
      const memory = this.servers[rs.id];
      if (memory?.alive && !memory.drained) sum += memory.weight;
    }
    return sum;
  }

  /**
   * update_quorum_state: the quorum comes up at quorum + hysteresis and goes down below
   * quorum - hysteresis (or at no live weight at all); the sorry server goes in as it goes
   * down. At start (init) a down quorum with a sorry server not yet in puts it in and
   * notifies; a down quorum without one notifies nothing, as in keepalived.
   */
  updateQuorum(init: boolean, cause: ChangeCause): void {
    const { quorum, hysteresis, sorryServer } = this.vs;
    const sum = this.liveWeight();
    const threshold = quorum + (this.quorumUp ? -1 : 1) * hysteresis;
    // keepalived's quorum of 0 (every configured weight 0) never comes up (its hysteresis wraps); tandem's needs some live weight.
    if (!this.quorumUp && sum >= Math.max(threshold, 1)) {
      this.quorumUp = true;
      this.record("quorum-gained", cause, `Gained quorum ${quorum}+${hysteresis}=${threshold} <= ${sum} for VS ${this.vs.keepalivedName}`);
      if (sorryServer && this.sorryServerIn !== undefined) {
        this.record(
          "sorry-server-out",
          "quorum",
          `${sorryServer.inhibit ? "Disabling" : "Removing"} sorry server ${sorryServer.keepalivedName} from VS ${this.vs.keepalivedName}`,
        );
        this.sorryServerIn = undefined;
      }
      this.notifyQuorum();
      return;
    }
    const sorryToAdd = sorryServer !== undefined && this.sorryServerIn === undefined;
    if ((this.quorumUp && (sum === 0 || sum < threshold)) || (init && !this.quorumUp && sorryToAdd)) {
      this.quorumUp = false;
      this.record(
        "quorum-lost",
        cause,
        `${init ? "Starting with quorum down" : "Lost quorum"} ${quorum}-${hysteresis}=${threshold} > ${sum} for VS ${this.vs.keepalivedName}`,
      );
      if (sorryServer && sorryToAdd) {
        this.record(
          "sorry-server-in",
          "quorum",
          `${sorryServer.inhibit ? "Enabling" : "Adding"} sorry server ${sorryServer.keepalivedName} to VS ${this.vs.keepalivedName}`,
        );
        this.sorryServerIn = destinationText(sorryServer);
      }
      this.notifyQuorum();
    }
  }

  /** init_service_rs for a server the director has not seen: in the pool unless a checker has failed (alpha). */
  addServer(rs: ResolvedRealServer, observed: RealServerMemory, cause: ChangeCause, notify: boolean): void {
    this.servers[rs.id] = observed;
    if (observed.alive) {
      this.record("real-server-up", cause, `Adding service ${rs.keepalivedName} to VS ${this.vs.keepalivedName}`, rs);
      if (notify) this.notifyRealServer(rs, true);
    } else {
      this.record("real-server-down", cause, `Service ${rs.keepalivedName} of VS ${this.vs.keepalivedName} starts down until its checkers succeed (alpha)`, rs);
    }
  }

  /** update_svr_wgt: a new weight for a known server; the quorum is weighed again unless a reload does it once at the end. */
  reweigh(rs: ResolvedRealServer, seen: RealServerMemory, cause: ChangeCause, weighQuorum: boolean): void {
    const previous = this.servers[rs.id]!;
    if (seen.weight === previous.weight) return;
    this.servers[rs.id] = { ...previous, weight: seen.weight };
    const name = `service ${rs.keepalivedName} of VS ${this.vs.keepalivedName}`;
    this.record(
      "real-server-reweighted",
      cause,
      `Changing weight from ${previous.weight} to ${seen.weight} for ${previous.alive ? "" : "in"}active ${name}`,
      rs,
    );
    if (weighQuorum) this.updateQuorum(false, cause);
  }

  /** A drain (tandem's): the server stays in the kernel at weight 0, and its weight leaves the quorum. */
  redrain(rs: ResolvedRealServer, seen: RealServerMemory, weighQuorum: boolean): void {
    const previous = this.servers[rs.id]!;
    if (seen.drained === previous.drained) return;
    this.servers[rs.id] = { ...previous, drained: seen.drained };
    const weights = seen.drained ? `${previous.weight} to 0` : `0 to ${previous.weight}`;
    this.record(
      "real-server-reweighted",
      "drain",
      `${seen.drained ? "Draining" : "Undraining"} service ${rs.keepalivedName} of VS ${this.vs.keepalivedName} (weight ${weights})`,
      rs,
    );
    if (weighQuorum) this.updateQuorum(false, "drain");
  }

  /** perform_svr_state: a known server goes up or down, notifies, and the quorum is weighed again. */
  flip(rs: ResolvedRealServer, seen: RealServerMemory, cause: ChangeCause): void {
    const previous = this.servers[rs.id]!;
    if (seen.alive === previous.alive) {
      // update_svr_checker_state: an alpha checker's first verdict, a failure, notifies although nothing changed.
      if (!seen.alive)
        for (const checker of rs.checkers)
          if (checker.alpha && seen.checkersRun.includes(checker.id) && !previous.checkersRun.includes(checker.id)) this.notifyRealServer(rs, false);
      this.servers[rs.id] = { ...previous, checkersRun: seen.checkersRun };
      return;
    }
    this.servers[rs.id] = { ...previous, alive: seen.alive, checkersRun: seen.checkersRun };
    const inhibit = rs.inhibitOnFailure;
    const verb = seen.alive ? (inhibit ? "Enabling" : "Adding") : inhibit ? "Disabling" : "Removing";
    const preposition = inhibit ? "of" : seen.alive ? "to" : "from";
    this.record(
      seen.alive ? "real-server-up" : "real-server-down",
      cause,
      `${verb} service ${rs.keepalivedName} ${preposition} VS ${this.vs.keepalivedName}`,
      rs,
    );
    this.notifyRealServer(rs, seen.alive);
    this.updateQuorum(false, cause);
  }

  /** clear_service_rs: a server leaving the pool for good; notify_down if it was alive (on stop, only with omega). */
  removeServer(rs: ResolvedRealServer, cause: ChangeCause, notify: boolean): void {
    const memory = this.servers[rs.id];
    if (!memory) return;
    delete this.servers[rs.id];
    const inhibited = rs.inhibitOnFailure && !memory.alive ? "(inhibited) " : "";
    this.record(
      "real-server-removed",
      cause,
      `${cause === "stop" ? "Shutting down" : "Removing"} ${inhibited}service ${rs.keepalivedName} from VS ${this.vs.keepalivedName}`,
      rs,
    );
    if (memory.alive && notify) this.notifyRealServer(rs, false, cause === "stop");
  }
}

function observed(vs: ResolvedVirtualServer, rs: ResolvedRealServer, view: DirectorView, drained: Set<string>): RealServerMemory {
  const health = realServerHealth(view.health, vs.id, rs);
  const checkersRun = Object.entries(health.checkers).flatMap(([id, c]) => (c.hasRun ? [id] : []));
  return { alive: isAlive(health), weight: effectiveWeight(rs.weight, health), drained: drained.has(drainKey(vs.id, rs.id)), checkersRun };
}

/** init_service_vs for a virtual server the director has not seen (at start, or new at a reload). */
function initVirtualServer(
  vs: ResolvedVirtualServer,
  view: DirectorView,
  drained: Set<string>,
  cause: ChangeCause,
  notify: boolean,
  effects: DirectorEffect[],
): VirtualServerMemory {
  // set_quorum_states runs before any server is alive, so a new virtual server starts with its quorum down.
  const work = new Work(vs, { quorumUp: false, realServers: {} }, effects);
  for (const rs of vs.realServers) work.addServer(rs, observed(vs, rs, view, drained), cause, notify);
  work.updateQuorum(true, cause);
  return work.memory();
}

function onStart(view: DirectorView, rsInitNotifies: boolean): DirectorStep {
  const effects: DirectorEffect[] = [];
  const drained = drainedKeys(view.intent);
  const virtualServers: Record<string, VirtualServerMemory> = {};
  for (const vs of view.virtualServers) virtualServers[vs.id] = initVirtualServer(vs, view, drained, "start", rsInitNotifies, effects);
  return { state: { phase: "running", virtualServers }, effects };
}

function onHealth(state: DirectorState, view: DirectorView): DirectorStep {
  const effects: DirectorEffect[] = [];
  const drained = drainedKeys(view.intent);
  const virtualServers: Record<string, VirtualServerMemory> = { ...state.virtualServers };
  for (const vs of view.virtualServers) {
    const memory = state.virtualServers[vs.id];
    if (!memory) continue; // only a reload brings new virtual servers
    const work = new Work(vs, memory, effects);
    for (const rs of vs.realServers) {
      const seen = observed(vs, rs, view, drained);
      if (!work.servers[rs.id]) continue;
      // A misc_dynamic verdict sets the weight before the state (misc_check_child_thread).
      work.reweigh(rs, seen, "check", true);
      work.redrain(rs, seen, true);
      work.flip(rs, seen, "check");
    }
    virtualServers[vs.id] = work.memory();
  }
  return { state: { ...state, virtualServers }, effects };
}

function onReload(state: DirectorState, input: Extract<DirectorInput, { kind: "reload" }>, rsInitNotifies: boolean): DirectorStep {
  const effects: DirectorEffect[] = [];
  const drained = drainedKeys(input.intent);
  const previous = new Map(input.previous.map((vs) => [vs.id, vs]));
  const current = new Set(input.virtualServers.map((vs) => vs.id));
  const virtualServers: Record<string, VirtualServerMemory> = {};

  // clear_diff_services: what the new configuration no longer has goes first.
  for (const old of input.previous) {
    const memory = state.virtualServers[old.id];
    if (current.has(old.id) || !memory) continue;
    const work = new Work(old, memory, effects);
    for (const rs of old.realServers) work.removeServer(rs, "reload", true);
    if (work.quorumUp) {
      // update_vs_notifies: the quorum goes with the servers, without a sorry server.
      work.quorumUp = false;
      work.record("quorum-lost", "reload", `Lost quorum ${old.quorum}-${old.hysteresis}=${old.quorum - old.hysteresis} > 0 for VS ${old.keepalivedName}`);
      work.notifyQuorum();
    }
    work.record("virtual-server-removed", "reload", `Removing Virtual Server ${old.keepalivedName}`);
  }

  for (const vs of input.virtualServers) {
    const memory = state.virtualServers[vs.id];
    const old = previous.get(vs.id);
    if (!memory || !old) {
      virtualServers[vs.id] = initVirtualServer(vs, input, drained, "reload", rsInitNotifies, effects);
      continue;
    }
    const work = new Work(vs, memory, effects);
    const kept = new Set(vs.realServers.map((rs) => rs.id));
    for (const rs of old.realServers) if (!kept.has(rs.id)) work.removeServer(rs, "reload", true);
    // clear_diff_s_srv: a sorry server that changed leaves the pool; the new one goes in below if the quorum is down.
    if (work.sorryServerIn !== undefined && (!vs.sorryServer || destinationText(vs.sorryServer) !== work.sorryServerIn)) {
      work.record("sorry-server-out", "reload", `Removing sorry server ${old.sorryServer?.keepalivedName ?? work.sorryServerIn} from VS ${vs.keepalivedName}`);
      work.sorryServerIn = undefined;
    }
    for (const rs of vs.realServers) {
      const seen = observed(vs, rs, input, drained);
      if (!work.servers[rs.id]) {
        work.addServer(rs, seen, "reload", rsInitNotifies);
        continue;
      }
      // migrate_checkers brings a kept server up first; init_service_rs then forces its new weight.
      work.flip(rs, seen, "reload");
      work.reweigh(rs, seen, "reload", false);
      work.redrain(rs, seen, false);
    }
    work.updateQuorum(true, "reload");
    virtualServers[vs.id] = work.memory();
  }
  return { state: { phase: "running", virtualServers }, effects };
}

/**
 * clear_services: every server leaves; with omega their notify_down and the quorum_down run
 * (the latter even if the quorum was already down), without it neither does, as in keepalived.
 */
function onStop(state: DirectorState, view: DirectorView, flush: "none" | "vs" | "full"): DirectorStep {
  const effects: DirectorEffect[] = [];
  for (const vs of view.virtualServers) {
    const memory = state.virtualServers[vs.id];
    if (!memory) continue;
    const work = new Work(vs, memory, effects);
    if (flush === "none") for (const rs of vs.realServers) work.removeServer(rs, "stop", vs.omega);
    const wasUp = work.quorumUp;
    work.quorumUp = false;
    if (wasUp) work.record("quorum-lost", "stop", `Shutting down VS ${vs.keepalivedName}`);
    if (vs.omega) work.notifyQuorum(true);
  }
  return { state: { phase: "stopped", virtualServers: {} }, effects };
}
