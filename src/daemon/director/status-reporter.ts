// The director's status, built only when its inputs changed: with tens of thousands of
// destinations it is megabytes, which the supervisor and the observer each decode again.
// Between passes little in it changes, so most seconds carry only the heartbeat ("alive",
// which the supervisor's watchdog counts as heard).
import type { DirectorSnapshot } from "../../ipvs/director.ts";
import type { IpvsTotals } from "../../ipvs/ip-vs-stats.ts";
import type { ResolvedVirtualServer } from "../../ipvs/resolved-plan.ts";
import type { FromDirector } from "../ipc/messages.ts";
import { ipvsStatus, type ApplyRecord } from "./ipvs-status.ts";
import type { PreflightResult } from "./preflight-pass.ts";
import { toJsonText } from "../ipc/json-text.ts";
import type { CheckerStates } from "../check/checker-runner.ts";

/** What the status is built from; the same inputs (by identity) give the same status. */
export interface StatusInputs {
  available: boolean;
  reason: string | undefined;
  resolved: readonly ResolvedVirtualServer[];
  snapshot: DirectorSnapshot | undefined;
  lastApply: ApplyRecord | undefined;
  driftRepairs: number;
  preflight: PreflightResult | undefined;
  totals: IpvsTotals | undefined;
  checkers: CheckerStates | undefined;
}

/** Every input, compiler-checked: a new one left out here would never refresh the status. */
const KEYS = Object.keys({
  available: true,
  reason: true,
  resolved: true,
  snapshot: true,
  lastApply: true,
  driftRepairs: true,
  preflight: true,
  totals: true,
  checkers: true,
} satisfies Record<keyof StatusInputs, true>) as (keyof StatusInputs)[];

/** What moves on its own between status builds, and is sent alone ("totals") when nothing else did. */
const COUNTERS = new Set<keyof StatusInputs>(["totals"]);

export class StatusReporter {
  private sent: StatusInputs | undefined;

  /** The message for this round: the status when an input changed, the counters alone when only they did, else the heartbeat. */
  message(inputs: StatusInputs): Extract<FromDirector, { type: "status" | "totals" | "alive" }> {
    const sent = this.sent;
    if (sent && KEYS.every((key) => inputs[key] === sent[key])) return { type: "alive" };
    // Under traffic the counters move every second; the rest (megabytes at 40,000 destinations) is not built and sent again for them.
    if (sent && KEYS.every((key) => COUNTERS.has(key) || inputs[key] === sent[key])) {
      this.sent = inputs;
      return { type: "totals", totals: inputs.totals };
    }
    this.sent = inputs;
    const { snapshot, reason, lastApply, preflight, totals, checkers } = inputs;
    return {
      type: "status",
      status: toJsonText(
        ipvsStatus({
          available: inputs.available,
          ...(reason === undefined ? {} : { reason }),
          resolved: inputs.resolved,
          snapshot,
          ...(snapshot ? { observedAtMs: snapshot.observedAtMs } : {}),
          ...(lastApply ? { lastApply } : {}),
          driftRepairs: inputs.driftRepairs,
          ...(preflight ? { preflight } : {}),
          ...(totals ? { totals } : {}),
          ...(checkers ? { checkers } : {}),
        }),
      ),
    };
  }
}
