// A box: one host of the fake network running the REAL VRRP engine (src/daemon/engine/
// engine.ts) from keepalived.conf text, as `tandem __engine` runs it, with the supervisor's
// messages (apply, intent, director, stop) sent by the test, and everything the engine reports kept.
// crash() is kill -9: the process's timers and sockets die and nothing is released.
import { memoryLogger } from "../../../../src/common/logger.ts";
import type { Config } from "../../../../src/config/index.ts";
import type { InstanceView } from "../../../../src/api/ports.ts";
import { Engine } from "../../../../src/daemon/engine/engine.ts";
import type { DirectorOutcome, EngineStatus, FromEngine } from "../../../../src/daemon/ipc/messages.ts";
import { parseAccountDatabase } from "../../../../src/daemon/scripts/script-user.ts";
import type { EventKind, NewEvent } from "../../../../src/store/event.ts";
import { parseText } from "../../config/helpers.ts";
import type { FakeHost, FakeNetwork, FakePorts, ProcessClock } from "../fake-network/index.ts";
import { FakeFifos } from "./fake-fifos.ts";
import { FakePrograms } from "./fake-programs.ts";

/** root, and keepalived's default script user: scripts run unprivileged, as on an appliance. */
const ACCOUNTS = parseAccountDatabase(
  "root:x:0:0:root:/root:/bin/sh\nkeepalived_script:x:990:990::/nonexistent:/usr/sbin/nologin\n",
  "root:x:0:\nkeepalived_script:x:990:\n",
);

export interface BoxMessage {
  /** Monotonic ms on the shared clock when the engine sent it. */
  atMs: number;
  /** Which start of the engine on this box sent it (1, 2, ... after restarts). */
  run: number;
  message: FromEngine;
}

export interface BoxTransition {
  atMs: number;
  instance: string;
  from: string;
  to: string;
  cause: string;
  detail: string;
  /** From the transition reason, as the history records it. */
  advertsMissed?: number;
}

interface EngineProcess {
  run: number;
  engine: Engine;
  clock: ProcessClock;
  ports: FakePorts;
  alive: boolean;
}

export function parseKeepalivedConf(text: string): Config {
  const parsed = parseText(text);
  if (!parsed.config) throw new Error(`keepalived.conf does not parse:\n${parsed.errors.join("\n")}`);
  return parsed.config;
}

export class FakeBox {
  readonly programs = new FakePrograms();
  /** The notify FIFOs the engine writes, across its runs. */
  readonly fifos = new FakeFifos(this.programs);
  readonly logger = memoryLogger();
  readonly messages: BoxMessage[] = [];
  /** Rejections of the engine's own promises: a test fails on any. */
  readonly failures: unknown[] = [];
  private maintenance: string[] = [];
  private process: EngineProcess | undefined;
  private runs = 0;

  constructor(
    readonly name: string,
    readonly host: FakeHost,
    private readonly network: FakeNetwork,
    private configText: string,
  ) {}

  get running(): boolean {
    return this.process?.alive ?? false;
  }

  /**
   * A new engine process, with the box's configuration (or a new one). It runs as the clock runs.
   * `directorGate`: the supervisor asks it to hold its instances until director() (or the timeout).
   * `directorRuns`: a director runs beside it (by default, when the configuration has virtual servers).
   */
  start(configText = this.configText, options: { keepVipsOnStop?: boolean; directorGate?: { timeoutMs: number }; directorRuns?: boolean } = {}): void {
    if (this.running) throw new Error(`${this.name}: the engine is running already`);
    this.configText = configText;
    const config = parseKeepalivedConf(configText);
    const clock = this.network.clock.processClock();
    const ports = this.host.openPorts();
    const run = ++this.runs;
    const logger = this.logger.child(`${this.name}#${run}`);
    let process: EngineProcess;
    const engine = new Engine(
      {
        send: (message) => {
          if (process.alive) this.messages.push({ atMs: clock.nowMs(), run, message });
        },
        clock,
        logger,
        net: ports,
        runner: this.programs.runner(clock),
        accounts: ACCOUNTS,
        daemonIdentity: { uid: 0, gid: 0 },
        securityFs: this.programs.securityFs,
        createFifo: () => this.fifos.create(),
      },
      {
        type: "start",
        config,
        maintenance: [...this.maintenance],
        keepVipsOnStop: options.keepVipsOnStop ?? false,
        directorRuns: options.directorRuns ?? config.virtualServers.length > 0,
        log: { console: false, syslog: false, facility: undefined, detail: false },
        ...(options.directorGate ? { directorGate: options.directorGate } : {}),
      },
    );
    process = { run, engine, clock, ports, alive: true };
    this.process = process;
    engine.start().catch((error) => this.failures.push(error));
    // Once stopped, the process exits: the kernel closes whatever it still had open.
    void engine.untilStopped().then(() => this.exit(process));
  }

  /** SIGHUP at the supervisor: the new configuration, parsed there, sent as "apply". */
  reload(configText: string): void {
    this.configText = configText;
    const config = parseKeepalivedConf(configText);
    this.current().engine.handle({ type: "apply", config, maintenance: [...this.maintenance], directorRuns: config.virtualServers.length > 0 });
  }

  /** The director's first pass as the supervisor relays it, sent as "director". */
  director(outcome: DirectorOutcome, detail?: string): void {
    this.current().engine.handle({ type: "director", outcome, ...(detail === undefined ? {} : { detail }) });
  }

  /** The operator's intent (the API's maintenance), sent as "intent". */
  setMaintenance(instances: string[]): void {
    this.maintenance = [...instances];
    if (this.running) this.current().engine.handle({ type: "intent", maintenance: [...instances] });
  }

  /** SIGTERM: a graceful stop (priority 0, addresses released). */
  stop(reason = "SIGTERM"): void {
    this.current().engine.handle({ type: "stop", reason });
  }

  /** kill -9: silence at once. Addresses stay on the host; no priority 0 goes out. */
  crash(): void {
    const process = this.current();
    this.exit(process);
  }

  /** What the current (or given) run of the engine sent. */
  sent(run = this.runs): FromEngine[] {
    return this.messages.filter((m) => m.run === run).map((m) => m.message);
  }

  /** History events of one kind the current (or given) run sent, with when they were sent. */
  events<K extends EventKind>(kind: K, run = this.runs): (Extract<NewEvent, { kind: K }> & { sentAtMs: number })[] {
    return this.messages.flatMap((m) =>
      m.run === run && m.message.type === "event" && m.message.event.kind === kind
        ? [{ ...(m.message.event as Extract<NewEvent, { kind: K }>), sentAtMs: m.atMs }]
        : [],
    );
  }

  transitions(instance?: string, run = this.runs): BoxTransition[] {
    return this.events("vrrp.transition", run)
      .filter((e) => instance === undefined || e.instance === instance)
      .map((e) => ({
        atMs: e.sentAtMs,
        instance: e.instance!,
        from: e.data.from,
        to: e.data.to,
        cause: e.data.cause,
        detail: e.data.detail,
        ...(e.data.advertsMissed === undefined ? {} : { advertsMissed: e.data.advertsMissed }),
      }));
  }

  /** The state the engine last reported for an instance (INIT before any report). */
  state(instance: string): string {
    return this.transitions(instance).at(-1)?.to ?? "INIT";
  }

  /** When the instance last entered `to`, at or after `afterMs`. */
  enteredAt(instance: string, to: string, afterMs = 0): number | undefined {
    return this.transitions(instance).find((t) => t.to === to && t.atMs >= afterMs)?.atMs;
  }

  statuses(run = this.runs): EngineStatus[] {
    return this.sent(run).flatMap((m) => (m.type === "status" ? [m.status] : []));
  }

  /** The last status the current run sent, and when. */
  latestStatus(): { atMs: number; status: EngineStatus } {
    const last = this.messages.filter((m) => m.run === this.runs && m.message.type === "status").at(-1);
    if (!last || last.message.type !== "status") throw new Error(`${this.name}: no status yet`);
    return { atMs: last.atMs, status: last.message.status };
  }

  /** The instance as the last status message showed it. */
  view(instance: string): InstanceView {
    const view = this.statuses()
      .at(-1)
      ?.instances.find((i) => i.name === instance);
    if (!view) throw new Error(`${this.name}: no status for ${instance} yet`);
    return view;
  }

  counters(instance: string): Record<string, number> {
    return this.view(instance).counters;
  }

  holds(ip: string): boolean {
    return this.host.hasAddress(ip);
  }

  private current(): EngineProcess {
    if (!this.process?.alive) throw new Error(`${this.name}: the engine is not running`);
    return this.process;
  }

  private exit(process: EngineProcess): void {
    if (!process.alive) return;
    process.alive = false;
    process.clock.kill();
    process.ports.kill();
  }
}
