// Which notify FIFOs a process opens, in keepalived 2.2.7's order, and which of them runs its
// script. Pure. keepalived's rules (core/global_data.c init_global_data, vrrp/vrrp.c
// vrrp_complete_init, lib/notify.c notify_fifo_open):
// - both processes open the global notify_fifo, first, and then their own (vrrp_ or lvs_);
// - only one runs notify_fifo_script: the checker (tandem's director) when it runs, else VRRP;
// - notify_fifo and vrrp_notify_fifo on one path: the VRRP process drops vrrp_notify_fifo and
//   its script (each line would be written twice); the same for lvs_notify_fifo in the checker;
// - lvs_notify_fifo and vrrp_notify_fifo on one path, both with a script: the checker drops
//   the LVS one (VRRP's runs). Both processes still write their lines to it.
import type { GlobalDefs } from "../../config/index.ts";
import type { FifoKeyword } from "./notify-fifo.ts";

export type FifoProcess = "vrrp" | "director";

export interface PlannedFifo {
  keyword: FifoKeyword;
  path: string;
  /** The *_fifo_script text to start with the path appended, if this process runs it. */
  script?: string;
}

export interface FifoPlan {
  fifos: PlannedFifo[];
  /** What keepalived logs when it drops a FIFO or a script. */
  notes: string[];
}

type FifoDefs = Pick<GlobalDefs, "notifyFifo" | "notifyFifoScript" | "vrrpNotifyFifo" | "vrrpNotifyFifoScript" | "lvsNotifyFifo" | "lvsNotifyFifoScript">;

/** `directorRuns`: for the VRRP process, whether the director runs beside it (it then runs notify_fifo_script). */
export function planNotifyFifos(defs: FifoDefs, process: FifoProcess, directorRuns: boolean): FifoPlan {
  const fifos: PlannedFifo[] = [];
  const notes: string[] = [];
  const global = defs.notifyFifo;
  if (global !== undefined) {
    const runsScript = process === "director" || !directorRuns;
    fifos.push({ keyword: "notify_fifo", path: global, ...(runsScript && defs.notifyFifoScript !== undefined ? { script: defs.notifyFifoScript } : {}) });
  }
  if (process === "vrrp") {
    const own = defs.vrrpNotifyFifo;
    if (own === undefined) return { fifos, notes };
    if (own === global) {
      notes.push(`notify FIFO ${own} has been specified for global and vrrp FIFO - ignoring vrrp FIFO`);
      return { fifos, notes };
    }
    fifos.push({ keyword: "vrrp_notify_fifo", path: own, ...(defs.vrrpNotifyFifoScript !== undefined ? { script: defs.vrrpNotifyFifoScript } : {}) });
    return { fifos, notes };
  }
  const own = defs.lvsNotifyFifo;
  if (own === undefined) return { fifos, notes };
  if (own === global) {
    notes.push(`notify FIFO ${own} has been specified for global and LVS FIFO - ignoring LVS FIFO`);
    return { fifos, notes };
  }
  let script = defs.lvsNotifyFifoScript;
  if (script !== undefined && own === defs.vrrpNotifyFifo && defs.vrrpNotifyFifoScript !== undefined) {
    notes.push("LVS notify FIFO and vrrp FIFO are the same both with scripts - ignoring LVS FIFO script");
    script = undefined;
  }
  fifos.push({ keyword: "lvs_notify_fifo", path: own, ...(script !== undefined ? { script } : {}) });
  return { fifos, notes };
}
