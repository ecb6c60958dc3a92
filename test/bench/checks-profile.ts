// Where the director's CPU goes while it checks: a V8-format CPU profile (bun --cpu-prof, set
// for every process of the daemon through BUN_OPTIONS, written when the process exits) read
// into the functions with the most self samples and the most inclusive samples, with their
// shares. Samples, not their time deltas: the sampler takes one about every millisecond while
// the thread runs JavaScript, and the delta after an idle stretch holds the idle time, which
// would be charged to whatever ran first after it (the timers that start the checks).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
}

export interface ProfileSummary {
  file: string;
  samples: number;
  /** "12.3% (4567) name file:line", most first. */
  self: string[];
  inclusive: string[];
}

/** The profile a process of this pid wrote into dir (bun names them CPU.<date>.<time>.<pid>.<n>.cpuprofile). */
export function profileOf(dir: string, pid: number): string | undefined {
  const name = readdirSync(dir).find((file) => file.split(".")[3] === String(pid));
  return name ? join(dir, name) : undefined;
}

export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const nameOf = (id: number): string => {
    const frame = byId.get(id)!.callFrame;
    return `${frame.functionName || "(anonymous)"} ${frame.url.split("/").slice(-2).join("/")}:${frame.lineNumber + 1}`;
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const total = profile.samples.length;
  for (const id of profile.samples) {
    self.set(nameOf(id), (self.get(nameOf(id)) ?? 0) + 1);
    // A recursive function counts once per sample.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) seen.add(nameOf(at));
    for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + 1);
  }
  const ranked = (map: Map<string, number>): string[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, count]) => `${((count / total) * 100).toFixed(1)}% (${count}) ${name}`);
  return { file, samples: total, self: ranked(self), inclusive: ranked(inclusive) };
}
