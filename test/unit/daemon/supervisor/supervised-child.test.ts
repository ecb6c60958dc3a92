// The supervisor's hold on a child, with real child processes (small Bun scripts) and the
// supervision timers on a fake clock: a child that dies is restarted after the policy's
// delay; one that stops talking is killed as hung; one that grows past its memory limit is
// killed for it; after stopRestarting, a death is final. No root, no network.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../../../src/common/clock.ts";
import { memoryLogger } from "../../../../src/common/logger.ts";
import { RestartPolicy } from "../../../../src/common/restart-policy.ts";
import { SupervisedChild, type ChildExit } from "../../../../src/daemon/supervisor/supervised-child.ts";

const dir = mkdtempSync(join(tmpdir(), "tandem-supervised-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(dir, `${name}.ts`);
  writeFileSync(path, body);
  return path;
}

const CHATTY = script("chatty", `setInterval(() => process.send!("alive"), 20); process.on("message", (m) => { if (m === "stop") process.exit(0); });`);
const DIES = script("dies", `process.send!("hello"); setTimeout(() => process.exit(3), 10);`);
const MUTE = script("mute", `setInterval(() => {}, 1000);`);
const SILENT = script("silent", `process.send!("hello"); setInterval(() => {}, 1000);`);
const GROWS = script(
  "grows",
  `const keep: Uint8Array[] = []; setInterval(() => { process.send!("alive"); const b = new Uint8Array(16 * 2 ** 20); b.fill(1); keep.push(b); }, 10);`,
);

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

function child(path: string, extra: { memoryLimitBytes?: number; silenceLimitMs?: number; startLimitMs?: number } = {}) {
  const clock = new FakeClock();
  const exits: ChildExit[] = [];
  const starts: number[] = [];
  const messages: unknown[] = [];
  const supervised = new SupervisedChild<string, string>({
    role: "test",
    argv: [process.execPath, path],
    clock,
    logger: memoryLogger(),
    silenceLimitMs: 1_000,
    policy: new RestartPolicy({ firstDelayMs: 500, maxDelayMs: 4_000, healthyAfterMs: 60_000 }),
    onStart: (pid) => starts.push(pid),
    onMessage: (message) => messages.push(message),
    onExit: (exit) => exits.push(exit),
    ...extra,
  });
  return { clock, exits, starts, messages, supervised };
}

describe("SupervisedChild", () => {
  test("a child that dies is reported with its exit code and started again after the policy's delay", async () => {
    const c = child(DIES);
    c.supervised.start();
    const first = await until("the first exit", () => c.exits[0]);
    expect(first).toMatchObject({ exitCode: 3, restartInMs: 500 });
    expect(first.killedFor).toBeUndefined();
    c.clock.advance(499);
    expect(c.starts.length).toBe(1);
    c.clock.advance(1);
    expect(c.starts.length).toBe(2);
    const second = await until("the second exit", () => c.exits[1]);
    expect(second.restartInMs).toBe(1_000); // died young again: the delay doubles
    c.supervised.stopRestarting();
    c.clock.advance(10_000);
    expect(c.starts.length).toBe(2);
  });

  test("a child that stops talking is killed as hung, and restarted", async () => {
    const c = child(SILENT);
    c.supervised.start();
    await until("its hello", () => (c.messages.length > 0 ? true : undefined));
    c.clock.advance(1_000);
    expect(c.exits).toEqual([]); // at the limit, not past it
    c.clock.advance(600);
    const exit = await until("the kill", () => c.exits[0]);
    expect(exit.signal).toBe("SIGKILL");
    expect(exit.killedFor).toContain("has not been heard from");
    expect(exit.restartInMs).toBe(500);
    c.supervised.stopRestarting();
  });

  test("before its first message a child has the longer start limit, then it is killed as hung at start", async () => {
    const c = child(MUTE, { startLimitMs: 5_000 });
    c.supervised.start();
    await Bun.sleep(200); // a real process that has had time to say something, and did not
    c.clock.advance(4_000);
    await Bun.sleep(300); // a kill's exit would have arrived by now
    expect(c.exits).toEqual([]); // past the 1 s silence limit, within the start limit
    c.clock.advance(1_600);
    const exit = await until("the kill", () => c.exits[0]);
    expect(exit.signal).toBe("SIGKILL");
    expect(exit.killedFor).toContain("since its start");
    c.supervised.stopRestarting();
  });

  test("a talking child is left alone; stopRestarting then a stop message ends it for good", async () => {
    const c = child(CHATTY);
    c.supervised.start();
    for (let i = 0; i < 10; i++) {
      await until("a message", () => (c.messages.length > i ? true : undefined));
      c.clock.advance(500);
    }
    expect(c.exits).toEqual([]);
    c.supervised.stopRestarting();
    expect(c.supervised.send("stop")).toBe(true);
    await c.supervised.waitExit(5_000);
    const exit = await until("the exit", () => c.exits[0]);
    expect(exit).toMatchObject({ exitCode: 0 });
    expect(exit.restartInMs).toBeUndefined();
  });

  test("a child past its memory limit is killed for it", async () => {
    const c = child(GROWS, { memoryLimitBytes: 128 * 2 ** 20, silenceLimitMs: 3_600_000 });
    c.supervised.start();
    const exit = await until(
      "the kill",
      () => {
        if (c.exits[0]) return c.exits[0];
        c.clock.advance(500); // the memory poll
        return undefined;
      },
      20_000,
    );
    expect(exit.signal).toBe("SIGKILL");
    expect(exit.killedFor).toMatch(/uses \d+ MiB, over its 128 MiB limit/);
    c.supervised.stopRestarting();
    expect(c.starts.length).toBe(1);
  });
});
