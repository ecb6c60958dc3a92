// Every way the API refuses a request because of who asked or how much: its status, the
// message the caller reads, a counter per reason for /metrics, and a bounded trace in the
// history (the first refusal of a client for a reason at once, the rest summed per minute),
// so a flood of refused requests can never flood the history in turn.
import type { Clock, TimerHandle } from "../common/clock.ts";
import type { NewEvent } from "../store/event.ts";

export const REFUSALS = {
  unauthenticated: { status: 401, error: "authentication required" },
  "wrong-token": { status: 403, error: "wrong token" },
  "client-requests": { status: 429, error: "too many requests in progress from this address" },
  "server-requests": { status: 503, error: "the API is serving as many requests as it may; try again shortly" },
  "client-streams": { status: 429, error: "too many event streams open from this address" },
  "server-streams": { status: 503, error: "as many event streams are open as the API allows; try again later" },
  "client-validations": { status: 429, error: "a validation from this address is still running" },
  "server-validations": { status: 503, error: "as many validations are running as the box allows; try again shortly" },
  "body-too-large": { status: 413, error: "request body too large" },
  "body-too-slow": { status: 408, error: "the request body did not arrive in time" },
  "url-too-long": { status: 414, error: "URL too long" },
} as const satisfies Record<string, { status: number; error: string }>;

export type RefusalReason = keyof typeof REFUSALS;

export const REFUSAL_REASONS = Object.keys(REFUSALS) as RefusalReason[];

export interface Refusal {
  client: string;
  reason: RefusalReason;
  method: string;
  path: string;
}

export interface RefusalLogOptions {
  clock: Pick<Clock, "wallMs" | "nowMs" | "at">;
  record: (event: NewEvent) => void;
  /** Summaries are written at the end of windows of this length. */
  windowMs?: number;
  /** History events per window, summaries included; the rest are summed into one line. */
  maxEventsPerWindow?: number;
}

interface Tally {
  client: string;
  reason: RefusalReason;
  /** Refusals after the recorded first one, in this window. */
  more: number;
  last: Refusal;
}

/** Counts refusals and leaves a bounded trace of them in the history. */
export class RefusalLog {
  private readonly counts = new Map<RefusalReason, number>(REFUSAL_REASONS.map((r) => [r, 0]));
  private readonly window = new Map<string, Tally>();
  private eventsThisWindow = 0;
  /** Refusals that fit in no event of this window (too many clients or reasons). */
  private unrecorded = 0;
  private flush: TimerHandle | undefined;
  private readonly windowMs: number;
  private readonly maxEvents: number;

  constructor(private readonly options: RefusalLogOptions) {
    this.windowMs = options.windowMs ?? 60_000;
    this.maxEvents = options.maxEventsPerWindow ?? 20;
  }

  refused(refusal: Refusal): void {
    this.counts.set(refusal.reason, (this.counts.get(refusal.reason) ?? 0) + 1);
    const key = `${refusal.reason} ${refusal.client}`;
    const tally = this.window.get(key);
    this.flush ??= this.options.clock.at(this.options.clock.nowMs() + this.windowMs, () => this.endWindow());
    if (tally) {
      tally.more++;
      tally.last = refusal;
      return;
    }
    if (this.eventsThisWindow >= this.maxEvents) {
      this.unrecorded++;
      return;
    }
    this.window.set(key, { client: refusal.client, reason: refusal.reason, more: 0, last: refusal });
    this.write(
      refusal,
      1,
      `${refusal.client}: ${refusal.method} ${refusal.path} refused (${REFUSALS[refusal.reason].status} ${REFUSALS[refusal.reason].error})`,
    );
  }

  /** Refusals since start, by reason (every reason present, 0 when none). */
  totals(): ReadonlyMap<RefusalReason, number> {
    return this.counts;
  }

  stop(): void {
    this.flush?.cancel();
    this.flush = undefined;
  }

  private endWindow(): void {
    this.flush = undefined;
    const seconds = Math.round(this.windowMs / 1000);
    this.eventsThisWindow = 0;
    let unrecorded = this.unrecorded;
    for (const tally of this.window.values()) {
      if (tally.more === 0) continue;
      if (this.eventsThisWindow >= this.maxEvents - 1) {
        unrecorded += tally.more;
        continue;
      }
      const { status, error } = REFUSALS[tally.reason];
      this.write(tally.last, tally.more, `${tally.client}: ${tally.more} more request(s) refused in ${seconds} s (${status} ${error})`);
    }
    if (unrecorded > 0) {
      this.options.record({
        kind: "api.refused",
        atMs: this.options.clock.wallMs(),
        summary: `${unrecorded} more refused request(s) in ${seconds} s from other clients or for other reasons (see tandem_api_refused_total)`,
        data: { client: "*", reason: "*", status: 0, count: unrecorded },
      });
    }
    this.window.clear();
    this.unrecorded = 0;
    this.eventsThisWindow = 0;
  }

  private write(refusal: Refusal, count: number, summary: string): void {
    this.eventsThisWindow++;
    const { status } = REFUSALS[refusal.reason];
    this.options.record({
      kind: "api.refused",
      atMs: this.options.clock.wallMs(),
      summary,
      data: { client: refusal.client, reason: refusal.reason, status, count, method: refusal.method, path: refusal.path },
    });
  }
}
