// What the health-check test measures in its guest, turned into what it asserts on: the
// kernel's table (read from /proc/net/ip_vs every 100 ms by checks-program.ts) as a sequence of
// real-server transitions (added, removed, weight changes, the sorry server in and out), each
// given to the injected fault whose phase it fell in and timed from that fault; and the
// client's requests through the VIP counted per phase, split at the table change that detected
// the fault. Pure: the guest records, the host (checks.test.ts) judges.

/** One table read: when it was read, when the read before it was (the change lies between), what it held. */
export interface TableSnapshot {
  atMs: number;
  previousAtMs: number;
  /** tableLines() of the read. */
  table: string[];
}

/** One fault injected into a real server, or its repair, at a wall-clock time in the guest. */
export interface Injection {
  step: string;
  atMs: number;
}

/** One client request through a VIP: [port, sent at, ended at, the answering server's name or "!" + the error]. */
export type ClientRequest = [number, number, number, string];

/** One implementation's run of the scenario, as checks-program.ts prints it. */
export interface ScenarioRun {
  implementation: string;
  /** The kernel's table just before the implementation started. */
  tableBeforeStart: string[];
  /** When the configured table was first complete. */
  readyAtMs: number;
  injections: Injection[];
  /** When the implementation was asked to stop (SIGTERM). */
  stopAtMs: number;
  /** Every read that differed from the one before, from before the start to after the stop. */
  snapshots: TableSnapshot[];
  /** The longest time between two reads: the resolution of every detection time. */
  maxReadGapMs: number;
  requests: ClientRequest[];
  /** When the client's first request was sent. */
  clientStartMs: number;
  /** ipvsadm -Sn at the first complete table and after the stop. */
  startSave: string[];
  endSave: string[];
  /** The implementation's log lines about checks and the table, for failure messages. */
  log: string[];
}

export interface Transition {
  atMs: number;
  previousAtMs: number;
  /** "TCP 10.10.0.100:80". */
  virtualServer: string;
  change: string;
}

/** "0A0A0064" -> "10.10.0.100". */
const ipv4OfHex = (hex: string): string => [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(".");
const endpointOfHex = (address: string, port: string): string => `${ipv4OfHex(address)}:${parseInt(port, 16)}`;

/**
 * The kernel's table from /proc/net/ip_vs (ip_vs_info_seq_show's layout), one line per service
 * ("TCP 10.10.0.100:80 rr") and per destination ("TCP 10.10.0.100:80 -> 10.20.0.11:80 Masq
 * weight 1"), sorted. IPv4 services only: the test configures no other kind.
 */
export function tableLines(procIpVs: string): string[] {
  const lines: string[] = [];
  let service: string | undefined;
  for (const line of procIpVs.split("\n")) {
    const serviceMatch = /^(TCP|UDP|SCTP)\s+([0-9A-F]{8}):([0-9A-F]{4})\s+(\S+)/.exec(line);
    if (serviceMatch) {
      service = `${serviceMatch[1]} ${endpointOfHex(serviceMatch[2]!, serviceMatch[3]!)}`;
      lines.push(`${service} ${serviceMatch[4]}`);
      continue;
    }
    const destinationMatch = /^\s+->\s+([0-9A-F]{8}):([0-9A-F]{4})\s+(\S+)\s+(\d+)/.exec(line);
    if (destinationMatch && service) {
      lines.push(`${service} -> ${endpointOfHex(destinationMatch[1]!, destinationMatch[2]!)} ${destinationMatch[3]} weight ${destinationMatch[4]}`);
    }
  }
  return lines.sort();
}

interface TableEntries {
  services: Map<string, string>;
  /** "VS -> RS" -> weight. */
  destinations: Map<string, number>;
}

function entriesOf(table: readonly string[]): TableEntries {
  const entries: TableEntries = { services: new Map(), destinations: new Map() };
  for (const line of table) {
    const destination = /^(\S+ \S+) -> (\S+) \S+ weight (\d+)$/.exec(line);
    if (destination) entries.destinations.set(`${destination[1]} -> ${destination[2]}`, Number(destination[3]));
    else {
      const [protocol, endpoint, scheduler] = line.split(" ");
      entries.services.set(`${protocol} ${endpoint}`, scheduler ?? "");
    }
  }
  return entries;
}

/**
 * What changed from one read to the next, by virtual server then text (two changes in one read
 * happened within one read interval: their order in it cannot be seen, so it is made canonical).
 * `sorryServers` ("10.20.0.14:8080") are named as such: they come in and go out.
 */
export function tableChanges(
  before: readonly string[],
  after: readonly string[],
  sorryServers: ReadonlySet<string>,
): { virtualServer: string; change: string }[] {
  const from = entriesOf(before);
  const to = entriesOf(after);
  const changes: { virtualServer: string; change: string }[] = [];
  for (const [service, scheduler] of to.services)
    if (!from.services.has(service)) changes.push({ virtualServer: service, change: `service added (${scheduler})` });
  for (const service of from.services.keys()) if (!to.services.has(service)) changes.push({ virtualServer: service, change: "service removed" });
  for (const [key, weight] of to.destinations) {
    const [virtualServer, realServer] = key.split(" -> ") as [string, string];
    const was = from.destinations.get(key);
    const name = sorryServers.has(realServer) ? `sorry server ${realServer}` : realServer;
    if (was === undefined)
      changes.push({ virtualServer, change: sorryServers.has(realServer) ? `${name} in at weight ${weight}` : `${name} added at weight ${weight}` });
    else if (was !== weight) changes.push({ virtualServer, change: `${name} weight ${was} -> ${weight}` });
  }
  for (const key of from.destinations.keys()) {
    if (to.destinations.has(key)) continue;
    const [virtualServer, realServer] = key.split(" -> ") as [string, string];
    changes.push({ virtualServer, change: sorryServers.has(realServer) ? `sorry server ${realServer} out` : `${realServer} removed` });
  }
  return changes.sort((a, b) => a.virtualServer.localeCompare(b.virtualServer) || a.change.localeCompare(b.change));
}

/** Every change between consecutive reads, in order, starting from an empty table. */
export function transitionsOf(snapshots: readonly TableSnapshot[], sorryServers: ReadonlySet<string>): Transition[] {
  const transitions: Transition[] = [];
  let before: readonly string[] = [];
  for (const snapshot of snapshots) {
    for (const change of tableChanges(before, snapshot.table, sorryServers))
      transitions.push({ atMs: snapshot.atMs, previousAtMs: snapshot.previousAtMs, ...change });
    before = snapshot.table;
  }
  return transitions;
}

export const START_PHASE = "start";
export const STOP_PHASE = "stop";

/** The phase a moment falls in: "start" before the first injection, "stop" from the stop on, else the last step injected. */
export function phaseAt(atMs: number, run: Pick<ScenarioRun, "injections" | "stopAtMs">): string {
  if (atMs >= run.stopAtMs) return STOP_PHASE;
  let phase = START_PHASE;
  for (const injection of run.injections) if (injection.atMs <= atMs) phase = injection.step;
  return phase;
}

/** phase -> virtual server -> its changes in order. */
export type PhaseSequences = Record<string, Record<string, string[]>>;

export function sequencesByPhase(run: ScenarioRun, sorryServers: ReadonlySet<string>): PhaseSequences {
  const sequences: PhaseSequences = {};
  for (const phase of [START_PHASE, ...run.injections.map((i) => i.step), STOP_PHASE]) sequences[phase] = {};
  for (const transition of transitionsOf(run.snapshots, sorryServers)) {
    const phase = (sequences[phaseAt(transition.atMs, run)] ??= {});
    (phase[transition.virtualServer] ??= []).push(transition.change);
  }
  return sequences;
}

export interface Detection {
  step: string;
  virtualServer: string;
  /** From the injection to the read that showed the phase's last change of this virtual server. */
  detectedAfterMs: number;
  /** How long before that read the read before it was: the change happened in this window. */
  resolutionMs: number;
  /** The absolute time of that read. */
  atMs: number;
}

/** When each step's table changes were seen, per virtual server that changed in its phase. */
export function detections(run: ScenarioRun, sorryServers: ReadonlySet<string>): Detection[] {
  const found = new Map<string, Detection>();
  for (const transition of transitionsOf(run.snapshots, sorryServers)) {
    const step = phaseAt(transition.atMs, run);
    const injection = run.injections.find((i) => i.step === step);
    if (!injection) continue;
    found.set(`${step}|${transition.virtualServer}`, {
      step,
      virtualServer: transition.virtualServer,
      detectedAfterMs: transition.atMs - injection.atMs,
      resolutionMs: transition.atMs - transition.previousAtMs,
      atMs: transition.atMs,
    });
  }
  return [...found.values()];
}

export interface PhaseTally {
  phase: string;
  virtualServer: string;
  requests: number;
  answers: Record<string, number>;
  /** The answers to requests sent after the detection (all of them in a phase that changed nothing for this virtual server). */
  answersAfterDetection: Record<string, number>;
  /** Failed requests sent before this phase's table change for the virtual server (in flight at the fault, or before its detection). */
  beforeDetection: number;
  /** From the injection, the first failed request's sending to the last one's end; undefined without any. */
  failureWindowMs: [number, number] | undefined;
  /** Failed requests sent after the detection (or anywhere in a phase that changed nothing for this virtual server). */
  afterDetection: { sentAfterInjectionMs: number; error: string }[];
}

/**
 * The client's requests per phase (the one each ended in) and virtual server
 * (`portToVirtualServer`), split at the detection by when each was sent: one sent before the
 * table changed may meet the fault (it was in flight, or the fault was not yet detected); one
 * sent after it must not.
 */
export function clientTallies(run: ScenarioRun, sorryServers: ReadonlySet<string>, portToVirtualServer: (port: number) => string): PhaseTally[] {
  const detected = detections(run, sorryServers);
  const tallies = new Map<string, PhaseTally>();
  for (const [port, sentMs, endMs, answer] of run.requests) {
    // A request counts where it ended: one in flight when a fault came met that fault.
    const phase = phaseAt(endMs, run);
    const virtualServer = portToVirtualServer(port);
    const key = `${phase}|${virtualServer}`;
    const tally = tallies.get(key) ?? {
      phase,
      virtualServer,
      requests: 0,
      answers: {},
      answersAfterDetection: {},
      beforeDetection: 0,
      failureWindowMs: undefined,
      afterDetection: [],
    };
    tallies.set(key, tally);
    tally.requests++;
    const phaseStartMs = run.injections.find((i) => i.step === phase)?.atMs ?? run.clientStartMs;
    const detection = detected.find((d) => d.step === phase && d.virtualServer === virtualServer);
    const beforeDetection = detection !== undefined && sentMs < detection.atMs;
    if (!answer.startsWith("!")) {
      tally.answers[answer] = (tally.answers[answer] ?? 0) + 1;
      if (!beforeDetection) tally.answersAfterDetection[answer] = (tally.answersAfterDetection[answer] ?? 0) + 1;
      continue;
    }
    if (beforeDetection) {
      tally.beforeDetection++;
      const window = tally.failureWindowMs ?? [sentMs - phaseStartMs, endMs - phaseStartMs];
      tally.failureWindowMs = [Math.min(window[0], sentMs - phaseStartMs), Math.max(window[1], endMs - phaseStartMs)];
    } else {
      tally.afterDetection.push({ sentAfterInjectionMs: sentMs - phaseStartMs, error: answer.slice(1) });
    }
  }
  return [...tallies.values()];
}
