// Failover scenarios (kill -9, SIGTERM, track script) measured like interop/keepalived-failover.py.

import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Capture, delay, parseNotifyLog, wallMs, type Advert, type PcapContents, type VrrpPair } from "../netns/lib/index.ts";
import { boxConfig, notifyLog, PRIORITY, startPair, trackFile, VIP, type BenchContext, type ScenarioResult } from "./context.ts";
import { summarize } from "./stats.ts";

export type Action = "kill9" | "sigterm" | "track";

export interface FailoverScenario {
  name: string;
  description: string;
  action: Action;
  version: 2 | 3;
  advertInt: number;
  /** Track script on the master (needed by "track"; off keeps fast timers unperturbed). */
  track: boolean;
  /** Capture pre-roll before the action: base + uniform(0, jitter), ms. */
  prerollMs: number;
  jitterMs: number;
}

const ACTION_TEXT: Record<Action, string> = {
  kill9: "kill -9 (whole daemon)",
  sigterm: "SIGTERM (priority-0 advert)",
  track: "track script 100 -> 85 < 90, interval 1 s",
};

/** The interop/README.md table: each action at v2 adv 1 s and at v3 adv 0.1 s. */
export const FAILOVER_SCENARIOS: FailoverScenario[] = (["kill9", "sigterm", "track"] as const).flatMap((action) =>
  (
    [
      [2, 1],
      [3, 0.1],
    ] as const
  ).map(([version, advertInt]) => ({
    name: `${action}-v${version}`,
    description: `${ACTION_TEXT[action]}, v${version} adv ${advertInt} s`,
    action,
    version,
    advertInt,
    track: true,
    // a 1.1 s pre-roll holds at least one advert; the 0-1 s jitter covers a whole advert
    // period at v2 and a whole script interval (1 s) for "track"
    prerollMs: 1100,
    jitterMs: 1000,
  })),
);

/** Gratuitous ARPs the new master sends a second time after garp_master_delay (5 s) must not
 * fall into the next trial's window: wait this long after a takeover before the next one. */
const AFTER_TAKEOVER_MS = 6500;
/** Capture window kept open after the takeover for the GARP burst and the new adverts. */
const POST_ROLL_MS = 1000;
const TAKEOVER_TIMEOUT_MS = 15_000;

export async function runFailover(ctx: BenchContext, sc: FailoverScenario): Promise<ScenarioResult> {
  const result: ScenarioResult = {
    implementation: ctx.pair.label,
    scenario: sc.name,
    description: sc.description,
    trials: 0,
    failures: [],
    summary: {},
    runs: [],
  };
  const pair = await startPair(ctx, (side) => boxConfig(ctx, side, { version: sc.version, advertInt: sc.advertInt, track: sc.track }));
  let lastTakeoverMs = 0;
  try {
    for (let i = 1; i <= ctx.trials; i++) {
      try {
        await ensureBaseline(ctx, pair, lastTakeoverMs);
        const run = await oneTrial(ctx, pair, sc, i);
        lastTakeoverMs = wallMs();
        result.runs.push(run);
        ctx.log(
          `${ctx.pair.label} ${sc.name} #${i}: VIP on backup ${fmt(run.vipOnBackupS)} s, ` +
            `GARP ${fmt(run.garpFromBackupS)} s, from ${run.takeoverReference} ${fmt(run.takeoverFromAdvertS)} s`,
        );
      } catch (e) {
        const msg = `trial ${i}: ${(e as Error).message.split("\n")[0]}`;
        result.failures.push(msg);
        ctx.log(`${ctx.pair.label} ${sc.name} ${msg}`);
        lastTakeoverMs = wallMs();
        if (result.failures.length >= 3) {
          result.failures.push("aborted after 3 failed trials");
          break;
        }
      }
    }
  } finally {
    await pair.stop();
  }
  result.trials = result.runs.length;
  for (const key of [
    "vipOnBackupS",
    "vipOnBackupPollS",
    "garpFromBackupS",
    "advertFromBackupS",
    "takeoverFromAdvertS",
    "lastMasterAdvertS",
    "vipOffMasterS",
    "notifyBackupS",
  ]) {
    result.summary[key] = summarize(result.runs.map((r) => r[key] as number | null));
  }
  return result;
}

/** a running and alone holding the VIP, b running, no track file, and enough quiet time
 * since the last takeover. Restarts whatever the previous trial stopped. */
async function ensureBaseline(ctx: BenchContext, pair: VrrpPair, lastTakeoverMs: number): Promise<void> {
  rmSync(trackFile(ctx, "a"), { force: true });
  for (const side of ["a", "b"] as const) {
    const d = pair.daemons[side];
    if (!d || d.exitCode !== null || !d.alive()) {
      if (d) d.kill9(); // a half-dead daemon (e.g. a lone orphaned child) must not linger
      await pair.startSide(side);
    }
  }
  await pair.waitSoleHolder("a", 20_000);
  const quietUntil = Math.max(wallMs() + 1000, lastTakeoverMs + AFTER_TAKEOVER_MS);
  await delay(quietUntil - wallMs()); // settling time, not an event: see AFTER_TAKEOVER_MS
}

async function oneTrial(ctx: BenchContext, pair: VrrpPair, sc: FailoverScenario, index: number): Promise<Record<string, unknown>> {
  const a = ctx.topo.box("a");
  const b = ctx.topo.box("b");
  const cap = await Capture.start(ctx.topo, { file: join(ctx.topo.runDir, `${ctx.pair.label.replace(/\W+/g, "-")}-${sc.name}-${index}.pcap`) });
  let pcap: PcapContents | null = null;
  try {
    // uniform random delay: t0 falls at a random phase of the advert and script timers
    await delay(sc.prerollMs + Math.random() * sc.jitterMs);
    const t0 = wallMs();
    let stopping: Promise<number | null> | null = null;
    if (sc.action === "kill9") pair.daemon("a").kill9();
    else if (sc.action === "sigterm") stopping = pair.daemon("a").stop("SIGTERM", 5000);
    else writeFileSync(trackFile(ctx, "a"), "");
    const onB = await pair.watchers.b.waitFor(true, { afterMs: t0, timeoutMs: TAKEOVER_TIMEOUT_MS });
    const offA = sc.action === "kill9" ? null : await pair.watchers.a.waitFor(false, { afterMs: t0, timeoutMs: TAKEOVER_TIMEOUT_MS });
    const exitCode = stopping ? await stopping : sc.action === "kill9" ? await pair.reap("a") : null;
    await delay(POST_ROLL_MS); // the GARP burst is on the wire only once it happened
    pcap = await cap.stop();
    const adverts = pcap.adverts;
    const fromMaster = (x: Advert) => x.srcIp === a.ip && x.vrid === 51;
    const after = (tMs: number) => us((tMs - t0) / 1000);
    const lastA = adverts.filter((x) => fromMaster(x) && x.tMs < t0).at(-1);
    const prio0 = adverts.find((x) => fromMaster(x) && x.tMs >= t0 && x.priority === 0);
    const lowPrio = adverts.find((x) => fromMaster(x) && x.tMs >= t0 && x.priority < PRIORITY.b && x.priority > 0);
    // the advert b last accepted: the last one from a that still outranked b
    const lastAccepted = adverts.filter((x) => fromMaster(x) && x.tMs < onB.tMs && x.priority > PRIORITY.b).at(-1);
    const reference =
      sc.action === "sigterm"
        ? { name: "priority-0 advert", t: prio0?.tMs }
        : sc.action === "track"
          ? { name: "last accepted advert", t: lastAccepted?.tMs }
          : { name: "last advert", t: lastA?.tMs };
    const garpB = pcap.arps.find((f) => f.tMs >= t0 && f.gratuitous && f.senderIp === VIP && f.srcMac === b.mac);
    const advertB = adverts.find((x) => x.tMs >= t0 && x.srcIp === b.ip);
    const notifyB = readNotifyMaster(notifyLog(ctx, "b"), t0);
    return {
      trial: index,
      t0,
      vipOnBackupS: onB.netlinkMs !== null ? after(onB.netlinkMs) : null,
      vipOnBackupPollS: onB.pollMs !== null ? after(onB.pollMs) : null,
      garpFromBackupS: garpB ? after(garpB.tMs) : null,
      advertFromBackupS: advertB ? after(advertB.tMs) : null,
      lastMasterAdvertS: lastA ? after(lastA.tMs) : null,
      takeoverReference: reference.name,
      takeoverFromAdvertS: reference.t !== undefined ? us((onB.tMs - reference.t) / 1000) : null,
      prio0AdvertS: prio0 ? after(prio0.tMs) : null,
      lowPrioAdvertS: lowPrio ? after(lowPrio.tMs) : null,
      vipOffMasterS: offA ? after(offA.tMs) : null,
      notifyBackupS: notifyB !== null ? after(notifyB) : null,
      garpsFromBackupInWindow: pcap.arps.filter((f) => f.tMs >= t0 && f.gratuitous && f.srcMac === b.mac).length,
      masterExit: exitCode,
    };
  } finally {
    if (!pcap) await cap.stop().catch(() => undefined);
  }
}

function readNotifyMaster(path: string, afterMs: number): number | null {
  if (!existsSync(path)) return null;
  const ev = parseNotifyLog(readFileSync(path, "utf8")).find((e) => e.tMs >= afterMs && e.state === "MASTER");
  return ev ? ev.tMs : null;
}

/** Seconds rounded to the microsecond, the resolution of both time sources. */
function us(s: number): number {
  return Math.round(s * 1e6) / 1e6;
}

function fmt(v: unknown): string {
  return typeof v === "number" ? v.toFixed(3) : "-";
}
