// The director's memory as a pure machine: step(state, input) -> { state, effects }. Holds
// keepalived 2.2.7's quorum with hysteresis and the sorry server (ipwrapper.c
// update_quorum_state, perform_svr_state, update_svr_wgt, init_service_vs, clear_diff_services,
// clear_services) and asks for its notifies and history records; desired-table.ts turns the
// memory into the table.
import type { ChangeCause, DirectorEffect, DirectorInput, DirectorState, DirectorStep, DirectorView, VirtualServerMemory } from "./director-types.ts";
import { drainedByVirtualServer, drainedKeys } from "./director-types.ts";
import type { ResolvedVirtualServer } from "./resolved-plan.ts";
import { destinationText } from "./types.ts";
import { observed, VirtualServerWork } from "./virtual-server-work.ts";

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
  const work = new VirtualServerWork(vs, { quorumUp: false, realServers: {} }, effects);
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

function onHealth(state: DirectorState, view: Extract<DirectorInput, { kind: "health" }>): DirectorStep {
  const effects: DirectorEffect[] = [];
  const drained = drainedKeys(view.intent);
  const previous = view.previous;
  const drainedNow = previous && drainedByVirtualServer(view.intent);
  const drainedBefore = previous && drainedByVirtualServer(previous.intent);
  const virtualServers: Record<string, VirtualServerMemory> = { ...state.virtualServers };
  for (const vs of view.virtualServers) {
    const memory = state.virtualServers[vs.id];
    if (!memory) continue; // only a reload brings new virtual servers
    // What did not change for it (one checker's verdict touches one virtual server of thousands) changes nothing.
    if (previous && view.health[vs.id] === previous.health[vs.id] && drainedNow!.get(vs.id) === drainedBefore!.get(vs.id)) continue;
    const work = new VirtualServerWork(vs, memory, effects);
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
    const work = new VirtualServerWork(old, memory, effects);
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
    if (old === vs && input.previousHealth !== undefined && input.health[vs.id] === input.previousHealth[vs.id]) {
      virtualServers[vs.id] = memory;
      continue;
    }
    const work = new VirtualServerWork(vs, memory, effects);
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
    const work = new VirtualServerWork(vs, memory, effects);
    if (flush === "none") for (const rs of vs.realServers) work.removeServer(rs, "stop", vs.omega);
    const wasUp = work.quorumUp;
    work.quorumUp = false;
    if (wasUp) work.record("quorum-lost", "stop", `Shutting down VS ${vs.keepalivedName}`);
    if (vs.omega) work.notifyQuorum(true);
  }
  return { state: { phase: "stopped", virtualServers: {} }, effects };
}
