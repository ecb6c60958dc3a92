// The supervisor's side of the director-ready gate: at the daemon's start, when a director
// runs beside the VRRP engine, the engine holds its instances in BACKUP (as during
// vrrp_startup_delay) until the director's first pass has programmed IPVS, or found it
// unavailable, or director_ready_timeout passes. This keeps the bound's deadline, says
// what an engine (re)started meanwhile must wait for, and turns the director's first report
// into the one message that opens the gate. The engine does the holding (vrrp/start-hold.ts).
//
// Armed once, at the daemon's start, never again: not by a reload (keepalived arms
// vrrp_startup_delay only when !reload), and not when the supervisor restarts a director
// that died. A director that dies leaves the kernel's table serving (kill -9 removes
// nothing; its successor adopts the table with zero writes), so a master must keep its VIP
// through the restart rather than hand the traffic, and its synced connections, to the
// peer; and a backup held meanwhile could not take over from a master that fails in that
// window, which is an outage instead of a short degradation.
import type { Clock } from "../../common/clock.ts";
import type { DirectorOutcome, ToEngine } from "../ipc/messages.ts";

export class DirectorGate {
  /** Armed and not yet reported: the bound, and once the first engine has it, when it expires (monotonic ms). */
  private armed: { timeoutMs: number; deadlineMs?: number } | undefined;

  constructor(private readonly clock: Clock) {}

  /** At the daemon's start, when the director will run beside the engine; a timeout of 0 turns the gate off. */
  arm(timeoutMs: number): void {
    if (timeoutMs > 0) this.armed = { timeoutMs };
  }

  /**
   * For an engine's start message: the bound, which runs from the first engine's start; an
   * engine restarted before the director reported gets what is left of it (it waits no
   * longer than the first would have); none once it has passed or the director reported.
   */
  forEngineStart(): { timeoutMs: number } | undefined {
    if (!this.armed) return undefined;
    const now = this.clock.nowMs();
    this.armed.deadlineMs ??= now + this.armed.timeoutMs;
    return now < this.armed.deadlineMs ? { timeoutMs: this.armed.deadlineMs - now } : undefined;
  }

  /** The director's first report (or its end): the message that opens the gate, once; undefined after. */
  report(outcome: DirectorOutcome, detail?: string): Extract<ToEngine, { type: "director" }> | undefined {
    if (!this.armed) return undefined;
    this.armed = undefined;
    return { type: "director", outcome, ...(detail === undefined ? {} : { detail }) };
  }
}
