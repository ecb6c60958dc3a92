// The markdown tables of the health-check benchmark (test/bench/checks.ts): the host's ramp
// and its targets, the pair under that load, the director's profile; the guest's tandem beside
// keepalived 2.2.7 (checks/s, CPU per check) and the detection times.
import type { CheckKind } from "./checks-config.ts";
import type { HostDetection } from "./checks-host-detection.ts";
import type { HostResult, Step } from "./checks-host.ts";
import type { ProfileSummary } from "./checks-profile.ts";
import { markdownTable, summarize, type Summary } from "./stats.ts";

/** The targets of issue 11 on one core of the host. */
const RATE_TARGET: Record<CheckKind, number> = { TCP_CHECK: 10_000, HTTP_GET: 3_000, SSL_GET: 500 };
const LAG_P99_TARGET_MS = 20;
const ADVERT_GAP_TARGET_MS = 30;

const n0 = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? "-" : Math.round(v).toLocaleString("en-US"));
const n1 = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? "-" : v.toFixed(1));
/** "median (min-max)". */
const spread = (s: Summary | null, digits = 0): string =>
  s ? `${digits ? s.median.toFixed(digits) : n0(s.median)} (${digits ? s.min.toFixed(digits) : n0(s.min)}-${digits ? s.max.toFixed(digits) : n0(s.max)})` : "-";
const mb = (kb: number | undefined): string => (kb === undefined || !Number.isFinite(kb) ? "-" : `${(kb / 1024).toFixed(1)} MB`);

/** A step's rate followed its N (95 %) with the lag p99 within its bound. */
const sustained = (step: Step): boolean => {
  const rate = summarize(step.windows.map((w) => w.checksPerS));
  return !step.error && rate !== null && rate.median >= 0.95 * step.servers && step.lag.p99 <= LAG_P99_TARGET_MS;
};

export function renderHost(result: HostResult, profiles?: Record<string, unknown>, detection?: HostDetection): string {
  const out: string[] = [];
  out.push(`## Host: tandem's checks on one core (${result.cpus} cores: the daemon on core 1, nginx and the pair's backup on core 0)\n`);
  out.push(
    markdownTable(
      [
        "check",
        "checkers (delay_loop 1)",
        "checks/s",
        "CPU per check, the daemon (all processes)",
        "of which the director",
        "core 1 busy",
        "core 0 busy",
        "lag p50 / p99 / max (samples)",
        "director RSS",
        "failed checks (API)",
      ],
      result.steps.map((s) => [
        s.kind,
        n0(s.servers),
        spread(summarize(s.windows.map((w) => w.checksPerS))),
        `${spread(summarize(s.windows.map((w) => w.cpuUsPerCheck)))} us`,
        `${spread(summarize(s.windows.map((w) => w.directorCpuUsPerCheck)))} us (system ${n0(summarize(s.windows.map((w) => w.directorSystemUsPerCheck))?.median)} us)`,
        `${spread(summarize(s.windows.map((w) => w.coreBusy[1])))} % (softirq ${n1(summarize(s.windows.map((w) => w.coreSoftirq[1]))?.median)} %)`,
        `${spread(summarize(s.windows.map((w) => w.coreBusy[0])))} %`,
        `${n1(s.lag.p50)} / ${n1(s.lag.p99)} / ${n1(s.lag.max)} ms (${s.lag.samples})`,
        mb(s.directorRssKb),
        s.error
          ? `error: ${s.error}`
          : s.api
            ? `${n0(s.api.failures)} of ${n0(s.api.checks)}${s.api.failures ? ` ${JSON.stringify(s.api.failureClasses)}` : ""}`
            : "-",
      ]),
    ),
  );
  out.push(
    `\nEach row: ${result.steps[0]?.windows.length ?? 0} windows, median (min-max); the lag over all of them (a sample of up to 255 checkers, from the wire: checks-lag.ts).`,
  );

  out.push("\n### The targets on one core\n");
  const rows: string[][] = [];
  for (const kind of ["TCP_CHECK", "HTTP_GET", "SSL_GET"] as const) {
    const steps = result.steps.filter((s) => s.kind === kind);
    if (steps.length === 0) continue;
    const best = steps.filter(sustained).at(-1);
    const bestRate = best ? summarize(best.windows.map((w) => w.checksPerS))!.median : 0;
    const last = steps.at(-1)!;
    const cost = summarize(last.windows.map((w) => w.cpuUsPerCheck))?.median ?? NaN;
    const met = bestRate >= RATE_TARGET[kind];
    rows.push([
      kind,
      `${n0(RATE_TARGET[kind])}/s, lag p99 < ${LAG_P99_TARGET_MS} ms`,
      best ? `${n0(bestRate)}/s (lag p99 ${n1(best.lag.p99)} ms, core 1 ${n0(summarize(best.windows.map((w) => w.coreBusy[1]))?.median)} %)` : "none",
      `${n0(summarize(last.windows.map((w) => w.checksPerS))?.median)}/s asked ${n0(last.servers)}: lag p99 ${n1(last.lag.p99)} ms`,
      `${n0(1e6 / cost)}/s (${n0(cost)} us a check)`,
      met ? "met" : "NOT met",
    ]);
  }
  out.push(markdownTable(["check", "target", "highest rate sustained", "the last step", "one core's worth at the last step's cost", "target"], rows));

  out.push("\n### The director's memory per 1,000 checkers (RSS, the slope between the smallest and the largest step)\n");
  out.push(
    markdownTable(
      ["check", "RSS at the smallest step", "RSS at the largest step", "per 1,000 checkers"],
      (["TCP_CHECK", "HTTP_GET", "SSL_GET"] as const).flatMap((kind) => {
        const steps = result.steps.filter((s) => s.kind === kind && Number.isFinite(s.directorRssKb));
        if (steps.length < 2) return [];
        const [lo, hi] = [steps[0]!, steps.at(-1)!];
        const slope = ((hi.directorRssKb - lo.directorRssKb) / (hi.servers - lo.servers)) * 1000;
        return [[kind, `${mb(lo.directorRssKb)} (${n0(lo.servers)})`, `${mb(hi.directorRssKb)} (${n0(hi.servers)})`, mb(slope)]];
      }),
    ),
  );

  const pair = result.pair;
  out.push(`\n### The VRRPv3 pair at 10 ms adverts in the same daemon, through the windows (adverts from the master, captured on the backup)\n`);
  const byStep = new Map<string, typeof pair>();
  for (const w of pair) {
    const step = w.step.replace(/ #\d+$/, "");
    byStep.set(step, [...(byStep.get(step) ?? []), w]);
  }
  out.push(
    markdownTable(
      ["while", "seconds", "adverts", "max gap", `gaps > ${ADVERT_GAP_TARGET_MS} ms`, "adverts from the backup", "VIP changes"],
      [...byStep.entries()].map(([step, ws]) => [
        step,
        n0(ws.reduce((t, w) => t + w.seconds, 0)),
        n0(ws.reduce((t, w) => t + w.adverts, 0)),
        `${Math.max(...ws.map((w) => w.maxGapMs)).toFixed(1)} ms`,
        String(ws.reduce((t, w) => t + w.gapsOver30Ms, 0)),
        String(ws.reduce((t, w) => t + w.advertsFromBackup, 0)),
        String(ws.reduce((t, w) => t + w.vipChanges, 0)),
      ]),
    ),
  );
  const worst = Math.max(...pair.map((w) => w.maxGapMs));
  const transitions = pair.reduce((t, w) => t + w.advertsFromBackup + w.vipChanges, 0);
  out.push(
    `\nPair target (no transition, no advert gap over ${ADVERT_GAP_TARGET_MS} ms): ${transitions === 0 && worst <= ADVERT_GAP_TARGET_MS ? "met" : "NOT met"} (largest gap ${worst.toFixed(1)} ms, ${transitions} adverts from the backup or VIP changes).`,
  );

  if (detection) {
    out.push(
      `\n### tandem's detection on the host: the fault to the checker's logged verdict (fast profile: delay_loop 1, retry 0, connect_timeout 1; ${detection.trials} trials; no IPVS here, the kernel's change is the guest's)\n`,
    );
    out.push(
      markdownTable(
        ["fault", "samples", "min / median / max"],
        Object.entries(detection.byFault).map(([fault, values]) => {
          const s = summarize(values);
          return [fault, String(values.length), s ? `${n0(s.min)} / ${n0(s.median)} / ${n0(s.max)} ms` : "-"];
        }),
      ),
    );
    if (detection.missing) out.push(`\n${detection.missing} verdicts were not logged within 5 s.`);
  }

  if (profiles) {
    out.push("\n### Where the director's CPU goes (CPU profile of the director, bun --cpu-prof)\n");
    for (const [step, summary] of Object.entries(profiles)) {
      const p = summary as ProfileSummary | { error: string };
      if ("error" in p) {
        out.push(`${step}: ${p.error}\n`);
        continue;
      }
      out.push(`#### ${step}: ${n0(p.samples)} samples (about one a millisecond of JavaScript running)\n`);
      out.push(
        markdownTable(
          ["self (share of the samples)", "inclusive"],
          p.self.slice(0, 20).map((line, i) => [line, p.inclusive[i] ?? ""]),
        ),
      );
      out.push("");
    }
  }
  return out.join("\n");
}

type Any = Record<string, any>;

export function renderGuest(results: Map<string, unknown>): string {
  const get = (name: string): Any => (results.get(name) as Any | undefined) ?? {};
  const out: string[] = [];
  const guest = get("guest");
  out.push(
    `## Guest: tandem beside keepalived 2.2.7 (${guest.keepalived}) in one qemu guest (${guest.kernel}, ${guest.cpus} vCPUs, TCG, clocksource ${guest.clocksource})\n`,
  );
  out.push(
    "Checks on vCPU 1, nginx on vCPU 0; the same configuration for both, one after the other. Under TCG absolute speeds mean little: compare the rows.\n",
  );
  const rows: string[][] = [];
  for (const kind of ["TCP_CHECK", "HTTP_GET", "SSL_GET"] as const) {
    const costs: Record<string, number> = {};
    const marginals: Record<string, number> = {};
    for (const name of ["tandem", "keepalived"] as const) {
      const r = get(`throughput-${kind}-${name}`);
      if (r.error) {
        rows.push([kind, name, "-", `error: ${r.error}`, "", "", ""]);
        continue;
      }
      const windows = (r.windows ?? []) as Any[];
      const cost = summarize(windows.map((w) => w.cpuUsPerCheck));
      // The marginal cost: each window's CPU a second less the idle run's, over its checks a second.
      const idle = r.idle as Any | undefined;
      const marginal = (perCheckUs: number, checksPerS: number, idleMsPerS: number | undefined) =>
        idleMsPerS === undefined ? NaN : perCheckUs - (idleMsPerS * 1000) / checksPerS;
      const marginalAll = summarize(windows.map((w) => marginal(w.cpuUsPerCheck, w.checksPerS, idle?.cpuMsPerS)));
      const marginalChecker = summarize(windows.map((w) => marginal(w.checkerCpuUsPerCheck, w.checksPerS, idle?.checkerCpuMsPerS)));
      costs[name] = cost?.median ?? NaN;
      marginals[name] = marginalAll?.median ?? NaN;
      rows.push([
        kind,
        name === "tandem" ? "tandem -C" : "keepalived -C",
        n0(r.servers),
        spread(summarize(windows.map((w) => w.checksPerS)), 1),
        `${spread(cost)} us`,
        idle ? `${n0(idle.cpuMsPerS)} ms/s` : "-",
        marginalAll ? `${spread(marginalAll)} us` : "-",
        marginalChecker ? `${spread(marginalChecker)} us` : "-",
        mb(r.checkerRssKb),
      ]);
    }
    const ratio = (a: number | undefined, b: number | undefined) => `${((a! / b!) * 100).toFixed(0)} %`;
    rows.push([kind, "tandem / keepalived", "", "", ratio(costs.tandem, costs.keepalived), "", ratio(marginals.tandem, marginals.keepalived), "", ""]);
  }
  out.push(
    markdownTable(
      [
        "check",
        "daemon",
        "checkers",
        "checks/s",
        "CPU per check (all processes)",
        "idle CPU (no checks due)",
        "marginal CPU per check",
        "the checker process alone, marginal",
        "checker RSS",
      ],
      rows,
    ),
  );

  out.push("\n### Detection: a server's failure to the kernel's table change (ms; min / median / max over the servers and trials)\n");
  const det: string[][] = [];
  for (const profile of ["default", "fast"] as const) {
    for (const name of ["tandem", "keepalived"] as const) {
      const r = get(`detection-${profile}-${name}`);
      if (r.error) {
        det.push([profile, name, `error: ${r.error}`, "", "", ""]);
        continue;
      }
      for (const [fault, values] of Object.entries((r.byFault ?? {}) as Record<string, number[]>)) {
        const s = summarize(values);
        const verdict = summarize(((r.verdicts ?? {}) as Record<string, number[]>)[fault] ?? []);
        const removal = summarize(((r.removals ?? {}) as Record<string, number[]>)[fault] ?? []);
        det.push([
          profile === "default" ? "default timers" : "fast (delay_loop 1, retry 0, connect_timeout 1)",
          name,
          fault,
          String(values.length),
          s ? `${n0(s.min)} / ${n0(s.median)} / ${n0(s.max)}` : "-",
          name === "tandem" ? `${n0(verdict?.median)} / ${n0(removal?.median)}` : "(keepalived's log: whole seconds)",
          (r.missing ?? []).length ? `${r.missing.length} never left the table` : "",
        ]);
      }
    }
  }
  out.push(
    markdownTable(["timers", "daemon", "fault", "samples", "to the kernel: min / median / max", "logged verdict / logged removal (median)", "notes"], det),
  );
  return out.join("\n");
}
