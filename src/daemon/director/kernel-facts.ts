// What the director knows of the kernel beside its table: the preflight's findings (IPVS's
// version, the sysctls the configuration depends on; preflight-pass.ts) and the kernel's
// counters over every service (/proc/net/ip_vs_stats), both for the status.
import type { Clock } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import { parseIpVsStats, type IpvsTotals } from "../../ipvs/ip-vs-stats.ts";
import type { ResolvedVirtualServer } from "../../ipvs/resolved-plan.ts";
import type { IpvsInfo } from "../../ipvs/settings-types.ts";
import type { IpvsEventDataByKind } from "../../store/ipvs-event-data.ts";
import type { HostFactsPort } from "../ipvs/proc-host.ts";
import { preflightPass, type PreflightResult } from "./preflight-pass.ts";

export interface KernelFactsDeps {
  host: HostFactsPort;
  logger: Logger;
  clock: Clock;
  record(summary: string, data: IpvsEventDataByKind["ipvs.sysctl"]): void;
}

export class KernelFacts {
  preflight: PreflightResult | undefined;
  totals: IpvsTotals | undefined;

  constructor(private readonly deps: KernelFactsDeps) {}

  /** The preflight for the configuration in force (at start, after a reconnect, at every reload); a reload logs only what changed. */
  async check(info: () => Promise<IpvsInfo>, resolved: readonly ResolvedVirtualServer[], setSysctls: boolean): Promise<void> {
    const { host, logger, clock, record } = this.deps;
    const input = { resolved, setSysctls, atMs: clock.wallMs() };
    this.preflight = await preflightPass({ host, logger, info, record }, this.preflight ? { ...input, previous: this.preflight } : input);
  }

  /** /proc/net/ip_vs_stats, for the next status (the kernel folds its counters in every 2 s, so one status of lag adds little). */
  refreshTotals(): void {
    void this.deps.host.ipvsStats().then((text) => {
      const totals = text === undefined ? undefined : parseIpVsStats(text);
      // A new object only when a counter moved: the status is rebuilt only for new inputs.
      if (totals && JSON.stringify(totals) !== JSON.stringify(this.totals)) this.totals = totals;
    });
  }
}
