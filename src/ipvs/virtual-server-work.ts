// One virtual server while the quorum machine steps it (quorum-machine.ts): its plan, its
// memory so far, and keepalived 2.2.7's per-server operations on it (ipwrapper.c
// update_quorum_state, perform_svr_state, update_svr_wgt, clear_service_rs, init_service_rs),
// each appending the notifies and records it asks for. Pure but for that effect list.
import type { ChangeCause, DirectorEffect, DirectorView, RealServerMemory, VirtualServerMemory } from "./director-types.ts";
import { operatorDrainKey } from "./director-types.ts";
import { realServerFifoLine, virtualServerFifoLine } from "./keepalived-names.ts";
import { effectiveWeight, isAlive, realServerHealth } from "./real-server-health.ts";
import type { ResolvedRealServer, ResolvedVirtualServer } from "./resolved-plan.ts";
import { destinationText } from "./types.ts";

/** One virtual server being stepped: its plan, its memory so far, and the effects asked for. */
export class VirtualServerWork {
  quorumUp: boolean;
  sorryServerIn: string | undefined;
  servers: Record<string, RealServerMemory>;

  constructor(
    readonly vs: ResolvedVirtualServer,
    private readonly before: VirtualServerMemory,
    readonly effects: DirectorEffect[],
  ) {
    this.quorumUp = before.quorumUp;
    this.sorryServerIn = before.sorryServerIn;
    this.servers = { ...before.realServers };
  }

  /** The memory now: the one it started from, the object itself, if nothing in it changed (desired-table.ts then reuses its share). */
  memory(): VirtualServerMemory {
    if (this.unchanged()) return this.before;
    const memory: VirtualServerMemory = { quorumUp: this.quorumUp, realServers: this.servers };
    if (this.sorryServerIn !== undefined) memory.sorryServerIn = this.sorryServerIn;
    return memory;
  }

  private unchanged(): boolean {
    const before = this.before;
    if (this.quorumUp !== before.quorumUp || this.sorryServerIn !== before.sorryServerIn) return false;
    const ids = Object.keys(this.servers);
    return ids.length === Object.keys(before.realServers).length && ids.every((id) => this.servers[id] === before.realServers[id]);
  }

  record(event: Extract<DirectorEffect, { kind: "record" }>["event"], cause: ChangeCause, message: string, rs?: ResolvedRealServer): void {
    this.effects.push({ kind: "record", event, cause, virtualServer: this.vs.id, ...(rs ? { realServer: rs.id } : {}), message });
  }

  /** do_rs_notifies: notify_up or notify_down by the server's state, and its FIFO line. */
  notifyRealServer(rs: ResolvedRealServer, alive: boolean, stopping = false): void {
    const script = alive ? rs.notifyUp : rs.notifyDown;
    const fifoLine = realServerFifoLine(rs.keepalivedName, this.vs.keepalivedName, alive);
    const role = alive ? "notify_up" : "notify_down";
    this.effects.push({ kind: "notify", role, ...(script !== undefined ? { script } : {}), fifoLine, stopping, virtualServer: this.vs.id, realServer: rs.id });
  }

  /** do_vs_notifies: quorum_up or quorum_down by the quorum state, and its FIFO line. */
  notifyQuorum(stopping = false): void {
    const script = this.quorumUp ? this.vs.quorumUp : this.vs.quorumDown;
    const fifoLine = virtualServerFifoLine(this.vs.keepalivedName, this.quorumUp);
    const role = this.quorumUp ? "quorum_up" : "quorum_down";
    this.effects.push({ kind: "notify", role, ...(script !== undefined ? { script } : {}), fifoLine, stopping, virtualServer: this.vs.id });
  }

  liveWeight(): number {
    return liveWeightOf(this.vs, this.servers);
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
      if (!sameList(seen.checkersRun, previous.checkersRun)) this.servers[rs.id] = { ...previous, checkersRun: seen.checkersRun };
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

export function observed(vs: ResolvedVirtualServer, rs: ResolvedRealServer, view: DirectorView, drained: Set<string>): RealServerMemory {
  const health = realServerHealth(view.health, vs.id, rs);
  const checkersRun = Object.entries(health.checkers).flatMap(([id, c]) => (c.hasRun ? [id] : []));
  return { alive: isAlive(health), weight: effectiveWeight(rs.weight, health), drained: drained.has(operatorDrainKey(vs.id, rs.id)), checkersRun };
}

/** weigh_live_realservers; a drained server's weight is 0 in the kernel, so it counts 0 (tandem's choice). */
export function liveWeightOf(vs: ResolvedVirtualServer, servers: Readonly<Record<string, RealServerMemory>>): number {
  let sum = 0;
  for (const rs of vs.realServers) {
    const memory = servers[rs.id];
    if (memory?.alive && !memory.drained) sum += memory.weight;
  }
  return sum;
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((item, i) => item === b[i]);
