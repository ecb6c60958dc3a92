// JSON Schemas of the director's view (api/ports.ts IpvsView and its parts) and of the drain
// answer: components of the OpenAPI document, and what the unit tests validate responses by.
import { object, type JsonSchema } from "./event-schemas.ts";

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const str: JsonSchema = { type: "string" };
const int: JsonSchema = { type: "integer" };
const count: JsonSchema = { type: "integer", minimum: 0 };
const rate: JsonSchema = { type: "number", minimum: 0 };
const bool: JsonSchema = { type: "boolean" };
const strings: JsonSchema = { type: "array", items: str };

const lateness = (description: string): JsonSchema => object({ p50: rate, p99: rate, max: rate, samples: count }, [], description);

const CheckSchedulerView = object(
  {
    probes: { type: "integer", minimum: 0, description: "Probes scheduled: identical checks of one real server under several virtual servers share one" },
    running: count,
    maxConcurrent: { type: "integer", minimum: 1, description: "At most this many checks at once (from the open-files limit); the rest wait their turn" },
    backlog: { type: "integer", minimum: 0, description: "Checks past their due time waiting for a free slot" },
    oldestWaitMs: { type: "number", minimum: 0, description: "How long the oldest of those has been due" },
    overdue: { type: "integer", minimum: 0, description: "Checks past their timeout that have not ended yet" },
    started: { type: "integer", minimum: 0, description: "Checks started since the checks started" },
    skipped: count,
    startLatenessMs: lateness(
      "How late the checks of the last minute started after their due time, ms (p50 and p99 to within a histogram bucket: 0, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50 ms, ...)",
    ),
    loopLagMs: lateness("How late the checkers' event loop fires a timer (one every 500 ms), over the last minute, ms"),
  },
  ["startLatenessMs", "loopLagMs"],
  "The health checks' one scheduler: its load and how late it runs",
);

const RealServerIpvsView = object(
  {
    id: { type: "string", description: '"10.0.1.2:80": unique within its virtual server, stable across reloads (URL-encode it in paths)' },
    address: str,
    port: { type: "integer", minimum: 0, maximum: 65535 },
    forward: { enum: ["NAT", "DR", "TUN"], description: "lb_kind as configured" },
    configuredWeight: int,
    desiredWeight: { type: "integer", description: "What the director asks of the kernel; absent when it asks for the server to be out" },
    kernelWeight: { type: "integer", description: "What the kernel has now (the last dump); absent when the kernel does not have it" },
    alive: bool,
    drained: { type: "boolean", description: "Drained by the operator; kept through reloads and restarts" },
    draining: object(
      { cause: { enum: ["removed", "operator"] }, sinceMs: { type: "number" }, deadlineMs: { type: "number" } },
      [],
      "Held at weight 0 until its connections end, or until deadlineMs (wall-clock ms)",
    ),
    slowStart: object(
      { sinceMs: { type: "number" }, untilMs: { type: "number" }, weight: { type: "integer", minimum: 0 } },
      [],
      "slowstart (tandem's): back from a failure, its desiredWeight ramps up to weight (its full effective weight) between sinceMs and untilMs (wall-clock ms)",
    ),
    reason: {
      type: "string",
      description:
        'Why the desired weight is what it is: "alive", "failed", "inhibited", "drained", "slow-start" (alive, its weight ramping up), "sorry-server-active"; "not yet evaluated" before the director has worked it out',
    },
    activeConnections: count,
    inactiveConnections: count,
    connectionsPerSecond: rate,
    bytesInPerSecond: rate,
    bytesOutPerSecond: rate,
    lastChange: object({ atMs: { type: "number" }, cause: str, detail: str }, [], "The last change the director made to it, and why"),
    checkers: { type: "array", items: ref("RealServerCheckerView"), description: "Its health checkers; absent: none (always alive, as in keepalived)" },
  },
  ["desiredWeight", "kernelWeight", "draining", "slowStart", "lastChange", "checkers"],
);

const RealServerCheckerView = object(
  {
    id: { type: "string", description: '"HTTP_GET#0": the kind and its place among the real server\'s checkers of that kind' },
    kind: str,
    state: {
      enum: ["up", "down", "not yet checked", "not run"],
      description: '"not yet checked": its initial state (up, or down with alpha); "not run": see problem',
    },
    up: bool,
    retries: { ...count, description: "Failures counted towards retry" },
    lastChange: object(
      { ok: bool, text: str, atMs: { type: "number" }, durationMs: { type: "number", minimum: 0 } },
      [],
      'The check that last changed its state, and what it saw ("connection refused", "status 503; expected 200-299")',
    ),
    problem: { type: "string", description: "Why it does not run" },
    dynamicWeight: { ...count, description: "misc_dynamic: the weight its script's exit status sets (status - 2), while up" },
    weightDelta: { type: "integer", description: "FILE_CHECK: what its file's value adds to the weight (value times weight), while up" },
    stats: object(
      {
        checks: count,
        failures: count,
        failuresByClass: {
          type: "object",
          additionalProperties: count,
          description:
            'Failures by the class of their reason: "refused", "timeout", "reset", "unreachable", "closed", "status", "content", "tls", "script", "other"',
        },
        flaps: { ...count, description: "State changes after its first verdict" },
        latencyMs: object({ p50: { type: "number", minimum: 0 }, p99: { type: "number", minimum: 0 }, samples: count }, [], "Of the last 64 checks"),
        bucketCounts: {
          type: "array",
          items: count,
          description: "Cumulative counts per bound of the duration histogram (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 s)",
        },
        durationSumMs: { type: "number", minimum: 0 },
      },
      ["latencyMs"],
      "Its checks since it started (refreshed every few seconds)",
    ),
    suspended: { type: "boolean", description: "ha_suspend: not checked while its virtual server's address is not on this box" },
    tls: object(
      {
        verified: { type: "boolean", description: "tls_verify is on and the chain, the name and the validity period passed" },
        subject: str,
        issuer: str,
        notAfterMs: { type: "number", description: "The end of its validity period (wall clock ms)" },
        expiresSoon: { type: "boolean", description: "It expires within tls_expiry_warn days, or has expired" },
      },
      [],
      "SSL_GET: the server's certificate as the last handshake found it",
    ),
  },
  ["lastChange", "problem", "dynamicWeight", "weightDelta", "stats", "suspended", "tls"],
);

const VirtualServerIpvsView = object(
  {
    id: { type: "string", description: '"TCP 10.0.0.1:80", "FWM 7 IPv4", "group web TCP": the id in paths, URL-encoded (TCP%2010.0.0.1%3A80)' },
    services: { ...strings, description: 'The kernel services it stands for ("TCP 10.0.0.1:80", one per group member)' },
    scheduler: str,
    flags: { ...strings, description: '"persistent", "ops", "sh-port", ...' },
    persistenceTimeoutS: count,
    quorum: object({ up: bool, quorum: int, hysteresis: int, liveWeight: int }),
    sorryServer: object({ address: str, port: int, active: bool }),
    realServers: { type: "array", items: ref("RealServerIpvsView") },
  },
  ["sorryServer"],
);

const SysctlView = object(
  {
    name: { type: "string", description: 'As sysctl(8) names it: "net.ipv4.vs.expire_nodest_conn"' },
    value: { type: "integer", description: "What the kernel has; absent when it has no such setting" },
    wanted: int,
    reason: { type: "string", description: "Why the configuration wants that value" },
    ok: bool,
  },
  ["value"],
);

const IpvsPreflightView = object(
  {
    version: { type: "string", description: 'IPVS\'s version from GET_INFO ("1.2.1"); absent if the kernel did not answer' },
    connectionTableSize: { type: "integer", minimum: 0, description: "Size of the kernel's IPVS connection hash table (GET_INFO)" },
    sysctls: { type: "array", items: ref("SysctlView"), description: "The sysctls the configured virtual servers depend on" },
    setSysctls: { type: "boolean", description: "ipvs_set_sysctls: tandem sets the wrong ones instead of only warning" },
    checkedAtMs: { type: "number", description: "Wall-clock ms of the check (at the kernel's first contact and at every reload)" },
  },
  ["version", "connectionTableSize"],
  "The kernel facts the configuration depends on, as the director last checked them",
);

const IpvsView = object(
  {
    available: { type: "boolean", description: "false where the kernel has no IPVS (VRRP and the checks run on); reason says why" },
    reason: str,
    virtualServers: { type: "array", items: ref("VirtualServerIpvsView") },
    foreignServices: { ...strings, description: "Services in the kernel that tandem neither configured nor created: never touched" },
    lastApply: object({ atMs: { type: "number" }, cause: str, writes: count, failures: count, durationMs: rate }),
    driftRepairs: count,
    totals: object(
      { connections: count, incomingPackets: count, outgoingPackets: count, incomingBytes: count, outgoingBytes: count },
      [],
      "The kernel's IPVS counters since boot over every service (/proc/net/ip_vs_stats)",
    ),
    preflight: ref("IpvsPreflightView"),
    checkScheduler: ref("CheckSchedulerView"),
    observedAtMs: { type: "number", description: "Wall-clock ms of the last kernel dump" },
  },
  ["reason", "lastApply", "totals", "preflight", "checkScheduler", "observedAtMs"],
);

export const IPVS_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  RealServerIpvsView,
  RealServerCheckerView,
  VirtualServerIpvsView,
  SysctlView,
  IpvsPreflightView,
  CheckSchedulerView,
  IpvsView,
  DrainResponse: object({ ok: { const: true }, virtualServer: str, realServer: str, drained: bool, detail: str }),
};
