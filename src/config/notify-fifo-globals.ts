// The notify FIFO keywords of global_defs (keepalived 2.2.7 core/global_parser.c notify_fifo,
// notify_fifo_script): notify_fifo (both processes write it), vrrp_notify_fifo (the VRRP
// engine), lvs_notify_fifo (the director), each with its *_script, and
// fifo_write_vrrp_states_on_reload.

import type { Diagnostics } from "./diagnostics.ts";
import { bareFlag, commandField, keyword, setField, type Keyword } from "./keyword-table.ts";
import type { GlobalDefs } from "./model.ts";
import type { Statement } from "./statement-tree.ts";
import { requireArg } from "./values.ts";

type FifoField = "notifyFifo" | "vrrpNotifyFifo" | "lvsNotifyFifo";

/** `*notify_fifo FILE [username [groupname]]`: keepalived keeps the first; the FIFO belongs to the script user. */
function fifoKeyword(name: string, field: FifoField, note: string): Keyword<GlobalDefs> {
  return {
    ...keyword(name, (stmt: Statement, target: GlobalDefs, diag: Diagnostics) => {
      const tok = requireArg(stmt, 0, "the FIFO's path", diag);
      if (!tok) return;
      const first = target.fieldLocations[field];
      if (first)
        return diag.error(stmt.keyword, `${name} is already set at ${first.file}:${first.line}:${first.col}; keepalived keeps the first and ignores this one`);
      if (stmt.args[1]) diag.warn(stmt.args[1], `parsed but not implemented: an owner for ${name} (the FIFO belongs to script_user)`);
      setField(target, field, tok.text, stmt);
    }),
    note,
  };
}

function scriptKeyword(name: string, field: string, fifo: string): Keyword<GlobalDefs> {
  return {
    ...commandField<GlobalDefs>(name, field, true),
    note: `runs only with ${fifo}, as in keepalived: started with the FIFO's path appended, stopped (SIGTERM) at a reload or stop`,
  };
}

export function notifyFifoKeywords(): Keyword<GlobalDefs>[] {
  return [
    fifoKeyword(
      "notify_fifo",
      "notifyFifo",
      "the VRRP engine's and the director's lines both; on the path of vrrp_ or lvs_notify_fifo, that one is dropped, as in keepalived",
    ),
    scriptKeyword("notify_fifo_script", "notifyFifoScript", "notify_fifo (run by the director when it runs, else by the VRRP engine)"),
    fifoKeyword("vrrp_notify_fifo", "vrrpNotifyFifo", 'keepalived\'s lines: INSTANCE "VI_1" MASTER 100, GROUP "G1" BACKUP 0, MASTER_RX_LOWER_PRI'),
    scriptKeyword("vrrp_notify_fifo_script", "vrrpNotifyFifoScript", "vrrp_notify_fifo"),
    {
      ...bareFlag<GlobalDefs>("fifo_write_vrrp_states_on_reload", "fifoWriteVrrpStatesOnReload"),
      note: "at a reload, the kept sync groups' and the kept backup and fault instances' states (keepalived writes none for a kept master instance)",
    },
    fifoKeyword("lvs_notify_fifo", "lvsNotifyFifo", "the director's lines: VS [10.0.0.1]:tcp:80 UP, RS [10.0.1.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN"),
    scriptKeyword("lvs_notify_fifo_script", "lvsNotifyFifoScript", "lvs_notify_fifo"),
  ];
}
