// Turns the validated keepalived.conf model into what the runtime builds: one plan per
// VRRP instance (machine settings, addresses, trackers with their effective weights,
// notify commands) and one per sync group. Pure; the runtime resolves interfaces later.
import type { Config, VirtualIp, VrrpInstance, VrrpScript, VrrpTrackFile } from "../config/model.ts";
import type { GarpSchedule } from "./instance.ts";
import type { MachineConfig } from "./machine.ts";
import type { TrackWeight } from "./track.ts";

export interface ScriptTrackPlan {
  script: VrrpScript;
  weight: TrackWeight;
}

export interface FileTrackPlan {
  trackFile: VrrpTrackFile;
  weight: TrackWeight;
}

export interface InterfaceTrackPlan {
  interfaceName: string;
  weight: TrackWeight;
  /** The instance's own interface, tracked implicitly as keepalived does. */
  implicit: boolean;
}

export interface NotifyPlan {
  notify?: string;
  master?: string;
  backup?: string;
  fault?: string;
  stop?: string;
  /** Instances only: notify_deleted was given (a removal is DELETED, not FAULT), with its command if any. */
  deleted?: { command?: string };
}

export interface InstancePlan {
  name: string;
  interfaceName: string;
  /** Machine settings except primaryIp, which comes from the interface at start. */
  machine: Omit<MachineConfig, "primaryIp">;
  advertAddresses: number[];
  /** Every address this instance installs while master: normalVips, then excludedVips. */
  vips: VirtualIp[];
  /** virtual_ipaddress: installed while master and carried in adverts. */
  normalVips: VirtualIp[];
  /** virtual_ipaddress_excluded: installed while master, not carried in adverts. */
  excludedVips: VirtualIp[];
  auth: { type: "PASS"; password: string } | undefined;
  garp: GarpSchedule;
  /** unicast_src_ip or mcast_src_ip: the source of our adverts instead of the primary address. */
  sourceIp: number | undefined;
  unicastPeers: number[];
  scripts: ScriptTrackPlan[];
  files: FileTrackPlan[];
  interfaces: InterfaceTrackPlan[];
  notify: NotifyPlan;
  syncGroup: string | undefined;
  /**
   * Equal keys mean a reload keeps the running instance and its state. Trackers and
   * notify commands are not part of it: they are swapped under a running instance.
   */
  key: string;
}

export interface SyncGroupPlan {
  name: string;
  members: string[];
  notify: NotifyPlan;
}

export interface RuntimePlan {
  instances: InstancePlan[];
  syncGroups: SyncGroupPlan[];
  /** Things an operator should know (e.g. weights zeroed in a sync group). */
  notes: string[];
}

export function planRuntime(config: Config): RuntimePlan {
  const notes: string[] = [];
  const groupOf = new Map<string, string>();
  for (const group of config.syncGroups) for (const member of group.members) groupOf.set(member, group.name);
  const instances = config.vrrpInstances.map((instance) => planInstance(config, instance, groupOf.get(instance.name), notes));
  const syncGroups = config.syncGroups.map((g) => ({
    name: g.name,
    members: [...g.members],
    notify: { notify: g.notify, master: g.notifyMaster, backup: g.notifyBackup, fault: g.notifyFault, stop: g.notifyStop },
  }));
  return { instances, syncGroups, notes };
}

function planInstance(config: Config, instance: VrrpInstance, syncGroup: string | undefined, notes: string[]): InstancePlan {
  const global = config.globalDefs;
  // keepalived.conf(5): in a sync group, tracking weights are set to zero so all members
  // share one fate (a failing tracker faults the whole group instead of skewing priorities).
  const inGroup = syncGroup !== undefined;
  const zeroed = (name: string, weight: number) => {
    if (inGroup && weight !== 0)
      notes.push(`${instance.name}: tracker ${name} weight ${weight} set to 0 because the instance is in sync group ${syncGroup} (keepalived does the same)`);
    return inGroup ? 0 : weight;
  };

  const scripts: ScriptTrackPlan[] = [];
  for (const ref of instance.trackScripts) {
    const script = config.vrrpScripts.find((s) => s.name === ref.name);
    if (!script) continue; // the config stage already warned, as keepalived does
    const weight = zeroed(ref.name, ref.weight ?? script.weight);
    scripts.push({ script, weight: { weight, reverse: ref.weightReverse ?? script.weightReverse } });
  }
  const files: FileTrackPlan[] = [];
  for (const ref of instance.trackFiles) {
    const trackFile = config.trackFiles.find((f) => f.name === ref.name);
    if (!trackFile) continue;
    const weight = zeroed(ref.name, ref.weight ?? trackFile.weight);
    files.push({ trackFile, weight: { weight, reverse: ref.weightReverse ?? trackFile.weightReverse } });
  }
  const interfaces: InterfaceTrackPlan[] = instance.trackInterfaces.map((t) => ({
    interfaceName: t.name,
    weight: { weight: zeroed(t.name, t.weight ?? 0), reverse: t.weightReverse ?? false },
    implicit: false,
  }));
  if (!instance.dontTrackPrimary && !interfaces.some((t) => t.interfaceName === instance.interface)) {
    interfaces.push({ interfaceName: instance.interface, weight: { weight: 0, reverse: false }, implicit: true });
  }

  const machine: Omit<MachineConfig, "primaryIp"> = {
    name: instance.name,
    version: instance.version,
    vrid: instance.vrid,
    basePriority: instance.priority,
    advertIntervalCs: instance.advertIntervalCs,
    initialState: instance.initialState,
    preempt: instance.preempt,
    preemptDelayMs: instance.preemptDelayS * 1000,
    fastPreempt: instance.fastPreempt,
    inSyncGroup: inGroup,
  };
  const garp: GarpSchedule = {
    delayMs: (instance.garpMasterDelayS ?? global.garpMasterDelayS) * 1000,
    repeat: instance.garpMasterRepeat ?? global.garpMasterRepeat,
    refreshMs: (instance.garpMasterRefreshS ?? global.garpMasterRefreshS) * 1000,
    refreshRepeat: instance.garpMasterRefreshRepeat ?? global.garpMasterRefreshRepeat,
  };
  const plan: Omit<InstancePlan, "key"> = {
    name: instance.name,
    interfaceName: instance.interface,
    machine,
    advertAddresses: instance.virtualIps.map((v) => v.address),
    vips: [...instance.virtualIps, ...instance.virtualIpsExcluded],
    normalVips: [...instance.virtualIps],
    excludedVips: [...instance.virtualIpsExcluded],
    auth: instance.auth,
    garp,
    sourceIp: instance.unicastSrcIp ?? instance.mcastSrcIp,
    unicastPeers: [...instance.unicastPeers],
    scripts,
    files,
    interfaces,
    notify: {
      notify: instance.notify,
      master: instance.notifyMaster,
      backup: instance.notifyBackup,
      fault: instance.notifyFault,
      stop: instance.notifyStop,
      deleted: instance.notifyDeleted,
    },
    syncGroup,
  };
  return { ...plan, key: planKey(plan) };
}

/**
 * A canonical text of what a running instance cannot change without a restart. vips
 * (in order) and advertAddresses already fix the normal/excluded split, so the two
 * lists are not repeated in it.
 */
function planKey(plan: Omit<InstancePlan, "key">): string {
  const { name, interfaceName, machine, advertAddresses, vips, auth, garp, sourceIp, unicastPeers, syncGroup } = plan;
  const identity = { name, interfaceName, machine, advertAddresses, vips, auth, garp, sourceIp, unicastPeers, syncGroup };
  return JSON.stringify(identity, (field, value) => (field === "location" || field === "fieldLocations" ? undefined : value));
}
