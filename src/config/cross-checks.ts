// Checks across blocks: duplicate VRIDs, sync group membership, references to scripts, files, groups.

import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import type { TrackRef, VirtualServer, VrrpInstance, VrrpScript, VrrpTrackFile } from "./model.ts";
import type { SyncGroupDraft } from "./sync-group.ts";

const where = (l: SourceLocation): string => `${l.file}:${l.line}:${l.col}`;

/** The instances seen so far on one (interface, VRID), indexed so that finding a clash never scans them. */
interface VridUsers {
  /** The first instance seen: the one any multicast newcomer clashes with. */
  first: VrrpInstance;
  /** The first instance without unicast peers, and its position (it clashes with every newcomer). */
  firstMulticast?: Seen;
  /** For each unicast peer, the first instance that lists it. */
  firstByPeer: Map<number, Seen>;
}

interface Seen {
  index: number;
  instance: VrrpInstance;
}

/**
 * Two instances on one interface with the same VRID share a virtual MAC and a socket: keepalived
 * refuses that whatever their versions, unless both are unicast with disjoint peers (keepalived.conf(5)).
 * Each instance is reported once, against the first earlier instance it clashes with.
 */
export function checkDuplicateVrids(instances: VrrpInstance[], diag: Diagnostics): void {
  // The key cannot collide: a VRID is digits only, so the first space ends it.
  const byKey = new Map<string, VridUsers>();
  instances.forEach((b, index) => {
    const key = `${b.vrid} ${b.interface}`;
    const users = byKey.get(key);
    if (!users) {
      byKey.set(key, remember({ first: b, firstByPeer: new Map() }, b, index));
      return;
    }
    const a = firstClash(users, b);
    if (a) {
      diag.error(
        b.fieldLocations.vrid ?? b.location,
        `vrrp_instance ${b.name} uses virtual_router_id ${b.vrid} on ${b.interface}, already used by vrrp_instance ${a.name} (${where(a.location)})`,
      );
    }
    remember(users, b, index);
  });
}

/** The earliest instance in `users` that `b` clashes with: any, unless both are unicast with disjoint peers. */
function firstClash(users: VridUsers, b: VrrpInstance): VrrpInstance | undefined {
  if (b.unicastPeers.length === 0) return users.first;
  let earliest = users.firstMulticast;
  for (const peer of b.unicastPeers) {
    const seen = users.firstByPeer.get(peer);
    if (seen && (!earliest || seen.index < earliest.index)) earliest = seen;
  }
  return earliest?.instance;
}

function remember(users: VridUsers, instance: VrrpInstance, index: number): VridUsers {
  if (instance.unicastPeers.length === 0) users.firstMulticast ??= { index, instance };
  for (const peer of instance.unicastPeers) if (!users.firstByPeer.has(peer)) users.firstByPeer.set(peer, { index, instance });
  return users;
}

/** keepalived: "track script X not found, ignoring..." - a warning, and the reference is dropped. */
export function resolveTrackRefs(instances: VrrpInstance[], scripts: VrrpScript[], files: VrrpTrackFile[], diag: Diagnostics): VrrpInstance[] {
  // The list itself when every reference resolves, so the common case copies nothing.
  const keep = (refs: TrackRef[], known: Set<string>, what: string, owner: string): TrackRef[] => {
    if (refs.every((r) => known.has(r.name))) return refs;
    return refs.filter((r) => {
      if (known.has(r.name)) return true;
      diag.warn(r.location, `(${owner}) ${what} ${r.name} not found, ignoring (no such block; keepalived does the same)`);
      return false;
    });
  };
  const scriptNames = new Set(scripts.map((s) => s.name));
  const fileNames = new Set(files.map((f) => f.name));
  return instances.map((i) => {
    const trackScripts = keep(i.trackScripts, scriptNames, "track script", i.name);
    const trackFiles = keep(i.trackFiles, fileNames, "track file", i.name);
    return trackScripts === i.trackScripts && trackFiles === i.trackFiles ? i : { ...i, trackScripts, trackFiles };
  });
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
      if (first && first !== g)
        diag.error(
          m.location,
          `vrrp_instance ${m.name} is already in vrrp_sync_group ${first.name} (${where(first.location)}); an instance can be in one group only`,
        );
      else owner.set(m.name, g);
    }
  }
}

/** FILE_CHECK's track_file must exist (a virtual server's group is checked as it is finished). */
export function checkVirtualServerRefs(servers: VirtualServer[], files: VrrpTrackFile[], diag: Diagnostics): void {
  const fileNames = new Set(files.map((f) => f.name));
  for (const vs of servers) {
    for (const rs of vs.realServers) {
      // Runs once per parse over every real server, so mostly interpreted: skip the common case without an iterator.
      if (rs.checkers.length === 0) continue;
      for (const c of rs.checkers) {
        if (c.kind === "FILE_CHECK" && !fileNames.has(c.trackFile)) diag.error(c.location, `FILE_CHECK: there is no track_file ${c.trackFile}`);
      }
    }
  }
}
