import { describe, expect, test } from "bun:test";
import { emptyCheckStats, recordCheck, recordFlap } from "../../../src/check/check-stats.ts";
import { CHECK_STATS_MIN_SLICE, CHECK_STATS_ROUND_SLICES, CheckStatsFeed, type FedChecker } from "../../../src/check/check-stats-feed.ts";

const checkers = (count: number): FedChecker[] =>
  Array.from({ length: count }, (_, i) => ({ target: { virtualServer: "vs", realServer: `rs${i}`, checker: "TCP_CHECK#0" }, stats: emptyCheckStats() }));

const checkAll = (members: FedChecker[]) => members.forEach((m) => recordCheck(m.stats, { durationMs: 2, ok: true }));

describe("the checks' counters, a slice at a time", () => {
  test("the first slice resets even with nothing counted yet; then nothing until a check moves something", () => {
    const feed = new CheckStatsFeed();
    const members = checkers(3);
    feed.replace(members);
    expect(feed.next()).toEqual({ reset: true, entries: [] });
    expect(feed.next()).toBeUndefined();
    recordCheck(members[1]!.stats, { durationMs: 4, ok: false, reason: "connection refused" });
    const slice = feed.next()!;
    expect(slice.reset).toBe(false);
    expect(slice.entries).toEqual([["vs", "rs1", "TCP_CHECK#0", expect.objectContaining({ checks: 1, failures: 1, failuresByClass: { refused: 1 } })]]);
    expect(feed.next()).toBeUndefined();
    recordFlap(members[1]!.stats);
    expect(feed.next()!.entries.map((e) => e[1])).toEqual(["rs1"]);
  });

  test("a slice holds at most a fifth of the checkers, taken round-robin, so each is sent within a round", () => {
    const count = CHECK_STATS_MIN_SLICE * CHECK_STATS_ROUND_SLICES * 2;
    const members = checkers(count);
    const feed = new CheckStatsFeed();
    feed.replace(members);
    feed.next();
    checkAll(members);
    const seen = new Set<string>();
    for (let i = 0; i < CHECK_STATS_ROUND_SLICES; i++) {
      const slice = feed.next()!;
      expect(slice.entries.length).toBe(count / CHECK_STATS_ROUND_SLICES);
      for (const entry of slice.entries) seen.add(entry[1]);
    }
    expect(seen.size).toBe(count);
    expect(feed.next()).toBeUndefined();
    // Moving one checker behind the cursor and one ahead of it: both go, in the order of the round.
    recordCheck(members[7]!.stats, { durationMs: 1, ok: true });
    recordCheck(members[count - 1]!.stats, { durationMs: 1, ok: true });
    expect(feed.next()!.entries.map((e) => e[1])).toEqual(["rs7", `rs${count - 1}`]);
  });

  test("small configurations go whole in one slice", () => {
    const members = checkers(CHECK_STATS_MIN_SLICE);
    const feed = new CheckStatsFeed();
    feed.replace(members);
    checkAll(members);
    expect(feed.next()!.entries.length).toBe(CHECK_STATS_MIN_SLICE);
  });

  test("after a reload every counter is sent again behind a reset, a migrated checker's too", () => {
    const members = checkers(2);
    const feed = new CheckStatsFeed();
    feed.replace(members);
    checkAll(members);
    expect(feed.next()!.entries.length).toBe(2);
    expect(feed.next()).toBeUndefined();
    // The reload keeps rs0's counters (migrate_checkers) and drops rs1.
    feed.replace([members[0]!]);
    expect(feed.next()).toEqual({ reset: true, entries: [["vs", "rs0", "TCP_CHECK#0", expect.objectContaining({ checks: 1 })]] });
  });
});
