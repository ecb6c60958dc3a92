// The validator's child processes, for real (`bun src/main.ts __validate-config`): answers,
// and every limit (time, memory, output, slots) ending the child, never the caller's loop.
import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { systemClock } from "../../../../src/common/clock.ts";
import { createLogger } from "../../../../src/common/logger.ts";
import { createConfigValidator, type ConfigValidatorOptions } from "../../../../src/daemon/observe/config-validator.ts";

const MAIN = resolve(import.meta.dir, "../../../../src/main.ts");
const COMMAND = [process.execPath, MAIN];
const quiet = createLogger(() => {}, "error");

function validator(options: Partial<ConfigValidatorOptions> = {}) {
  return createConfigValidator({ command: COMMAND, clock: systemClock(), logger: quiet, ...options });
}

const VALID = "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    10.0.0.41/24\n  }\n}\n";

describe("config validator", () => {
  test("a valid and an invalid file: the parser's own diagnostics, from the child", async () => {
    const v = validator();
    expect(await v.validate(VALID)).toMatchObject({ kind: "done", ok: true, diagnostics: [] });
    const bad = await v.validate("vrrp_instance X {\n  virtual_router_id 0\n}\n");
    expect(bad).toMatchObject({ kind: "done", ok: false });
    expect(bad.kind === "done" && bad.diagnostics[0]).toMatch(/^keepalived\.conf:2:\d+: error: virtual_router_id must be 1\.\.255, got 0$/);
  });

  test("the issue's 48-byte body is answered with a diagnostic, quickly", async () => {
    const answer = await validator().validate("$X=$X=${X}${X}\nglobal_defs {\n  router_id ${X}\n}\n");
    expect(answer).toMatchObject({ kind: "done", ok: false });
    expect(answer.kind === "done" && answer.diagnostics).toEqual([
      "keepalived.conf:3:3: error: parameter substitution makes this line longer than 64 KiB (a definition that refers to itself?); the line is skipped",
    ]);
  });

  test("past the time limit the child is killed and the answer says so", async () => {
    const answer = await validator({ timeoutMs: 5 }).validate(VALID);
    expect(answer).toMatchObject({ kind: "limit", limit: "time", detail: "no answer within 5 ms" });
  });

  test("past the memory limit the child is killed and the answer says so", async () => {
    const answer = await validator({ memoryBytes: 4 * 1024 * 1024, timeoutMs: 10_000 }).validate(VALID);
    expect(answer).toMatchObject({ kind: "limit", limit: "memory", detail: "it grew past 4 MiB" });
  });

  test("an answer larger than the bound is cut and said", async () => {
    const answer = await validator({ maxOutputBytes: 100 }).validate("x\n".repeat(1000));
    expect(answer).toMatchObject({ kind: "limit", limit: "output", detail: "its answer passed 100 bytes" });
  });

  test("with every slot in use the next one is busy, and a slot frees when its child ends", async () => {
    const v = validator({ maxRunning: 1 });
    const first = v.validate(VALID);
    expect(await v.validate(VALID)).toEqual({ kind: "busy" });
    expect(await first).toMatchObject({ kind: "done", ok: true });
    expect(await v.validate(VALID)).toMatchObject({ kind: "done", ok: true });
  });

  test("a validator that cannot answer is 'failed', not a hang", async () => {
    const answer = await createConfigValidator({ command: ["/bin/false"], clock: systemClock(), logger: quiet }).validate(VALID);
    expect(answer).toMatchObject({ kind: "failed" });
    const missing = await createConfigValidator({ command: ["/nonexistent/tandem"], clock: systemClock(), logger: quiet }).validate(VALID);
    expect(missing.kind).toBe("failed");
  });

  test("renice is asked for each child", async () => {
    const pids: number[] = [];
    await validator({ renice: (pid) => pids.push(pid) }).validate(VALID);
    expect(pids).toHaveLength(1);
  });
});
