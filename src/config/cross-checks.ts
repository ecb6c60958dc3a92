// Checks across blocks: duplicate VRIDs, sync group membership, references to scripts, files, groups.

import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import type { TrackRef, VirtualServer, VirtualServerGroup, VrrpInstance, VrrpScript, VrrpTrackFile } from "./model.ts";
import type { SyncGroupDraft } from "./sync-group.ts";

const where = (l: SourceLocation): string => `${l.file}:${l.line}:${l.col}`;

/**
 * Two instances on one interface with the same VRID share a virtual MAC and a socket: keepalived
 * refuses that whatever their versions, unless both are unicast with disjoint peers (keepalived.conf(5)).
 */
export function checkDuplicateVrids(instances: VrrpInstance[], diag: Diagnostics): void {
  for (let i = 0; i < instances.length; i++) {
    const b = instances[i] as VrrpInstance;
    for (const a of instances.slice(0, i)) {
      if (a.interface !== b.interface || a.vrid !== b.vrid) continue;
      const disjointUnicast = a.unicastPeers.length > 0 && b.unicastPeers.length > 0 && !a.unicastPeers.some((p) => b.unicastPeers.includes(p));
      if (disjointUnicast) continue;
      diag.error(
        b.fieldLocations.vrid ?? b.location,
        `vrrp_instance ${b.name} uses virtual_router_id ${b.vrid} on ${b.interface}, already used by vrrp_instance ${a.name} (${where(a.location)})`,
      );
      break;
    }
  }
}

/** keepalived: "track script X not found, ignoring..." - a warning, and the reference is dropped. */
export function resolveTrackRefs(instances: VrrpInstance[], scripts: VrrpScript[], files: VrrpTrackFile[], diag: Diagnostics): VrrpInstance[] {
  const keep = (refs: TrackRef[], known: Set<string>, what: string, owner: string): TrackRef[] =>
    refs.filter((r) => {
      if (known.has(r.name)) return true;
      diag.warn(r.location, `(${owner}) ${what} ${r.name} not found, ignoring (no such block; keepalived does the same)`);
      return false;
    });
  const scriptNames = new Set(scripts.map((s) => s.name));
  const fileNames = new Set(files.map((f) => f.name));
  return instances.map((i) => ({
    ...i,
    trackScripts: keep(i.trackScripts, scriptNames, "track script", i.name),
    trackFiles: keep(i.trackFiles, fileNames, "track file", i.name),
  }));
}

/** Every member must be an instance; an instance may belong to one group only. */
export function checkSyncGroups(groups: SyncGroupDraft[], instanceNames: Set<string>, diag: Diagnostics): void {
  const owner = new Map<string, SyncGroupDraft>();
  for (const g of groups) {
    for (const m of g.members) {
      if (!instanceNames.has(m.name)) {
        diag.error(m.location, `vrrp_sync_group ${g.name}: there is no vrrp_instance ${m.name}`);
        continue;
      }
      const first = owner.get(m.name);
      if (first && first !== g) diag.error(m.location, `vrrp_instance ${m.name} is already in vrrp_sync_group ${first.name} (${where(first.location)}); an instance can be in one group only`);
      else owner.set(m.name, g);
    }
  }
}

export function checkVirtualServerRefs(servers: VirtualServer[], groups: VirtualServerGroup[], files: VrrpTrackFile[], diag: Diagnostics): void {
  const groupNames = new Set(groups.map((g) => g.name));
  const fileNames = new Set(files.map((f) => f.name));
  for (const vs of servers) {
    if (vs.key.kind === "group" && !groupNames.has(vs.key.group)) diag.error(vs.location, `virtual_server group ${vs.key.group}: there is no virtual_server_group ${vs.key.group}`);
    for (const rs of vs.realServers) {
      for (const c of rs.checkers) {
        if (c.kind === "FILE_CHECK" && !fileNames.has(c.trackFile)) diag.error(c.location, `FILE_CHECK: there is no track_file ${c.trackFile}`);
      }
    }
  }
}
