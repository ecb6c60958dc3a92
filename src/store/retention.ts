// Retention: events older than maxAgeDays and beyond the newest maxRows go, a bounded
// batch per run so a large backlog is worked off over several runs, never in one stall.
import type { EventTable } from "./event-table.ts";

export interface RetentionOptions {
  /** Default 90; Infinity keeps events of any age. */
  maxAgeDays?: number;
  /** Default 1,000,000; Infinity keeps any number. */
  maxRows?: number;
}

export interface RetentionPolicy {
  maxAgeMs: number;
  maxRows: number;
  /** Rows deleted per run at most. */
  batchRows: number;
}

export const DEFAULT_MAX_AGE_DAYS = 90;
export const DEFAULT_MAX_ROWS = 1_000_000;
/** About 10 ms of deleting, one batch a second: a backlog of a million rows goes in about 8 minutes; see test/bench/store-events.ts. */
export const RETENTION_BATCH_ROWS = 2_000;
const DAY_MS = 86_400_000;

/** Positive numbers and Infinity are taken; anything else falls back to the default. */
export function retentionPolicy(options: RetentionOptions = {}, batchRows = RETENTION_BATCH_ROWS): RetentionPolicy {
  const valid = (n: number | undefined): n is number => typeof n === "number" && n > 0 && !Number.isNaN(n);
  const days = valid(options.maxAgeDays) ? options.maxAgeDays : DEFAULT_MAX_AGE_DAYS;
  const rows = valid(options.maxRows) ? Math.floor(options.maxRows) : DEFAULT_MAX_ROWS;
  return { maxAgeMs: days * DAY_MS, maxRows: rows === 0 ? 1 : rows, batchRows: Math.max(1, Math.floor(batchRows)) };
}

/** One bounded run; `more` says the budget ran out before everything due was deleted. */
export function applyRetention(table: EventTable, policy: RetentionPolicy, nowWallMs: number): { deleted: number; more: boolean } {
  let budget = policy.batchRows;
  let deleted = 0;
  if (Number.isFinite(policy.maxAgeMs)) {
    const gone = table.deleteOlderThan(nowWallMs - policy.maxAgeMs, budget);
    deleted += gone;
    budget -= gone;
  }
  if (budget > 0 && Number.isFinite(policy.maxRows)) {
    // Keep the newest maxRows ids. Ids are contiguous except where events were dropped while
    // degraded, so this keeps at most maxRows rows (fewer by such gaps), in O(log n) instead
    // of counting a million rows every run.
    const lastToDelete = table.maxId() - policy.maxRows;
    if (lastToDelete >= table.minId() && lastToDelete > 0) {
      const gone = table.deleteIdsUpTo(lastToDelete, budget);
      deleted += gone;
      budget -= gone;
    }
  }
  if (deleted > 0) table.releaseFreePages();
  return { deleted, more: budget <= 0 };
}
