// What the REST API and the status page may see and do: narrow read and act interfaces
// that the daemon implements and tests fake. The API never reaches into the runtime.
import type { Clock } from "../common/clock.ts";
import type { EventFilter, EventQueryResult, HistoryHealth, NewEvent, TandemEvent, VrrpStateName } from "../store/event.ts";

export interface TrackerView {
  kind: "script" | "file" | "interface" | "maintenance" | "receive";
  name: string;
  healthy: boolean;
  /** What it adds to the priority now (negative lowers it). */
  contribution: number;
  /** The instance is in FAULT because of it. */
  fault: boolean;
  detail: string;
}

export interface InstanceView {
  name: string;
  vrid: number;
  interface: string;
  version: 2 | 3;
  state: VrrpStateName;
  basePriority: number;
  effectivePriority: number;
  /** virtual_ipaddress as configured, e.g. "10.0.0.1/24" (the addresses carried in adverts). */
  vips: string[];
  /** virtual_ipaddress_excluded, formatted as vips (installed while master, not advertised). */
  excludedVips: string[];
  advertIntervalMs: number;
  /** Our advert source address. */
  sourceAddress: string;
  /** The master we hear while BACKUP (or the last one heard). */
  master?: { address: string; priority: number; lastSeenAtMs: number };
  trackers: TrackerView[];
  syncGroup?: string;
  /** Wall-clock ms of the last state change. */
  stateSinceMs: number;
  maintenance: boolean;
  /**
   * Held in BACKUP at start, as keepalived holds its instances during vrrp_startup_delay (the
   * state is BACKUP or FAULT all along): by the delay and/or until the director has programmed
   * IPVS. Not master before untilMs (wall-clock ms; while the director is awaited, its bound).
   */
  held?: { untilMs: number; by: ("vrrp_startup_delay" | "director")[] };
  /** Last takeover: last advert heard from the old master -> our VIPs installed. */
  lastTakeoverMs?: number;
  /** RFC 6527 / RFC 2787 counters by vrrp/counters.ts CounterName. */
  counters: Record<string, number>;
}

export interface GroupView {
  name: string;
  state: VrrpStateName;
  members: string[];
}

/** One VRRP socket (interface, source address): what it dropped that no instance counts. */
export interface SocketView {
  interface: string;
  sourceAddress: string;
  /** false while a receive loop that died waits to be reopened (its instances are in FAULT). */
  receiving: boolean;
  /** VRRP packets for VRIDs no instance here runs. */
  foreignPackets: number;
  /** Packets whose IPv4 header could not be read. */
  malformedPackets: number;
  receiveFailures: number;
  reopens: number;
}

export interface DaemonView {
  version: string;
  pid: number;
  startedAtMs: number;
  configFile: string;
  routerId?: string;
  history: HistoryHealth;
  /** Last split brain seen (another master for one of our VRIDs while we were master). */
  lastSplitBrain?: { instance: string; peer: string; atMs: number };
}

/** One real server of a virtual server, as the director wants it and as the kernel has it. */
export interface RealServerIpvsView {
  /** "10.0.1.2:80", unique within its virtual server and stable across reloads. */
  id: string;
  address: string;
  port: number;
  /** lb_kind as configured: NAT, DR or TUN. */
  forward: "NAT" | "DR" | "TUN";
  configuredWeight: number;
  /** What the director asks of the kernel; absent when it asks for the server to be out. */
  desiredWeight?: number;
  /** What the kernel has now (the last dump); absent when the kernel does not have it. */
  kernelWeight?: number;
  alive: boolean;
  /** Drained by the operator (intent), kept through reloads and restarts. */
  drained: boolean;
  /** Held at weight 0 until its connections end: since and until when (wall-clock ms). */
  draining?: { cause: "removed" | "operator"; sinceMs: number; deadlineMs: number };
  /**
   * tandem's slowstart: back from a failure, its weight ramps up (desiredWeight) to `weight`
   * (its full effective weight) between these wall-clock ms.
   */
  slowStart?: { sinceMs: number; untilMs: number; weight: number };
  /** Why the desired weight is what it is: "alive", "failed", "inhibited", "drained", "slow-start", "sorry-server-active". */
  reason: string;
  activeConnections: number;
  inactiveConnections: number;
  connectionsPerSecond: number;
  bytesInPerSecond: number;
  bytesOutPerSecond: number;
  /** The last change the director made to it, and why. */
  lastChange?: { atMs: number; cause: string; detail: string };
  /** Its health checkers (absent: none, so always alive, as in keepalived). */
  checkers?: RealServerCheckerView[];
}

export interface RealServerCheckerView {
  /** "HTTP_GET#0": the kind and its place among the real server's checkers of that kind. */
  id: string;
  kind: string;
  /** "up", "down", "not yet checked" (its initial state: up, or down with alpha), "not run" (see problem). */
  state: "up" | "down" | "not yet checked" | "not run";
  up: boolean;
  /** Failures counted towards retry. */
  retries: number;
  /** The check that last changed its state: passed or not, and what it saw ("status 503; expected 200-299"). */
  lastChange?: { ok: boolean; text: string; atMs: number; durationMs: number };
  /** Why it does not run. */
  problem?: string;
  /** misc_dynamic: the weight its script's exit status sets (status - 2), while up. */
  dynamicWeight?: number;
  /** FILE_CHECK: what its file's value adds to the weight (value times weight), while up. */
  weightDelta?: number;
  /** Its checks so far (refreshed every few seconds). */
  stats?: CheckerStatsView;
  /** ha_suspend: not checked while its virtual server's address is not on this box. */
  suspended?: boolean;
  /** SSL_GET: the server's certificate as the last handshake found it. */
  tls?: { verified: boolean; subject: string; issuer: string; notAfterMs: number; expiresSoon: boolean };
}

/** A checker's checks since it started: counters, flaps, the recent checks' latency and a duration histogram. */
export interface CheckerStatsView {
  checks: number;
  failures: number;
  /** Failures by the class of their reason ("refused", "timeout", "status", ...). */
  failuresByClass: Partial<Record<string, number>>;
  /** State changes after its first verdict. */
  flaps: number;
  /** Of the last 64 checks. */
  latencyMs?: { p50: number; p99: number; samples: number };
  /** Cumulative counts per bound of the duration histogram (0.001 s ... 10 s). */
  bucketCounts: number[];
  durationSumMs: number;
}

/** p50 / p99 / max of recent values, ms. */
export interface LatenessView {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

/** The one scheduler of the health checks (identical checks of one real server share a probe). */
export interface CheckSchedulerView {
  probes: number;
  running: number;
  /** At most this many checks at once (from the open-files limit); the rest wait their turn. */
  maxConcurrent: number;
  /** Checks past their due time waiting for a free slot, and how long the oldest has waited. */
  backlog: number;
  oldestWaitMs: number;
  /** Checks past their timeout that have not ended yet. */
  overdue: number;
  /** Since the checks started: checks started, and due times skipped. */
  started: number;
  skipped: number;
  /** How late the checks of the last minute started after their due time (p50 and p99 to within a histogram bucket). */
  startLatenessMs?: LatenessView;
  /** How late the checkers' event loop fires a timer (one every 500 ms), over the last minute. */
  loopLagMs?: LatenessView;
}

/** Virtual server id -> real server id -> checker id -> its stats. */
export type CheckStatsTableView = Record<string, Record<string, Record<string, CheckerStatsView>>>;

export interface VirtualServerIpvsView {
  /** "TCP 10.0.0.1:80", "FWM 7 IPv4", "group web TCP": the id the API's paths use (URL-encoded). */
  id: string;
  /** The kernel services it stands for ("TCP 10.0.0.1:80", one per group member). */
  services: string[];
  scheduler: string;
  /** "persistent", "ops", "sh-port", ... */
  flags: string[];
  persistenceTimeoutS: number;
  quorum: { up: boolean; quorum: number; hysteresis: number; liveWeight: number };
  sorryServer?: { address: string; port: number; active: boolean };
  realServers: RealServerIpvsView[];
}

/** A sysctl the configuration depends on (ipvs/preflight.ts): what it is, what it should be, and why. */
export interface SysctlView {
  /** As sysctl(8) names it: "net.ipv4.vs.expire_nodest_conn". */
  name: string;
  /** Absent when the kernel has no such setting. */
  value?: number;
  wanted: number;
  reason: string;
  ok: boolean;
}

/** The director's preflight: checked when it reaches the kernel and at every reload. */
export interface IpvsPreflightView {
  /** IPVS's version ("1.2.1") and connection hash table size (GET_INFO); absent if the kernel did not answer. */
  version?: string;
  connectionTableSize?: number;
  sysctls: SysctlView[];
  /** ipvs_set_sysctls: tandem sets the wrong ones (and says so in the history) instead of only warning. */
  setSysctls: boolean;
  /** Wall-clock ms of the check. */
  checkedAtMs: number;
}

/** The director: whether it can program the kernel, and what it programs. */
export interface IpvsView {
  /** false where the kernel has no IPVS (VRRP and checks run on); reason says why. */
  available: boolean;
  reason?: string;
  virtualServers: VirtualServerIpvsView[];
  /** Services in the kernel that tandem neither configured nor created: never touched. */
  foreignServices: string[];
  lastApply?: { atMs: number; cause: string; writes: number; failures: number; durationMs: number };
  driftRepairs: number;
  /**
   * The kernel's IPVS counters since boot over every service, tandem's or not
   * (/proc/net/ip_vs_stats, which node_exporter's node_ipvs_*_total read); absent when unknown.
   */
  totals?: { connections: number; incomingPackets: number; outgoingPackets: number; incomingBytes: number; outgoingBytes: number };
  /** The kernel facts the configuration depends on, as the director last checked them; absent before it reached the kernel. */
  preflight?: IpvsPreflightView;
  /** The health checks' scheduler: its load and how late it runs; absent without checks. */
  checkScheduler?: CheckSchedulerView;
  /** Wall-clock ms of the last kernel dump. */
  observedAtMs?: number;
}

/** Read side: state now. */
export interface StatusSource {
  daemon(): DaemonView;
  instances(): InstanceView[];
  groups(): GroupView[];
  sockets(): SocketView[];
  /** undefined when the configuration has no virtual_server (no director runs). */
  ipvs(): IpvsView | undefined;
  /** Takeover durations (ms) seen since start, for the histogram. */
  takeoverDurationsMs(): readonly number[];
}

/** Read side: history and the live feed. */
export interface EventSource {
  /** A page, or { ok: false, error: "bad-cursor" } for a cursor the history did not make. */
  query(filter: EventFilter): EventQueryResult;
  /** Every new event, as it is appended; returns the unsubscribe function. */
  subscribe(listener: (event: TandemEvent) => void): () => void;
}

/** How a validation ended; it runs apart from the daemon, under a time and a memory limit. */
export type ValidationAnswer =
  /** Diagnostics as "file:line:col: error: ..."; ok is false when one is an error. */
  | { kind: "done"; ok: boolean; diagnostics: string[]; durationMs: number }
  /** Stopped at a limit: the text is not one tandem would load. */
  | { kind: "limit"; limit: "time" | "memory" | "output"; detail: string; durationMs: number }
  /** As many validations are running as the box allows. */
  | { kind: "busy" }
  /** The validator could not run (it could not start, or died on its own). */
  | { kind: "failed"; detail: string };

/** The effective configuration, secrets (auth_pass, tokens) masked. */
export interface ConfigSource {
  effective(): unknown;
  /** Validate a keepalived.conf text, never on the daemon's own event loop. */
  validate(text: string): Promise<ValidationAnswer>;
}

export type ActionResult = { ok: true; detail: string } | { ok: false; status: 404 | 409 | 500 | 503; error: string };

/** Act side: every call is recorded in the history with its caller. */
export interface Actions {
  setMaintenance(instance: string, on: boolean, caller: { address: string }): Promise<ActionResult>;
  /** Drain (or un-drain) one real server of a virtual server: weight 0 until its connections end, then out; kept across reloads and restarts. */
  setDrain(virtualServer: string, realServer: string, on: boolean, caller: { address: string }): Promise<ActionResult>;
}

/** Recording an event (the API records its own actions through this). */
export interface EventSink {
  record(event: NewEvent): void;
}

export interface ApiPorts {
  status: StatusSource;
  events: EventSource;
  config: ConfigSource;
  actions: Actions;
  /** Where the API records what it refused (api.refused events, rate limited). */
  history: EventSink;
  /** Bearer token for actions; undefined when no api_token_file is configured (actions then answer 401). */
  token(): string | undefined;
  /** api_reads_need_token: every read but /healthz and the page shell needs the token too. */
  readsNeedToken(): boolean;
  /** Wall time for responses; nowMs/at arm the event stream's heartbeats. */
  clock: Pick<Clock, "wallMs" | "nowMs" | "at">;
}
