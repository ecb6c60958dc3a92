// lvs_sync_daemon in the director: starts and stops the kernel's connection-sync daemons as
// the VRRP instance they follow changes state (sync-daemon.ts decides which), restarting them
// when the configuration's line changes. Serialised: the kernel refuses a second master
// daemon while the first still runs. Each start and stop is logged and recorded.
import type { Logger } from "../../common/logger.ts";
import type { IpvsOpResult } from "../../ipvs/ops.ts";
import type { SyncDaemonPlan } from "../../ipvs/plan-ipvs-globals.ts";
import type { SyncDaemonSpec, SyncDaemonState } from "../../ipvs/settings-types.ts";
import { syncDaemonSpec, wantedSyncDaemons } from "../../ipvs/sync-daemon.ts";
import type { IpvsEventDataByKind } from "../../store/ipvs-event-data.ts";

export interface SyncDaemonPort {
  startSyncDaemon(daemon: SyncDaemonSpec): Promise<IpvsOpResult>;
  stopSyncDaemon(state: SyncDaemonState): Promise<IpvsOpResult>;
}

export class SyncDaemons {
  /** The daemons started, with the settings (as JSON) they were started with. */
  private readonly running = new Map<SyncDaemonState, string>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly logger: Logger,
    private readonly record: (summary: string, data: IpvsEventDataByKind["ipvs.sync-daemon"]) => void,
  ) {}

  /** Brings the running daemons to what `plan` wants for these VRRP states (none when stopping). */
  follow(kernel: SyncDaemonPort, plan: SyncDaemonPlan | undefined, vrrpStates: Readonly<Record<string, string>>, stopping = false): Promise<void> {
    this.chain = this.chain.then(async () => {
      const wanted = new Map(
        stopping || !plan ? [] : wantedSyncDaemons(plan, vrrpStates).map((state) => [state, JSON.stringify(syncDaemonSpec(plan, state))] as const),
      );
      for (const [state, spec] of [...this.running]) {
        if (wanted.get(state) === spec) continue;
        const result = await kernel.stopSyncDaemon(state);
        this.running.delete(state);
        this.report(JSON.parse(spec) as SyncDaemonSpec, "stopped", result);
      }
      for (const [state, spec] of wanted) {
        if (this.running.has(state)) continue;
        const daemon = JSON.parse(spec) as SyncDaemonSpec;
        const result = await kernel.startSyncDaemon(daemon);
        if (result.ok) this.running.set(state, spec);
        this.report(daemon, state, result);
      }
    });
    return this.chain;
  }

  private report(daemon: SyncDaemonSpec, state: SyncDaemonState | "stopped", result: IpvsOpResult): void {
    const what = state === "stopped" ? `${daemon.state} sync daemon stopped` : `${state} sync daemon started`;
    const detail = result.ok ? `${what} on ${daemon.interfaceName}, syncid ${daemon.syncId}` : `${what}: the kernel refused it: ${result.reason}`;
    if (result.ok) this.logger.info(`lvs_sync_daemon: ${detail}`);
    else this.logger.error(`lvs_sync_daemon: ${detail}`);
    this.record(`lvs_sync_daemon: ${detail}`, { state, interface: daemon.interfaceName, syncId: daemon.syncId, ok: result.ok, detail });
  }
}
