// One preflight pass of the director (issue 10 §2): IPVS's version and connection table size
// from GET_INFO, then the sysctls the configuration depends on (ipvs/preflight.ts) read from
// the host, set where ipvs_set_sysctls says so, and logged. Run once the kernel is open (the
// net.ipv4.vs.* files exist only once ip_vs is loaded, which opening the IPVS family does)
// and again at every reload, which may bring NAT or persistent services.
import type { Logger } from "../../common/logger.ts";
import {
  STATEFUL_FILTER_MODULES,
  changedFindings,
  findingLine,
  preflightPlan,
  sysctlFindings,
  sysctlWrites,
  wantedSysctls,
  type SysctlFinding,
} from "../../ipvs/preflight.ts";
import type { ResolvedVirtualServer } from "../../ipvs/resolved-plan.ts";
import type { IpvsInfo } from "../../ipvs/settings-types.ts";
import type { IpvsEventDataByKind } from "../../store/ipvs-event-data.ts";
import type { HostFactsPort } from "../ipvs/proc-host.ts";

export interface PreflightResult {
  /** undefined when GET_INFO failed (logged). */
  info?: IpvsInfo;
  findings: SysctlFinding[];
  /** ipvs_set_sysctls was on for this pass. */
  setSysctls: boolean;
  checkedAtMs: number;
}

export interface PreflightDeps {
  host: HostFactsPort;
  info(): Promise<IpvsInfo>;
  logger: Logger;
  record(summary: string, data: IpvsEventDataByKind["ipvs.sysctl"]): void;
}

export interface PreflightInput {
  resolved: readonly ResolvedVirtualServer[];
  setSysctls: boolean;
  /** The last pass's result: a reload logs only what differs from it. */
  previous?: PreflightResult;
  atMs: number;
}

export async function preflightPass(deps: PreflightDeps, input: PreflightInput): Promise<PreflightResult> {
  const { host, logger } = deps;
  const info = await deps.info().catch((error: Error) => {
    logger.warn(`preflight: IPVS did not answer GET_INFO: ${error.message}`);
    return undefined;
  });
  const before = input.previous?.info;
  if (info && (before?.version !== info.version || before.connectionTableSize !== info.connectionTableSize))
    logger.info(`preflight: IPVS ${info.version}, connection table of ${info.connectionTableSize} entries`);

  const wants = wantedSysctls(preflightPlan(input.resolved), await host.loadedModules(STATEFUL_FILTER_MODULES));
  const read = async () => new Map(await Promise.all(wants.map(async (w) => [w.name, await host.readSysctl(w.name)] as const)));
  let findings = sysctlFindings(wants, await read());

  const writes = input.setSysctls ? sysctlWrites(findings) : [];
  if (writes.length > 0) {
    const changes: IpvsEventDataByKind["ipvs.sysctl"]["changes"] = [];
    const failures: IpvsEventDataByKind["ipvs.sysctl"]["failures"] = [];
    for (const write of writes) {
      const written = await host.writeSysctl(write.name, write.to);
      if (written.ok) {
        changes.push(write);
        logger.info(`preflight: set ${write.name} from ${write.from} to ${write.to} (ipvs_set_sysctls)`);
      } else {
        failures.push({ name: write.name, reason: written.reason });
        logger.error(`preflight: could not set ${write.name} to ${write.to}: ${written.reason}`);
      }
    }
    // Read back: what the kernel holds now is what the findings report, whatever the writes said.
    findings = sysctlFindings(wants, await read());
    const said = [...changes.map((c) => `${c.name} ${c.from} -> ${c.to}`), ...failures.map((f) => `${f.name} not set (${f.reason})`)];
    deps.record(`ipvs_set_sysctls: ${said.join("; ")}`, { changes, failures });
  }

  for (const finding of input.previous ? changedFindings(input.previous.findings, findings) : findings) {
    if (finding.ok) logger.info(findingLine(finding));
    else logger.warn(`${findingLine(finding)}${input.setSysctls ? "" : " (ipvs_set_sysctls in global_defs has tandem set it)"}`);
  }
  return { ...(info ? { info } : {}), findings, setSysctls: input.setSysctls, checkedAtMs: input.atMs };
}
