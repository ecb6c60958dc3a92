import { describe, expect, test } from "bun:test";
import { emptyCheckStats, recordCheck, summarizeCheckStats } from "../../../../src/check/check-stats.ts";
import type { CheckStatsEntry } from "../../../../src/check/check-stats-feed.ts";
import { CheckStatsTable } from "../../../../src/daemon/ipc/check-stats-table.ts";
import { toJsonText } from "../../../../src/daemon/ipc/json-text.ts";

const summary = (checks: number) => {
  const stats = emptyCheckStats();
  for (let i = 0; i < checks; i++) recordCheck(stats, { durationMs: 1, ok: true });
  return summarizeCheckStats(stats);
};
const message = (reset: boolean, entries: CheckStatsEntry[]) => ({ type: "check-stats" as const, reset, entries: toJsonText(entries) });

describe("the checks' counters as they arrive", () => {
  test("slices merge; a reset forgets what was held; whole() hands all of it on as one reset", () => {
    const table = new CheckStatsTable();
    expect(table.changes).toBe(0);
    table.apply(message(true, [["a", "r1", "c", summary(1)]]));
    table.apply(
      message(false, [
        ["a", "r2", "c", summary(2)],
        ["b", "r1", "c", summary(3)],
      ]),
    );
    table.apply(message(false, [["a", "r1", "c", summary(4)]]));
    expect(table.changes).toBe(3);
    expect(table.view()["a"]!["r1"]!["c"]!.checks).toBe(4);
    expect(table.view()["a"]!["r2"]!["c"]!.checks).toBe(2);
    const copy = new CheckStatsTable();
    copy.apply(table.whole());
    expect(copy.view()).toEqual(table.view());
    table.apply(message(true, [["b", "r1", "c", summary(5)]]));
    expect(table.view()).toEqual({ b: { r1: { c: summary(5) } } });
  });
});
