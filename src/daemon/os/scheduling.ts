// keepalived's per-process scheduling keywords (vrrp_* for the engine, checker_* for the
// observer), applied by a process to itself: nice value, memory locking, CPU affinity, and
// SCHED_RR with its realtime CPU limit. Linux keeps nice, affinity and policy per thread. A JavaScript runtime has helper threads (the
// garbage collector's among them) that the main thread may wait for, and it starts some
// later: the policy is applied to every thread, again whenever new ones appear, so the
// collector never runs starved beneath a realtime main thread. The compiler's threads
// keep the default policy: the main thread never waits for them. Failures are logged.
import { readdirSync, readFileSync } from "node:fs";
import type { Clock } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import type { ProcessScheduling } from "../../config/index.ts";
import { lockMemory, setCpuAffinity, setProcessNice, setRealtimeCpuLimit, setRealtimePriority } from "../../net/index.ts";

/**
 * keepalived's default realtime CPU limit is 10 ms between blocking calls. A JavaScript
 * runtime's collector can run longer than that at once, and the limit's SIGKILL would then
 * restart the engine: without an explicit *_rlimit_rttime tandem uses 200 ms.
 */
export const DEFAULT_RLIMIT_RTTIME_US = 200_000;
/** New threads are looked for this often. */
const RESCAN_MS = 2_000;
/** JavaScriptCore's compiler threads: asynchronous work nothing waits on. */
const COMPILER_THREAD = /^(JITWorker|JSCWarmUp)/;

function threads(): { tid: number; name: string }[] {
  try {
    return readdirSync("/proc/self/task").map((t) => {
      let name = "";
      try {
        name = readFileSync(`/proc/self/task/${t}/comm`, "utf8").trim();
      } catch {}
      return { tid: Number(t), name };
    });
  } catch {
    return [{ tid: process.pid, name: "" }];
  }
}

/** Apply `settings` to this process now and to the threads it starts later; returns the stopper. */
export function applyOwnScheduling(role: string, settings: ProcessScheduling | undefined, clock: Clock, logger: Logger): () => void {
  if (!settings) return () => {};
  const warned = new Set<string>();
  const attempt = (what: string, action: () => void) => {
    try {
      action();
    } catch (error) {
      if (!warned.has(what)) logger.warn(`${role}: cannot set ${what}: ${(error as Error).message}`);
      warned.add(what);
    }
  };
  if (settings.noSwap) attempt("no_swap (mlockall)", () => lockMemory());
  const limit = settings.rlimitRttimeUs ?? DEFAULT_RLIMIT_RTTIME_US;
  // The limit first: a realtime thread must never run unbounded, even for a moment.
  if (settings.rtPriority !== undefined) attempt(`realtime CPU limit ${limit} us`, () => setRealtimeCpuLimit(process.pid, limit));
  const done = new Set<number>();
  const perThread = () => {
    for (const { tid, name } of threads()) {
      if (done.has(tid)) continue;
      done.add(tid);
      // Linux keeps a nice value per thread.
      if (settings.nice !== undefined) attempt(`priority ${settings.nice}`, () => setProcessNice(tid, settings.nice!));
      if (settings.cpuAffinity) attempt(`CPU affinity ${settings.cpuAffinity.join(" ")}`, () => setCpuAffinity(tid, settings.cpuAffinity!));
      if (settings.rtPriority !== undefined && !COMPILER_THREAD.test(name))
        attempt(`realtime priority ${settings.rtPriority}`, () => setRealtimePriority(tid, settings.rtPriority!));
    }
  };
  perThread();
  if (settings.rtPriority !== undefined) {
    // Half the realtime limit sends SIGXCPU, whose default action would end the process: a
    // warning instead (keepalived logs it too); the whole limit still kills.
    let lastWarnedMs = -Infinity;
    process.on("SIGXCPU", () => {
      if (clock.nowMs() - lastWarnedMs < 10_000) return;
      lastWarnedMs = clock.nowMs();
      logger.warn(
        `${role}: a realtime thread ran more than ${Math.floor(limit / 2)} us without blocking (SIGXCPU); at ${limit} us the kernel kills the process`,
      );
    });
  }
  if (settings.rtPriority !== undefined) logger.info(`${role}: SCHED_RR priority ${settings.rtPriority}, at most ${limit} us of CPU between blocking calls`);
  if (settings.cpuAffinity === undefined && settings.rtPriority === undefined && settings.nice === undefined) return () => {};
  let timer = clock.at(clock.nowMs() + RESCAN_MS, function rescan() {
    perThread();
    timer = clock.at(clock.nowMs() + RESCAN_MS, rescan);
  });
  return () => timer.cancel();
}
