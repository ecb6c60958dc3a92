// One long-lived HTTP/1.1 connection through a VIP, for the pair's headline test and make
// demo: a GET every --interval ms (default 200) on the same kept-alive TCP connection, the
// next one only once the previous was answered (never two in flight, so a stall shows as a
// gap, not as a queue), each event printed as a line. It never reconnects: a reset or a close
// ends it, printed, with exit status 1. Until the connection is first made, a refused or
// failed connect is printed and tried again every --interval ms (the VIP may not serve yet).
//   bun scripts/keepalive-client.ts HOST PORT [--interval MS] [--text]
// Lines are JSON ({"event":"connected"|"answer"|"error"|"closed", "atMs": epoch ms, ...}), or
// with --text, one readable line per answer for a person watching.
const [host, portText, ...options] = process.argv.slice(2);
const port = Number(portText);
if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
  console.error("usage: bun scripts/keepalive-client.ts HOST PORT [--interval MS] [--text]");
  process.exit(2);
}
const intervalIndex = options.indexOf("--interval");
const intervalMs = intervalIndex >= 0 ? Number(options[intervalIndex + 1]) : 200;
const text = options.includes("--text");

type Event =
  | { event: "connect-failed"; error: string }
  | { event: "connected"; local: string }
  | { event: "answer"; n: number; sentAtMs: number; status: number; body: string }
  | { event: "error"; error: string }
  | { event: "closed" };

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 22);
function print(e: Event): void {
  const atMs = Date.now();
  if (!text) console.log(JSON.stringify({ ...e, atMs }));
  else if (e.event === "connect-failed") console.log(`${clock(atMs)}  connect to ${host}:${port}: ${e.error}, trying again`);
  else if (e.event === "connected") console.log(`${clock(atMs)}  connected from ${e.local} to ${host}:${port}`);
  else if (e.event === "answer") console.log(`${clock(atMs)}  #${e.n} ${e.status} ${e.body.trim()} (${atMs - e.sentAtMs} ms)`);
  else console.log(`${clock(atMs)}  connection ${e.event}${e.event === "error" ? `: ${e.error}` : ""}`);
}

/** One HTTP/1.1 response at the start of `buffer`, if it is all there (nginx's return sends Content-Length). */
function takeResponse(buffer: Buffer): { status: number; body: string; rest: Buffer } | undefined {
  const end = buffer.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const head = buffer.subarray(0, end).toString("latin1");
  const status = Number(head.match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0);
  const length = Number(head.match(/\r\ncontent-length: *(\d+)/i)?.[1] ?? 0);
  if (buffer.length < end + 4 + length) return undefined;
  return { status, body: buffer.subarray(end + 4, end + 4 + length).toString("utf8"), rest: buffer.subarray(end + 4 + length) };
}

let pending: Buffer = Buffer.alloc(0);
let n = 0;
let sentAtMs = 0;
let ended = false;
const request = `GET / HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: tandem-keepalive-client\r\n\r\n`;

function finish(e: Event): void {
  if (ended) return;
  ended = true;
  print(e);
  process.exit(1);
}

const code = (error: Error) => (error as NodeJS.ErrnoException).code ?? error.message;
const handlers = {
  data(s: Connected, chunk: Buffer) {
    pending = Buffer.concat([pending, chunk]);
    for (let r = takeResponse(pending); r; r = takeResponse(pending)) {
      pending = r.rest;
      print({ event: "answer", n, sentAtMs, status: r.status, body: r.body });
      setTimeout(() => send(s), Math.max(0, sentAtMs + intervalMs - Date.now()));
    }
  },
  error(_s: unknown, error: Error) {
    finish({ event: "error", error: code(error) });
  },
  // A reset arrives here too, with its error; an orderly close without one.
  close(_s: unknown, error?: Error) {
    finish(error ? { event: "error", error: code(error) } : { event: "closed" });
  },
  end() {
    finish({ event: "closed" });
  },
};

type Connected = Awaited<ReturnType<typeof Bun.connect>>;
let socket: Connected;
for (;;) {
  try {
    socket = await Bun.connect({ hostname: host, port, socket: handlers });
    break;
  } catch (error) {
    print({ event: "connect-failed", error: code(error as Error) });
    await Bun.sleep(intervalMs);
  }
}

function send(s: Connected): void {
  if (ended) return;
  n++;
  sentAtMs = Date.now();
  s.write(request);
}

print({ event: "connected", local: `${socket.localAddress}:${socket.localPort}` });
send(socket);

// A module (its top-level await needs one), not a script sharing the global scope.
export {};
