// Runtime events -> the event history's records (summary line + typed data). Pure.
import { formatIpv4 } from "../../common/ipv4.ts";
import type { NewEvent } from "../../store/event.ts";
import type { HoldBy, HoldEffect, StartHold } from "../../vrrp/start-hold.ts";
import type { NotifyRunRecord } from "../scripts/notify-runner.ts";
import { runOutcome } from "../scripts/script-queue.ts";
import type { TrackerEvent } from "../vrrp/tracking.ts";
import type { RuntimeEvent } from "../vrrp/vrrp-runtime.ts";

/** A removal is in the history as the instance's STOP transition; it only drives notify scripts. */
export type HistoryRuntimeEvent = Exclude<RuntimeEvent, { kind: "removed" }>;

export function historyEventOf(event: HistoryRuntimeEvent, atMs: number): NewEvent {
  switch (event.kind) {
    case "transition": {
      const { transition: t, plan, takeoverMs } = event;
      const peer = t.reason.peer && { address: formatIpv4(t.reason.peer.ip), priority: t.reason.peer.priority };
      const took = takeoverMs === undefined ? "" : ` (takeover ${takeoverMs.toFixed(1)} ms)`;
      return {
        kind: "vrrp.transition",
        atMs,
        instance: t.instance,
        summary: `${t.instance} ${t.from} -> ${t.to}: ${t.reason.detail}${took}`,
        data: {
          from: t.from,
          to: t.to,
          cause: t.reason.cause,
          detail: t.reason.detail,
          ...(peer ? { peer } : {}),
          priority: { base: plan.machine.basePriority, effective: t.effectivePriority },
          ...(t.reason.advertsMissed === undefined ? {} : { advertsMissed: t.reason.advertsMissed }),
          ...(takeoverMs === undefined ? {} : { takeoverMs }),
        },
      };
    }
    case "group-transition":
      return {
        kind: "group.transition",
        atMs,
        instance: event.group.name,
        summary: `sync group ${event.group.name} ${event.from} -> ${event.to}`,
        data: { from: event.from, to: event.to, members: [...event.group.members] },
      };
    case "priority":
      return {
        kind: "vrrp.priority",
        atMs,
        instance: event.plan.name,
        summary: `${event.plan.name} effective priority ${event.from} -> ${event.to}`,
        data: { from: event.from, to: event.to, reason: "tracked objects changed" },
      };
    case "other-master": {
      const address = formatIpv4(event.peer);
      return {
        kind: "vrrp.split-brain",
        atMs,
        instance: event.plan.name,
        summary: `${event.plan.name}: ${address} also advertises as master (priority ${event.peerPriority} < ours ${event.ourPriority}); forcing a new election (our addresses are re-announced, at most once per master-down interval)`,
        data: { peer: { address, priority: event.peerPriority }, ourPriority: event.ourPriority },
      };
    }
    case "tracker":
      return trackerEvent(event.event, atMs);
  }
}

function trackerEvent(t: TrackerEvent, atMs: number): NewEvent {
  return {
    kind: "tracker.change",
    atMs,
    summary: `${t.kind} ${t.name} ${t.healthy ? "healthy" : "failed"}: ${t.detail}`,
    data: {
      tracker: { kind: t.kind, name: t.name },
      healthy: t.healthy,
      detail: t.detail,
      ...(t.exitCode === undefined ? {} : { exitCode: t.exitCode }),
      ...(t.output === undefined ? {} : { output: t.output.slice(0, 4096) }),
    },
  };
}

/** The hold at start, as it begins (held) or ends (a `released` effect of start-hold.ts). */
export function holdEvent(hold: StartHold, what: { kind: "held"; summary: string } | Extract<HoldEffect, { kind: "released" }>, atMs: number): NewEvent {
  const by: HoldBy[] = [];
  if (hold.startupDelayMs !== undefined) by.push("vrrp_startup_delay");
  if (hold.gate) by.push("director");
  const config = {
    ...(hold.startupDelayMs === undefined ? {} : { startupDelayMs: hold.startupDelayMs }),
    ...(hold.gate ? { directorTimeoutMs: hold.gate.timeoutMs } : {}),
  };
  if (what.kind === "held") return { kind: "vrrp.hold", atMs, summary: what.summary, data: { held: true, by, ...config } };
  const gate = hold.gate?.waiting === false ? hold.gate : undefined;
  return {
    kind: "vrrp.hold",
    atMs,
    summary: what.summary,
    data: {
      held: false,
      by,
      cause: what.release,
      heldMs: what.heldMs,
      ...config,
      ...(gate ? { directorMs: gate.atMs - hold.startedAtMs } : {}),
    },
  };
}

/** A notify script run, with its exit status and duration. */
export function notifyEvent(run: NotifyRunRecord): NewEvent {
  const outcome = runOutcome(run);
  return {
    kind: "notify.run",
    atMs: run.startedWallMs,
    instance: run.name,
    summary: `${run.role} for ${run.kind === "GROUP" ? "group " : ""}${run.name} ${run.state}: ${outcome} in ${Math.round(run.durationMs)} ms`,
    data: {
      role: run.role,
      state: run.state,
      argv: run.argv,
      exitCode: run.exitCode,
      signal: run.signal,
      timedOut: run.timedOut,
      durationMs: run.durationMs,
      output: run.output,
    },
  };
}
