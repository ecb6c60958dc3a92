// Prometheus text format 0.0.4 parsed back strictly, for the /metrics tests: every line a
// comment or `name{labels} value`, HELP and TYPE once per family before its samples.
import { expect } from "bun:test";
import { createApiApp } from "../../../src/api/index.ts";
import type { FakeApi } from "./fakes.ts";

export interface Parsed {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

/** A strict parser of text format 0.0.4, so the test fails on anything a scraper might reject. */
export function parseExposition(text: string): Parsed {
  expect(text.endsWith("\n")).toBe(true);
  const parsed: Parsed = { help: new Map(), type: new Map(), samples: [] };
  const seenSamplesOf = new Set<string>();
  const familyOf = (name: string) =>
    [...parsed.type.keys()].find((f) => name === f || (parsed.type.get(f) === "histogram" && /^(.*)_(bucket|sum|count)$/.exec(name)?.[1] === f));
  for (const line of text.slice(0, -1).split("\n")) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const [, what, name, rest] = meta;
      const map = what === "HELP" ? parsed.help : parsed.type;
      if (map.has(name!)) throw new Error(`${what} twice for ${name}`);
      if (seenSamplesOf.has(name!)) throw new Error(`${what} for ${name} after its samples`);
      if (what === "TYPE") expect(["gauge", "counter", "histogram", "summary", "untyped"]).toContain(rest!);
      map.set(name!, rest!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!sample) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const [, name, labelText, valueText] = sample;
    const labels: Record<string, string> = {};
    const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/gy;
    let consumed = 0;
    for (const m of (labelText ?? "").matchAll(labelPattern)) {
      labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
      consumed = m.index! + m[0].length;
    }
    expect(consumed).toBe((labelText ?? "").length);
    const family = familyOf(name!);
    if (!family) throw new Error(`sample ${name} has no TYPE before it`);
    seenSamplesOf.add(family);
    parsed.samples.push({ name: name!, labels, value: valueText === "+Inf" ? Infinity : Number(valueText) });
  }
  for (const family of parsed.type.keys()) expect(parsed.help.has(family)).toBe(true);
  return parsed;
}

export async function scrape(fake: FakeApi): Promise<Parsed> {
  return parseExposition(await (await createApiApp(fake).request("/metrics")).text());
}

export const value = (p: Parsed, name: string, labels: Record<string, string> = {}) =>
  p.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
