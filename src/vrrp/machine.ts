// The VRRP state machine of one virtual router: RFC 5798 section 6.4 (and RFC 3768 6.4),
// with keepalived 2.2.7's refinements. Pure: step(machine, input, now) returns the next
// machine and the effects to perform; timers are data (see nextWakeMs).
import { formatIpv4 } from "../common/ipv4.ts";
import { initialMasterWaitMs, masterDownIntervalMs, skewTimeMs, timerPriority } from "./timers.ts";
import type { Effect, HeardMaster, Input, Machine, MachineConfig, StepResult, TransitionCause, TransitionReason, VrrpState } from "./machine-types.ts";

export type * from "./machine-types.ts";

export function createMachine(config: MachineConfig, nowMs: number): Machine {
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
  };
}

/** When the driver must next deliver a `timer` input, or undefined for never. */
export function nextWakeMs(m: Machine): number | undefined {
  if (m.state === "MASTER") return m.timerAtMs;
  if (m.state !== "BACKUP") return undefined;
  if (m.config.fastPreempt && m.preemptAtMs !== undefined && m.heardMaster && m.heardMaster.priority < m.effectivePriority) {
    return m.timerAtMs === undefined ? m.preemptAtMs : Math.min(m.timerAtMs, m.preemptAtMs);
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
  const machine: Machine = { ...m, wantState: "MASTER", timerAtMs: nowMs + masterDownMs(m) };
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
  const all: Partial<Machine> = { wantState: "BACKUP", timerAtMs: nowMs + masterDownMs(next), preemptAtMs: undefined, ...changes };
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
  if (m.config.basePriority === 255) return becomeMaster(m, { cause: "address-owner", detail: "priority 255: this router owns the addresses" }, nowMs);
  const waitMs = m.config.initialState === "MASTER" ? initialMasterWaitMs(m.config.version, m.config.advertIntervalCs) : masterDownMs(m);
  return transition(m, "BACKUP", { cause: "startup", detail: `starting as BACKUP; master down in ${waitMs.toFixed(0)} ms unless a master is heard` }, nowMs, {
    wantState: "BACKUP",
    timerAtMs: nowMs + waitMs,
  });
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
  if (m.config.fastPreempt && m.preemptAtMs !== undefined && nowMs >= m.preemptAtMs && heard && heard.priority < m.effectivePriority) {
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
    return { machine: { ...m, heardMaster: heard, timerAtMs: nowMs + skewMs(m) }, effects: [] };
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
    return { machine: { ...next, timerAtMs: nowMs + masterDownMs(next) }, effects: [] };
  }
  // A lower-priority master, and we may preempt it.
  if (m.config.fastPreempt) {
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
  // RFC behaviour: discard the advert and let Master_Down_Interval expire.
  return {
    machine: { ...m, heardMaster: { ...heard, lastHeardMs: m.heardMaster?.lastHeardMs ?? nowMs } },
    effects: [
      {
        kind: "note",
        level: "info",
        message: `lower priority (${a.priority}) advert from ${formatIpv4(a.sourceIp)}: discarding, master down timer keeps running`,
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
  if (!m.config.fastPreempt) return { machine, effects: [note] };
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
  if (m.config.basePriority === 255 && !m.config.inSyncGroup)
    return becomeMaster(m, { cause: "address-owner", detail: `${detail}; priority 255 owner` }, nowMs);
  return enterBackup(m, { cause, detail }, nowMs, { masterAdvertIntervalCs: m.config.advertIntervalCs, heardMaster: undefined });
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
          { wantState: "BACKUP", forcedFault: false, timerAtMs: nowMs + masterDownMs(m), heardMaster: undefined },
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

function onShutdown(m: Machine, nowMs: number): StepResult {
  if (m.state === "STOP") return { machine: m, effects: [] };
  const reason: TransitionReason = { cause: "shutdown", detail: "instance stopping" };
  const changes: Partial<Machine> = { timerAtMs: undefined, preemptAtMs: undefined };
  if (m.state === "MASTER") return leaveMaster(m, "STOP", reason, nowMs, changes, true);
  return transition(m, "STOP", reason, nowMs, changes);
}
