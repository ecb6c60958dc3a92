// Test-side driver of fixtures/net-agent.ts: starts it inside a namespace and exchanges
// JSON lines with it (commands -> results; packet/link/address events collected).
import { join } from "node:path";

export interface AgentEvent {
  event: string;
  [key: string]: unknown;
}

export class AgentCallError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

const agentPath = join(import.meta.dir, "fixtures", "net-agent.ts");

export class NetAgent {
  readonly events: AgentEvent[] = [];
  private nextId = 1;
  private pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private listeners = new Set<() => void>();
  private stderr = "";

  private constructor(
    readonly namespace: string,
    private readonly process: Bun.Subprocess<"pipe", "pipe", "pipe">,
  ) {}

  static async start(namespace: string): Promise<NetAgent> {
    const child = Bun.spawn(["ip", "netns", "exec", namespace, process.execPath, agentPath], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    const agent = new NetAgent(namespace, child);
    agent.pump();
    await agent.waitForEvent((e) => e.event === "ready", 10_000, "agent start");
    return agent;
  }

  private async pump() {
    const decoder = new TextDecoder();
    let buffered = "";
    void (async () => {
      for await (const chunk of this.process.stderr) this.stderr += decoder.decode(chunk);
    })();
    for await (const chunk of this.process.stdout) {
      buffered += decoder.decode(chunk);
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.trim()) this.accept(JSON.parse(line));
      }
    }
    for (const { reject } of this.pending.values()) reject(new Error(`agent in ${this.namespace} exited: ${this.stderr}`));
  }

  private accept(message: { id?: number; ok?: boolean; result?: unknown; error?: { message: string; code?: string } } & AgentEvent) {
    if (message.id !== undefined) {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.ok) waiter?.resolve(message.result);
      else waiter?.reject(new AgentCallError(message.error?.message ?? "failed", message.error?.code));
      return;
    }
    this.events.push(message);
    for (const listener of this.listeners) listener();
  }

  call<T = any>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    const promise = new Promise<T>((resolve, reject) => this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }));
    this.process.stdin.write(JSON.stringify({ id, cmd, args }) + "\n");
    this.process.stdin.flush();
    return promise;
  }

  /** Resolves with the first event (already received or future) matching predicate. */
  waitForEvent(predicate: (event: AgentEvent) => boolean, timeoutMs: number, what = "event"): Promise<AgentEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.find(predicate);
        if (!found) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${what} in ${this.namespace}: nothing within ${timeoutMs} ms; stderr: ${this.stderr}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const listener = () => void check();
      this.listeners.add(listener);
      check();
    });
  }

  clearEvents() {
    this.events.length = 0;
  }

  async stop() {
    try {
      await Promise.race([this.call("exit"), Bun.sleep(1000)]);
    } catch {}
    this.process.kill();
    await this.process.exited;
  }
}
