// Prometheus text exposition format 0.0.4: one HELP and one TYPE line per family, then
// its samples, with label values and help text escaped as the format requires.

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type MetricType = "gauge" | "counter" | "histogram";
export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  /** Defaults to the family name; histograms use name_bucket, name_sum, name_count. */
  suffix?: "_bucket" | "_sum" | "_count";
  labels: Labels;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

/** Label values: backslash, double quote and line feed are escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text: backslash and line feed are escaped (quotes are not). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

export function renderFamilies(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) lines.push(`${family.name}${sample.suffix ?? ""}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
  }
  return lines.join("\n") + "\n";
}

/** A cumulative histogram's samples from raw observations (le buckets, +Inf = count). */
export function histogramSamples(observations: readonly number[], upperBounds: readonly number[], labels: Labels = {}): Sample[] {
  const samples: Sample[] = upperBounds.map((bound) => ({
    suffix: "_bucket",
    labels: { ...labels, le: formatValue(bound) },
    value: observations.filter((o) => o <= bound).length,
  }));
  samples.push({ suffix: "_bucket", labels: { ...labels, le: "+Inf" }, value: observations.length });
  samples.push({ suffix: "_sum", labels, value: observations.reduce((sum, o) => sum + o, 0) });
  samples.push({ suffix: "_count", labels, value: observations.length });
  return samples;
}
