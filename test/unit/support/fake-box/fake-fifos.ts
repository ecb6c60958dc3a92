// The notify FIFOs of a fake box: every open (with the script it would start), line, SIGTERM
// to a reader and close, in the order the engine asked for them, so a test reads what a
// FIFO's reader would have read.
import type { NotifyFifoPort, NotifyFifoSpec } from "../../../../src/daemon/scripts/notify-fifo.ts";

export type FifoRecord =
  | { kind: "open"; path: string; keyword: string; script?: readonly string[] }
  /** programRuns: how many programs the box had started when the line was written. */
  | { kind: "line"; path: string; line: string; programRuns: number }
  | { kind: "terminate"; path: string }
  | { kind: "close"; path: string };

export class FakeFifos {
  readonly records: FifoRecord[] = [];

  constructor(private readonly programs?: { readonly runs: readonly unknown[] }) {}

  create(): NotifyFifoPort {
    let spec: NotifyFifoSpec | undefined;
    return {
      open: (s) => {
        spec = s;
        this.records.push({ kind: "open", path: s.path, keyword: s.keyword, ...(s.script ? { script: s.script.command.argv } : {}) });
      },
      write: (line) => {
        if (spec) this.records.push({ kind: "line", path: spec.path, line, programRuns: this.programs?.runs.length ?? 0 });
      },
      terminateReader: () => {
        if (spec) this.records.push({ kind: "terminate", path: spec.path });
      },
      close: async () => {
        if (spec) this.records.push({ kind: "close", path: spec.path });
        spec = undefined;
      },
    };
  }

  /** The lines written to one path, in order. */
  lines(path: string): string[] {
    return this.records.flatMap((r) => (r.kind === "line" && r.path === path ? [r.line] : []));
  }

  /** Opens, closes, SIGTERMs and lines of one path, as short strings ("open", "line ...", ...). */
  story(path: string): string[] {
    return this.records.flatMap((r) => (r.path !== path ? [] : r.kind === "line" ? [r.line] : [r.kind]));
  }
}
