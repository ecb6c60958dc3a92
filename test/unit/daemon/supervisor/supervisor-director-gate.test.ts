// The real Supervisor with fake children: small Bun scripts started as `__engine`,
// `__observer` and `__director`, which record every message they get and answer as the real
// ones do (the director's first "started" when and as the test says). The supervision
// timers run on a fake clock. What is checked is the wiring of the director-ready gate: the
// engine's start message carries it only when a director runs beside the engine, the
// director's first report reaches the engine as one "director" message, and neither a
// restarted director, a reload nor a restarted engine after the report holds VRRP again.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../../../src/common/clock.ts";
import { memoryLogger } from "../../../../src/common/logger.ts";
import { defaultRunOptions, type RunOptions } from "../../../../src/daemon/cli/cli-args.ts";
import { Supervisor } from "../../../../src/daemon/supervisor/supervisor.ts";
import { parseKeepalivedConf } from "../../support/fake-box/fake-box.ts";

const root = mkdtempSync(join(tmpdir(), "tandem-supervisor-gate-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** One script for the three roles; argv: DIR ROLE. The director's nth start does what director.json's nth entry says. */
const CHILD = join(root, "fake-child.ts");
writeFileSync(
  CHILD,
  `import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const [dir, role] = process.argv.slice(2);
const send = (m) => process.send(m);
writeFileSync(join(dir, role + ".pid"), String(process.pid));
const countFile = join(dir, role + ".starts");
const run = (existsSync(countFile) ? Number(readFileSync(countFile, "utf8")) : 0) + 1;
writeFileSync(countFile, String(run));
process.on("message", (m) => {
  appendFileSync(join(dir, role + ".jsonl"), JSON.stringify({ run, type: m.type, directorGate: m.directorGate, outcome: m.outcome, detail: m.detail }) + "\\n");
  if (m.type === "stop") { send({ type: "stopped" }); setTimeout(() => process.exit(0), 5); return; }
  if (role === "__engine" && m.type === "start") send({ type: "started" });
  if (role === "__engine" && m.type === "apply") send({ type: "applied" });
  if (role === "__observer" && m.type === "start") send({ type: "ready" });
  if (role === "__director" && m.type === "start") {
    const plan = JSON.parse(readFileSync(join(dir, "director.json"), "utf8"))[run - 1] ?? { outcome: "silent" };
    setTimeout(() => {
      if (plan.outcome === "die") process.exit(3);
      if (plan.outcome === "ready") send({ type: "started", ipvsAvailable: true });
      if (plan.outcome === "unavailable") send({ type: "started", ipvsAvailable: false, reason: plan.reason });
    }, plan.afterMs ?? 0);
  }
});
setInterval(() => {}, 1000);
`,
);

interface Received {
  run: number;
  type: string;
  directorGate?: { timeoutMs: number };
  outcome?: string;
  detail?: string;
}

const VRRP = `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    10.99.0.100/24
  }
}
`;
const VIRTUAL_SERVER = `virtual_server 10.99.0.100 80 {
  lb_kind NAT
  protocol TCP
  real_server 10.99.0.200 80 {
    weight 1
  }
}
`;

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

let cases = 0;

/** A supervisor over the fake children, for a configuration; director.json: what each director start does. */
function supervisor(
  configText: string,
  director: { outcome: "ready" | "unavailable" | "die" | "silent"; afterMs?: number; reason?: string }[],
  flags: Partial<RunOptions> = {},
) {
  const dir = join(root, `case-${++cases}`);
  mkdirSync(dir);
  writeFileSync(join(dir, "director.json"), JSON.stringify(director));
  const clock = new FakeClock();
  const options: RunOptions = {
    ...defaultRunOptions(),
    configFile: join(dir, "keepalived.conf"),
    dontFork: true,
    noSyslog: true,
    dbFile: join(dir, "tandem.db"),
    ...flags,
  };
  const config = parseKeepalivedConf(configText);
  // What a reload reads from the file.
  let fileText = configText;
  const sup = new Supervisor({
    options,
    config,
    reparse: () => ({ config: parseKeepalivedConf(fileText), diagnostics: [] }),
    clock,
    logger: memoryLogger(),
    log: { console: false, syslog: false, facility: undefined, detail: false },
    self: [process.execPath, CHILD, dir],
  });
  const received = (role: "__engine" | "__director"): Received[] => {
    const file = join(dir, `${role}.jsonl`);
    return existsSync(file)
      ? readFileSync(file, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Received)
      : [];
  };
  const pid = (role: string) => Number(readFileSync(join(dir, `${role}.pid`), "utf8"));
  const starts = (role: string) => (existsSync(join(dir, `${role}.starts`)) ? Number(readFileSync(join(dir, `${role}.starts`), "utf8")) : 0);
  const reload = (text = fileText) => {
    fileText = text;
    return sup.reload();
  };
  return { sup, clock, received, pid, starts, reload };
}

const engineStarts = (messages: Received[]) => messages.filter((m) => m.type === "start");
const directorMessages = (messages: Received[]) => messages.filter((m) => m.type === "director");

describe("the supervisor's director-ready gate", () => {
  test("virtual servers: the engine starts gated by director_ready_timeout; the director's first pass opens the gate", async () => {
    const s = supervisor(`global_defs {\n  director_ready_timeout 12\n}\n${VRRP}${VIRTUAL_SERVER}`, [{ outcome: "ready", afterMs: 200 }]);
    try {
      expect(await s.sup.start()).toBe(true);
      const opened = await until("the gate's message", () => directorMessages(s.received("__engine"))[0]);
      expect(opened).toEqual({ run: 1, type: "director", outcome: "ready" });
      expect(engineStarts(s.received("__engine"))).toEqual([{ run: 1, type: "start", directorGate: { timeoutMs: 12_000 } }]);
    } finally {
      await s.sup.stop();
    }
  }, 20_000);

  test("IPVS unavailable reaches the engine as such, with the director's reason", async () => {
    const s = supervisor(VRRP + VIRTUAL_SERVER, [{ outcome: "unavailable", reason: "no IP_VS family" }]);
    try {
      await s.sup.start();
      expect(await until("the gate's message", () => directorMessages(s.received("__engine"))[0])).toEqual({
        run: 1,
        type: "director",
        outcome: "unavailable",
        detail: "no IP_VS family",
      });
      expect(engineStarts(s.received("__engine"))[0]!.directorGate).toEqual({ timeoutMs: 15_000 });
    } finally {
      await s.sup.stop();
    }
  }, 20_000);

  test("no gate without a director beside the engine: no virtual_server, -P, or director_ready_timeout 0", async () => {
    for (const [text, flags] of [
      [VRRP, {}],
      [VRRP + VIRTUAL_SERVER, { vrrpOnly: true }],
      [`global_defs {\n  director_ready_timeout 0\n}\n${VRRP}${VIRTUAL_SERVER}`, {}],
    ] as const) {
      const s = supervisor(text, [{ outcome: "ready" }], flags);
      try {
        await s.sup.start();
        await until("the engine's start", () => engineStarts(s.received("__engine"))[0]);
        if (text.includes("virtual_server") && !("vrrpOnly" in flags)) await until("the director's start", () => s.received("__director")[0]);
        await Bun.sleep(200);
        expect(engineStarts(s.received("__engine"))).toEqual([{ run: 1, type: "start" }]);
        expect(directorMessages(s.received("__engine"))).toEqual([]);
      } finally {
        await s.sup.stop();
      }
    }
  }, 30_000);

  test("a director that dies before its first pass: the restarted one's report opens the gate; a later restart's says nothing", async () => {
    const s = supervisor(VRRP + VIRTUAL_SERVER, [{ outcome: "die", afterMs: 50 }, { outcome: "ready", afterMs: 50 }, { outcome: "ready" }]);
    try {
      await s.sup.start();
      await until("the first director's death", () => (s.starts("__director") === 1 && !pidAlive(s.pid("__director")) ? true : undefined));
      await Bun.sleep(50);
      s.clock.advance(500);
      expect(await until("the gate's message", () => directorMessages(s.received("__engine"))[0])).toMatchObject({ outcome: "ready" });
      process.kill(s.pid("__director"), "SIGKILL");
      await until("the second director's death", () => (!pidAlive(s.pid("__director")) ? true : undefined));
      await Bun.sleep(50);
      s.clock.advance(1_000);
      await until("the third director's start", () => s.received("__director").find((m) => m.run === 3));
      await Bun.sleep(300);
      expect(directorMessages(s.received("__engine"))).toHaveLength(1);
    } finally {
      await s.sup.stop();
    }
  }, 20_000);

  test("an engine restarted while the gate waits gets what is left of the bound; one restarted after the report, and a reload, get none", async () => {
    const s = supervisor(VRRP + VIRTUAL_SERVER, [{ outcome: "silent" }]);
    try {
      await s.sup.start();
      await until("the director's start", () => s.received("__director")[0]);
      s.clock.advance(4_000);
      process.kill(s.pid("__engine"), "SIGKILL");
      await until("the engine's death", () => (!pidAlive(s.pid("__engine")) ? true : undefined));
      await Bun.sleep(50);
      s.clock.advance(500);
      await until("the second engine's start", () => engineStarts(s.received("__engine"))[1]);
      expect(engineStarts(s.received("__engine")).map((m) => m.directorGate)).toEqual([{ timeoutMs: 15_000 }, { timeoutMs: 10_500 }]);
    } finally {
      await s.sup.stop();
    }
    const after = supervisor(VRRP + VIRTUAL_SERVER, [{ outcome: "ready" }]);
    try {
      await after.sup.start();
      await until("the gate's message", () => directorMessages(after.received("__engine"))[0]);
      await after.reload();
      process.kill(after.pid("__engine"), "SIGKILL");
      await until("the engine's death", () => (!pidAlive(after.pid("__engine")) ? true : undefined));
      await Bun.sleep(50);
      after.clock.advance(500);
      await until("the second engine's start", () => engineStarts(after.received("__engine"))[1]);
      expect(engineStarts(after.received("__engine")).map((m) => m.directorGate)).toEqual([{ timeoutMs: 15_000 }, undefined]);
      expect(after.received("__engine").filter((m) => m.type === "apply")).toHaveLength(1);
      expect(directorMessages(after.received("__engine"))).toHaveLength(1);
    } finally {
      await after.sup.stop();
    }
  }, 30_000);

  test("a reload that removes every virtual_server while the gate waits: the director stops and the gate opens", async () => {
    const s = supervisor(VRRP + VIRTUAL_SERVER, [{ outcome: "silent" }]);
    try {
      await s.sup.start();
      await until("the director's start", () => s.received("__director")[0]);
      await s.reload(VRRP);
      expect(await until("the gate's message", () => directorMessages(s.received("__engine"))[0])).toMatchObject({
        outcome: "stopped",
        detail: "no virtual_server in the configuration",
      });
    } finally {
      await s.sup.stop();
    }
  }, 20_000);
});

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
