// Two VRRP routers on boxes a and b, any implementation on each, with a VIP watcher per box.

import type { DaemonHandle, Implementation } from "./daemons.ts";
import type { Topology } from "./topology.ts";
import { VipWatcher } from "./observe.ts";
import { withTimeout } from "./proc.ts";

export type Side = "a" | "b";

export interface PairOptions {
  topo: Topology;
  impls: Record<Side, Implementation>;
  /** keepalived.conf text for a box (called at every (re)start). */
  config: (side: Side) => string;
  /** VIP whose holder decides "who is master" (bare or with /len). */
  vip: string;
  /** Extra command-line flags, the same for both boxes or per box. */
  extraArgs?: string[] | ((side: Side) => string[]);
}

export class VrrpPair {
  readonly daemons: Partial<Record<Side, DaemonHandle>> = {};
  private constructor(
    readonly opts: PairOptions,
    readonly watchers: Record<Side, VipWatcher>,
  ) {}

  /** Start the watchers first (so nothing is missed), then both daemons, a before b. */
  static async start(opts: PairOptions): Promise<VrrpPair> {
    const watchers = {
      a: await VipWatcher.start(opts.topo.box("a").ns, opts.vip),
      b: await VipWatcher.start(opts.topo.box("b").ns, opts.vip),
    };
    const pair = new VrrpPair(opts, watchers);
    try {
      await pair.startSide("a");
      await pair.startSide("b");
    } catch (e) {
      await pair.stop();
      throw e;
    }
    return pair;
  }

  implName(side: Side): string {
    return this.opts.impls[side].name;
  }

  /** "keepalived", "tandem", or "tandem A + keepalived B" for mixed pairs. */
  get label(): string {
    const { a, b } = this.opts.impls;
    return a.name === b.name ? a.name : `${a.name} A + ${b.name} B`;
  }

  daemon(side: Side): DaemonHandle {
    const d = this.daemons[side];
    if (!d) throw new Error(`no daemon running on ${side}`);
    return d;
  }

  async startSide(side: Side): Promise<DaemonHandle> {
    const box = this.opts.topo.box(side);
    const d = await this.opts.impls[side].start({
      ns: box.ns,
      runDir: box.runDir,
      config: this.opts.config(side),
      extraArgs: typeof this.opts.extraArgs === "function" ? this.opts.extraArgs(side) : this.opts.extraArgs,
    });
    this.daemons[side] = d;
    return d;
  }

  /** Wait (event-driven) until exactly `side` holds the VIP. */
  async waitSoleHolder(side: Side, timeoutMs: number): Promise<void> {
    const other: Side = side === "a" ? "b" : "a";
    const deadline = performance.now() + timeoutMs;
    while (!(this.watchers[side].holds() && !this.watchers[other].holds())) {
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(
          `${side} did not become sole holder of ${this.opts.vip} within ${timeoutMs} ms ` +
            `(a holds: ${this.watchers.a.holds()}, b holds: ${this.watchers.b.holds()}; logs: ` +
            `${this.daemons.a?.logPath}, ${this.daemons.b?.logPath})`,
        );
      }
      // either watcher changing wakes us; the slice bounds the wait if a daemon is silent
      await Promise.race([this.watchers.a.changed(left), this.watchers.b.changed(left)]);
    }
  }

  /** Stop both daemons gracefully (SIGKILL after timeout) and the watchers. */
  async stop(): Promise<void> {
    await Promise.all(
      (["a", "b"] as const).map(async (s) => {
        const d = this.daemons[s];
        if (d && d.exitCode === null) await d.stop("SIGTERM", 5000);
      }),
    );
    await Promise.all([this.watchers.a.stop(), this.watchers.b.stop()]);
  }

  /** Wait for a daemon that was killed or stopped to be gone (bounded). */
  async reap(side: Side, timeoutMs = 5000): Promise<number | null> {
    const d = this.daemons[side];
    if (!d) return null;
    return (await withTimeout(d.waitExit(timeoutMs), timeoutMs + 100)) ?? null;
  }
}
