// Admission control: how many requests, streams and validations each client (by address)
// and all clients together have in progress. Pure bookkeeping; the app asks before it does
// any work and releases when the work ends. Entries exist only while something is in
// progress, so the map is bounded by the totals, whatever addresses clients come from.

import type { ApiLimits } from "./limits.ts";
import type { RefusalReason } from "./refusals.ts";

export type Slot = "request" | "stream" | "validation";

export type Admission = { ok: true; release: () => void } | { ok: false; reason: RefusalReason };

interface Counts {
  request: number;
  stream: number;
  validation: number;
}

export class AdmissionControl {
  private readonly perClient = new Map<string, Counts>();
  private readonly totals: Counts = { request: 0, stream: 0, validation: 0 };

  constructor(private readonly limits: ApiLimits) {}

  /** Take a slot of this kind for the client, or say which limit refuses it. */
  enter(client: string, slot: Slot): Admission {
    const mine = this.perClient.get(client) ?? { request: 0, stream: 0, validation: 0 };
    const refusal = this.refusal(mine, slot);
    if (refusal) return { ok: false, reason: refusal };
    mine[slot]++;
    this.totals[slot]++;
    this.perClient.set(client, mine);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        mine[slot]--;
        this.totals[slot]--;
        if (mine.request + mine.stream + mine.validation === 0) this.perClient.delete(client);
      },
    };
  }

  /** In progress now, for /metrics. */
  inProgress(): Readonly<Counts> & { clients: number } {
    return { ...this.totals, clients: this.perClient.size };
  }

  private refusal(mine: Counts, slot: Slot): RefusalReason | undefined {
    const l = this.limits;
    switch (slot) {
      case "request":
        if (mine.request >= l.requestsPerClient) return "client-requests";
        if (this.totals.request >= l.requestsTotal) return "server-requests";
        return undefined;
      case "stream":
        if (mine.stream >= l.streamsPerClient) return "client-streams";
        if (this.totals.stream >= l.streamsTotal) return "server-streams";
        return undefined;
      case "validation":
        return mine.validation >= l.validationsPerClient ? "client-validations" : undefined;
    }
  }
}
