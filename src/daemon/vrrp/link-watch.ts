// The links as they are now, kept current by the kernel's link events. A monitor whose
// receive dies (ENOBUFS after a burst, a closed socket) is reopened with backoff, and what
// changed while it was gone is reported from the new snapshot: a track_interface must
// never stay "up" because the event saying otherwise was lost.
import type { Clock } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import { Reopener } from "../../common/reopener.ts";
import type { RestartPolicyOptions } from "../../common/restart-policy.ts";
import type { LinkInfo, NetworkMonitor, NetworkPorts } from "../../net/index.ts";

export const MONITOR_REOPEN_POLICY: RestartPolicyOptions = { firstDelayMs: 100, maxDelayMs: 5_000, healthyAfterMs: 30_000 };

/** A link came up, went down or disappeared (reported as down). */
export type LinkListener = (link: LinkInfo, up: boolean) => void;

export class LinkWatch {
  private readonly known = new Map<string, LinkInfo>();
  private monitor: NetworkMonitor | undefined;
  private readonly reopener: Reopener;
  private closed = false;
  /** Monitors that died, for tests and the log. */
  failures = 0;

  constructor(
    private readonly net: NetworkPorts,
    clock: Clock,
    private readonly logger: Logger,
    private readonly onChange: LinkListener,
  ) {
    this.reopener = new Reopener({
      clock,
      policy: MONITOR_REOPEN_POLICY,
      attempt: async () => {
        await this.open();
        this.logger.info("network monitor open again; link states re-read");
      },
      onAttemptFailed: (error, nextDelayMs) => this.logger.warn(`cannot reopen the network monitor: ${error.message}; next try in ${nextDelayMs} ms`),
    });
  }

  /** Opens the first monitor; its failure is the caller's (the engine cannot start without it). */
  async start(): Promise<void> {
    await this.open();
  }

  links(): LinkInfo[] {
    return [...this.known.values()];
  }

  close(): void {
    this.closed = true;
    this.reopener.cancel();
    void this.monitor?.close();
    this.monitor = undefined;
  }

  private async open(): Promise<void> {
    let monitor: NetworkMonitor | undefined;
    const opened = await this.net.watchNetwork(
      (event) => {
        if (monitor !== this.monitor) return;
        if (event.kind === "link-removed") this.remove(event.link);
        else if (event.kind === "link-up" || event.kind === "link-down") this.update(event.link);
      },
      (error) => {
        if (monitor === this.monitor) this.died(error);
      },
    );
    monitor = opened;
    if (this.closed) return void opened.close();
    this.monitor = opened;
    this.reopener.opened();
    this.resync(opened.initialLinks);
  }

  /** A new snapshot: report every link whose state differs from what we knew. */
  private resync(links: readonly LinkInfo[]): void {
    const seen = new Set<string>();
    for (const link of links) {
      seen.add(link.name);
      this.update(link);
    }
    for (const link of [...this.known.values()]) if (!seen.has(link.name)) this.remove(link);
  }

  private update(link: LinkInfo): void {
    const previous = this.known.get(link.name);
    this.known.set(link.name, link);
    if (previous === undefined || previous.up !== link.up) this.onChange(link, link.up);
  }

  private remove(link: LinkInfo): void {
    if (!this.known.delete(link.name)) return;
    this.onChange({ ...link, up: false }, false);
  }

  private died(error: Error): void {
    this.failures++;
    void this.monitor?.close();
    this.monitor = undefined;
    const delayMs = this.reopener.stopped();
    this.logger.error(`network monitor stopped: ${error.message}; reopening in ${delayMs} ms`);
  }
}
