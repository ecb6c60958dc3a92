// The checks' counters as they arrive from the director, slice by slice (check-stats-feed.ts):
// the supervisor keeps them to hand a restarted observer all of them at once, the observer to
// put them in the API's view.
import type { CheckStatsTableView } from "../../api/ports.ts";
import type { CheckStatsEntry } from "../../check/check-stats-feed.ts";
import { fromJsonText, toJsonText } from "./json-text.ts";
import type { CheckStatsMessage } from "./messages.ts";

export class CheckStatsTable {
  private table: CheckStatsTableView = {};
  /** Moves at every message: a view built from an older one is stale. */
  private version = 0;

  apply(message: CheckStatsMessage): void {
    if (message.reset) this.table = {};
    for (const [virtualServer, realServer, checker, summary] of fromJsonText(message.entries)) {
      ((this.table[virtualServer] ??= {})[realServer] ??= {})[checker] = summary;
    }
    this.version++;
  }

  get changes(): number {
    return this.version;
  }

  view(): CheckStatsTableView {
    return this.table;
  }

  /** Everything held, as one message that replaces whatever the receiver had. */
  whole(): CheckStatsMessage {
    const entries: CheckStatsEntry[] = [];
    for (const [virtualServer, servers] of Object.entries(this.table)) {
      for (const [realServer, checkers] of Object.entries(servers)) {
        for (const [checker, summary] of Object.entries(checkers)) entries.push([virtualServer, realServer, checker, summary]);
      }
    }
    return { type: "check-stats", reset: true, entries: toJsonText(entries) };
  }
}
