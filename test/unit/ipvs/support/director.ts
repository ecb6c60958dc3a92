// A director in a test: plans, health, intent and the quorum machine's state, stepped as the
// daemon will step them, with the desired table and the effects of the last step at hand.
import { desiredTable, type DesiredTableResult } from "../../../../src/ipvs/desired-table.ts";
import { IDLE_DIRECTOR, NO_INTENT, step, type DirectorEffect, type DirectorIntent, type DirectorState } from "../../../../src/ipvs/quorum-machine.ts";
import { initialHealth, reloadHealth, reportChecker, type CheckerVerdict, type HealthTable } from "../../../../src/ipvs/real-server-health.ts";
import { resolvePlans } from "../../../../src/ipvs/resolve-plan.ts";
import type { ResolvedVirtualServer } from "../../../../src/ipvs/resolved-plan.ts";
import { destinationText } from "../../../../src/ipvs/types.ts";
import type { VirtualServerPlan } from "../../../../src/ipvs/virtual-server-plan.ts";

export class TestDirector {
  virtualServers: ResolvedVirtualServer[];
  health: HealthTable;
  intent: DirectorIntent = NO_INTENT;
  state: DirectorState = IDLE_DIRECTOR;
  effects: DirectorEffect[] = [];

  constructor(plans: VirtualServerPlan[]) {
    this.virtualServers = resolvePlans(plans).virtualServers;
    this.health = initialHealth(this.virtualServers);
  }

  private view() {
    return { virtualServers: this.virtualServers, health: this.health, intent: this.intent };
  }

  private apply(result: { state: DirectorState; effects: DirectorEffect[] }): this {
    this.state = result.state;
    this.effects = result.effects;
    return this;
  }

  start(rsInitNotifies = false): this {
    return this.apply(step(this.state, { kind: "start", rsInitNotifies, ...this.view() }));
  }

  /** One checker verdict for a real server ("10.0.0.2:80") of the first (or the named) virtual server. */
  report(realServer: string, checker: string, verdict: CheckerVerdict, virtualServer = this.virtualServers[0]!.id): this {
    const next = reportChecker(this.health, { virtualServer, realServer, checker }, verdict);
    if (!next) throw new Error(`no checker ${checker} on ${realServer} of ${virtualServer}`);
    this.health = next;
    return this.apply(step(this.state, { kind: "health", ...this.view() }));
  }

  drain(realServer: string, on: boolean, virtualServer = this.virtualServers[0]!.id): this {
    const others = this.intent.drained.filter((d) => d.virtualServer !== virtualServer || d.realServer !== realServer);
    this.intent = { drained: on ? [...others, { virtualServer, realServer }] : others };
    return this.apply(step(this.state, { kind: "health", ...this.view() }));
  }

  reload(plans: VirtualServerPlan[], rsInitNotifies = false): this {
    const previous = this.virtualServers;
    this.virtualServers = resolvePlans(plans).virtualServers;
    this.health = reloadHealth(this.health, this.virtualServers);
    return this.apply(step(this.state, { kind: "reload", previous, rsInitNotifies, ...this.view() }));
  }

  stop(lvsFlushOnStop: "none" | "vs" | "full" = "none"): this {
    return this.apply(step(this.state, { kind: "stop", lvsFlushOnStop, ...this.view() }));
  }

  table(): DesiredTableResult {
    return desiredTable(this.virtualServers, this.health, this.intent, this.state);
  }

  /** "10.0.0.2:80" -> weight for one service (the first of the first virtual server by default). */
  weights(service = 0, virtualServer = 0): Record<string, number> {
    const key = this.virtualServers[virtualServer]!.services[service]!.key;
    const found = this.table().table.services.find((s) => JSON.stringify(s.key) === JSON.stringify(key));
    return Object.fromEntries((found?.destinations ?? []).map((d) => [destinationText(d), d.weight]));
  }

  /** The notifies of the last step as "script|fifo line". */
  notifies(): string[] {
    return this.effects.flatMap((e) => (e.kind === "notify" ? [`${e.script ?? "-"}|${e.fifoLine}${e.stopping ? "|stopping" : ""}`] : []));
  }

  /** The records of the last step as "event cause". */
  events(): string[] {
    return this.effects.flatMap((e) => (e.kind === "record" ? [`${e.event} ${e.cause}${e.realServer ? ` ${e.realServer}` : ""}`] : []));
  }

  messages(): string[] {
    return this.effects.flatMap((e) => (e.kind === "record" ? [e.message] : []));
  }
}
