// The `global_defs { }` block: keyword table and defaults (keepalived.conf(5) "Global definitions").

import { formatIpv4 } from "../common/ipv4.ts";
import { VRRP_MULTICAST_GROUP } from "../common/vrrp-wire.ts";
import type { Diagnostics } from "./diagnostics.ts";
import type { GlobalDefs, ProcessScheduling } from "./model.ts";
import type { Statement } from "./statement-tree.ts";
import { DEFAULT_DRAIN_TIMEOUT_S, lvsGlobalKeywords } from "./lvs-globals.ts";
import { DEFAULT_DIRECTOR_READY_TIMEOUT_S, startHoldKeywords } from "./start-hold-globals.ts";
import { notifyFifoKeywords } from "./notify-fifo-globals.ts";
import { decimalField, defineBlock, flagField, ignored, intField, keyword, setField, stringField, type Keyword, type KeywordBlock } from "./keyword-table.ts";
import { parseInteger, parsePort, requireArg, warnExtraArgs } from "./values.ts";

export function defaultGlobalDefs(): GlobalDefs {
  return {
    vrrpVersion: 2,
    garpMasterDelayS: 5,
    garpMasterRepeat: 5,
    garpMasterRefreshS: 0,
    garpMasterRefreshRepeat: 1,
    enableScriptSecurity: false,
    notificationEmail: [],
    lvsFlush: false,
    rsInitNotifies: false,
    realServerDrainTimeoutS: DEFAULT_DRAIN_TIMEOUT_S,
    ipvsSetSysctls: false,
    directorReadyTimeoutS: DEFAULT_DIRECTOR_READY_TIMEOUT_S,
    fieldLocations: {},
  };
}

/** The only multicast group tandem speaks VRRP on, as written in a config. */
const VRRP_GROUP_TEXT = formatIpv4(VRRP_MULTICAST_GROUP);

/** Keywords tandem accepts but does not act on (daemon tuning, SNMP, DBus, firewalls, ...). */
const IGNORED = [
  "net_namespace",
  "net_namespace_ipvs",
  "namespace_with_ipsets",
  "instance",
  "use_pid_dir",
  "linkbeat_use_polling",
  "child_wait_time",
  "tmp_config_directory",
  "config_save_dir",
  "process_names",
  "process_name",
  "vrrp_process_name",
  "checker_process_name",
  "bfd_process_name",
  "startup_script",
  "startup_script_timeout",
  "shutdown_script",
  "shutdown_script_timeout",
  "smtp_helo_name",
  "smtp_alert",
  "smtp_alert_vrrp",
  "smtp_alert_checker",
  "checker_log_all_failures",
  "no_email_faults",
  "vrrp_mcast_group6",
  "default_interface",
  "vrrp_garp_lower_prio_delay",
  "vrrp_down_timer_adverts",
  "vrrp_garp_lower_prio_repeat",
  "vrrp_garp_interval",
  "vrrp_gna_interval",
  "vrrp_min_garp",
  "vrrp_garp_extra_if",
  "vrrp_lower_prio_no_advert",
  "vrrp_higher_prio_send_advert",
  "nftables",
  "nftables_priority",
  "nftables_counters",
  "nftables_ifindex",
  "nftables_ipvs",
  "nftables_ipvs_priority",
  "nftables_ipvs_start_fwmark",
  "vrrp_iptables",
  "vrrp_ipsets",
  "disable_local_igmp",
  "vrrp_check_unicast_src",
  "vrrp_skip_check_adv_addr",
  "vrrp_strict",
  "vrrp_notify_priority_changes",
  "max_auto_priority",
  "min_auto_priority_delay",
  "bfd_priority",
  "bfd_no_swap",
  "bfd_cpu_affinity",
  "bfd_rt_priority",
  "bfd_rlimit_rttime",
  "snmp_socket",
  "enable_snmp_vrrp",
  "enable_snmp_checker",
  "enable_snmp_rfc",
  "enable_snmp_rfcv2",
  "enable_snmp_rfcv3",
  "enable_traps",
  "enable_dbus",
  "dbus_service_name",
  "dynamic_interfaces",
  "vrrp_netlink_cmd_rcv_bufs",
  "vrrp_netlink_cmd_rcv_bufs_force",
  "vrrp_netlink_monitor_rcv_bufs",
  "vrrp_netlink_monitor_rcv_bufs_force",
  "lvs_netlink_cmd_rcv_bufs",
  "lvs_netlink_cmd_rcv_bufs_force",
  "lvs_netlink_monitor_rcv_bufs",
  "lvs_netlink_monitor_rcv_bufs_force",
  "process_monitor_rcv_bufs",
  "process_monitor_rcv_bufs_force",
  "vrrp_rx_bufs_policy",
  "vrrp_rx_bufs_multiplier",
  "no_checker_emails",
  "umask",
  "log_unknown_vrids",
  "vmac_prefix",
  "vmac_addr_prefix",
  "random_seed",
  "reload_check_config",
  "include_check",
  "reload_time_file",
  "reload_repeat",
  "reload_file",
  "data_use_instance",
];

const keywords: Keyword<GlobalDefs>[] = [
  stringField("router_id", "routerId", "a name"),
  intField("vrrp_version", "vrrpVersion", 2, 3),
  // keepalived reads these as whole seconds / counts.
  intField("vrrp_garp_master_delay", "garpMasterDelayS", 0, 86400),
  intField("vrrp_garp_master_repeat", "garpMasterRepeat", 1, 10000),
  intField("vrrp_garp_master_refresh", "garpMasterRefreshS", 0, 86400),
  intField("vrrp_garp_master_refresh_repeat", "garpMasterRefreshRepeat", 1, 10000),
  keyword("script_user", (stmt, target, diag) => {
    const user = requireArg(stmt, 0, "a user name", diag);
    if (!user) return;
    warnExtraArgs(stmt, 2, diag);
    setField(target, "scriptUser", stmt.args[1] ? { user: user.text, group: stmt.args[1].text } : { user: user.text }, stmt);
  }),
  flagField("enable_script_security", "enableScriptSecurity"),
  keyword(
    "notification_email",
    (stmt, target, diag) => {
      for (const entry of stmt.children ?? []) {
        warnExtraArgs(entry, 0, diag);
        target.notificationEmail.push(entry.keyword.text);
      }
      target.fieldLocations.notificationEmail = stmt.keyword;
    },
    { takesBlock: "values" },
  ),
  stringField("notification_email_from", "notificationEmailFrom", "an email address"),
  keyword("smtp_server", (stmt, target, diag) => {
    const host = requireArg(stmt, 0, "a host name or IP address", diag);
    if (!host) return;
    const portTok = stmt.args[1];
    const port = portTok ? parsePort(portTok, "smtp_server", diag) : 25;
    if (port === undefined) return;
    warnExtraArgs(stmt, 2, diag);
    setField(target, "smtpServer", { host: host.text, port }, stmt);
  }),
  decimalField("smtp_connect_timeout", "smtpConnectTimeoutS", 0, 3600),
  keyword(
    "vrrp_mcast_group4",
    (stmt, _target, diag) => {
      const tok = requireArg(stmt, 0, "a multicast address", diag);
      // A different group would silently partition us from keepalived peers: refuse it.
      if (tok && tok.text !== VRRP_GROUP_TEXT)
        diag.error(tok, `vrrp_mcast_group4 ${tok.text} is not supported by tandem; only ${VRRP_GROUP_TEXT} (the default) is`);
    },
    { note: `only ${VRRP_GROUP_TEXT}; any other group is an error` },
  ),
  stringField("api_listen", "apiListen", "HOST:PORT"),
  stringField("api_token_file", "apiTokenFile", "a file path"),
  stringField("api_tls_certificate", "apiTlsCertificate", "a PEM certificate file"),
  stringField("api_tls_key", "apiTlsKey", "a PEM private key file"),
  flagField("api_reads_need_token", "apiReadsNeedToken"),
  ...processSchedulingKeywords("vrrp", "vrrpProcess"),
  ...processSchedulingKeywords("checker", "checkerProcess"),
  intField("history_max_age_days", "historyMaxAgeDays", 1, 36500),
  intField("history_max_events", "historyMaxEvents", 1000, 1_000_000_000),
  ...lvsGlobalKeywords(),
  ...startHoldKeywords(),
  ...notifyFifoKeywords(),
  ...IGNORED.map((name) => ignored<GlobalDefs>(name)),
];

/**
 * keepalived's scheduling keywords for one of its processes (vrrp_*: the VRRP engine;
 * checker_*: tandem's other side, the API, history and later the checkers).
 */
function processSchedulingKeywords(prefix: "vrrp" | "checker", field: "vrrpProcess" | "checkerProcess"): Keyword<GlobalDefs>[] {
  const update = (target: GlobalDefs, stmt: Statement, change: Partial<ProcessScheduling>) => setField(target, field, { ...target[field], ...change }, stmt);
  const integer = (stmt: Statement, diag: Diagnostics, what: string, min: number, max: number) => {
    const tok = requireArg(stmt, 0, what, diag);
    const value = tok && parseInteger(tok, stmt.keyword.text, min, max, diag);
    if (value !== undefined) warnExtraArgs(stmt, 1, diag);
    return value;
  };
  return [
    keyword(`${prefix}_priority`, (stmt, target, diag) => {
      const nice = integer(stmt, diag, "a nice value -20..19", -20, 19);
      if (nice !== undefined) update(target, stmt, { nice });
    }),
    keyword(`${prefix}_rt_priority`, (stmt, target, diag) => {
      const rtPriority = integer(stmt, diag, "a realtime priority 1..99", 1, 99);
      if (rtPriority !== undefined) update(target, stmt, { rtPriority });
    }),
    keyword(`${prefix}_rlimit_rttime`, (stmt, target, diag) => {
      const micros = integer(stmt, diag, "microseconds >= 2", 1, 4_294_967_295);
      // keepalived raises 1 to 2: the warning limit is half of it and must not be 0.
      if (micros !== undefined) update(target, stmt, { rlimitRttimeUs: Math.max(2, micros) });
    }),
    keyword(`${prefix}_no_swap`, (stmt, target, diag) => {
      warnExtraArgs(stmt, 0, diag);
      update(target, stmt, { noSwap: true });
    }),
    keyword(`${prefix}_cpu_affinity`, (stmt, target, diag) => {
      if (stmt.args.length === 0) return diag.error(stmt.keyword, `${stmt.keyword.text} needs one or more CPU numbers`);
      const cpus: number[] = [];
      for (const tok of stmt.args) {
        const cpu = parseInteger(tok, stmt.keyword.text, 0, 1023, diag);
        if (cpu === undefined) return;
        cpus.push(cpu);
      }
      update(target, stmt, { cpuAffinity: [...new Set(cpus)].sort((a, b) => a - b) });
    }),
  ];
}

/** Tandem's own keywords, listed as such in the docs. */
export const TANDEM_GLOBAL_EXTENSIONS = [
  "api_listen",
  "api_token_file",
  "api_tls_certificate",
  "api_tls_key",
  "api_reads_need_token",
  "history_max_age_days",
  "history_max_events",
  "real_server_drain_timeout",
  "ipvs_set_sysctls",
  "director_ready_timeout",
];

/** Rules across global_defs keywords, checked once the block is read. */
export function checkGlobalDefs(globalDefs: GlobalDefs, diag: Diagnostics): void {
  const certificate = globalDefs.fieldLocations.apiTlsCertificate;
  const key = globalDefs.fieldLocations.apiTlsKey;
  if (certificate && !key) diag.error(certificate, "api_tls_certificate needs api_tls_key (the certificate's private key) as well");
  if (key && !certificate) diag.error(key, "api_tls_key needs api_tls_certificate as well");
  const readsNeedToken = globalDefs.fieldLocations.apiReadsNeedToken;
  if (readsNeedToken && globalDefs.apiReadsNeedToken && !globalDefs.apiTokenFile)
    diag.error(readsNeedToken, "api_reads_need_token needs api_token_file: without a token no read could be made");
}

export const globalDefsBlock: KeywordBlock<GlobalDefs> = defineBlock("global_defs", keywords);
