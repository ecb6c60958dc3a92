// The `vrrp_instance NAME { }` keyword table (keepalived.conf(5) "VRRP instance(s)").

import { formatIpv4 } from "../common/ipv4.ts";
import { VRRP_MULTICAST_GROUP } from "../common/vrrp-wire.ts";
import { locationOf } from "./diagnostics.ts";
import {
  commandField,
  decimalField,
  defineBlock,
  flagField,
  ignored,
  intField,
  ipv4Field,
  keyword,
  nestedBlock,
  optionalCommandField,
  rejected,
  setField,
  stringField,
  type Keyword,
  type KeywordBlock,
} from "./keyword-table.ts";
import type { TrackRef } from "./model.ts";
import type { Statement } from "./statement-tree.ts";
import { parseVirtualIp } from "./virtual-ip.ts";
import type { AuthDraft, VrrpInstanceDraft } from "./vrrp-instance-draft.ts";
import { isIpv6Text, parseDecimal, parseIpv4Arg, parseWeight, requireArg, warnExtraArgs } from "./values.ts";

type K = Keyword<VrrpInstanceDraft>;

const authBlock: KeywordBlock<AuthDraft> = defineBlock("authentication", [
  keyword(
    "auth_type",
    (stmt, target, diag) => {
      const tok = requireArg(stmt, 0, "PASS or AH", diag);
      if (!tok) return;
      if (tok.text !== "PASS" && tok.text !== "AH") {
        diag.error(tok, `auth_type must be PASS or AH, got ${tok.text}`);
        return;
      }
      setField(target, "type", tok.text, stmt);
    },
    { note: "PASS only; AH is an error" },
  ),
  keyword("auth_pass", (stmt, target, diag) => {
    const tok = requireArg(stmt, 0, "a password", diag);
    if (!tok) return;
    let password = tok.text;
    if (password.length > 8) {
      // keepalived: "Truncating auth_pass to 8 characters"; both ends must agree on the 8 bytes.
      diag.warn(tok, `auth_pass is longer than 8 characters; only the first 8 are used ('${password.slice(0, 8)}'), as in keepalived`);
      password = password.slice(0, 8);
    }
    setField(target, "password", password, stmt);
  }),
]);

/** `{ NAME [weight N [reverse|noreverse]] }` entries of track_script / track_file / track_interface. */
function trackList(name: string, field: "trackScripts" | "trackFiles" | "trackInterfaces", min: number, max: number): K {
  return keyword(
    name,
    (stmt, target, diag) => {
      for (const entry of stmt.children ?? []) {
        const parsed = parseWeight(entry.args, `${name} ${entry.keyword.text}`, min, max, diag);
        if (!parsed) continue;
        warnExtraArgs(entry, parsed.used, diag);
        const ref: TrackRef = { name: entry.keyword.text, location: locationOf(entry.keyword) };
        if (parsed.weight !== undefined) ref.weight = parsed.weight;
        if (parsed.weightReverse !== undefined) ref.weightReverse = parsed.weightReverse;
        target[field].push(ref);
      }
      target.fieldLocations[field] = locationOf(stmt.keyword);
    },
    { takesBlock: "values" },
  );
}

function vipList(name: string, field: "virtualIps" | "virtualIpsExcluded"): K {
  return keyword(
    name,
    (stmt, target, diag) => {
      for (const entry of stmt.children ?? []) {
        const vip = parseVirtualIp(entry, diag);
        if (vip) target[field].push(vip);
      }
      target.fieldLocations[field] = locationOf(stmt.keyword);
    },
    { takesBlock: "values" },
  );
}

function unicastPeers(stmt: Statement, target: VrrpInstanceDraft, diag: Parameters<K["apply"]>[2]): void {
  for (const entry of stmt.children ?? []) {
    if (isIpv6Text(entry.keyword.text)) {
      diag.warn(entry.keyword, `IPv6 unicast peers are not supported yet; ${entry.keyword.text} skipped`);
      continue;
    }
    const address = parseIpv4Arg(entry.keyword, "unicast_peer", diag);
    if (address === undefined) continue;
    const options = entry.args[0];
    if (options) diag.warn(options, `parsed but not implemented: unicast_peer options '${entry.args.map((t) => t.text).join(" ")}'`);
    target.unicastPeers.push(address);
  }
  target.fieldLocations.unicastPeers = locationOf(stmt.keyword);
}

const keywords: K[] = [
  keyword("state", (stmt, target, diag) => {
    const tok = requireArg(stmt, 0, "MASTER or BACKUP", diag);
    if (!tok) return;
    // keepalived is case sensitive here ("unknown state 'master', defaulting to BACKUP").
    if (tok.text !== "MASTER" && tok.text !== "BACKUP") {
      diag.error(tok, `state must be MASTER or BACKUP (upper case), got ${tok.text}`);
      return;
    }
    warnExtraArgs(stmt, 1, diag);
    setField(target, "initialState", tok.text, stmt);
  }),
  stringField("interface", "interface", "an interface name"),
  intField("virtual_router_id", "vrid", 1, 255),
  intField("priority", "priority", 1, 255),
  keyword("advert_int", (stmt, target, diag) => {
    const tok = requireArg(stmt, 0, "seconds, e.g. 1 or 0.5 (version 3)", diag);
    const value = tok && parseDecimal(tok, "advert_int", 0.01, 255, diag);
    if (value === undefined) return;
    warnExtraArgs(stmt, 1, diag);
    setField(target, "advertIntS", value, stmt);
  }),
  intField("version", "version", 2, 3),
  nestedBlock(
    "authentication",
    authBlock,
    () => ({ fieldLocations: {} }) as AuthDraft,
    (auth, target, stmt) => setField(target, "auth", auth, stmt),
  ),
  vipList("virtual_ipaddress", "virtualIps"),
  vipList("virtual_ipaddress_excluded", "virtualIpsExcluded"),
  trackList("track_interface", "trackInterfaces", -253, 253),
  trackList("track_script", "trackScripts", -253, 253),
  trackList("track_file", "trackFiles", -254, 254),
  flagField("nopreempt", "preempt", false),
  flagField("preempt", "preempt"),
  decimalField("preempt_delay", "preemptDelayS", 0, 1000),
  flagField("fast_preempt", "fastPreempt"),
  flagField("no_fast_preempt", "fastPreempt", false),
  ipv4Field("unicast_src_ip", "unicastSrcIp"),
  keyword("unicast_peer", unicastPeers, { takesBlock: "values" }),
  ipv4Field("mcast_src_ip", "mcastSrcIp"),
  keyword(
    "mcast_dst_ip",
    (stmt, _target, diag) => {
      const tok = requireArg(stmt, 0, "a multicast address", diag);
      const group = formatIpv4(VRRP_MULTICAST_GROUP);
      if (tok && tok.text !== group) diag.error(tok, `mcast_dst_ip ${tok.text} is not supported by tandem; only ${group} (the default) is`);
    },
    { note: "only 224.0.0.18; any other address is an error" },
  ),
  commandField("notify", "notify"),
  commandField("notify_master", "notifyMaster"),
  commandField("notify_backup", "notifyBackup"),
  commandField("notify_fault", "notifyFault"),
  commandField("notify_stop", "notifyStop"),
  optionalCommandField("notify_deleted", "notifyDeleted"),
  intField("garp_master_delay", "garpMasterDelayS", 0, 86400),
  intField("garp_master_repeat", "garpMasterRepeat", 1, 10000),
  intField("garp_master_refresh", "garpMasterRefreshS", 0, 86400),
  intField("garp_master_refresh_repeat", "garpMasterRefreshRepeat", 1, 10000),
  flagField("dont_track_primary", "dontTrackPrimary"),
  // `use_vmac [IFNAME] [MAC]`: recorded so later code can say what it is not doing.
  {
    ...keyword<VrrpInstanceDraft>("use_vmac", (stmt, target) => setField(target, "useVmac", true, stmt)),
    status: "parsed-ignored",
    note: "VIPs are added to the instance interface",
  },
  flagField("smtp_alert", "smtpAlert"),
  rejected("use_ipvlan", "use_ipvlan is not supported by tandem; remove it to run on the instance interface"),
  rejected("vrf", "vrf is not supported by tandem"),
  ...[
    "use_vmac_addr",
    "vmac_xmit_base",
    "native_ipv6",
    "track_process",
    "track_bfd",
    "track_src_ip",
    "check_unicast_src",
    "unicast_fault_no_peer",
    "unicast_ttl",
    "old_unicast_checksum",
    "garp_lower_prio_delay",
    "garp_lower_prio_repeat",
    "garp_extra_if",
    "down_timer_adverts",
    "lower_prio_no_advert",
    "higher_prio_send_advert",
    "virtual_routes",
    "virtual_rules",
    "accept",
    "no_accept",
    "promote_secondaries",
    "skip_check_adv_addr",
    "strict_mode",
    "debug",
    "notify_master_rx_lower_pri",
    "notify_priority_changes",
    "kernel_rx_buf_size",
    "linkbeat_use_polling",
  ].map((name) => ignored<VrrpInstanceDraft>(name)),
];

export const vrrpInstanceBlock: KeywordBlock<VrrpInstanceDraft> = defineBlock("vrrp_instance", keywords);
