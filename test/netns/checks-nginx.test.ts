// The health checks of the built binary against Debian's nginx (scripts/install-test-servers.sh)
// on the client box, the ways a web server really fails injected into it: a 503, a hung
// process (SIGSTOP: the kernel still completes the handshake, nothing answers), a stopped
// one. tandem runs with -C (no IPVS on the host: the director is unavailable, the checks run
// and say so in the log, keepalived's lines with the reason after them). The detection times
// are measured from the fault to the log line and checked against what the configuration
// implies (delay_loop 1, retry 1, delay_before_retry 1, connect_timeout 1).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupStale, createTopology, exec, ownLog, tandemImpl, waitFor, type DaemonHandle, type Topology } from "./lib/index.ts";
import { isRoot } from "./support/pair-scenarios.ts";
import { loggedAt, selfSignedCertificate } from "./support/check-logs.ts";

const NGINX = join(process.env.TEST_SERVERS ?? "/var/cache/tandem-test", "nginx/usr/sbin/nginx");
const RS = "10.99.0.100"; // box c
const BODY = "healthy\n";
const BODY_MD5 = new Bun.CryptoHasher("md5").update(BODY).digest("hex");
const unavailable = tandemImpl.unavailableReason() ?? (existsSync(NGINX) ? null : `${NGINX} is missing (scripts/install-test-servers.sh)`);

/** The same GET of the page, over HTTP_GET or SSL_GET. */
const webChecker = (kind: "HTTP_GET" | "SSL_GET") => `${kind} {
            url {
                path /health
                digest ${BODY_MD5}
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }`;

const CONFIG = `
virtual_server 10.99.0.51 80 {
    protocol TCP
    lb_algo rr
    lb_kind NAT
    delay_loop 1
    real_server ${RS} 80 {
        ${webChecker("HTTP_GET")}
    }
    real_server ${RS} 81 {
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
    real_server ${RS} 443 {
        ${webChecker("SSL_GET")}
    }
}
`;

function nginxConfig(dir: string): string {
  return `daemon off;
user root;
error_log ${dir}/error.log;
pid ${dir}/nginx.pid;
events {}
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server {
    listen ${RS}:80;
    listen ${RS}:81;
    listen ${RS}:443 ssl;
    ssl_certificate ${dir}/server.crt;
    ssl_certificate_key ${dir}/server.key;
    root ${dir}/html;
    location = /health {
      if (-f ${dir}/down) { return 503; }
      default_type text/plain;
    }
  }
}
`;
}

describe.skipIf(!isRoot || unavailable !== null)("health checks against nginx (root, netns)", () => {
  let topo: Topology;
  let daemon: DaemonHandle;
  let nginx: ReturnType<typeof Bun.spawn> | undefined;
  let dir: string;
  const http = `[${RS}]:tcp:80`;
  const tcp = `[${RS}]:tcp:81`;
  const https = `[${RS}]:tcp:443`;
  const startNginx = async () => {
    nginx = Bun.spawn(["ip", "netns", "exec", topo.box("c").ns, NGINX, "-p", dir, "-c", join(dir, "nginx.conf")], { stdout: "ignore", stderr: "inherit" });
    await waitFor(async () => existsSync(join(dir, "nginx.pid")) && (await exec(topo.box("c").ns, ["ss", "-ltn", "sport = :80"])).stdout.includes(RS), {
      timeoutMs: 5000,
      intervalMs: 20,
      what: "nginx listening",
    });
  };
  /** This nginx's master and its workers: a SIGSTOP must reach the one that answers. */
  const nginxPids = async (): Promise<number[]> => {
    const master = Number(readFileSync(join(dir, "nginx.pid"), "utf8").trim());
    const workers = (await exec(null, ["pgrep", "-P", String(master)])).stdout.split("\n").filter(Boolean).map(Number);
    return [master, ...workers];
  };
  /** Waits for the line and returns how long after `fromMs` it was logged. */
  const detected = async (text: string, fromMs: number, timeoutMs: number) =>
    (await waitFor(() => loggedAt(ownLog(daemon), text, fromMs), { timeoutMs, intervalMs: 20, what: `the log line "${text}"` })) - fromMs;

  beforeAll(async () => {
    await cleanupStale();
    topo = await createTopology();
    dir = join(topo.runDir, "nginx");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, "html"), { recursive: true });
    writeFileSync(join(dir, "html/health"), BODY);
    writeFileSync(join(dir, "nginx.conf"), nginxConfig(dir));
    // A self-signed certificate: keepalived's SSL_GET does not verify the server's, nor does tandem's by default.
    await selfSignedCertificate(dir);
    await startNginx();
    const box = topo.box("a");
    // api_listen (tandem's): the checks' counters and their scheduler, read from the client box.
    const config = `global_defs {\n    api_listen ${box.ip}:8080\n}\n${CONFIG}`;
    daemon = await tandemImpl.start({ ns: box.ns, runDir: box.runDir, config, extraArgs: ["-C"] });
  }, 30_000);

  afterAll(async () => {
    if (daemon?.alive()) await daemon.stop("SIGTERM", 5000);
    nginx?.kill("SIGKILL");
    await topo?.destroy();
  }, 30_000);

  test("every real server is judged up by its first check (SSL_GET over nginx's TLS too), 1 s plus a warmup of up to delay_loop after the start", async () => {
    const fromMs = Date.now() - 2_000; // the daemon started just before
    await detected(`Remote Web server ${http} succeed on service.`, fromMs, 8_000);
    await detected(`TCP connection to ${tcp} success.`, fromMs, 8_000);
    await detected(`Remote Web server ${https} succeed on service.`, fromMs, 8_000);
    expect(ownLog(daemon)).toContain("IPVS director unavailable");
  }, 15_000);

  test("the API and /metrics show each checker's counters and latency, and the checks' scheduler, within the 5 s a round of counters takes", async () => {
    const api = `http://${topo.box("a").ip}:8080`;
    const get = async (path: string) => (await exec(topo.box("c").ns, ["curl", "-sS", "-m", "5", `${api}${path}`])).stdout;
    type Checker = { id: string; stats?: { checks: number; failures: number; latencyMs?: { p50: number; p99: number; samples: number } } };
    const checkers = async (): Promise<Checker[]> =>
      JSON.parse(await get("/ipvs/state")).virtualServers[0].realServers.flatMap((rs: { checkers?: Checker[] }) => rs.checkers ?? []);
    await waitFor(async () => (await checkers()).every((c) => (c.stats?.checks ?? 0) >= 2), {
      timeoutMs: 10_000,
      intervalMs: 250,
      what: "every checker's counters",
    });
    for (const c of await checkers()) {
      expect(c.stats!.latencyMs!.samples).toBeGreaterThanOrEqual(2);
      expect(c.stats!.latencyMs!.p99).toBeLessThan(1_000);
    }
    // The scheduler's health comes every 5 s (CHECK_SCHEDULER_REPORT_MS).
    await waitFor(async () => (JSON.parse(await get("/ipvs/state")).checkScheduler?.started ?? 0) >= 6, {
      timeoutMs: 8_000,
      intervalMs: 250,
      what: "the scheduler's health after six checks",
    });
    const state = JSON.parse(await get("/ipvs/state"));
    expect(state.checkScheduler).toMatchObject({ probes: 3, backlog: 0, overdue: 0 });
    expect(state.checkScheduler.started).toBeGreaterThanOrEqual(6);
    expect(state.checkScheduler.maxConcurrent).toBeGreaterThanOrEqual(16);
    expect(state.checkScheduler.loopLagMs.samples).toBeGreaterThan(2);
    const metrics = await get("/metrics");
    expect(metrics).toMatch(new RegExp(`tandem_ipvs_checks_total\\{[^}]*real_server="${RS}:81"[^}]*\\} [1-9]`));
    expect(metrics).toMatch(/tandem_ipvs_check_loop_lag_seconds\{quantile="0.99"\} [0-9.e-]+/);
  }, 20_000);

  test("a 503: down after two failed GETs a delay_before_retry apart; back after two good ones", async () => {
    const faultMs = Date.now();
    writeFileSync(join(dir, "down"), "");
    const downMs = await detected(`HTTP_CHECK on service ${http} failed after 1 retries: status 503; expected 200-299`, faultMs, 6_000);
    await detected(`HTTP_CHECK on service ${https} failed after 1 retries: status 503; expected 200-299`, faultMs, 6_000);
    // The next check comes within delay_loop (1 s), its retry delay_before_retry (1 s) later.
    expect(downMs).toBeGreaterThanOrEqual(900);
    expect(downMs).toBeLessThan(3_500);
    const fixMs = Date.now();
    rmSync(join(dir, "down"));
    // The failed url is watched every max(delay_before_retry, delay_loop); once it answers, every url again (one here).
    const upMs = await detected(`Remote Web server ${http} succeed on service.`, fixMs, 6_000);
    expect(upMs).toBeLessThan(3_500);
    console.log(`checks-nginx: 503 detected in ${downMs} ms, recovery in ${upMs} ms (delay_loop 1 s, retry 1, delay_before_retry 1 s)`);
  }, 20_000);

  test("a hung nginx (SIGSTOP): the GET gets no answer within connect_timeout; TCP_CHECK still connects (the kernel completes the handshake)", async () => {
    const pids = await nginxPids();
    expect(pids.length).toBeGreaterThan(0);
    const faultMs = Date.now();
    for (const pid of pids) process.kill(pid, "SIGSTOP");
    try {
      const downMs = await detected(`HTTP_CHECK on service ${http} failed after 1 retries: no answer within 1 s`, faultMs, 8_000);
      expect(downMs).toBeLessThan(5_500);
      expect(loggedAt(ownLog(daemon), `TCP_CHECK on service ${tcp} failed`, faultMs)).toBeUndefined();
      console.log(`checks-nginx: hung server detected in ${downMs} ms`);
    } finally {
      for (const pid of pids) process.kill(pid, "SIGCONT");
    }
    await detected(`Remote Web server ${http} succeed on service.`, faultMs, 8_000);
  }, 25_000);

  test("a stopped nginx: connection refused, each checker down by its own rule (TCP_CHECK with retry 0 at its first failure)", async () => {
    const pids = await nginxPids();
    const faultMs = Date.now();
    for (const pid of pids) process.kill(pid, "SIGKILL");
    await nginx!.exited;
    const tcpMs = await detected(`TCP_CHECK on service ${tcp} failed: connection refused`, faultMs, 6_000);
    const httpMs = await detected(`HTTP_CHECK on service ${http} failed after 1 retries: connection refused`, faultMs, 6_000);
    expect(tcpMs).toBeLessThan(2_500);
    expect(httpMs).toBeLessThan(3_500);
    await startNginx();
    await detected(`TCP connection to ${tcp} success.`, Date.now() - 100, 6_000);
    console.log(`checks-nginx: stopped server: TCP_CHECK in ${tcpMs} ms, HTTP_GET in ${httpMs} ms`);
  }, 25_000);
});
