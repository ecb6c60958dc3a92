// The health-check test's client, run in the guest's client namespace (`checks-program.js
// client HOST PORT...`): one loop per port starts a request on a new connection through the VIP
// every INTERVAL_MS. It prints "started" once every loop has had its first answer (so the
// orchestrator's baseline is not spent on the runtime's start), and when a line "stop" comes on
// stdin, every request as one JSON line (checks-transitions.ts's ClientRequest: port, sent and ended at in
// the guest's wall clock, shared by every process, and the answering server or "!" + the
// error), then exits.
import { connect } from "node:net";
import type { ClientRequest } from "./checks-transitions.ts";

/** A new connection every 50 ms per virtual server: a detection's effect shows within a read interval or two. */
const INTERVAL_MS = 50;
/** A request not answered by then, its connection's setup included, is a failure. */
const REQUEST_TIMEOUT_MS = 3000;
/** Requests open at once per client: bounds what a stalled path can pile up (3 s of them at 20 a second per port is 120). */
const MAX_IN_FLIGHT = 200;
/** nginx's answers here are a name or its 503 page: anything longer is not theirs. */
const MAX_ANSWER_BYTES = 16_384;

/**
 * One GET on a new connection: the answering server's name (a 200's body), else it rejects with
 * what went wrong ("status 503 ...", "connect ECONNREFUSED ...", a reset, the timeout). Its own
 * client, not http-client.ts's: that one never settles on an answer other than 200 (deliver()
 * clears the pending request before fail() would reject it), and a 503 is what this test injects.
 */
export function requestWithin(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let received = "";
    const settle = (error: Error | undefined, body?: string) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(body!);
    };
    const timer = setTimeout(() => settle(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
    socket.setEncoding("latin1");
    socket.once("connect", () => socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    socket.on("data", (chunk: string) => {
      received += chunk;
      if (received.length > MAX_ANSWER_BYTES) return settle(new Error(`an answer longer than ${MAX_ANSWER_BYTES} bytes`));
      const end = received.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = received.slice(0, end);
      const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
      if (!Number.isFinite(length)) return settle(new Error(`an answer without Content-Length: ${head.split("\r\n")[0]}`));
      if (received.length < end + 4 + length) return;
      const status = head.split("\r\n")[0]!;
      if (!/^HTTP\/1\.1 200 /.test(status)) return settle(new Error(`status ${status}`));
      settle(undefined, received.slice(end + 4, end + 4 + length).trim());
    });
    socket.on("error", (error) => settle(error));
    socket.on("close", () => settle(new Error(`connection closed after ${received.length} bytes`)));
  });
}

export async function runChecksClient(host: string, ports: number[]): Promise<void> {
  const requests: ClientRequest[] = [];
  const inFlight = new Set<Promise<void>>();
  let running = true;
  const firsts: Promise<void>[] = [];
  // Open loops: a request starts every INTERVAL_MS whether or not the one before has ended, so
  // one that hangs (its real server removed mid-handshake) does not stop the counting.
  const loops = ports.map((port) => {
    let markFirst: () => void = () => {};
    firsts.push(new Promise((resolve) => (markFirst = resolve)));
    return (async () => {
      while (running) {
        const sentMs = Date.now();
        if (inFlight.size < MAX_IN_FLIGHT) {
          const request = requestWithin(host, port).then(
            (name) => void requests.push([port, sentMs, Date.now(), name]),
            (error: Error) => void requests.push([port, sentMs, Date.now(), `!${error.message}`]),
          );
          const tracked = request.then(() => {
            inFlight.delete(tracked);
            markFirst();
          });
          inFlight.add(tracked);
        }
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
  process.stderr.write(`--- ${new Date().toISOString()} client: stopping after ${requests.length} requests\n`);
  await Promise.all(loops);
  await Promise.all(inFlight);
  requests.sort((a, b) => a[1] - b[1]);
  process.stdout.write(JSON.stringify(requests) + "\n");
}
