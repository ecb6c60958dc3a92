// The director's process logic on the fake kernel, with fake programs for its scripts: the
// rig the DirectorService tests share.
import { FakeClock } from "../../../../src/common/clock.ts";
import { memoryLogger } from "../../../../src/common/logger.ts";
import type { Config } from "../../../../src/config/index.ts";
import { DirectorService, type KernelOpen } from "../../../../src/daemon/director/director-service.ts";
import type { HostFactsPort } from "../../../../src/daemon/ipvs/proc-host.ts";
import type { FromDirector } from "../../../../src/daemon/ipc/messages.ts";
import type { ProcessRunner } from "../../../../src/common/process.ts";
import { nodeSecurityFs } from "../../../../src/daemon/scripts/script-security.ts";
import { NO_DRAINS } from "../../../../src/ipvs/drain.ts";
import type { IpvsGlobalPlan } from "../../../../src/ipvs/plan-ipvs-globals.ts";
import type { VirtualServerPlan } from "../../../../src/ipvs/virtual-server-plan.ts";
import { FakeIpvsKernel } from "../../support/fake-ipvs-kernel.ts";
import { FakePrograms } from "../../support/fake-box/fake-programs.ts";
import { realServer, virtualServer } from "../../ipvs/support/plans.ts";
import { fromJsonText } from "../../../../src/daemon/ipc/json-text.ts";
import type { Probes } from "../../../../src/daemon/check/probes.ts";
import type { WatchLocalAddresses } from "../../../../src/daemon/check/local-addresses.ts";

export const PLANS: VirtualServerPlan[] = [
  virtualServer("10.0.0.1", 80, [realServer("10.0.1.2", 80, { weight: 3 }), realServer("10.0.1.3", 80, { weight: 1 })], { scheduler: "wrr" }),
];
// The plan function below stands for the config's virtual servers; the scripts read its global_defs.
export const CONFIG = { globalDefs: { enableScriptSecurity: false } } as unknown as Config;

/** [address, weight] of the one service's destinations, in address order. */
export function weights(kernel: FakeIpvsKernel): [string, number][] {
  return kernel
    .dump()
    .services[0]!.destinations.map((d): [string, number] => [d.address.text, d.weight])
    .sort(([a], [b]) => a.localeCompare(b));
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 30; i++) await Promise.resolve();
}

export const GLOBALS: IpvsGlobalPlan = { flushAtStart: false, flushOnStop: "none", drainTimeoutMs: 300_000, setSysctls: false, rsInitNotifies: false };

/** A host whose sysctls are a map (absent: no such file), with the modules and ip_vs_stats text given. */
export function fakeHost(sysctls: Map<string, number>, more: { modules?: string[]; stats?: string; refuse?: string[] } = {}): HostFactsPort {
  return {
    readSysctl: async (name) => sysctls.get(name),
    writeSysctl: async (name, value) => {
      if (more.refuse?.includes(name) || !sysctls.has(name)) return { ok: false, reason: `${name}: EACCES` };
      sysctls.set(name, value);
      return { ok: true };
    },
    loadedModules: async (names) => names.filter((n) => more.modules?.includes(n)),
    ipvsStats: async () => more.stats,
  };
}

/** The kernel's defaults for the sysctls the preflight reads. */
export const DEFAULT_SYSCTLS = (): Map<string, number> =>
  new Map([
    ["net.ipv4.ip_forward", 0],
    ["net.ipv4.vs.expire_nodest_conn", 0],
    ["net.ipv4.vs.expire_quiescent_template", 0],
    ["net.ipv4.vs.conntrack", 0],
  ]);

export interface RigOptions {
  kernelAvailable?: () => boolean;
  keepIpvsOnStop?: boolean;
  globals?: Partial<IpvsGlobalPlan>;
  /** The configuration's virtual servers; a function is asked again at each plan (a reload's new ones). */
  plans?: VirtualServerPlan[] | (() => VirtualServerPlan[]);
  /** /proc for the preflight and the totals; the kernel's defaults unless given. */
  host?: HostFactsPort;
  /** The scripts' runner; fake programs on the rig's clock unless given. */
  runner?: (clock: FakeClock) => ProcessRunner;
  /** false: started with -C/--check. */
  vrrpRuns?: boolean;
  /** The configuration the director is started with (its global_defs rule the scripts). */
  config?: Config;
  /** The health checks' probes (none of the default plans has a checker). */
  probes?: Probes;
  /** ha_suspend's addresses of this box. */
  watchAddresses?: WatchLocalAddresses;
}

export function rig(options: RigOptions = {}) {
  const settings: string[] = [];
  const clock = new FakeClock();
  const programs = new FakePrograms();
  const kernel = new FakeIpvsKernel();
  const sent: FromDirector[] = [];
  const logger = memoryLogger();
  let owned = new Set<string>();
  const service = new DirectorService(
    {
      send: (m) => sent.push(m),
      clock,
      logger,
      openKernel: async (): Promise<KernelOpen> =>
        (options.kernelAvailable?.() ?? true)
          ? {
              ok: true,
              kernel: kernel.port(),
              settings: {
                info: async () => ({ versionCode: 0x010201, version: "1.2.1", connectionTableSize: 4096 }),
                setConnectionTimeouts: async (t) => (settings.push(`timeouts ${JSON.stringify(t)}`), { ok: true }),
                startSyncDaemon: async (d) => (settings.push(`start ${d.state} ${d.interfaceName} ${d.syncId}`), { ok: true }),
                stopSyncDaemon: async (state) => (settings.push(`stop ${state}`), { ok: true }),
                flush: async () => {
                  settings.push("flush");
                  for (const s of kernel.dump().services) kernel.apply([{ kind: "delete-service", key: s.key, breaksConnections: true }]);
                  return { ok: true };
                },
              },
              close: () => {},
            }
          : { ok: false, reason: "the kernel has no IPVS (generic netlink family IPVS not found)" },
      ownership: { owned: () => new Set(owned), replace: (s) => ((owned = new Set(s)), { ok: true }) },
      host: options.host ?? fakeHost(DEFAULT_SYSCTLS()),
      random: () => 0,
      ...(options.probes ? { probes: options.probes } : {}),
      ...(options.watchAddresses ? { watchAddresses: options.watchAddresses } : {}),
      plan: () => ({
        virtualServers: typeof options.plans === "function" ? options.plans() : (options.plans ?? PLANS),
        globals: { ...GLOBALS, ...options.globals },
      }),
      scripts: {
        runner: options.runner?.(clock) ?? programs.runner(clock),
        accounts: { users: new Map(), groups: new Map() },
        daemonIdentity: { uid: 0, gid: 0 },
        securityFs: options.runner ? nodeSecurityFs : programs.securityFs,
      },
    },
    {
      type: "start",
      config: options.config ?? CONFIG,
      intent: { drained: [] },
      drainState: NO_DRAINS,
      keepIpvsOnStop: options.keepIpvsOnStop ?? false,
      vrrpRuns: options.vrrpRuns ?? true,
      ownershipFile: ":memory:",
      log: { console: false, syslog: false, facility: undefined, detail: false },
    },
  );
  const statuses = () => sent.flatMap((m) => (m.type === "status" ? [fromJsonText(m.status)] : []));
  const events = () => sent.flatMap((m) => (m.type === "events" ? fromJsonText(m.events) : []));
  return { clock, kernel, sent, service, statuses, events, settings, programs, logger };
}
