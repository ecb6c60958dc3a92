// tandem's detection time on the host, where no emulator slows it (the guest's numbers,
// checks-program.ts, are TCG's): the fast profile's checkers (delay_loop 1, retry 0,
// connect_timeout 1) against nginx in a namespace, a fault injected at one instant (a 503 on
// every HTTP_GET server, or nginx SIGKILLed under TCP_CHECK and HTTP_GET), and the time to
// each checker's logged verdict of failure. The host has no IPVS: the kernel's change is the
// guest's part; the verdict is where a check's time ends and the director's begins.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupStale, createTopology, delay, exec, tandemImpl, waitFor, wallMs, type Topology } from "../netns/lib/index.ts";
import {
  certificateArgv,
  FAST_TIMERS,
  globalDefs,
  nginxConf,
  PORT_OF,
  realServerAddress,
  SERVER_RANGE,
  virtualServers,
  type CheckerGroup,
} from "./checks-config.ts";

const NGINX = join(process.env.TEST_SERVERS ?? "/var/cache/tandem-test", "nginx/usr/sbin/nginx");

export interface HostDetection {
  /** fault -> ms from the fault to each checker's logged failure, over the trials. */
  byFault: Record<string, number[]>;
  missing: number;
  trials: number;
}

/** Milliseconds since the epoch of the first line at or after sinceMs with text (tandem's lines start with an ISO time). */
function loggedAt(log: string, text: string, sinceMs: number): number | undefined {
  for (const line of log.split("\n")) {
    if (!line.includes(text)) continue;
    const atMs = Date.parse(line.slice(0, 24));
    if (Number.isFinite(atMs) && atMs >= sinceMs) return atMs;
  }
  return undefined;
}

export async function hostDetection(o: { tandem: string; servers: number; trials: number; log(message: string): void }): Promise<HostDetection> {
  await cleanupStale();
  const topo: Topology = await createTopology();
  const byFault: Record<string, number[]> = {};
  let missing = 0;
  let nginx: ReturnType<typeof Bun.spawn> | undefined;
  const dir = join(topo.runDir, "nginx");
  const c = topo.box("c");
  const startNginx = async () => {
    nginx = Bun.spawn(["ip", "netns", "exec", c.ns, NGINX, "-p", dir, "-c", join(dir, "nginx.conf")], { stdout: "ignore", stderr: "inherit" });
    await waitFor(async () => (await exec(c.ns, ["ss", "-ltn", "sport = :80"])).stdout.includes(":80"), {
      timeoutMs: 10_000,
      intervalMs: 20,
      what: "nginx listening",
    });
  };
  /** The master and its workers at once (a worker outlives its master and keeps the sockets). */
  const killNginx = () => {
    const master = nginx!.pid;
    const workers = readFileSync(`/proc/${master}/task/${master}/children`, "utf8").split(" ").filter(Boolean).map(Number);
    for (const pid of [master, ...workers]) process.kill(pid, "SIGKILL");
  };
  process.env.TANDEM_BIN = o.tandem;
  try {
    const a = topo.box("a");
    await exec(a.ns, ["ip", "route", "add", SERVER_RANGE, "via", c.ip]);
    await exec(c.ns, ["ip", "route", "add", "local", SERVER_RANGE, "dev", "lo"]);
    mkdirSync(join(dir, "html"), { recursive: true });
    writeFileSync(join(dir, "html/health"), "healthy\n");
    writeFileSync(join(dir, "nginx.conf"), nginxConf({ dir, ports: Object.values(PORT_OF), tlsPorts: [PORT_OF.SSL_GET], workers: 1 }));
    await exec(null, certificateArgv(dir));
    await startNginx();
    const groups: CheckerGroup[] = [
      { kind: "TCP_CHECK", servers: o.servers, timers: FAST_TIMERS },
      { kind: "HTTP_GET", servers: o.servers, timers: FAST_TIMERS },
    ];
    const daemon = await tandemImpl.start({
      ns: a.ns,
      runDir: a.runDir,
      config: globalDefs("a") + virtualServers(groups),
      extraArgs: ["-C"],
      readyTimeoutMs: 30_000,
    });
    const log = () => readFileSync(daemon.logPath, "utf8");
    const names = (kind: "TCP_CHECK" | "HTTP_GET") => Array.from({ length: o.servers }, (_, i) => `[${realServerAddress(i)}]:tcp:${PORT_OF[kind]}`);
    try {
      for (let trial = 0; trial < o.trials; trial++) {
        for (const fault of ["HTTP_GET, 503", "TCP_CHECK + HTTP_GET, SIGKILL"] as const) {
          // Every checker at a random phase of its loop.
          await delay(2_500 + Math.random() * 1_000);
          const t0 = wallMs();
          if (fault === "HTTP_GET, 503") writeFileSync(join(dir, "down"), "");
          else killNginx();
          const failing: (readonly ["TCP_CHECK" | "HTTP_GET", string])[] = [
            ...(fault === "HTTP_GET, 503" ? [] : names("TCP_CHECK").map((n) => ["TCP_CHECK", n] as const)),
            ...names("HTTP_GET").map((n) => ["HTTP_GET", n] as const),
          ];
          await delay(5_000);
          const text = log();
          for (const [kind, name] of failing) {
            const at = loggedAt(text, `${kind === "TCP_CHECK" ? "TCP_CHECK" : "HTTP_CHECK"} on service ${name} failed`, t0);
            if (at === undefined) missing++;
            else (byFault[fault === "HTTP_GET, 503" ? "HTTP_GET, 503" : `${kind}, SIGKILL`] ??= []).push(at - t0);
          }
          rmSync(join(dir, "down"), { force: true });
          if (fault !== "HTTP_GET, 503") {
            await nginx?.exited;
            await startNginx();
          }
          // Up again: at delay_loop 1 and retry 0 the next good check, within a second or two.
          await delay(4_000);
        }
        o.log(`host detection: trial ${trial + 1} of ${o.trials}`);
      }
    } finally {
      await daemon.stop("SIGTERM", 10_000);
    }
  } finally {
    nginx?.kill("SIGKILL");
    await topo.destroy();
  }
  return { byFault, missing, trials: o.trials };
}
