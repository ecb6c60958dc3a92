import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../../../src/common/clock.ts";
import { createProcessRunner } from "../../../../src/daemon/scripts/process-runner.ts";
import { parseScriptCommand, splitKeepalivedWords } from "../../../../src/daemon/scripts/script-command.ts";

// The seed article's chk_mt_down, pointed at a temp file, run for real.
let dir = "";
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "tandem-seed-"))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the seed article's script", () => {
  const runner = createProcessRunner(systemClock());
  test("exits 0 without the down file and 1 with it", async () => {
    const down = join(dir, "down");
    const parsed = parseScriptCommand(`[ -f ${down} ] && exit 1 || exit 0`);
    if (!parsed.ok) throw new Error(parsed.error);
    expect((await runner.start({ argv: parsed.command.argv, timeoutMs: 5000 }).result).exitCode).toBe(0);
    writeFileSync(down, "");
    expect((await runner.start({ argv: parsed.command.argv, timeoutMs: 5000 }).result).exitCode).toBe(1);
    unlinkSync(down);
  });

  test("exec'd the keepalived 2.2.7 way it always exits 2 (/usr/bin/[: missing ']')", async () => {
    const words = splitKeepalivedWords(`[ -f ${join(dir, "down")} ] && exit 1 || exit 0`);
    if (!words.ok) throw new Error(words.error);
    const result = await runner.start({ argv: words.words, timeoutMs: 5000 }).result;
    expect(result.exitCode).toBe(2);
    expect(result.output).toContain("missing ']'");
  });
});
