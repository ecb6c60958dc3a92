// The health checks driving the appliance kernel's IPVS table, in one qemu guest
// (checks-program.ts), beside keepalived 2.2.7's checker in the same guest and run: real nginx
// servers fail (a 503, a SIGKILL) and recover; a failed real server leaves the table, or drops
// to weight 0 with inhibit_on_failure, and returns; losing the quorum brings the sorry server
// in, regaining it takes it out; a client looping through the VIP sees no failed request sent
// after the table changed. The same file, faults and schedule under keepalived give the same
// transitions in the same order.
import { beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CHECK_TIMING } from "./checks-config.ts";
import { SCENARIO } from "./checks-scenario.ts";
import { CHECKS_MODULES, QUORUM_PORT, REAL_HOSTS, SORRY_HOST, VIP_ADDRESS, WEB_PORT } from "./checks-topology.ts";
import {
  clientTallies,
  detections,
  phaseAt,
  sequencesByPhase,
  START_PHASE,
  STOP_PHASE,
  transitionsOf,
  type Detection,
  type PhaseSequences,
  type PhaseTally,
  type ScenarioRun,
} from "./checks-transitions.ts";
import { hasQemu, imageDir, runInGuest, type GuestRun } from "./ipvs-guest.ts";

const image = imageDir();
/** Why the guest cannot run here, said in the suite's name so a skip explains itself. */
const unavailable = !hasQemu()
  ? "qemu-system-x86_64 or cpio is missing"
  : !image
    ? "no image: out/vmlinux and out/initramfs.zst are missing (make image), and $TANDEM_IMAGE_DIR names none"
    : undefined;
const NGINX = join(process.env.TEST_SERVERS ?? "/var/cache/tandem-test", "nginx/usr/sbin/nginx");
const KEEPALIVED = Bun.which("keepalived") ?? "/usr/sbin/keepalived";
const REPO = join(import.meta.dir, "../..");

const WEB = `TCP ${VIP_ADDRESS}:${WEB_PORT}`;
const QUORUM = `TCP ${VIP_ADDRESS}:${QUORUM_PORT}`;
const SORRY = new Set([`${SORRY_HOST.address}:${QUORUM_PORT}`]);
const rs = (name: string, port: number) => `${REAL_HOSTS.find((h) => h.name === name)!.address}:${port}`;
const virtualServerOfPort = (port: number) => `TCP ${VIP_ADDRESS}:${port}`;

/**
 * The guest under TCG: timers fire late and a check's request takes tens of ms, so every bound
 * the configuration implies gets this much on top (checks-nginx.test.ts's bounds, on the host,
 * allow the same 1.5 s).
 */
const GUEST_SLACK_MS = 1500;
/**
 * A failure is down at the retry-th failed check after the first: that one within delay_loop of
 * the fault, then retry x delay_before_retry (a 503 and a refusal answer at once, so
 * connect_timeout adds nothing).
 */
const FAILURE_MIN_MS = CHECK_TIMING.retry * CHECK_TIMING.delayBeforeRetryMs;
const FAILURE_MAX_MS = CHECK_TIMING.delayLoopMs + CHECK_TIMING.retry * CHECK_TIMING.delayBeforeRetryMs + GUEST_SLACK_MS;
/**
 * A failed url is checked again every max(delay_loop, delay_before_retry); its first good answer
 * clears the failure and the next check, a delay_loop later, brings the server back
 * (check_http.c epilog(): failed_url is reset, then "succeed on service"): two good checks.
 */
const RECOVERY_MIN_MS = CHECK_TIMING.delayLoopMs;
const RECOVERY_MAX_MS = Math.max(CHECK_TIMING.delayLoopMs, CHECK_TIMING.delayBeforeRetryMs) + CHECK_TIMING.delayLoopMs + GUEST_SLACK_MS;

const added = (server: string) => `${server} added at weight 1`;
const removed = (server: string) => `${server} removed`;
const sorryIn = `sorry server ${SORRY_HOST.address}:${QUORUM_PORT} in at weight 1`;
const sorryOut = `sorry server ${SORRY_HOST.address}:${QUORUM_PORT} out`;
const hosts = (port: number) => REAL_HOSTS.map((h) => rs(h.name, port));

/**
 * What each phase does to each virtual server, by keepalived 2.2.7's rules (check/ipwrapper.c):
 * perform_svr_state removes a failed real server (ipvs_cmd LVS_CMD_DEL_DEST), or sets it to
 * weight 0 with inhibit_on_failure, and adds it back when its checker is up; update_quorum_state
 * on losing the quorum (the alive weights, 1 each, below quorum 2) removes the remaining alive
 * servers (perform_quorum_state) and adds the sorry server, and on regaining it removes the
 * sorry server and adds the alive ones back. nat2's SIGKILL fails both of its ports: the web
 * virtual server keeps it at weight 0, the quorum one (no inhibit) removes it and keeps its
 * quorum (nat1 + nat3 = 2).
 */
const EXPECTED: PhaseSequences = {
  [START_PHASE]: { [WEB]: ["service added (rr)", ...hosts(WEB_PORT).map(added)], [QUORUM]: ["service added (rr)", ...hosts(QUORUM_PORT).map(added)] },
  "503 on nat1:80": { [WEB]: [removed(rs("nat1", 80))] },
  "nat1:80 answers 200 again": { [WEB]: [added(rs("nat1", 80))] },
  "SIGKILL of nat2's nginx": { [WEB]: [`${rs("nat2", 80)} weight 1 -> 0`], [QUORUM]: [removed(rs("nat2", 8080))] },
  "nat2's nginx restarted": { [WEB]: [`${rs("nat2", 80)} weight 0 -> 1`], [QUORUM]: [added(rs("nat2", 8080))] },
  "503 on nat3:8080": { [QUORUM]: [removed(rs("nat3", 8080))] },
  "503 on nat1:8080": { [QUORUM]: [removed(rs("nat1", 8080)), removed(rs("nat2", 8080)), sorryIn] },
  // keepalived deletes the sorry server at once (ipvs_cmd(LVS_CMD_DEL_DEST, vs, vs->s_svr)); a
  // graceful hold at weight 0 would be an improvement only where the README says so (its
  // "Removal is graceful" covers real servers taken out of the file and operator drains).
  "nat1:8080 answers 200 again": { [QUORUM]: [added(rs("nat1", 8080)), added(rs("nat2", 8080)), sorryOut] },
  "nat3:8080 answers 200 again": { [QUORUM]: [added(rs("nat3", 8080))] },
  [STOP_PHASE]: { [WEB]: [...hosts(WEB_PORT).map(removed), "service removed"], [QUORUM]: [...hosts(QUORUM_PORT).map(removed), "service removed"] },
};

/**
 * Within a phase and a virtual server, as a set: every phase's changes come from one fault
 * (the scenario waits PHASE_MS between faults), and the changes one verdict makes (the quorum's
 * three, the start's and the stop's programming) are issued within microseconds, so where a
 * read falls between two of them says nothing about either implementation. Their order across
 * phases is kept: a change in the wrong phase shows as a difference.
 */
function canonical(sequences: PhaseSequences): PhaseSequences {
  const out: PhaseSequences = {};
  for (const [phase, byVirtualServer] of Object.entries(sequences)) {
    out[phase] = {};
    for (const [virtualServer, changes] of Object.entries(byVirtualServer)) out[phase]![virtualServer] = [...changes].sort();
  }
  return out;
}

/** Both runs' transitions, one line per phase and virtual server, tandem's and keepalived's side by side, with their times from the phase's fault. */
function sideBySide(tandem: ScenarioRun, keepalived: ScenarioRun): string {
  const timed = (run: ScenarioRun) => {
    const sequences: Record<string, string[]> = {};
    const startOf = (phase: string) => run.injections.find((i) => i.step === phase)?.atMs ?? (phase === STOP_PHASE ? run.stopAtMs : run.readyAtMs);
    for (const t of transitionsOf(run.snapshots, SORRY)) {
      const phase = phaseAt(t.atMs, run);
      (sequences[`${phase} | ${t.virtualServer}`] ??= []).push(`${t.change} (+${t.atMs - startOf(phase)} ms)`);
    }
    return sequences;
  };
  const left = timed(tandem);
  const right = timed(keepalived);
  const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])];
  const order = [START_PHASE, ...SCENARIO.map((s) => s.step), STOP_PHASE];
  keys.sort((a, b) => order.indexOf(a.split(" | ")[0]!) - order.indexOf(b.split(" | ")[0]!) || a.localeCompare(b));
  const lines = ["phase | virtual server: tandem  ||  keepalived 2.2.7"];
  for (const key of keys)
    lines.push(`${key}:\n    tandem:     ${(left[key] ?? []).join(", ") || "-"}\n    keepalived: ${(right[key] ?? []).join(", ") || "-"}`);
  return lines.join("\n");
}

function detectionLines(found: Detection[]): string {
  return found.map((d) => `${d.step} | ${d.virtualServer}: ${d.detectedAfterMs} ms (read ${d.resolutionMs} ms after the one before)`).join("\n");
}

function tallyLines(tallies: PhaseTally[]): string {
  return tallies
    .map(
      (t) =>
        `${t.phase} | ${t.virtualServer}: ${t.requests} requests, answers ${JSON.stringify(t.answers)}; ${t.beforeDetection} failed before the detection` +
        (t.failureWindowMs ? ` (sent ${t.failureWindowMs[0]} ms to ended ${t.failureWindowMs[1]} ms after the fault)` : "") +
        `; ${t.afterDetection.length} failed after it${t.afterDetection.length ? `: ${JSON.stringify(t.afterDetection.slice(0, 5))}` : ""}`,
    )
    .join("\n");
}

describe.skipIf(unavailable !== undefined)(
  `the health checks drive the appliance kernel's IPVS table under qemu, beside keepalived 2.2.7's checker${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    let run: GuestRun;
    let tandem: ScenarioRun;
    let keepalived: ScenarioRun;

    beforeAll(async () => {
      // The real servers are Debian's nginx, unpacked on the host (CI's .ci/run does this too).
      const installed = Bun.spawnSync(["sh", join(REPO, "scripts/install-test-servers.sh")], { stderr: "pipe" });
      if (installed.exitCode !== 0) throw new Error(`install-test-servers.sh: ${installed.stderr.toString()}`);
      run = await runInGuest("test/ipvs/checks-program.ts", image!, {
        hostBinaries: [Bun.which("ip")!, NGINX, KEEPALIVED],
        modules: CHECKS_MODULES,
        smp: 2,
        timeoutMs: 420_000,
      });
      console.log(`checks guest ran ${Math.round(run.elapsedMs / 1000)} s`);
      // The whole record (every read, request and log line) for a closer look.
      if (process.env.IPVS_CHECKS_OUTPUT) writeFileSync(process.env.IPVS_CHECKS_OUTPUT, run.output);
      if (run.results.has("crash"))
        throw new Error(`the guest program crashed: ${(run.results.get("crash") as { message: string }).message}\n${run.output.slice(-8000)}`);
      for (const name of ["tandem", "keepalived"]) {
        if (!run.results.has(name)) throw new Error(`the guest printed no result "${name}"; its output:\n${run.output.slice(-8000)}`);
      }
      tandem = run.results.get("tandem") as ScenarioRun;
      keepalived = run.results.get("keepalived") as ScenarioRun;
      for (const scenarioRun of [tandem, keepalived]) {
        console.log(
          `${scenarioRun.implementation}: detections (table read every ${scenarioRun.maxReadGapMs} ms at most):\n${detectionLines(detections(scenarioRun, SORRY))}`,
        );
        console.log(`${scenarioRun.implementation}: client through the VIP:\n${tallyLines(clientTallies(scenarioRun, SORRY, virtualServerOfPort))}`);
      }
      console.log(sideBySide(tandem, keepalived));
    }, 480_000);

    test("the servers answered directly, and each implementation started from an empty table and left it empty", () => {
      expect(run.results.get("servers")).toEqual({
        "10.20.0.11:80": "nat1",
        "10.20.0.11:8080": "nat1",
        "10.20.0.12:80": "nat2",
        "10.20.0.12:8080": "nat2",
        "10.20.0.13:80": "nat3",
        "10.20.0.13:8080": "nat3",
        "10.20.0.14:8080": "sorry",
      });
      expect(run.results.get("between")).toEqual({ save: [], downFiles: [] });
      for (const scenarioRun of [tandem, keepalived]) {
        expect(scenarioRun.tableBeforeStart).toEqual([]);
        expect(scenarioRun.endSave).toEqual([]);
      }
      // Both programmed the same start table, as ipvsadm prints it.
      expect(tandem.startSave).toEqual(keepalived.startSave);
    });

    test("tandem: each fault and repair gives keepalived's rules' transitions, in order", () => {
      const got = canonical(sequencesByPhase(tandem, SORRY));
      expect(got, sideBySide(tandem, keepalived)).toEqual(canonical(EXPECTED));
    });

    test("tandem: each detection within what delay_loop 1, retry 1, delay_before_retry 1 imply (plus the guest's slowness)", () => {
      const found = detections(tandem, SORRY);
      const problems: string[] = [];
      for (const step of SCENARIO) {
        const virtualServers = Object.keys(EXPECTED[step.step] ?? {});
        for (const virtualServer of virtualServers) {
          const detection = found.find((d) => d.step === step.step && d.virtualServer === virtualServer);
          if (!detection) {
            problems.push(`${step.step} | ${virtualServer}: no table change`);
            continue;
          }
          const [min, max] = step.detects === "failure" ? [FAILURE_MIN_MS, FAILURE_MAX_MS] : [RECOVERY_MIN_MS, RECOVERY_MAX_MS];
          if (detection.detectedAfterMs < min || detection.detectedAfterMs > max)
            problems.push(`${step.step} | ${virtualServer}: ${detection.detectedAfterMs} ms, outside [${min}, ${max}]`);
        }
      }
      expect(problems, detectionLines(found)).toEqual([]);
    });

    test("tandem: the client through the VIP sees no failed request sent after a detection, nor before any fault", () => {
      const tallies = clientTallies(tandem, SORRY, virtualServerOfPort);
      const failedAfter = tallies.filter((t) => t.afterDetection.length > 0).map((t) => `${t.phase} | ${t.virtualServer}`);
      expect(failedAfter, tallyLines(tallies)).toEqual([]);
      // It did ask all along, through both virtual servers, in every phase.
      for (const phase of [START_PHASE, ...SCENARIO.map((s) => s.step)]) {
        for (const virtualServer of [WEB, QUORUM]) {
          expect(tallies.find((t) => t.phase === phase && t.virtualServer === virtualServer)?.requests ?? 0, `${phase} | ${virtualServer}`).toBeGreaterThan(10);
        }
      }
    });

    test("tandem: while the quorum is lost the sorry server answers, and only then", () => {
      const tallies = clientTallies(tandem, SORRY, virtualServerOfPort);
      const quorumPhase = (step: string) => tallies.find((t) => t.phase === step && t.virtualServer === QUORUM)!;
      expect(Object.keys(quorumPhase("503 on nat1:8080").answersAfterDetection)).toEqual(["sorry"]);
      expect(quorumPhase("503 on nat1:8080").answersAfterDetection.sorry).toBeGreaterThan(5);
      expect(quorumPhase("nat1:8080 answers 200 again").answersAfterDetection.sorry ?? 0).toBe(0);
      for (const t of tallies.filter((t) => t.phase !== "503 on nat1:8080" && t.phase !== "nat1:8080 answers 200 again"))
        expect(t.answers.sorry ?? 0, t.phase).toBe(0);
    });

    test("keepalived 2.2.7 in the same guest, on the same file, faults and schedule: the same transitions in the same order", () => {
      expect(canonical(sequencesByPhase(keepalived, SORRY)), sideBySide(tandem, keepalived)).toEqual(canonical(sequencesByPhase(tandem, SORRY)));
    });
  },
);
