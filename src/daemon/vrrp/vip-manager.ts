// Installs and removes one instance's virtual addresses through rtnetlink, the way
// keepalived does (`ip addr add VIP/len brd B scope S label L dev IF`). Operations are
// idempotent: an address already present (or already gone) counts as done.
import { formatIpv4 } from "../../common/ipv4.ts";
import type { Logger } from "../../common/logger.ts";
import type { VipScope, VirtualIp } from "../../config/model.ts";
import {
  isAlreadyAbsent,
  isAlreadyPresent,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_SITE,
  RT_SCOPE_UNIVERSE,
  type AddressSpec,
  type Rtnetlink,
} from "../../net/index.ts";

const SCOPES: Record<string, number> = { global: RT_SCOPE_UNIVERSE, site: RT_SCOPE_SITE, link: RT_SCOPE_LINK, host: RT_SCOPE_HOST, nowhere: 255 };

export function scopeNumber(scope: VipScope | undefined): number | undefined {
  if (scope === undefined) return undefined;
  return typeof scope === "number" ? scope : SCOPES[scope];
}

export function addressSpec(vip: VirtualIp, defaultInterface: string): AddressSpec {
  return {
    interfaceName: vip.device ?? defaultInterface,
    address: vip.address,
    prefixLength: vip.prefixLength,
    broadcast: vip.broadcast,
    scope: scopeNumber(vip.scope),
    label: vip.label,
  };
}

export function describeVip(spec: AddressSpec): string {
  return `${formatIpv4(spec.address)}/${spec.prefixLength} dev ${spec.interfaceName}${spec.label ? ` label ${spec.label}` : ""}`;
}

export class VipManager {
  private readonly specs: AddressSpec[];

  constructor(
    vips: readonly VirtualIp[],
    defaultInterface: string,
    private readonly rtnetlink: Rtnetlink,
    private readonly logger: Logger,
  ) {
    this.specs = vips.map((v) => addressSpec(v, defaultInterface));
  }

  /** Add every address; a failure of one does not stop the others. Returns the count installed. */
  async addAll(): Promise<number> {
    let installed = 0;
    for (const spec of this.specs) {
      try {
        await this.rtnetlink.addAddress(spec);
        installed++;
      } catch (error) {
        if (isAlreadyPresent(error)) installed++;
        else this.logger.error(`cannot add ${describeVip(spec)}: ${(error as Error).message}`);
      }
    }
    this.logger.info(`set ${installed}/${this.specs.length} virtual addresses: ${this.specs.map(describeVip).join(", ")}`);
    return installed;
  }

  async removeAll(): Promise<void> {
    for (const spec of this.specs) {
      try {
        await this.rtnetlink.deleteAddress(spec);
      } catch (error) {
        if (!isAlreadyAbsent(error)) this.logger.error(`cannot remove ${describeVip(spec)}: ${(error as Error).message}`);
      }
    }
    this.logger.info(`removed virtual addresses: ${this.specs.map(describeVip).join(", ")}`);
  }

  /**
   * At start: addresses of ours still on an interface were left by a run that crashed
   * (kill -9). Remove them before the election so that we never hold a VIP as a backup.
   * `keep` protects real interface addresses (e.g. the owner's own address).
   */
  async removeStale(keep: ReadonlySet<number>): Promise<number> {
    let removed = 0;
    const byInterface = new Map<string, Set<number>>();
    for (const spec of this.specs) {
      if (!byInterface.has(spec.interfaceName)) {
        try {
          const present = await this.rtnetlink.listAddresses(spec.interfaceName);
          byInterface.set(spec.interfaceName, new Set(present.map((a) => a.address)));
        } catch (error) {
          this.logger.warn(`cannot list addresses of ${spec.interfaceName}: ${(error as Error).message}`);
          byInterface.set(spec.interfaceName, new Set());
        }
      }
      if (!byInterface.get(spec.interfaceName)!.has(spec.address) || keep.has(spec.address)) continue;
      try {
        await this.rtnetlink.deleteAddress(spec);
        removed++;
        this.logger.warn(`removed stale virtual address ${describeVip(spec)} left by an earlier run`);
      } catch (error) {
        if (!isAlreadyAbsent(error)) this.logger.error(`cannot remove stale ${describeVip(spec)}: ${(error as Error).message}`);
      }
    }
    return removed;
  }
}
