// Where each character of a logical line came from, as a few runs instead of one number
// per character: a line read from a file is one run, and substitution adds a run per
// replaced reference. Diagnostics use it to point at the original file:line:col.

/**
 * From text index `at` on, characters have source column `col + (i - at) * step`:
 * step 1 for text copied from the source, 0 for the value of a `$NAME` (every character
 * of it points at the `$`). Runs are sorted by `at`; the first starts at 0.
 */
export interface ColumnRun {
  at: number;
  col: number;
  step: 0 | 1;
}

export type ColumnMap = readonly ColumnRun[];

/**
 * The maps of lines that start at columns 1..SHARED_START_COLUMNS (a line as read, or after
 * its indentation is trimmed): shared, so that most lines allocate no map of their own.
 * Not frozen: JSC reads frozen arrays on a slower path, and the type already forbids writes.
 */
const SHARED_START_COLUMNS = 128;
const FROM_COLUMN: readonly ColumnMap[] = Array.from({ length: SHARED_START_COLUMNS + 1 }, (_, col) => [{ at: 0, col, step: 1 }]);

/** A line as read: character i is at column startCol + i. */
export function identityColumns(startCol = 1): ColumnMap {
  return startCol >= 1 && startCol <= SHARED_START_COLUMNS ? (FROM_COLUMN[startCol] as ColumnMap) : [{ at: 0, col: startCol, step: 1 }];
}

/** Index of the run holding text index i (the last run starting at or before it). */
function runIndex(map: ColumnMap, i: number): number {
  let lo = 0;
  let hi = map.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((map[mid] as ColumnRun).at <= i) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The source column of text index i (past the end: the column after the last character). */
export function columnAt(map: ColumnMap, i: number): number {
  const run = map[map.length === 1 ? 0 : runIndex(map, i)];
  if (!run) return 1;
  return run.col + (i - run.at) * run.step;
}

/** The map of text.slice(start, end). */
export function sliceColumns(map: ColumnMap, start: number, end: number): ColumnMap {
  const only = map.length === 1 ? (map[0] as ColumnRun) : undefined;
  // Text copied from the source as one run (nearly every line): the slice is one run too.
  if (end <= start || (only && only.step === 1 && only.at === 0)) return identityColumns(columnAt(map, start));
  const first = runIndex(map, start);
  const out: ColumnRun[] = [];
  for (let k = first; k < map.length; k++) {
    const run = map[k] as ColumnRun;
    if (run.at >= end) break;
    if (run.at <= start) out.push({ at: 0, col: run.col + (start - run.at) * run.step, step: run.step });
    else out.push({ at: run.at - start, col: run.col, step: run.step });
  }
  return out;
}

/** Builds the map of a line assembled piece by piece (substitution, joined lines). */
export class ColumnMapBuilder {
  private readonly runs: ColumnRun[] = [];
  private length = 0;

  /** Append `count` characters copied from text indexes [from, from+count) of a line with `map`. */
  copy(map: ColumnMap, from: number, count: number): void {
    if (count <= 0) return;
    for (const run of sliceColumns(map, from, from + count)) this.push(this.length + run.at, run.col, run.step);
    this.length += count;
  }

  /** Append `count` characters that all point at column `col` (an expansion). */
  fixed(col: number, count: number): void {
    if (count <= 0) return;
    this.push(this.length, col, 0);
    this.length += count;
  }

  build(): ColumnMap {
    return this.runs.length > 0 ? this.runs : identityColumns();
  }

  private push(at: number, col: number, step: 0 | 1): void {
    const last = this.runs[this.runs.length - 1];
    // Merge a run that continues the previous one, so copied text stays one run.
    if (last && last.step === step && last.col + (at - last.at) * step === col) return;
    this.runs.push({ at, col, step });
  }
}
