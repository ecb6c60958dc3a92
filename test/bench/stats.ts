// Summaries (min / median / max) and the markdown tables the benchmark prints.

export interface Summary {
  n: number;
  min: number;
  median: number;
  max: number;
}

export function summarize(values: (number | null | undefined)[]): Summary | null {
  const v = values.filter((x): x is number => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { n: v.length, min: v[0]!, median, max: v[v.length - 1]! };
}

/** "2.674 / 3.192 / 3.493" in seconds, or "-" when nothing was measured. */
export function fmtSummary(s: Summary | null | undefined, digits = 3): string {
  if (!s) return "-";
  return `${s.min.toFixed(digits)} / ${s.median.toFixed(digits)} / ${s.max.toFixed(digits)}`;
}

export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
