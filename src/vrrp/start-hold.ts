// The hold on an engine's instances at start: keepalived's vrrp_startup_delay (2.2.7,
// vrrp_daemon.c start_vrrp: vrrp_delayed_start_time = now + delay, not at a reload) and
// tandem's director-ready gate, which holds them the same way until the director's first
// IPVS pass is done, IPVS is found unavailable, or a bound expires. Whichever ends later
// ends the hold. Pure: stepHold(hold, input, now) -> { hold, effects }; the machines
// (machine.ts isHeld) are told only when the end moves.

/** What holds the instances: the configured delay, and the director. */
export type HoldBy = "vrrp_startup_delay" | "director";

/** Why the director gate opened. */
export type GateRelease = "director-ready" | "ipvs-unavailable" | "director-timeout" | "director-stopped";

/** Why the hold ended when it did: the later of the two. */
export type HoldRelease = GateRelease | "startup-delay-over";

export interface StartHoldOptions {
  /** vrrp_startup_delay, in ms; undefined or 0: none. */
  startupDelayMs?: number;
  /** The director gate's bound (director_ready_timeout); undefined: no gate. */
  directorTimeoutMs?: number;
}

export type DirectorGate =
  | { readonly waiting: true; readonly timeoutMs: number; readonly boundMs: number }
  | { readonly waiting: false; readonly timeoutMs: number; readonly atMs: number; readonly release: GateRelease; readonly detail?: string };

export interface StartHold {
  readonly startedAtMs: number;
  readonly startupDelayMs: number | undefined;
  /** keepalived's vrrp_delayed_start_time. */
  readonly delayUntilMs: number | undefined;
  readonly gate: DirectorGate | undefined;
  /** Set once the hold is over. */
  readonly releasedAtMs: number | undefined;
}

export type HoldInput = { kind: "director"; outcome: "ready" | "unavailable" | "stopped"; detail?: string } | { kind: "timer" };

export type HoldEffect =
  /** The machines' hold ends at another time (undefined: now). */
  | { kind: "moved"; untilMs: number | undefined }
  | { kind: "note"; message: string }
  | { kind: "released"; release: HoldRelease; heldMs: number; summary: string };

export interface HoldStep {
  hold: StartHold;
  effects: HoldEffect[];
}

export function createStartHold(nowMs: number, options: StartHoldOptions): StartHold {
  const delayMs = options.startupDelayMs && options.startupDelayMs > 0 ? options.startupDelayMs : undefined;
  const timeoutMs = options.directorTimeoutMs;
  return {
    startedAtMs: nowMs,
    startupDelayMs: delayMs,
    delayUntilMs: delayMs === undefined ? undefined : nowMs + delayMs,
    gate: timeoutMs !== undefined && timeoutMs > 0 ? { waiting: true, timeoutMs, boundMs: nowMs + timeoutMs } : undefined,
    releasedAtMs: undefined,
  };
}

/** When the instances may become master at the earliest (while the director is awaited: its bound); undefined: not held. */
export function holdUntilMs(h: StartHold): number | undefined {
  if (h.releasedAtMs !== undefined) return undefined;
  const gateEnd = h.gate === undefined ? undefined : h.gate.waiting ? h.gate.boundMs : h.gate.atMs;
  if (h.delayUntilMs === undefined) return gateEnd;
  return gateEnd === undefined ? h.delayUntilMs : Math.max(gateEnd, h.delayUntilMs);
}

/** When stepHold wants a `timer` input: the hold's end, while it lasts. */
export function holdWakeMs(h: StartHold): number | undefined {
  return holdUntilMs(h);
}

/** What holds the instances now (empty once released). */
export function heldBy(h: StartHold, nowMs: number): HoldBy[] {
  if (h.releasedAtMs !== undefined) return [];
  const by: HoldBy[] = [];
  if (h.delayUntilMs !== undefined && nowMs < h.delayUntilMs) by.push("vrrp_startup_delay");
  if (h.gate?.waiting) by.push("director");
  return by;
}

/** The log line (and history summary) when the hold begins; undefined when nothing holds. */
export function holdSummary(h: StartHold): string | undefined {
  const parts: string[] = [];
  if (h.startupDelayMs !== undefined) parts.push(`for vrrp_startup_delay (${seconds(h.startupDelayMs)})`);
  if (h.gate) parts.push(`until the director has programmed IPVS (at most ${seconds(h.gate.timeoutMs)}, director_ready_timeout)`);
  if (parts.length === 0) return undefined;
  return `VRRP instances held in BACKUP ${parts.join(" and ")}: no advert, no virtual address before then`;
}

export function stepHold(h: StartHold, input: HoldInput, nowMs: number): HoldStep {
  if (h.releasedAtMs !== undefined) return { hold: h, effects: [] };
  if (input.kind === "director") return onDirector(h, input, nowMs);
  const until = holdUntilMs(h);
  if (until === undefined || nowMs < until) return { hold: h, effects: [] };
  let hold = h;
  // The bound passed (at or before the delay's end): the gate opens by timeout.
  if (h.gate?.waiting) hold = { ...h, gate: { waiting: false, timeoutMs: h.gate.timeoutMs, atMs: h.gate.boundMs, release: "director-timeout" } };
  return release(hold, nowMs);
}

function onDirector(h: StartHold, input: Extract<HoldInput, { kind: "director" }>, nowMs: number): HoldStep {
  if (!h.gate?.waiting) return { hold: h, effects: [] };
  const gateRelease: GateRelease = input.outcome === "ready" ? "director-ready" : input.outcome === "unavailable" ? "ipvs-unavailable" : "director-stopped";
  const gate: DirectorGate = {
    waiting: false,
    timeoutMs: h.gate.timeoutMs,
    atMs: nowMs,
    release: gateRelease,
    ...(input.detail === undefined ? {} : { detail: input.detail }),
  };
  const hold: StartHold = { ...h, gate };
  const until = holdUntilMs(hold)!;
  if (nowMs >= until) {
    const released = release(hold, nowMs);
    released.effects.unshift({ kind: "moved", untilMs: undefined });
    return released;
  }
  const message = `${gateText(gate, h.startedAtMs)}; vrrp_startup_delay holds the VRRP instances ${(until - nowMs).toFixed(0)} ms more`;
  return {
    hold,
    effects: [
      { kind: "moved", untilMs: until },
      { kind: "note", message },
    ],
  };
}

function release(h: StartHold, nowMs: number): HoldStep {
  const gate = h.gate?.waiting === false ? h.gate : undefined;
  // The later of the two ended the hold; on a tie, the delay (it was known from the start).
  const delayLast = h.delayUntilMs !== undefined && (gate === undefined || h.delayUntilMs >= gate.atMs);
  const heldMs = nowMs - h.startedAtMs;
  const summary = delayLast
    ? `VRRP instances released after ${heldMs.toFixed(0)} ms: vrrp_startup_delay (${seconds(h.startupDelayMs!)}) over${gate ? `; ${gateText(gate, h.startedAtMs)}` : ""}`
    : `VRRP instances released after ${heldMs.toFixed(0)} ms: ${gateText(gate!, h.startedAtMs)}`;
  return {
    hold: { ...h, releasedAtMs: nowMs },
    effects: [{ kind: "released", release: delayLast ? "startup-delay-over" : gate!.release, heldMs, summary }],
  };
}

function gateText(gate: Extract<DirectorGate, { waiting: false }>, startedAtMs: number): string {
  const afterMs = (gate.atMs - startedAtMs).toFixed(0);
  switch (gate.release) {
    case "director-ready":
      return `the director programmed IPVS after ${afterMs} ms`;
    case "ipvs-unavailable":
      return `IPVS is unavailable${gate.detail ? ` (${gate.detail})` : ""}, found after ${afterMs} ms; VRRP runs without it`;
    case "director-timeout":
      return `the director had not programmed IPVS within director_ready_timeout (${seconds(gate.timeoutMs)})`;
    case "director-stopped":
      return `the director no longer runs (${gate.detail ?? "no virtual_server"}), after ${afterMs} ms`;
  }
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
