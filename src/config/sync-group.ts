// `vrrp_sync_group NAME { group { ... } notify_* ... }`: instances that change state together.

import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import { locationOf } from "./diagnostics.ts";
import { commandField, defineBlock, flagField, ignored, keyword, type Keyword, type KeywordBlock, type Located } from "./keyword-table.ts";
import type { VrrpSyncGroup } from "./model.ts";
import { warnExtraArgs } from "./values.ts";

export interface SyncGroupDraft extends Located {
  name: string;
  location: SourceLocation;
  members: { name: string; location: SourceLocation }[];
  notify?: string;
  notifyMaster?: string;
  notifyBackup?: string;
  notifyFault?: string;
  notifyStop?: string;
  smtpAlert?: boolean;
}

const keywords: Keyword<SyncGroupDraft>[] = [
  keyword(
    "group",
    (stmt, target, diag) => {
      for (const entry of stmt.children ?? []) {
        warnExtraArgs(entry, 0, diag);
        target.members.push({ name: entry.keyword.text, location: locationOf(entry.keyword) });
      }
      target.fieldLocations.members = locationOf(stmt.keyword);
    },
    { takesBlock: "values" },
  ),
  commandField("notify", "notify"),
  commandField("notify_master", "notifyMaster"),
  commandField("notify_backup", "notifyBackup"),
  commandField("notify_fault", "notifyFault"),
  commandField("notify_stop", "notifyStop"),
  flagField("smtp_alert", "smtpAlert"),
  ...[
    "track_interface",
    "track_script",
    "track_file",
    "track_process",
    "track_bfd",
    "notify_deleted",
    "notify_priority_changes",
    "global_tracking",
    "sync_group_tracking_weight",
  ].map((name) => ignored<SyncGroupDraft>(name)),
];

export const syncGroupBlock: KeywordBlock<SyncGroupDraft> = defineBlock("vrrp_sync_group", keywords);

export function finishSyncGroup(d: SyncGroupDraft, diag: Diagnostics): VrrpSyncGroup | undefined {
  if (d.members.length === 0) {
    diag.error(d.location, `vrrp_sync_group ${d.name} needs a 'group { INSTANCE ... }' block with at least one instance`);
    return undefined;
  }
  if (d.members.length === 1) diag.warn(d.location, `vrrp_sync_group ${d.name} has only 1 instance - this probably isn't what you want`);
  const { members, fieldLocations, smtpAlert, ...rest } = d;
  return {
    ...rest,
    members: members.map((m) => m.name),
    smtpAlert: smtpAlert ?? false,
    fieldLocations: fieldLocations as VrrpSyncGroup["fieldLocations"],
  };
}
