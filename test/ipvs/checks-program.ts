// Runs inside the qemu guest (test/ipvs/checks.test.ts boots it): the health checks driving
// the appliance kernel's IPVS table. Real nginx servers in namespaces (checks-topology.ts), the
// image's tandem with checks-config.ts (-C: the director and the checks, no VRRP), a client
// looping requests through the VIP from its namespace, and checks-scenario.ts's faults injected
// on a fixed schedule while the kernel's table is read every 100 ms. Then the same file, the
// same faults and the same schedule with keepalived 2.2.7's checker (-C), once tandem has
// stopped and the table is empty again. Each run prints "=== RESULT <name> <json>"
// (checks-transitions.ts's ScenarioRun); the host turns the reads into transitions and asserts.
// Run as `program.js client HOST PORT...`, it is the client instead (checks-client.ts).
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { requestWithin, runChecksClient } from "./checks-client.ts";
import { checksConfig } from "./checks-config.ts";
import { BASELINE_MS, PHASE_MS, READ_INTERVAL_MS, SCENARIO, WARMUP_MS, type Fault } from "./checks-scenario.ts";
import {
  checkedNginxConfig,
  checksTopologyCommands,
  CLIENT,
  downFile,
  hostDir,
  IP,
  QUORUM_PORT,
  REAL_HOSTS,
  SORRY_HOST,
  VIP_ADDRESS,
  WEB_PORT,
  type CheckedHost,
} from "./checks-topology.ts";
import { tableLines, type ClientRequest, type Injection, type ScenarioRun, type TableSnapshot } from "./checks-transitions.ts";

const DIR = "/tmp/checks";
const CONFIG = `${DIR}/keepalived.conf`;
/** Two services and three real servers in each: the table both implementations start with. */
const COMPLETE_TABLE_LINES = 2 + 3 + 3;

function result(name: string, value: unknown): void {
  console.log(`=== RESULT ${name} ${JSON.stringify(value)}`);
}

/** Where the program is, for the host's failure message when the guest does not finish. */
function progress(what: string): void {
  console.log(`--- ${new Date().toISOString()} ${what}`);
}

/** The program's own deadline, inside the host's: it says where it stood and what the logs held. */
const WATCHDOG_MS = 330_000;

/** A command that must succeed, run without blocking the table reads. */
async function sh(command: string): Promise<string> {
  const run = Bun.spawn(["/bin/sh", "-c", command], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text(), run.exited]);
  if (exitCode !== 0) throw new Error(`${command}: exit ${exitCode}: ${stderr}`);
  return stdout;
}

const ipvsadmSave = async (): Promise<string[]> => (await sh("ipvsadm -Sn")).split("\n").filter(Boolean).sort();

/** The kernel's table now; empty before ip_vs is loaded (the first director loads it). */
function readTable(): string[] {
  try {
    return tableLines(readFileSync("/proc/net/ip_vs", "utf8"));
  } catch {
    return [];
  }
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not yet
    }
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/**
 * Reads the kernel's table every READ_INTERVAL_MS and keeps each read that differs from the one
 * before. From /proc/net/ip_vs rather than ipvsadm -Sn: the same table, from the same kernel,
 * without starting a process ten times a second in a TCG guest that also runs both directors,
 * nginx and the client (ipvsadm -Sn gives the start and end tables).
 */
class TableReader {
  readonly snapshots: TableSnapshot[] = [];
  maxReadGapMs = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor() {
    let last: string[] = [];
    let lastAtMs = Date.now();
    this.done = (async () => {
      while (this.running) {
        const table = readTable();
        const atMs = Date.now();
        this.maxReadGapMs = Math.max(this.maxReadGapMs, atMs - lastAtMs);
        if (table.join("\n") !== last.join("\n")) this.snapshots.push({ atMs, previousAtMs: lastAtMs, table });
        last = table;
        lastAtMs = atMs;
        await Bun.sleep(Math.max(0, READ_INTERVAL_MS - (Date.now() - atMs)));
      }
    })();
  }

  current(): string[] {
    return this.snapshots.at(-1)?.table ?? [];
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

/** The client in its namespace: started, it loops until told to stop, then hands back every request. */
class Client {
  private readonly process = Bun.spawn(
    [IP, "netns", "exec", CLIENT.name, "/usr/sbin/tandem", "/ktest/program.js", "client", VIP_ADDRESS, String(WEB_PORT), String(QUORUM_PORT)],
    { env: { ...process.env, BUN_BE_BUN: "1", BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0" }, stdin: "pipe", stdout: "pipe", stderr: "inherit" },
  );
  private text = "";
  private exited = false;

  constructor() {
    // Read by lines, not to the end: a daemonized nginx started meanwhile may hold the pipe open.
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of this.process.stdout) this.text += decoder.decode(chunk, { stream: true });
    })();
    void this.process.exited.then(() => (this.exited = true));
  }

  private line(index: number): string | undefined {
    const lines = this.text.split("\n");
    return lines.length > index + 1 ? lines[index] : undefined;
  }

  /** Resolves once every loop had its first answer (the client says "started"). */
  async started(): Promise<void> {
    await until("the client's first answers", 60_000, () => (this.line(0) === "started" || this.exited ? true : undefined));
    if (this.exited) throw new Error(`the client exited before its first answers: ${this.text}`);
  }

  async stop(): Promise<ClientRequest[]> {
    this.process.stdin.write("stop\n");
    this.process.stdin.flush();
    const requests = await until("the client's requests", 30_000, () => this.line(1));
    this.process.stdin.end();
    return JSON.parse(requests) as ClientRequest[];
  }
}

function nginxPids(host: string): number[] {
  const master = Number(readFileSync(`${hostDir(host)}/nginx.pid`, "utf8").trim());
  const pids = [master];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === master) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function startNginx(host: CheckedHost): Promise<void> {
  const dir = hostDir(host.name);
  await sh(`${IP} netns exec ${host.name} nginx -p ${dir} -c ${dir}/nginx.conf -e ${dir}/error.log`);
}

async function inject(fault: Fault): Promise<void> {
  switch (fault.kind) {
    case "fail-503":
      writeFileSync(downFile(fault.host, fault.port), "");
      return;
    case "answer-200":
      rmSync(downFile(fault.host, fault.port));
      return;
    case "sigkill":
      for (const pid of nginxPids(fault.host)) process.kill(pid, "SIGKILL");
      return;
    case "restart":
      return startNginx(REAL_HOSTS.find((h) => h.name === fault.host)!);
  }
}

interface Implementation {
  name: string;
  log: string;
  /** argv; run through sh so stdout and stderr both reach the log. */
  argv: string[];
}

const TANDEM: Implementation = {
  name: "tandem",
  log: `${DIR}/tandem.log`,
  argv: ["/usr/sbin/tandem", "-n", "-l", "-C", "-f", CONFIG, "--db", `${DIR}/tandem.db`],
};
const KEEPALIVED: Implementation = {
  name: "keepalived",
  log: `${DIR}/keepalived.log`,
  argv: ["keepalived", "-n", "-l", "-C", "-f", CONFIG, "-p", `${DIR}/k.pid`, "-c", `${DIR}/c.pid`, "-r", `${DIR}/r.pid`],
};

/** The lines of a log about checks, quorum and the table (both implementations word them as keepalived does). */
function logLines(path: string): string[] {
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  return text
    .split("\n")
    .filter((line) => /quorum|sorry|service|weight|HTTP|Web server|error|warn/i.test(line))
    .slice(0, 300);
}

/** One implementation through the whole scenario, on an empty table. */
async function scenario(implementation: Implementation): Promise<ScenarioRun> {
  progress(`${implementation.name}: starting`);
  const tableBeforeStart = readTable();
  const reader = new TableReader();
  const daemon = Bun.spawn(["/bin/sh", "-c", `exec ${implementation.argv.join(" ")} > ${implementation.log} 2>&1`], {
    env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", HOME: "/tmp" },
  });
  try {
    await until(`${implementation.name}'s table`, 90_000, () => (reader.current().length === COMPLETE_TABLE_LINES ? true : undefined));
    const readyAtMs = Date.now();
    progress(`${implementation.name}: the table is complete`);
    const startSave = await ipvsadmSave();
    await Bun.sleep(WARMUP_MS);
    const client = new Client();
    await client.started();
    progress(`${implementation.name}: the client is answered`);
    const firstStepAtMs = Date.now() + BASELINE_MS;
    const injections: Injection[] = [];
    for (const [i, step] of SCENARIO.entries()) {
      await Bun.sleep(Math.max(0, firstStepAtMs + i * PHASE_MS - Date.now()));
      // Timed before it is made: from this moment a request may meet the fault.
      injections.push({ step: step.step, atMs: Date.now() });
      await inject(step.fault);
      progress(`${implementation.name}: ${step.step}`);
    }
    await Bun.sleep(Math.max(0, firstStepAtMs + SCENARIO.length * PHASE_MS - Date.now()));
    const requests = await client.stop();
    progress(`${implementation.name}: the client stopped after ${requests.length} requests`);
    const stopAtMs = Date.now();
    daemon.kill("SIGTERM");
    await daemon.exited;
    progress(`${implementation.name}: stopped`);
    await until(`the empty table after ${implementation.name}'s stop`, 30_000, () => (readTable().length === 0 ? true : undefined));
    await Bun.sleep(3 * READ_INTERVAL_MS); // the reader's last read sees it too
    await reader.stop();
    return {
      implementation: implementation.name,
      tableBeforeStart,
      readyAtMs,
      injections,
      stopAtMs,
      snapshots: reader.snapshots,
      maxReadGapMs: reader.maxReadGapMs,
      requests,
      clientStartMs: Math.min(...requests.map((r) => r[1])),
      startSave,
      endSave: await ipvsadmSave(),
      log: logLines(implementation.log),
    };
  } catch (error) {
    daemon.kill("SIGKILL");
    await reader.stop();
    console.log(`--- ${implementation.name}'s log:\n${existsSync(implementation.log) ? readFileSync(implementation.log, "utf8").slice(-6000) : "(none)"}`);
    throw error;
  }
}

async function main(): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  for (const command of checksTopologyCommands()) await sh(command);
  for (const host of [...REAL_HOSTS, SORRY_HOST]) {
    mkdirSync(hostDir(host.name), { recursive: true });
    writeFileSync(`${hostDir(host.name)}/nginx.conf`, checkedNginxConfig(host));
    await startNginx(host);
  }
  // Each server answers with its name on each port before any director sends it anything.
  const direct: Record<string, string> = {};
  for (const host of [...REAL_HOSTS, SORRY_HOST]) {
    for (const port of host.ports)
      direct[`${host.address}:${port}`] = await until(`${host.name}'s nginx on ${port}`, 20_000, () => requestWithin(host.address, port));
  }
  result("servers", direct);
  writeFileSync(CONFIG, checksConfig());

  result("tandem", await scenario(TANDEM));
  // Every fault was repaired by the scenario's last step; the table is empty again.
  result("between", { save: await ipvsadmSave(), downFiles: REAL_HOSTS.flatMap((h) => h.ports.filter((p) => existsSync(downFile(h.name, p)))) });
  result("keepalived", await scenario(KEEPALIVED));
}

if (process.argv[2] === "client") {
  await runChecksClient(process.argv[3]!, process.argv.slice(4).map(Number));
  process.exit(0);
} else {
  const watchdog = setTimeout(() => {
    result("crash", { message: `the program did not finish in ${WATCHDOG_MS} ms` });
    for (const log of [TANDEM.log, KEEPALIVED.log]) console.log(`--- ${log}:\n${existsSync(log) ? readFileSync(log, "utf8").slice(-5000) : "(none)"}`);
    console.log("=== DONE");
    process.exit(0);
  }, WATCHDOG_MS);
  try {
    await main();
    clearTimeout(watchdog);
  } catch (error) {
    result("crash", { message: (error as Error).stack ?? String(error) });
  }
  console.log("=== DONE");
  process.exit(0);
}
