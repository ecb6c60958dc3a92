// The traffic test's client, run in the guest's client namespace (`traffic-program.js client`):
// it reads one JSON command per line on stdin and answers each with one JSON line on stdout,
// so the orchestrator in the director's namespace can drive traffic through the VIPs.
//   burst {host, port, count}            sequential requests, each on a new connection
//   continuous-start {host, port, intervalMs} / continuous-stop   new connections in the background
//   open {host, port, count}             connections kept open, one request each
//   kept-start {intervalMs} / kept-stop  a request on every kept connection each interval
import { HttpConnection, requestOnce } from "./http-client.ts";

type Command =
  | { op: "burst"; host: string; port: number; count: number }
  | { op: "continuous-start"; host: string; port: number; intervalMs: number }
  | { op: "continuous-stop" }
  | { op: "open"; host: string; port: number; count: number }
  | { op: "kept-start"; intervalMs: number }
  | { op: "kept-stop" };

/** Requests answered by each server, and what went wrong (time since the loop began, error). */
interface Tally {
  requests: number;
  answers: Record<string, number>;
  failures: { atMs: number; error: string }[];
  /** The longest time between two answered requests. */
  maxGapMs: number;
  /** Wall-clock ms (the guest's, shared by every process) of each server's last answer. */
  lastAnswerAtMs: Record<string, number>;
}

const newTally = (): Tally => ({ requests: 0, answers: {}, failures: [], maxGapMs: 0, lastAnswerAtMs: {} });

function answered(tally: Tally, name: string): void {
  tally.answers[name] = (tally.answers[name] ?? 0) + 1;
  tally.lastAnswerAtMs[name] = Date.now();
}

class Loop {
  readonly tally = newTally();
  private running = true;
  private readonly done: Promise<void>;
  private readonly startedMs = performance.now();
  private lastAnswerMs = performance.now();

  constructor(intervalMs: number, once: () => Promise<string>) {
    this.done = (async () => {
      while (this.running) {
        const sentMs = performance.now();
        this.tally.requests++;
        try {
          answered(this.tally, await once());
          const now = performance.now();
          this.tally.maxGapMs = Math.max(this.tally.maxGapMs, Math.round(now - this.lastAnswerMs));
          this.lastAnswerMs = now;
        } catch (error) {
          this.tally.failures.push({ atMs: Math.round(sentMs - this.startedMs), error: (error as Error).message });
        }
        await Bun.sleep(Math.max(0, intervalMs - (performance.now() - sentMs)));
      }
    })();
  }

  async stop(): Promise<Tally> {
    this.running = false;
    await this.done;
    return this.tally;
  }
}

let continuous: Loop | undefined;
let kept: { connection: HttpConnection; tally: Tally }[] = [];
let keptLoop: { running: boolean; done: Promise<void> } | undefined;

async function run(command: Command): Promise<unknown> {
  switch (command.op) {
    case "burst": {
      const tally = newTally();
      for (let i = 0; i < command.count; i++) {
        tally.requests++;
        try {
          answered(tally, await requestOnce(command.host, command.port));
        } catch (error) {
          tally.failures.push({ atMs: i, error: (error as Error).message });
        }
      }
      return tally;
    }
    case "continuous-start":
      continuous = new Loop(command.intervalMs, () => requestOnce(command.host, command.port));
      return {};
    case "continuous-stop": {
      const tally = await continuous!.stop();
      continuous = undefined;
      return tally;
    }
    case "open": {
      const opened: string[] = [];
      for (let i = 0; i < command.count; i++) {
        const connection = new HttpConnection(command.host, command.port, true);
        const tally = newTally();
        tally.requests++;
        const name = await connection.request();
        answered(tally, name);
        kept.push({ connection, tally });
        opened.push(name);
      }
      return { opened };
    }
    case "kept-start": {
      const loop = { running: true, done: Promise.resolve() };
      loop.done = (async () => {
        while (loop.running) {
          const startedMs = performance.now();
          await Promise.all(
            kept.map(async ({ connection, tally }) => {
              tally.requests++;
              try {
                answered(tally, await connection.request());
              } catch (error) {
                tally.failures.push({ atMs: Math.round(startedMs), error: (error as Error).message });
              }
            }),
          );
          await Bun.sleep(Math.max(0, command.intervalMs - (performance.now() - startedMs)));
        }
      })();
      keptLoop = loop;
      return {};
    }
    case "kept-stop": {
      keptLoop!.running = false;
      await keptLoop!.done;
      const tallies = kept.map(({ tally }) => tally);
      for (const { connection } of kept) connection.close();
      kept = [];
      keptLoop = undefined;
      return { connections: tallies };
    }
  }
}

/** Serves commands from stdin until it closes. */
export async function serveClient(): Promise<void> {
  let buffered = "";
  const decoder = new TextDecoder();
  for await (const chunk of Bun.stdin.stream()) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (!line.trim()) continue;
      let reply: unknown;
      try {
        reply = { ok: true, value: await run(JSON.parse(line) as Command) };
      } catch (error) {
        reply = { ok: false, error: (error as Error).message };
      }
      process.stdout.write(JSON.stringify(reply) + "\n");
    }
  }
}
