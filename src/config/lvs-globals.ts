// The director's global_defs keywords: lvs_sync_daemon, lvs_timeouts, lvs_flush, lvs_flush_on_stop
// (keepalived 2.2.7's global_parser.c, with its forms and errors) and tandem's real_server_drain_timeout
// and ipvs_set_sysctls.

import { ipAddressBytes, type IpAddress } from "../common/ip-address.ts";
import type { Diagnostics } from "./diagnostics.ts";
import { bareFlag, flagField, intField, keyword, setField, type Keyword } from "./keyword-table.ts";
import type { GlobalDefs, LvsSyncDaemon, VrrpInstance } from "./model.ts";
import type { Statement } from "./statement-tree.ts";
import { parseInteger, parseIpAddressArg, requireArg } from "./values.ts";
import { LVS_MAX_TIMEOUT_S } from "./virtual-server.ts";

/** Tandem's default for real_server_drain_timeout: five minutes. */
export const DEFAULT_DRAIN_TIMEOUT_S = 300;

/** lvs_sync_daemon as written: the sync id is settled once the instances are known. */
type SyncDaemonDraft = Omit<LvsSyncDaemon, "syncId"> & { syncId?: number };

/** The numeric options: their model field and keepalived's range. */
const SYNC_OPTIONS: Record<string, { field: "syncId" | "maxLen" | "port" | "ttl"; min: number; max: number }> = {
  id: { field: "syncId", min: 0, max: 255 },
  // The kernel's limit: the interface's MTU less the IP and UDP headers.
  maxlen: { field: "maxLen", min: 1, max: 65535 - 20 - 8 },
  port: { field: "port", min: 1, max: 65535 },
  ttl: { field: "ttl", min: 1, max: 255 },
};

/** `lvs_sync_daemon IF [[inst] NAME] [id N] [maxlen N] [port N] [ttl N] [group IP]`, and the older `IF NAME [ID]`. */
function syncDaemonKeyword(): Keyword<GlobalDefs> {
  return keyword("lvs_sync_daemon", (stmt, target, diag) => {
    const previous = target.fieldLocations.lvsSyncDaemon;
    if (previous)
      return diag.error(stmt.keyword, `lvs_sync_daemon is already set at ${previous.file}:${previous.line}:${previous.col}; keepalived ignores this one`);
    const ifTok = requireArg(stmt, 0, "an interface name", diag);
    if (!ifTok) return;
    // IP_VS_IFNAME_MAXLEN, with its NUL.
    if (ifTok.text.length > 15) return diag.error(ifTok, `lvs_sync_daemon: interface name ${ifTok.text} is longer than 15 characters`);
    const daemon: SyncDaemonDraft = { interface: ifTok.text };
    const args = stmt.args;
    for (let i = 1; i < args.length; i++) {
      const tok = args[i]!;
      const value = args[i + 1];
      const option = SYNC_OPTIONS[tok.text];
      if (tok.text === "inst" || tok.text === "group" || option) {
        if (!value) return diag.error(tok, `lvs_sync_daemon: '${tok.text}' needs a value`);
        i++;
        if (tok.text === "inst") {
          if (daemon.instance !== undefined)
            return diag.error(value, `lvs_sync_daemon: the vrrp instance is already given as ${daemon.instance}; keepalived ignores ${value.text}`);
          daemon.instance = value.text;
        } else if (tok.text === "group") {
          const group = parseIpAddressArg(value, "lvs_sync_daemon group", diag);
          if (!group) return;
          if (!isMulticast(group)) return diag.error(value, `lvs_sync_daemon group ${group.text} is not a multicast address`);
          daemon.group = group;
        } else {
          const n = parseInteger(value, `lvs_sync_daemon ${tok.text}`, option!.min, option!.max, diag);
          if (n === undefined) return;
          daemon[option!.field] = n;
        }
      } else if (i === 1) {
        // The form before 1.2.20: the instance name is the second word...
        daemon.instance = tok.text;
      } else if (i === 2) {
        // ...and the sync id the third.
        const n = parseInteger(tok, "lvs_sync_daemon sync id", 0, 255, diag);
        if (n === undefined) return;
        diag.warn(tok, `lvs_sync_daemon: write the sync id as 'id ${tok.text}' (keepalived asks for the keyword too)`);
        daemon.syncId = n;
      } else return diag.error(tok, `lvs_sync_daemon: unknown option ${tok.text} (inst, id, maxlen, port, ttl or group)`);
    }
    setField(target, "lvsSyncDaemon", daemon, stmt);
  });
}

function isMulticast(address: IpAddress): boolean {
  const first = ipAddressBytes(address)[0]!;
  return address.family === 4 ? first >= 224 && first <= 239 : first === 0xff;
}

const TIMEOUTS: Record<string, "tcpS" | "tcpFinS" | "udpS"> = { tcp: "tcpS", tcpfin: "tcpFinS", udp: "udpS" };

/** `lvs_timeouts [tcp SECS] [tcpfin SECS] [udp SECS]`: at least one; a later line adds to an earlier one. */
function timeoutsKeyword(): Keyword<GlobalDefs> {
  return keyword("lvs_timeouts", (stmt, target, diag) => {
    if (stmt.args.length < 2) return diag.error(stmt.keyword, "lvs_timeouts needs at least one of tcp SECS, tcpfin SECS, udp SECS");
    const timeouts = { ...target.lvsTimeouts };
    const args = stmt.args;
    for (let i = 0; i < args.length; i++) {
      const tok = args[i]!;
      const field = TIMEOUTS[tok.text];
      if (!field) return diag.error(tok, `lvs_timeouts: unknown option ${tok.text} (tcp, tcpfin or udp)`);
      const value = args[++i];
      if (!value) return diag.error(tok, `lvs_timeouts: '${tok.text}' needs a number of seconds`);
      const seconds = parseInteger(value, `lvs_timeouts ${tok.text}`, 0, LVS_MAX_TIMEOUT_S, diag);
      if (seconds === undefined) return;
      timeouts[field] = seconds;
    }
    setField(target, "lvsTimeouts", timeouts, stmt);
  });
}

function flushOnStopKeyword(name: string): Keyword<GlobalDefs> {
  return keyword(name, (stmt: Statement, target: GlobalDefs, diag: Diagnostics) => {
    const tok = stmt.args[0];
    if (tok && tok.text !== "VS") return diag.error(tok, `${name} takes nothing or VS, got ${tok.text}`);
    setField(target, "lvsFlushOnStop", tok ? "vs" : "full", stmt);
  });
}

export function lvsGlobalKeywords(): Keyword<GlobalDefs>[] {
  return [
    syncDaemonKeyword(),
    timeoutsKeyword(),
    bareFlag("lvs_flush", "lvsFlush"),
    flagField("rs_init_notifies", "rsInitNotifies"),
    flushOnStopKeyword("lvs_flush_on_stop"),
    { ...flushOnStopKeyword("lvs_flush_onstop"), deprecatedFor: "lvs_flush_on_stop" },
    {
      ...intField<GlobalDefs>("real_server_drain_timeout", "realServerDrainTimeoutS", 0, LVS_MAX_TIMEOUT_S),
      note: `seconds a removed or drained real server keeps its connections at weight 0 before it is deleted (default ${DEFAULT_DRAIN_TIMEOUT_S}; 0: at once)`,
    },
    {
      ...keyword<GlobalDefs>("ipvs_set_sysctls", (stmt, target, diag) => {
        const extra = stmt.args[0];
        // Tandem's own keyword has no keepalived habit to follow: a value is a mistake, not a yes.
        if (extra)
          return diag.error(extra, "ipvs_set_sysctls takes no value: write it alone to have tandem set the sysctls, leave it out to have them only reported");
        setField(target, "ipvsSetSysctls", true, stmt);
      }),
      note: "the director sets the sysctls its preflight finds wrong (ip_forward for NAT, expire_nodest_conn, expire_quiescent_template, conntrack) instead of only warning",
    },
  ];
}

/** The sync id is the instance's VRID unless given (0 without an instance); the instance must exist. */
export function resolveLvsSyncDaemon(globalDefs: GlobalDefs, instances: VrrpInstance[], diag: Diagnostics): GlobalDefs {
  const daemon = globalDefs.lvsSyncDaemon as SyncDaemonDraft | undefined;
  if (!daemon) return globalDefs;
  let syncId = daemon.syncId ?? 0;
  if (daemon.instance !== undefined) {
    const instance = instances.find((i) => i.name === daemon.instance);
    if (!instance) {
      const at = globalDefs.fieldLocations.lvsSyncDaemon ?? globalDefs.location;
      if (at) diag.error(at, `lvs_sync_daemon: there is no vrrp_instance ${daemon.instance}; keepalived drops the sync daemon`);
    } else syncId = daemon.syncId ?? instance.vrid;
  }
  return { ...globalDefs, lvsSyncDaemon: { ...daemon, syncId } };
}
