// `tandem __validate-config`: the child a ConfigValidator starts (config-validator.ts).
// Reads a keepalived.conf on stdin, parses it with includes unreachable (a posted text has
// no files beside it), and prints {ok, diagnostics} as JSON. Internal: not in --help.
import { formatDiagnostic, memoryFiles, parseConfig } from "../../config/index.ts";
import type { ValidationReport } from "../observe/config-validator.ts";

/** Far above the API's body limit: the parent decides what it sends. */
const MAX_INPUT_BYTES = 16 * 1024 * 1024;

export async function validateChildCommand(): Promise<number> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of Bun.stdin.stream()) {
    total += chunk.byteLength;
    if (total > MAX_INPUT_BYTES) {
      await Bun.write(
        Bun.stdout,
        JSON.stringify({ ok: false, diagnostics: [`keepalived.conf:1:1: error: more than ${MAX_INPUT_BYTES} bytes to validate`] } satisfies ValidationReport),
      );
      return 0;
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  const { config, diagnostics } = parseConfig("keepalived.conf", memoryFiles({ "keepalived.conf": text }));
  const report: ValidationReport = { ok: config !== undefined, diagnostics: diagnostics.map(formatDiagnostic) };
  // Bun.write resolves once the pipe took it all: the exit that follows cannot cut the answer.
  await Bun.write(Bun.stdout, JSON.stringify(report));
  return 0;
}
