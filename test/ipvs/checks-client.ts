// The health-check test's client, run in the guest's client namespace (`checks-program.js
// client HOST PORT...`): one loop per port sends a request on a new connection through the VIP
// every INTERVAL_MS. It prints "started" once every loop has had its first answer (so the
// orchestrator's baseline is not spent on the runtime's start), and when a line "stop" comes on
// stdin, every request as one JSON line (checks-transitions.ts's ClientRequest: port, sent and ended at in
// the guest's wall clock, shared by every process, and the answering server or "!" + the
// error), then exits.
import { HttpConnection } from "./http-client.ts";
import type { ClientRequest } from "./checks-transitions.ts";

/** A new connection every 50 ms per virtual server: a detection's effect shows within a read interval or two. */
const INTERVAL_MS = 50;
/** A request not answered by then (its connection included: http-client.ts times only the answer) is a failure. */
const REQUEST_TIMEOUT_MS = 3000;

/** One request on a new connection, the connection's setup within the timeout too. */
async function requestWithin(host: string, port: number): Promise<string> {
  const connection = new HttpConnection(host, port, false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no connection and answer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
  });
  try {
    return await Promise.race([connection.request(), timeout]);
  } finally {
    clearTimeout(timer);
    connection.close();
  }
}

export async function runChecksClient(host: string, ports: number[]): Promise<void> {
  const requests: ClientRequest[] = [];
  let running = true;
  const firsts: Promise<void>[] = [];
  const loops = ports.map((port) => {
    let markFirst: () => void = () => {};
    firsts.push(new Promise((resolve) => (markFirst = resolve)));
    return (async () => {
      while (running) {
        const sentMs = Date.now();
        let answer: string;
        try {
          answer = await requestWithin(host, port);
        } catch (error) {
          answer = `!${(error as Error).message}`;
        }
        requests.push([port, sentMs, Date.now(), answer]);
        markFirst();
        await Bun.sleep(Math.max(0, INTERVAL_MS - (Date.now() - sentMs)));
      }
    })();
  });
  await Promise.all(firsts);
  process.stdout.write("started\n");
  // A line, not the end of stdin: a process the orchestrator starts meanwhile (a restarted
  // nginx, which daemonizes) may hold the pipe's other end open.
  let received = "";
  const decoder = new TextDecoder();
  for await (const chunk of Bun.stdin.stream()) {
    received += decoder.decode(chunk, { stream: true });
    if (received.includes("stop\n")) break;
  }
  running = false;
  await Promise.all(loops);
  process.stdout.write(JSON.stringify(requests) + "\n");
}
