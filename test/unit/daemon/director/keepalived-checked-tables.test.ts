// tandem's table beside keepalived 2.2.7's for the captured configurations whose real servers
// have checkers (test/fixtures/ipvs-keepalived; the ones without are compared in
// test/unit/ipvs/keepalived-reference-tables.test.ts). What keepalived's table shows there is
// what its checks found in the capture's guest, and those were deterministic (the fixtures'
// README): the guest had no NIC, so every connection a check makes fails (10.x unreachable,
// 127.0.0.1:9 refused), and MISC_CHECK ran busybox's /bin/true, /bin/false and /bin/sh. The
// director process runs here on the fake kernel and clock with probes that fail the same way
// and programs that exit the same way, and its table is read when capture.ts read keepalived's:
// 1 s + the largest delay_loop / warmup + 3 s after the start or the reload (the warmup's random
// part is 0 here; every first verdict is in by then either way).
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { memoryFiles, parseConfig, type Config } from "../../../../src/config/index.ts";
import type { CheckVerdict } from "../../../../src/check/http-judge.ts";
import { planDirector } from "../../../../src/daemon/director/director-command.ts";
import { directorConfigOf } from "../../../../src/daemon/ipc/director-config.ts";
import { toJsonText } from "../../../../src/daemon/ipc/json-text.ts";
import type { Probe, Probes } from "../../../../src/daemon/check/probes.ts";
import { ipvsadmSave } from "../../../../src/ipvs/ipvsadm-save.ts";
import { rig, settle } from "./director-rig.ts";

const DIR = join(import.meta.dir, "../../../fixtures/ipvs-keepalived");
const CHECKER = /^\s*(TCP_CHECK|HTTP_GET|SSL_GET|SMTP_CHECK|MISC_CHECK|DNS_CHECK|UDP_CHECK|PING_CHECK|FILE_CHECK|BFD_CHECK)\b/m;

const configText = (name: string) => readFileSync(join(DIR, "configs", `${name}.conf`), "utf8");
const uncommented = (text: string) => text.replace(/[!#].*$/gm, "");

/** capture.ts's wait for the first verdicts: BOOTSTRAP_DELAY + the longest delay_loop / warmup (60 s unset) + 3 s of slack. */
function settleMs(text: string): number {
  const timers = [...uncommented(text).matchAll(/^\s*(?:delay_loop|warmup)\s+(\d+)/gm)].map((m) => Number(m[1]));
  return (1 + (timers.length ? Math.max(...timers) : 60) + 3) * 1000;
}

/** Every connection from the guest failed at once: no NIC, so no route but to 127.0.0.1, where nothing listened. */
const unreachable: Probe = async ({ connect }): Promise<CheckVerdict> =>
  connect.address.text.startsWith("127.") ? { ok: false, reason: "connection refused" } : { ok: false, reason: "network unreachable" };
const GUEST_PROBES: Probes = {
  TCP_CHECK: unreachable,
  HTTP_GET: unreachable,
  SSL_GET: unreachable,
  SMTP_CHECK: unreachable,
  DNS_CHECK: unreachable,
  UDP_CHECK: unreachable,
  PING_CHECK: unreachable,
};

function parsed(text: string): Config {
  const result = parseConfig("/etc/keepalived/keepalived.conf", { ...memoryFiles({ "/etc/keepalived/keepalived.conf": text }), configId: undefined });
  if (!result.config) throw new Error(JSON.stringify(result.diagnostics));
  return result.config;
}

const cOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function capturedLines(file: string): string[] {
  return readFileSync(join(DIR, file), "utf8")
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/**
 * The director process on a file, as capture.ts ran keepalived on it: start, reload to
 * NAME.reload.conf where there is one, stop; with -I, a second run of the base file, started
 * and stopped.
 */
async function tandemPhases(name: string, keepIpvsOnStop: boolean): Promise<{ start: string[]; reload?: string[]; stop: string[] }> {
  let text = configText(name);
  const first = planDirector(directorConfigOf(parsed(text)));
  const r = rig({
    plans: () => planDirector(directorConfigOf(parsed(text))).virtualServers,
    globals: first.globals,
    config: parsed(text),
    probes: GUEST_PROBES,
    vrrpRuns: false,
    keepIpvsOnStop,
  });
  // busybox's programs in the guest; /usr/local/bin/script.sh (the samples') is not there.
  r.programs.exitWith("/bin/true", 0);
  r.programs.exitWith("/bin/false", 1);
  r.programs.set("/bin/sh", {
    exitCode: (argv) => {
      const exit = /^exit (\d+)$/.exec(argv[2] ?? "");
      if (argv[1] !== "-c" || !exit) throw new Error(`no guest behaviour for ${argv.join(" ")}`);
      return Number(exit[1]);
    },
  });
  const table = () => ipvsadmSave(r.kernel.dump()).split("\n").filter(Boolean).sort(cOrder);
  const advance = async (ms: number) => {
    const end = r.clock.nowMs() + ms;
    while (r.clock.nowMs() < end) {
      r.clock.advance(Math.min(100, end - r.clock.nowMs()));
      await settle();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await r.service.start();
  await advance(settleMs(text));
  const start = table();
  let reload: string[] | undefined;
  if (!keepIpvsOnStop && existsSync(join(DIR, "configs", `${name}.reload.conf`))) {
    text = configText(`${name}.reload`);
    const applied = r.sent.length;
    r.service.handle({ type: "apply", config: toJsonText(parsed(text)) });
    await advance(settleMs(text));
    expect(r.sent.slice(applied).some((m) => m.type === "applied")).toBe(true);
    reload = table();
  }
  // omega's quorum_down runs at the stop, on the fake clock.
  let stopped = false;
  const stopping = r.service.stop("test").then(() => (stopped = true));
  for (let i = 0; i < 100 && !stopped; i++) await advance(100);
  await stopping;
  return { start, ...(reload ? { reload } : {}), stop: table() };
}

const names = readdirSync(join(DIR, "configs"))
  .filter((f) => f.endsWith(".conf") && !f.endsWith(".reload.conf"))
  .map((f) => f.slice(0, -".conf".length))
  .filter((name) => CHECKER.test(uncommented(configText(name))))
  .sort();

/** Files tandem's front end refuses for a reason of their own, with the issue that lifts it. */
const REFUSED: Record<string, string> = {
  "sample-ssl-get": "its vrrp_instance authenticates with auth_type AH, which tandem does not parse yet (issue 12 §2)",
};

describe("with their checkers, the same files program keepalived's table after start, reload and stop", () => {
  test("every capture with checkers is here", () => {
    expect(names.length).toBeGreaterThanOrEqual(17);
  });
  for (const name of names) {
    if (REFUSED[name]) {
      test.todo(`${name}: ${REFUSED[name]}`);
      continue;
    }
    test(name, async () => {
      const phases = await tandemPhases(name, false);
      expect(phases.start).toEqual(capturedLines(`${name}.start.txt`).sort(cOrder));
      if (phases.reload) expect(phases.reload).toEqual(capturedLines(`${name}.reload.txt`).sort(cOrder));
      expect(phases.stop).toEqual(capturedLines(`${name}.stop.txt`).sort(cOrder));
    });
    if (existsSync(join(DIR, `${name}.stop-dont-release-ipvs.txt`))) {
      test(`${name} stopped with -I (--dont-release-ipvs)`, async () => {
        expect((await tandemPhases(name, true)).stop).toEqual(capturedLines(`${name}.stop-dont-release-ipvs.txt`).sort(cOrder));
      });
    }
  }
});
