// POST /config/validate's parser, run apart from the daemon: each validation is a child
// process (tandem itself, `__validate-config`) at a lower CPU priority, given the text on
// stdin, killed at a time limit or when its resident memory passes a limit, its answer on
// stdout read to a bound. Whatever the text does to the parser, the daemon's event loop
// (which sends the VRRP adverts until the engine has its own process) only waits on I/O.
import { readFileSync } from "node:fs";
import type { Clock, TimerHandle } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import type { ValidationAnswer } from "../../api/ports.ts";

export interface ConfigValidatorOptions {
  /** argv that runs `tandem __validate-config` (selfCommand() in the daemon; bun + src/main.ts in tests). */
  command: readonly string[];
  clock: Clock;
  logger: Logger;
  /** Wall time a validation may take, child start-up included. */
  timeoutMs?: number;
  /** Resident memory the child may reach. */
  memoryBytes?: number;
  /** Validations at once on the box (each is a process). */
  maxRunning?: number;
  /** The child's answer; diagnostics are bounded by the parser, so this is generous. */
  maxOutputBytes?: number;
  /** How often the child's memory is looked at. */
  memoryPollMs?: number;
  /** Lowers the child's CPU priority (setpriority); net/ provides it in the daemon. */
  renice?: (pid: number) => void;
}

export interface ConfigValidator {
  validate(text: string): Promise<ValidationAnswer>;
  /** Kill whatever is running (daemon stop). */
  stop(): void;
}

export const VALIDATION_DEFAULTS = { timeoutMs: 2_000, memoryBytes: 256 * 1024 * 1024, maxRunning: 2, maxOutputBytes: 1024 * 1024, memoryPollMs: 20 };

/** The child's answer on stdout. */
export interface ValidationReport {
  ok: boolean;
  diagnostics: string[];
}

const PAGE_BYTES = 4096;

/** Resident bytes of a process from /proc (statm's second field, in pages); undefined once it is gone. */
function residentBytes(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/statm`, "latin1").split(" ");
    return Number(fields[1]) * PAGE_BYTES;
  } catch {
    return undefined;
  }
}

export function createConfigValidator(options: ConfigValidatorOptions): ConfigValidator {
  const limits = { ...VALIDATION_DEFAULTS, ...definedOnly(options) };
  const { clock, logger } = options;
  const running = new Set<ReturnType<typeof Bun.spawn>>();

  const validate = async (text: string): Promise<ValidationAnswer> => {
    if (running.size >= limits.maxRunning) return { kind: "busy" };
    const startedMs = clock.nowMs();
    let child: ReturnType<typeof Bun.spawn>;
    try {
      child = Bun.spawn([...options.command, "__validate-config"], {
        stdin: "pipe",
        stdout: "pipe",
        stderr: "ignore",
        env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
      });
    } catch (error) {
      return { kind: "failed", detail: `cannot start the validator: ${(error as Error).message}` };
    }
    running.add(child);
    const pid = child.pid;
    try {
      options.renice?.(pid);
    } catch (error) {
      logger.debug(`validator ${pid}: cannot lower its priority: ${(error as Error).message}`);
    }

    let stoppedBy: { limit: "time" | "memory" | "output"; detail: string } | undefined;
    const kill = (limit: "time" | "memory" | "output", detail: string) => {
      stoppedBy ??= { limit, detail };
      child.kill("SIGKILL");
    };
    let timer: TimerHandle | undefined = clock.at(startedMs + limits.timeoutMs, () => kill("time", `no answer within ${limits.timeoutMs} ms`));
    let poll: TimerHandle | undefined;
    const watchMemory = () => {
      const rss = residentBytes(pid);
      if (rss !== undefined && rss > limits.memoryBytes) return kill("memory", `it grew past ${Math.round(limits.memoryBytes / 2 ** 20)} MiB`);
      poll = clock.at(clock.nowMs() + limits.memoryPollMs, watchMemory);
    };
    watchMemory();

    try {
      const stdin = child.stdin as import("bun").FileSink;
      stdin.write(text);
      await stdin.end();
    } catch {
      // The child died before reading it all; its exit below says why.
    }
    const output = await readBounded(child.stdout as ReadableStream<Uint8Array>, limits.maxOutputBytes, () =>
      kill("output", `its answer passed ${limits.maxOutputBytes} bytes`),
    );
    const exitCode = await child.exited;
    timer.cancel();
    timer = undefined;
    poll?.cancel();
    running.delete(child);
    const durationMs = clock.nowMs() - startedMs;

    if (stoppedBy) return { kind: "limit", ...stoppedBy, durationMs };
    const report = parseReport(output);
    if (exitCode !== 0 || !report) {
      // JSC reports an allocation it cannot make as an exception and exits non-zero.
      return {
        kind: "failed",
        detail: `the validator exited with ${exitCode === null ? `signal ${child.signalCode}` : `status ${exitCode}`} without an answer`,
      };
    }
    return { kind: "done", ok: report.ok, diagnostics: report.diagnostics, durationMs };
  };

  return {
    validate,
    stop() {
      for (const child of running) child.kill("SIGKILL");
    },
  };
}

function definedOnly(options: ConfigValidatorOptions): Partial<typeof VALIDATION_DEFAULTS> {
  const out: Partial<typeof VALIDATION_DEFAULTS> = {};
  for (const key of Object.keys(VALIDATION_DEFAULTS) as (keyof typeof VALIDATION_DEFAULTS)[]) {
    const value = options[key];
    if (typeof value === "number") out[key] = value;
  }
  return out;
}

async function readBounded(stream: ReadableStream<Uint8Array>, maxBytes: number, onOverflow: () => void): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      onOverflow();
      reader.cancel().catch(() => {});
      return "";
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseReport(text: string): ValidationReport | undefined {
  try {
    const value = JSON.parse(text) as Partial<ValidationReport>;
    if (typeof value.ok !== "boolean" || !Array.isArray(value.diagnostics) || !value.diagnostics.every((d) => typeof d === "string")) return undefined;
    return { ok: value.ok, diagnostics: value.diagnostics };
  } catch {
    return undefined;
  }
}
