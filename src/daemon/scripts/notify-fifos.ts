// The notify FIFOs of one process (the engine's notify_fifo and vrrp_notify_fifo, the
// director's notify_fifo and lvs_notify_fifo), opened from a FifoPlan: every line goes to
// each, the global one first, as keepalived writes them (vrrp/vrrp_notify.c notify_fifo,
// check/ipwrapper.c notify_fifo_vs). Closed and opened again at a reload: keepalived "does
// not know if it will be the same after a reload".
import type { Logger } from "../../common/logger.ts";
import type { NotifyFifoPort } from "./notify-fifo.ts";
import type { FifoPlan } from "./notify-fifo-plan.ts";
import type { NotifyScript } from "./notify-runner.ts";
import type { ScriptIdentity } from "./script-user.ts";

export interface NotifyFifosDeps {
  logger: Logger;
  /** A FIFO writer: the real NotifyFifo, or a test's recorder. */
  createFifo(): NotifyFifoPort;
}

export class NotifyFifos {
  private open: NotifyFifoPort[] = [];

  constructor(private readonly deps: NotifyFifosDeps) {}

  /** `prepare`: the script made ready to run (script security), or undefined if it must not run. */
  openPlan(plan: FifoPlan, owner: ScriptIdentity, prepare: (keyword: string, text: string) => NotifyScript | undefined): void {
    for (const note of plan.notes) this.deps.logger.info(note);
    for (const fifo of plan.fifos) {
      const script = fifo.script === undefined ? undefined : prepare(`${fifo.keyword}_script`, fifo.script);
      const writer = this.deps.createFifo();
      writer.open({ keyword: fifo.keyword, path: fifo.path, owner, ...(script ? { script } : {}) });
      this.open.push(writer);
    }
  }

  /** One line to each FIFO; never blocks. */
  write(line: string): void {
    for (const fifo of this.open) fifo.write(line);
  }

  /** keepalived's script_killall before its last lines: the readers are told first, the FIFOs stay open. */
  terminateReaders(): void {
    for (const fifo of this.open) fifo.terminateReader();
  }

  /** Closes them all; resolves once their readers have gone (a second at most after SIGTERM). */
  async close(): Promise<void> {
    const closing = this.open.map((fifo) => fifo.close());
    this.open = [];
    await Promise.all(closing);
  }
}
