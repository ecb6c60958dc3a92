// The VRRP state machine of one virtual router: RFC 5798 section 6.4 (and RFC 3768 6.4),
// with keepalived 2.2.7's refinements. Pure: step(machine, input, now) returns the next
// machine and the effects to perform; timers are data (see nextWakeMs). A hold at start
// (keepalived 2.2.7's vrrp_startup_delay, tandem's director gate) is data too: see isHeld.
import { formatIpv4 } from "../common/ipv4.ts";
import { initialMasterWaitMs, masterDownIntervalMs, skewTimeMs, timerPriority } from "./timers.ts";
import type { Effect, HeardMaster, Input, Machine, MachineConfig, StepResult, TransitionCause, TransitionReason, VrrpState } from "./machine-types.ts";

export type * from "./machine-types.ts";

/** `holdUntilMs`: held at start until then (vrrp_startup_delay, the director gate). */
export function createMachine(config: MachineConfig, nowMs: number, holdUntilMs?: number): Machine {
  return {
    config,
    state: "INIT",
    wantState: "BACKUP",
    effectivePriority: config.basePriority,
    masterAdvertIntervalCs: config.advertIntervalCs,
    timerAtMs: undefined,
    preemptAtMs: undefined,
    heardMaster: undefined,
    faultReasons: [],
    forcedFault: false,
    stateSinceMs: nowMs,
    lastReannounceMs: undefined,
    holdUntilMs,
  };
}

/**
 * Held: keepalived's vrrp_delayed_start_time (vrrp_scheduler.c vrrp_init_instance_sands, 2.2.7).
 * The instance is BACKUP (or FAULT) as at any start and hears adverts as usual, but it sends
 * none and never becomes master: every down timer it arms runs from the hold's end, so the
 * earliest takeover is the end plus a master-down interval (plus nothing for an owner).
 */
export function isHeld(m: Machine, nowMs: number): boolean {
  return m.holdUntilMs !== undefined && nowMs < m.holdUntilMs;
}

/** Where a Backup's down timer starts: now, or the end of the hold (keepalived's sands = delayed start + ms_down_timer). */
function downTimerFrom(m: Machine, nowMs: number): number {
  return isHeld(m, nowMs) ? m.holdUntilMs! : nowMs;
}

/** When the driver must next deliver a `timer` input, or undefined for never. */
export function nextWakeMs(m: Machine): number | undefined {
  if (m.state === "MASTER") return m.timerAtMs;
  if (m.state !== "BACKUP") return undefined;
  if (m.config.fastPreempt && m.preemptAtMs !== undefined && m.heardMaster && m.heardMaster.priority < m.effectivePriority) {
    // A preempt_delay that ends during a hold is acted on when the hold ends.
    const preemptWakeMs = Math.max(m.preemptAtMs, m.holdUntilMs ?? -Infinity);
    return m.timerAtMs === undefined ? preemptWakeMs : Math.min(m.timerAtMs, preemptWakeMs);
  }
  return m.timerAtMs;
}

export function masterDownMs(m: Machine): number {
  return masterDownIntervalMs(m.config.version, timerPriority(m.config.basePriority, m.effectivePriority), m.masterAdvertIntervalCs);
}

function skewMs(m: Machine): number {
  return skewTimeMs(m.config.version, timerPriority(m.config.basePriority, m.effectivePriority), m.masterAdvertIntervalCs);
}

const advertIntervalMs = (m: Machine) => m.config.advertIntervalCs * 10;
const isFaulted = (m: Machine) => m.faultReasons.length > 0 || m.forcedFault;

/** Advance one machine by one input. Never throws; unknown situations leave it unchanged. */
export function step(m: Machine, input: Input, nowMs: number): StepResult {
  switch (input.kind) {
    case "start":
      return onStart(m, nowMs);
    case "advert":
      return onAdvert(m, input, nowMs);
    case "timer":
      return onTimer(m, nowMs);
    case "priority":
      return onPriority(m, input.effectivePriority, nowMs);
    case "fault":
      return onFault(m, input.reasons, nowMs);
    case "force":
      return onForce(m, input.state, input.detail, nowMs);
    case "hold":
      return onHold(m, input.untilMs, nowMs);
    case "shutdown":
      return onShutdown(m, nowMs);
  }
}

// ---- transitions -------------------------------------------------------------------

function transition(m: Machine, to: VrrpState, reason: TransitionReason, nowMs: number, changes: Partial<Machine>): StepResult {
  const machine: Machine = { ...m, ...changes, state: to, stateSinceMs: nowMs };
  return { machine, effects: [{ kind: "transition", from: m.state, to, reason }] };
}

/**
 * RFC 5798 6.4.1/6.4.2 "transition to Master": send an advert first (so the old master,
 * if any, drops the addresses before our ARPs go out), then own the addresses, then announce.
 */
function becomeMaster(m: Machine, reason: TransitionReason, nowMs: number): StepResult {
  const result = transition(m, "MASTER", reason, nowMs, {
    wantState: "MASTER",
    masterAdvertIntervalCs: m.config.advertIntervalCs,
    timerAtMs: nowMs + advertIntervalMs(m),
    preemptAtMs: undefined,
    heardMaster: undefined,
    // Becoming master announces; a yielding old master's notice must not double it.
    lastReannounceMs: nowMs,
  });
  result.effects.unshift({ kind: "sendAdvert", priority: m.effectivePriority }, { kind: "addVips" });
  result.effects.push({ kind: "announce", why: reason.cause });
  return result;
}

/** Become MASTER, unless a sync group must agree first (keepalived's vrrp_sync_can_goto_master). */
function tryMaster(m: Machine, reason: TransitionReason, nowMs: number): StepResult {
  if (!m.config.inSyncGroup) return becomeMaster(m, reason, nowMs);
  const machine: Machine = { ...m, wantState: "MASTER", timerAtMs: downTimerFrom(m, nowMs) + masterDownMs(m) };
  return {
    machine,
    effects: [{ kind: "wantMaster" }, { kind: "note", level: "info", message: `wants MASTER (${reason.detail}); waiting for the sync group` }],
  };
}

/** Leave MASTER for BACKUP/FAULT/STOP: priority 0 tells backups to take over after Skew_Time. */
function leaveMaster(m: Machine, to: VrrpState, reason: TransitionReason, nowMs: number, changes: Partial<Machine>, sendPriorityZero: boolean): StepResult {
  const result = transition(m, to, reason, nowMs, changes);
  const before: Effect[] = sendPriorityZero ? [{ kind: "sendAdvert", priority: 0 }] : [];
  result.effects.unshift(...before, { kind: "removeVips" });
  return result;
}

function enterBackup(m: Machine, reason: TransitionReason, nowMs: number, changes: Partial<Machine>): StepResult {
  const next = { ...m, ...changes };
  const all: Partial<Machine> = { wantState: "BACKUP", timerAtMs: downTimerFrom(m, nowMs) + masterDownMs(next), preemptAtMs: undefined, ...changes };
  if (m.state === "MASTER") return leaveMaster(m, "BACKUP", reason, nowMs, all, false);
  return transition(m, "BACKUP", reason, nowMs, all);
}

function enterFault(m: Machine, reason: TransitionReason, nowMs: number, changes: Partial<Machine>): StepResult {
  const all: Partial<Machine> = { wantState: "FAULT", timerAtMs: undefined, preemptAtMs: undefined, heardMaster: undefined, ...changes };
  if (m.state === "MASTER") return leaveMaster(m, "FAULT", reason, nowMs, all, true);
  return transition(m, "FAULT", reason, nowMs, all);
}

// ---- inputs --------------------------------------------------------------------------

function onStart(m: Machine, nowMs: number): StepResult {
  if (m.state !== "INIT") return { machine: m, effects: [] };
  if (isFaulted(m)) return enterFault(m, { cause: "fault", detail: `starting in FAULT: ${m.faultReasons.join("; ")}` }, nowMs, {});
  const heldMs = downTimerFrom(m, nowMs) - nowMs;
  if (m.config.basePriority === 255) {
    if (heldMs === 0) return becomeMaster(m, { cause: "address-owner", detail: "priority 255: this router owns the addresses" }, nowMs);
    // keepalived vrrp_init_state: the owner starts as BACKUP with a 1 us down timer, which the hold's end delays.
    const detail = `starting as BACKUP, held for ${heldMs.toFixed(0)} ms; then, priority 255, this router owns the addresses`;
    return transition(m, "BACKUP", { cause: "startup", detail }, nowMs, { wantState: "BACKUP", timerAtMs: m.holdUntilMs });
  }
  const waitMs = m.config.initialState === "MASTER" ? initialMasterWaitMs(m.config.version, m.config.advertIntervalCs) : masterDownMs(m);
  const held = heldMs > 0 ? `, held for ${heldMs.toFixed(0)} ms` : "";
  const then = heldMs > 0 ? "then " : "";
  return transition(
    m,
    "BACKUP",
    { cause: "startup", detail: `starting as BACKUP${held}; ${then}master down in ${waitMs.toFixed(0)} ms unless a master is heard` },
    nowMs,
    { wantState: "BACKUP", timerAtMs: nowMs + heldMs + waitMs },
  );
}

function onTimer(m: Machine, nowMs: number): StepResult {
  if (m.state === "MASTER") {
    if (m.timerAtMs === undefined || nowMs < m.timerAtMs) return { machine: m, effects: [] };
    return { machine: { ...m, timerAtMs: nowMs + advertIntervalMs(m) }, effects: [{ kind: "sendAdvert", priority: m.effectivePriority }] };
  }
  if (m.state !== "BACKUP") return { machine: m, effects: [] };
  const heard = m.heardMaster;
  if (m.timerAtMs !== undefined && nowMs >= m.timerAtMs) {
    const lastAdvertHeardMs = heard?.lastHeardMs;
    if (heard?.priority === 0) {
      return tryMaster(
        m,
        {
          cause: "priority-zero-advert",
          detail: `master ${formatIpv4(heard.ip)} is leaving (priority 0 advert)`,
          peer: { ip: heard.ip, priority: 0 },
          lastAdvertHeardMs,
        },
        nowMs,
      );
    }
    // An owner held at start (its timer was the hold's end): it takes the addresses now, over any lower master it heard.
    if (m.config.basePriority === 255 && (!heard || heard.priority < 255))
      return tryMaster(m, { cause: "address-owner", detail: "hold over; priority 255: this router owns the addresses" }, nowMs);
    if (!heard) return tryMaster(m, { cause: "master-down-timer", detail: `no master heard for ${(nowMs - m.stateSinceMs).toFixed(0)} ms` }, nowMs);
    const silentMs = nowMs - heard.lastHeardMs;
    const advertsMissed = Math.floor(silentMs / (m.masterAdvertIntervalCs * 10));
    const detail = `no advert from master ${formatIpv4(heard.ip)} for ${silentMs.toFixed(0)} ms (${advertsMissed} adverts missed)`;
    return tryMaster(
      m,
      { cause: "master-down-timer", detail, peer: { ip: heard.ip, priority: heard.priority }, lastAdvertHeardMs, silentMs, advertsMissed },
      nowMs,
    );
  }
  if (m.config.fastPreempt && m.preemptAtMs !== undefined && nowMs >= m.preemptAtMs && !isHeld(m, nowMs) && heard && heard.priority < m.effectivePriority) {
    return tryMaster(
      m,
      {
        cause: "preempt-delay-expired",
        detail: `preempt_delay over; our priority ${m.effectivePriority} > master's ${heard.priority}`,
        peer: { ip: heard.ip, priority: heard.priority },
      },
      nowMs,
    );
  }
  return { machine: m, effects: [] };
}

type AdvertInput = Extract<Input, { kind: "advert" }>;

function onAdvert(m: Machine, a: AdvertInput, nowMs: number): StepResult {
  if (m.state === "MASTER") return masterReceives(m, a, nowMs);
  if (m.state === "BACKUP") return backupReceives(m, a, nowMs);
  return { machine: m, effects: [] };
}

/** RFC 5798 6.4.3 (Master), plus keepalived's "forcing new election" on lower-priority adverts. */
function masterReceives(m: Machine, a: AdvertInput, nowMs: number): StepResult {
  const ours = m.effectivePriority;
  if (a.priority === 0) {
    return {
      machine: { ...m, timerAtMs: nowMs + advertIntervalMs(m) },
      effects: [{ kind: "sendAdvert", priority: ours }],
    };
  }
  const outranked = a.priority > ours || (a.priority === ours && a.sourceIp > m.config.primaryIp);
  if (outranked) {
    const intervalCs = m.config.version === 3 ? a.advertIntervalCs : m.masterAdvertIntervalCs;
    const detail =
      a.priority > ours
        ? `advert from ${formatIpv4(a.sourceIp)} with higher priority ${a.priority} > ours ${ours}`
        : `advert from ${formatIpv4(a.sourceIp)} with equal priority ${ours} and a higher address`;
    const result = enterBackup(m, { cause: "higher-priority-advert", detail, peer: { ip: a.sourceIp, priority: a.priority } }, nowMs, {
      masterAdvertIntervalCs: intervalCs,
      heardMaster: { ip: a.sourceIp, priority: a.priority, advertIntervalCs: a.advertIntervalCs, lastHeardMs: nowMs },
    });
    // Yield notice (a Tandem refinement, outside the RFC): one last advert at our priority.
    // After a split brain heals, the winner may never have heard us; this advert makes it
    // see a lower-priority master and re-send its gratuitous ARPs, so hosts that learned
    // our MAC during the split move back at once. keepalived answers it with an advert.
    result.effects.push({ kind: "sendAdvert", priority: ours });
    return result;
  }
  if (a.sourceIp === m.config.primaryIp) {
    return {
      machine: m,
      effects: [
        {
          kind: "note",
          level: "warn",
          message: `advert with priority ${a.priority} from our own address ${formatIpv4(a.sourceIp)}: is another router misconfigured with our address?`,
        },
      ],
    };
  }
  // Another router believes it is master (split brain healing, or it just started):
  // answer at once so it yields now, and re-announce our addresses, whose ARP entries
  // it may have taken over. The re-announce is rate-limited to once per down interval.
  const effects: Effect[] = [
    // The driver reports it (a split brain, or a router that just started as master).
    { kind: "otherMaster", sourceIp: a.sourceIp, priority: a.priority },
    { kind: "sendAdvert", priority: ours },
  ];
  let lastReannounceMs = m.lastReannounceMs;
  if (lastReannounceMs === undefined || nowMs - lastReannounceMs >= masterDownMs(m)) {
    effects.push({ kind: "announce", why: "another master heard" });
    lastReannounceMs = nowMs;
  }
  return { machine: { ...m, timerAtMs: nowMs + advertIntervalMs(m), lastReannounceMs }, effects };
}

/** RFC 5798 6.4.2 (Backup), with preempt_delay and fast_preempt. */
function backupReceives(m: Machine, a: AdvertInput, nowMs: number): StepResult {
  const heard: HeardMaster = { ip: a.sourceIp, priority: a.priority, advertIntervalCs: a.advertIntervalCs, lastHeardMs: nowMs };
  if (a.priority === 0) {
    // The master is leaving: take over after Skew_Time instead of Master_Down_Interval.
    return { machine: { ...m, heardMaster: heard, timerAtMs: downTimerFrom(m, nowMs) + skewMs(m) }, effects: [] };
  }
  const ours = m.effectivePriority;
  const delaying = m.config.preemptDelayMs > 0 && (m.preemptAtMs === undefined || nowMs < m.preemptAtMs);
  if (!m.config.preempt || a.priority >= ours || delaying) {
    const learned = m.config.version === 3 ? a.advertIntervalCs : m.masterAdvertIntervalCs;
    let preemptAtMs = m.preemptAtMs;
    if (m.config.preemptDelayMs > 0) {
      if (a.priority >= ours) preemptAtMs = undefined;
      else if (preemptAtMs === undefined) preemptAtMs = nowMs + m.config.preemptDelayMs;
    }
    const next: Machine = { ...m, heardMaster: heard, masterAdvertIntervalCs: learned, preemptAtMs, wantState: "BACKUP" };
    return { machine: { ...next, timerAtMs: downTimerFrom(next, nowMs) + masterDownMs(next) }, effects: [] };
  }
  // A lower-priority master, and we may preempt it (not while held: then as without fast_preempt).
  const held = isHeld(m, nowMs);
  if (m.config.fastPreempt && !held) {
    return tryMaster(
      m,
      {
        cause: "preempt-lower-priority-advert",
        detail: `master ${formatIpv4(a.sourceIp)} has priority ${a.priority} < ours ${ours}: preempting`,
        peer: { ip: a.sourceIp, priority: a.priority },
        lastAdvertHeardMs: nowMs,
      },
      nowMs,
    );
  }
  // RFC behaviour: discard the advert and let Master_Down_Interval expire. While held the timer
  // stays too: keepalived 2.2.7 re-based it on every discarded advert (ms_down_timer = sands -
  // now, then sands = delayed start + ms_down_timer), pushing the takeover out by the delay left
  // each time, which 2.2.8 fixed (845181cb, "Don't adjust vrrp receive timeout during delayed start").
  return {
    machine: { ...m, heardMaster: { ...heard, lastHeardMs: m.heardMaster?.lastHeardMs ?? nowMs } },
    effects: [
      {
        kind: "note",
        level: "info",
        message: `lower priority (${a.priority}) advert from ${formatIpv4(a.sourceIp)}: discarding${held ? " (held at start)" : ""}, master down timer keeps running`,
      },
    ],
  };
}

/** Effective priority changed (trackers). A master tells the others at once. */
function onPriority(m: Machine, priority: number, nowMs: number): StepResult {
  if (m.config.basePriority === 255 || priority === m.effectivePriority) return { machine: m, effects: [] };
  const old = m.effectivePriority;
  const machine: Machine = { ...m, effectivePriority: priority };
  const note: Effect = { kind: "priorityChanged", from: old, to: priority };
  if (m.state === "MASTER") {
    return { machine: { ...machine, timerAtMs: nowMs + advertIntervalMs(m) }, effects: [note, { kind: "sendAdvert", priority }] };
  }
  if (m.state !== "BACKUP") return { machine, effects: [note] };
  const heard = m.heardMaster;
  const masterAlive = heard !== undefined && heard.priority > 0 && nowMs - heard.lastHeardMs < masterDownMs(machine);
  if (!m.config.preempt || !masterAlive || heard.priority >= priority) return { machine, effects: [note] };
  if (m.config.preemptDelayMs > 0 && (m.preemptAtMs === undefined || nowMs < m.preemptAtMs)) {
    const preemptAtMs = m.preemptAtMs ?? nowMs + m.config.preemptDelayMs;
    return { machine: { ...machine, preemptAtMs }, effects: [note] };
  }
  if (!m.config.fastPreempt || isHeld(m, nowMs)) return { machine, effects: [note] };
  const result = tryMaster(
    machine,
    {
      cause: "priority-raised",
      detail: `our priority rose ${old} -> ${priority} above master ${formatIpv4(heard.ip)}'s ${heard.priority}`,
      peer: { ip: heard.ip, priority: heard.priority },
      lastAdvertHeardMs: heard.lastHeardMs,
    },
    nowMs,
  );
  result.effects.unshift(note);
  return result;
}

function onFault(m: Machine, reasons: readonly string[], nowMs: number): StepResult {
  const wasFaulted = isFaulted(m);
  const machine: Machine = { ...m, faultReasons: [...reasons] };
  if (m.state === "INIT" || m.state === "STOP") return { machine, effects: [] };
  const nowFaulted = isFaulted(machine);
  if (!wasFaulted && nowFaulted) {
    return enterFault(machine, { cause: "fault", detail: reasons.join("; ") }, nowMs, {});
  }
  if (wasFaulted && !nowFaulted && m.state === "FAULT") return leaveFault(machine, "fault-cleared", "all tracked objects are healthy again", nowMs);
  return { machine, effects: [] };
}

function leaveFault(m: Machine, cause: TransitionCause, detail: string, nowMs: number): StepResult {
  const changes: Partial<Machine> = { masterAdvertIntervalCs: m.config.advertIntervalCs, heardMaster: undefined };
  if (m.config.basePriority === 255 && !m.config.inSyncGroup) {
    if (!isHeld(m, nowMs)) return becomeMaster(m, { cause: "address-owner", detail: `${detail}; priority 255 owner` }, nowMs);
    // keepalived 2.2.7 made an owner master here even during vrrp_startup_delay; 2.4.0 waits (0d91c74b).
    return enterBackup(m, { cause, detail: `${detail}; priority 255 owner, held at start` }, nowMs, { ...changes, timerAtMs: m.holdUntilMs });
  }
  return enterBackup(m, { cause, detail }, nowMs, changes);
}

/** The sync group moves this member (keepalived vrrp_sync_master/backup/fault). */
function onForce(m: Machine, target: "MASTER" | "BACKUP" | "FAULT", detail: string, nowMs: number): StepResult {
  const reason: TransitionReason = { cause: "sync-group", detail };
  switch (target) {
    case "FAULT":
      if (m.state === "FAULT" || m.state === "INIT" || m.state === "STOP") return { machine: { ...m, forcedFault: true }, effects: [] };
      return enterFault(m, reason, nowMs, { forcedFault: true });
    case "BACKUP": {
      const released: Machine = { ...m, forcedFault: false };
      if (m.state === "FAULT") return isFaulted(released) ? { machine: released, effects: [] } : leaveFault(released, "sync-group", detail, nowMs);
      if (m.state === "MASTER") {
        // Tell the peer's member to take over after Skew_Time instead of 3 adverts.
        return leaveMaster(
          m,
          "BACKUP",
          reason,
          nowMs,
          { wantState: "BACKUP", forcedFault: false, timerAtMs: downTimerFrom(m, nowMs) + masterDownMs(m), heardMaster: undefined },
          true,
        );
      }
      return { machine: released, effects: [] };
    }
    case "MASTER":
      if (m.state === "BACKUP" || (m.state === "FAULT" && !isFaulted({ ...m, forcedFault: false }))) {
        return becomeMaster({ ...m, forcedFault: false }, reason, nowMs);
      }
      return { machine: m, effects: [] };
  }
}

/**
 * The hold ends at another time: a Backup's timer, armed from the old end, is moved to run
 * from the new one (or from now), as if vrrp_startup_delay had been set to end then.
 */
function onHold(m: Machine, untilMs: number | undefined, nowMs: number): StepResult {
  const machine: Machine = { ...m, holdUntilMs: untilMs };
  if (!isHeld(m, nowMs) || m.state !== "BACKUP" || m.timerAtMs === undefined) return { machine, effects: [] };
  const shiftMs = downTimerFrom(machine, nowMs) - m.holdUntilMs!;
  return { machine: { ...machine, timerAtMs: m.timerAtMs + shiftMs }, effects: [] };
}

function onShutdown(m: Machine, nowMs: number): StepResult {
  if (m.state === "STOP") return { machine: m, effects: [] };
  const reason: TransitionReason = { cause: "shutdown", detail: "instance stopping" };
  const changes: Partial<Machine> = { timerAtMs: undefined, preemptAtMs: undefined };
  if (m.state === "MASTER") return leaveMaster(m, "STOP", reason, nowMs, changes, true);
  return transition(m, "STOP", reason, nowMs, changes);
}
