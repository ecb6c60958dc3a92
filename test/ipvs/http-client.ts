// A minimal HTTP/1.1 client over node:net for the traffic test's client namespace: one request
// per new connection (the scheduler's unit), or many over one kept-open connection (what a
// drain and a failover must not reset). It reads nginx's `return 200 "NAME\n"` answers by
// Content-Length and reports resets and timeouts as the errors they are.
import { connect, type Socket } from "node:net";

const REQUEST_TIMEOUT_MS = 3000;

export class HttpConnection {
  private socket: Socket;
  private buffer = "";
  private pending: { resolve: (body: string) => void; reject: (error: Error) => void; timer: ReturnType<typeof setTimeout> } | undefined;
  private failure: Error | undefined;
  private opened: Promise<void>;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly keepOpen: boolean,
  ) {
    this.socket = connect({ host, port });
    this.socket.setEncoding("latin1");
    this.opened = new Promise((resolve, reject) => {
      this.socket.once("connect", () => resolve());
      this.socket.once("error", reject);
    });
    this.socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      this.deliver();
    });
    this.socket.on("error", (error) => this.fail(error));
    this.socket.on("close", () => this.fail(new Error("connection closed by the peer")));
  }

  /** One GET; resolves with the body (the real server's name), rejects on reset, close or timeout. */
  async request(): Promise<string> {
    if (this.failure) throw this.failure;
    if (this.pending) throw new Error("a request is already in flight on this connection");
    await this.opened;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
      this.pending = { resolve, reject, timer };
      this.socket.write(`GET / HTTP/1.1\r\nHost: ${this.host}\r\n${this.keepOpen ? "" : "Connection: close\r\n"}\r\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private deliver(): void {
    if (!this.pending) return;
    const end = this.buffer.indexOf("\r\n\r\n");
    if (end < 0) return;
    const head = this.buffer.slice(0, end);
    const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
    if (!Number.isFinite(length)) return this.fail(new Error(`an answer without Content-Length: ${head.slice(0, 200)}`));
    if (this.buffer.length < end + 4 + length) return;
    const body = this.buffer.slice(end + 4, end + 4 + length);
    this.buffer = this.buffer.slice(end + 4 + length);
    // A non-200 answer fails the request (fail() rejects the pending one, so it goes before clearing it).
    if (!/^HTTP\/1\.1 200 /.test(head)) return this.fail(new Error(`status ${head.split("\r\n")[0]}`));
    const { resolve, timer } = this.pending;
    clearTimeout(timer);
    this.pending = undefined;
    resolve(body.trim());
  }

  private fail(error: Error): void {
    this.failure ??= error;
    if (this.pending) {
      const { reject, timer } = this.pending;
      clearTimeout(timer);
      this.pending = undefined;
      reject(this.failure);
    }
    this.socket.destroy();
  }
}

/** One request on a fresh connection: the answering server's name. */
export async function requestOnce(host: string, port: number): Promise<string> {
  const connection = new HttpConnection(host, port, false);
  try {
    return await connection.request();
  } finally {
    connection.close();
  }
}
