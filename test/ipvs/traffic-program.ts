// Runs inside the qemu guest (test/ipvs/traffic.test.ts boots it): the image's own tandem
// daemon directs real traffic from a client namespace to real nginx servers in namespaces
// (traffic-topology.ts) by NAT, DR and TUN, and is reloaded, drained and killed under load.
// Each step prints "=== RESULT <name> <json>"; the host asserts. Run as `program.js client`,
// it is the client instead (traffic-client.ts), inside the client namespace.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { serveClient } from "./traffic-client.ts";
import { trafficConfig } from "./traffic-config.ts";
import { CLIENT, IP, nginxConfig, REAL_SERVERS, topologyCommands, VIP } from "./traffic-topology.ts";
import { requestOnce } from "./http-client.ts";

const DIR = "/tmp/tandem";
const CONFIG = `${DIR}/keepalived.conf`;
const API = "http://127.0.0.1:8080";
const TOKEN = "traffic-test-token-0123456789abcdef";
/** traffic-config.ts's table: 5 services and 12 destinations. */
const TABLE_LINES = 5 + 3 + 3 + 2 + 2 + 2;
/** real_server_drain_timeout for the removal step: long enough to see the hold, short for a test. */
const REMOVAL_DRAIN_TIMEOUT_S = 4;

function result(name: string, value: unknown): void {
  console.log(`=== RESULT ${name} ${JSON.stringify(value)}`);
}

function sh(command: string): string {
  const run = Bun.spawnSync(["/bin/sh", "-c", command], { stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(`${command}: exit ${run.exitCode}: ${run.stderr.toString()}`);
  return run.stdout.toString();
}

const save = (): string[] => sh("ipvsadm -Sn").split("\n").filter(Boolean).sort();

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

/** The client namespace's driver: one JSON command per line, one JSON answer per line. */
class Client {
  private readonly process = Bun.spawn([IP, "netns", "exec", CLIENT.name, "/usr/sbin/tandem", "/ktest/program.js", "client"], {
    env: { ...process.env, BUN_BE_BUN: "1", BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0" },
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  private readonly lines = this.process.stdout.pipeThrough(new TextDecoderStream()).getReader();
  private buffered = "";

  async send<T>(command: Record<string, unknown>): Promise<T> {
    this.process.stdin.write(JSON.stringify(command) + "\n");
    this.process.stdin.flush();
    for (;;) {
      const newline = this.buffered.indexOf("\n");
      if (newline >= 0) {
        const line = this.buffered.slice(0, newline);
        this.buffered = this.buffered.slice(newline + 1);
        const reply = JSON.parse(line) as { ok: boolean; value?: T; error?: string };
        if (!reply.ok) throw new Error(`client ${command.op}: ${reply.error}`);
        return reply.value as T;
      }
      const chunk = await this.lines.read();
      if (chunk.done) throw new Error("the client exited");
      this.buffered += chunk.value;
    }
  }

  close(): void {
    this.process.stdin.end();
  }
}

interface Tally {
  requests: number;
  answers: Record<string, number>;
  failures: { atMs: number; error: string }[];
  maxGapMs: number;
  lastAnswerAtMs: Record<string, number>;
}

/** The daemon as an operator runs it, from the image's binary; its log in DIR. */
class Daemon {
  private process: ReturnType<typeof Bun.spawn> | undefined;

  start(): void {
    this.process = Bun.spawn(["/usr/sbin/tandem", "-n", "-l", "-f", CONFIG, "--db", `${DIR}/tandem.db`], {
      stdout: Bun.file(`${DIR}/daemon.log`),
      stderr: "inherit",
      env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", HOME: "/tmp" },
    });
  }

  get pid(): number {
    return this.process!.pid;
  }

  /** The daemon and every process under it (the supervisor's children), by /proc's parent links. */
  tree(): number[] {
    const parents = new Map<number, number>();
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      } catch {
        // gone meanwhile
      }
    }
    const tree = [this.pid];
    for (let grew = true; grew;) {
      grew = false;
      for (const [pid, parent] of parents) {
        if (tree.includes(parent) && !tree.includes(pid)) {
          tree.push(pid);
          grew = true;
        }
      }
    }
    return tree;
  }

  kill9(): number[] {
    const tree = this.tree();
    for (const pid of tree) process.kill(pid, "SIGKILL");
    return tree;
  }

  reload(): void {
    process.kill(this.pid, "SIGHUP");
  }

  async stop(): Promise<void> {
    process.kill(this.pid, "SIGTERM");
    await this.process!.exited;
  }
}

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${API}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...(init.headers ?? {}) } });
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** The writes tandem's director issued since `sinceMs`, from its event history. */
async function writesSince(sinceMs: number): Promise<number> {
  const page = await api<{ events: { data: { writes: number } }[] }>(`/events?kind=ipvs.apply&sinceMs=${sinceMs}&limit=1000`);
  return page.events.reduce((sum, event) => sum + event.data.writes, 0);
}

const drainPath = (service: string, realServer: string) =>
  `/ipvs/virtual-servers/${encodeURIComponent(service)}/real-servers/${encodeURIComponent(realServer)}/drain`;

async function main(): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  writeFileSync(`${DIR}/api.token`, TOKEN + "\n", { mode: 0o600 });
  for (const command of topologyCommands()) sh(command);
  for (const rs of REAL_SERVERS) {
    const dir = `/tmp/rs/${rs.name}`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/nginx.conf`, nginxConfig(rs.name, dir));
    sh(`${IP} netns exec ${rs.name} nginx -p ${dir} -c ${dir}/nginx.conf -e ${dir}/error.log`);
  }
  // Each server answers with its name before the director is asked to send it anything.
  const direct: Record<string, string> = {};
  for (const rs of REAL_SERVERS) direct[rs.name] = await until(`${rs.name}'s nginx`, 20_000, () => requestOnce(rs.address, 80));
  result("servers", direct);

  writeFileSync(CONFIG, trafficConfig());
  const daemon = new Daemon();
  const startedMs = Date.now();
  daemon.start();
  await until("the configured table", 60_000, () => (save().length === TABLE_LINES ? true : undefined));
  await until("the API", 30_000, () => api<{ available: boolean }>("/ipvs/state").then((state) => (state.available ? true : undefined)));
  result("start", { save: save(), writes: await writesSince(startedMs) });

  const client = new Client();
  result("nat", await client.send<Tally>({ op: "burst", host: VIP.nat, port: 80, count: 250 }));
  result("dr", await client.send<Tally>({ op: "burst", host: VIP.dr, port: 80, count: 20 }));
  result("tun", await client.send<Tally>({ op: "burst", host: VIP.tun, port: 80, count: 20 }));
  result("persistence", await client.send<Tally>({ op: "burst", host: VIP.nat, port: 8080, count: 30 }));
  result("fwmark", await client.send<Tally>({ op: "burst", host: VIP.fwmark, port: 80, count: 20 }));

  // A reload that changes one real server's weight, under a client opening a connection every 20 ms.
  await client.send({ op: "continuous-start", host: VIP.nat, port: 80, intervalMs: 20 });
  await Bun.sleep(1000);
  writeFileSync(CONFIG, trafficConfig({ nat1: 3, nat2: 1, nat3: 2 }));
  const reloadMs = Date.now();
  daemon.reload();
  await until("nat3 at weight 2", 30_000, () => (save().includes("-a -t 10.10.0.100:80 -r 10.20.0.13:80 -m -w 2") ? true : undefined));
  await Bun.sleep(1500); // a drift scan or a second pass would show here as extra writes
  result("reload", { tally: await client.send<Tally>({ op: "continuous-stop" }), writes: await writesSince(reloadMs), save: save() });

  // A drain under kept-open connections and a client opening new ones every 20 ms: no
  // connection is reset, and the new ones stop reaching the drained server.
  const opened = await client.send<{ opened: string[] }>({ op: "open", host: VIP.nat, port: 80, count: 6 });
  await client.send({ op: "kept-start", intervalMs: 100 });
  await client.send({ op: "continuous-start", host: VIP.nat, port: 80, intervalMs: 20 });
  await Bun.sleep(500);
  const drainAskedAtMs = Date.now();
  await api(drainPath(`TCP ${VIP.nat}:80`, "10.20.0.11:80"), { method: "POST" });
  const drainAnsweredAfterMs = Date.now() - drainAskedAtMs;
  await until("nat1 at weight 0", 5000, () => (save().includes("-a -t 10.10.0.100:80 -r 10.20.0.11:80 -m -w 0") ? true : undefined));
  const weightZeroSeenAfterMs = Date.now() - drainAskedAtMs;
  await Bun.sleep(1500);
  const during = await client.send<Tally>({ op: "continuous-stop" });
  const fresh = await client.send<Tally>({ op: "burst", host: VIP.nat, port: 80, count: 30 });
  const kept = await client.send<{ connections: Tally[] }>({ op: "kept-stop" });
  const drained = save().filter((line) => line.startsWith(`-a -t ${VIP.nat}:80 -r 10.20.0.11:80 `));
  await api(drainPath(`TCP ${VIP.nat}:80`, "10.20.0.11:80"), { method: "DELETE" });
  await until("nat1 back at weight 3", 5000, () => (save().includes("-a -t 10.10.0.100:80 -r 10.20.0.11:80 -m -w 3") ? true : undefined));
  result("drain", {
    opened: opened.opened,
    drainAnsweredAfterMs,
    weightZeroSeenAfterMs,
    // When a new connection last reached the drained server, from the operator's request.
    lastNewToDrainedAfterMs: (during.lastAnswerAtMs.nat1 ?? 0) - drainAskedAtMs,
    during,
    fresh,
    kept: kept.connections,
    drained,
  });

  // A reload that removes a real server under kept-open connections: tandem holds it at weight 0
  // while they last (keepalived deletes it at once), then deletes it at the drain timeout.
  writeFileSync(CONFIG, trafficConfig({ nat1: 3, nat2: 1 }, REMOVAL_DRAIN_TIMEOUT_S));
  const beforeRemoval = await client.send<{ opened: string[] }>({ op: "open", host: VIP.nat, port: 80, count: 6 });
  await client.send({ op: "kept-start", intervalMs: 100 });
  const removalAtMs = Date.now();
  daemon.reload();
  await until("nat3 at weight 0", 30_000, () => (save().includes("-a -t 10.10.0.100:80 -r 10.20.0.13:80 -m -w 0") ? true : undefined));
  await Bun.sleep(1000);
  const held = save().filter((line) => line.startsWith(`-a -t ${VIP.nat}:80 -r 10.20.0.13:80 `));
  await until("nat3 deleted", 30_000, () => (save().some((line) => line.startsWith(`-a -t ${VIP.nat}:80 -r 10.20.0.13:80 `)) ? undefined : true));
  const deletedAtMs = Date.now();
  await Bun.sleep(4000); // longer than the client's 3 s answer timeout
  const removal = await client.send<{ connections: Tally[] }>({ op: "kept-stop" });
  result("removal", {
    opened: beforeRemoval.opened,
    held,
    deletedAfterMs: deletedAtMs - removalAtMs,
    deletedAtMs,
    connections: removal.connections,
    writes: await writesSince(removalAtMs),
  });

  // kill -9 of every tandem process: the kernel keeps serving; a new start adopts the table with zero writes.
  await client.send({ op: "continuous-start", host: VIP.nat, port: 80, intervalMs: 20 });
  await Bun.sleep(500);
  const before = save();
  const killed = daemon.kill9();
  await Bun.sleep(2000);
  const afterKill = save();
  const restartedMs = Date.now();
  daemon.start();
  await until("the API after the restart", 60_000, () =>
    api<{ available: boolean; virtualServers: unknown[] }>("/ipvs/state").then((state) =>
      state.available && state.virtualServers.length === 5 ? true : undefined,
    ),
  );
  await Bun.sleep(3000); // the first pass and a status round
  result("kill9", {
    killed: killed.length,
    before,
    afterKill,
    afterRestart: save(),
    writes: await writesSince(restartedMs),
    tally: await client.send<Tally>({ op: "continuous-stop" }),
  });

  client.close();
  await daemon.stop();
  result("stopped", save());
  result("keepalived", await keepalivedTables());
}

/** keepalived 2.2.7's checker on the same file, its reload and its stop, in the same guest. */
async function keepalivedTables(): Promise<{ start: string[]; reload: string[]; stop: string[] }> {
  writeFileSync(CONFIG, trafficConfig());
  const keepalived = Bun.spawn(["keepalived", "-n", "-l", "-C", "-f", CONFIG, "-p", `${DIR}/k.pid`, "-c", `${DIR}/c.pid`, "-r", `${DIR}/r.pid`], {
    stdout: Bun.file(`${DIR}/keepalived.log`),
    stderr: "inherit",
  });
  const complete = () => (save().length === TABLE_LINES ? save() : undefined);
  const start = await until("keepalived's table", 60_000, complete);
  writeFileSync(CONFIG, trafficConfig({ nat1: 3, nat2: 1, nat3: 2 }));
  keepalived.kill("SIGHUP");
  await until("keepalived's reload", 60_000, () => (save().includes("-a -t 10.10.0.100:80 -r 10.20.0.13:80 -m -w 2") ? true : undefined));
  await Bun.sleep(1000); // anything else its reload would still change
  const reload = save();
  keepalived.kill("SIGTERM");
  await keepalived.exited;
  return { start, reload, stop: save() };
}

if (process.argv[2] === "client") {
  await serveClient();
} else {
  try {
    await main();
  } catch (error) {
    result("crash", { message: (error as Error).stack ?? String(error) });
    try {
      console.log(readFileSync(`${DIR}/daemon.log`, "utf8").split("\n").slice(-60).join("\n"));
    } catch {
      // no log yet
    }
  }
  console.log("=== DONE");
  process.exit(0);
}
