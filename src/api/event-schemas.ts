// JSON Schemas (2020-12, as OpenAPI 3.1 uses) of the event history's records, one variant
// per kind with its typed data, mirroring store/event.ts's EventDataByKind (the director's
// ipvs.* kinds from store/ipvs-event-data.ts included).
import type { EventKind, IpvsEventDataByKind } from "../store/event.ts";

export type JsonSchema = Record<string, unknown>;

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const str: JsonSchema = { type: "string" };
const int: JsonSchema = { type: "integer" };
const num: JsonSchema = { type: "number" };
const bool: JsonSchema = { type: "boolean" };

/** An object whose listed properties are all required unless named in `optional`. */
export function object(properties: Record<string, JsonSchema>, optional: readonly string[] = [], description?: string): JsonSchema {
  return {
    type: "object",
    ...(description ? { description } : {}),
    properties,
    required: Object.keys(properties).filter((name) => !optional.includes(name)),
    additionalProperties: false,
  };
}

const strings: JsonSchema = { type: "array", items: str };
const virtualServer: JsonSchema = { type: "string", description: 'The virtual server\'s id, as GET /ipvs/state names it ("TCP 10.0.0.1:80")' };
const realServer: JsonSchema = { type: "string", description: 'The real server\'s id within its virtual server ("10.0.1.2:80")' };

/** store/ipvs-event-data.ts's kinds. */
const IPVS_EVENT_DATA: Readonly<Record<keyof IpvsEventDataByKind, JsonSchema>> = {
  "ipvs.real-server": object(
    {
      virtualServer,
      realServer,
      change: { enum: ["added", "removed", "re-weighted"] },
      cause: { enum: ["check", "reload", "drain", "quorum", "start", "stop"] },
      fromWeight: int,
      toWeight: int,
      detail: str,
    },
    ["fromWeight", "toWeight"],
  ),
  "ipvs.checker": object({
    virtualServer,
    realServer,
    checker: { type: "string", description: '"HTTP_GET#0": its kind and its place among the real server\'s checkers of that kind' },
    state: { enum: ["up", "down"] },
    first: { type: "boolean", description: "Its first verdict since it started" },
    reason: { type: "string", description: 'What the deciding check saw ("status 503; expected 200-299", "connection refused")' },
    durationMs: { type: "number", minimum: 0 },
    retries: { type: "integer", minimum: 0, description: "Failures counted before this verdict" },
  }),
  "ipvs.quorum": object({ virtualServer, state: { enum: ["lost", "regained"] }, liveWeight: int, quorum: int, hysteresis: int }),
  "ipvs.sorry-server": object({ virtualServer, state: { enum: ["in", "out"] }, sorryServer: { type: "string", description: '"address:port"' } }),
  "ipvs.drain": object(
    {
      virtualServer,
      realServer,
      state: { enum: ["started", "finished", "cancelled"] },
      cause: { enum: ["operator", "removed"] },
      deadlineMs: { type: "number", description: "started: when it is removed at the latest (wall-clock ms)" },
      how: { enum: ["connections-zero", "timeout", "immediate", "gone"], description: "finished: how" },
      why: { enum: ["undrained", "back-in-config", "not-desired"], description: "cancelled: why" },
      connections: { type: "integer", minimum: 0, description: "Active + inactive connections when it ended" },
    },
    ["deadlineMs", "how", "why", "connections"],
  ),
  "ipvs.drift-repaired": object({
    ops: { type: "integer", minimum: 0, description: "Writes the repair took" },
    what: { ...strings, maxItems: 20, description: "What was repaired (at most 20; ops counts them all)" },
  }),
  "ipvs.apply": object(
    {
      cause: str,
      writes: int,
      failures: int,
      durationMs: { ...num, description: "The writes, sent and acknowledged" },
      readMs: { ...num, description: "Before them, the pass's reads of the kernel's table" },
      planMs: { ...num, description: "Before them, the pass's planning: quorum, desired table, drains and the compare" },
      errors: { ...strings, maxItems: 20 },
    },
    ["errors", "readMs", "planMs"],
  ),
  "ipvs.sync-daemon": object({ state: { enum: ["master", "backup", "stopped"] }, interface: str, syncId: int, ok: bool, detail: str }),
  "ipvs.director": object({ available: bool, reason: str }, ["reason"]),
  "ipvs.sysctl": object({
    changes: { type: "array", items: object({ name: str, from: int, to: int }) },
    failures: { type: "array", items: object({ name: str, reason: str }) },
  }),
};

const peer = object({ address: str, priority: int });
const trackerRef = object({ kind: { enum: ["script", "file", "interface"] }, name: str });

const EVENT_DATA: Readonly<Record<EventKind, JsonSchema>> = {
  "daemon.start": object({ version: str, configFile: str, pid: int }),
  "daemon.stop": object({ reason: str }),
  "vrrp.transition": object(
    {
      from: ref("VrrpState"),
      to: ref("VrrpState"),
      cause: str,
      detail: str,
      peer,
      priority: object({ base: int, effective: int }),
      advertsMissed: int,
      takeoverMs: num,
    },
    ["peer", "advertsMissed", "takeoverMs"],
  ),
  "vrrp.priority": object({ from: int, to: int, reason: str }),
  "vrrp.split-brain": object({ peer, ourPriority: int }),
  "group.transition": object({ from: ref("VrrpState"), to: ref("VrrpState"), members: { type: "array", items: str } }),
  "vrrp.hold": object(
    {
      held: { type: "boolean", description: "true when the instances are held in BACKUP at start, false when they are released" },
      by: { type: "array", items: { enum: ["vrrp_startup_delay", "director"] }, description: "What holds (or held) them" },
      cause: {
        enum: ["director-ready", "ipvs-unavailable", "director-timeout", "director-stopped", "startup-delay-over"],
        description: "Why they were released then",
      },
      heldMs: num,
      startupDelayMs: num,
      directorTimeoutMs: { type: "number", description: "director_ready_timeout, when the director was waited for" },
      directorMs: { type: "number", description: "When the director's gate opened, after the start" },
    },
    ["cause", "heldMs", "startupDelayMs", "directorTimeoutMs", "directorMs"],
  ),
  "tracker.change": object(
    { tracker: trackerRef, healthy: bool, detail: str, exitCode: { type: ["integer", "null"] }, output: { type: "string", maxLength: 4096 } },
    ["exitCode", "output"],
  ),
  "notify.run": object(
    {
      role: { type: "string", description: "notify_master, notify, ... (VRRP); notify_up, notify_down, quorum_up, quorum_down (the director)" },
      state: str,
      argv: { type: "array", items: str },
      exitCode: { type: ["integer", "null"] },
      signal: { type: ["string", "null"] },
      timedOut: bool,
      durationMs: num,
      output: str,
      realServer: { type: "string", description: "notify_up / notify_down: the real server; the event's instance is its virtual server" },
    },
    ["realServer"],
  ),
  "config.reload": object({ ok: bool, file: str, diagnostics: { type: "array", items: str } }),
  "api.action": object({ action: str, caller: object({ address: str }), target: str, ok: bool, detail: str }, ["target", "detail"]),
  "api.refused": object(
    {
      client: { type: "string", description: "The caller's address; * sums other clients" },
      reason: { type: "string", description: "Which limit or check refused it (tandem_api_refused_total's reason label)" },
      status: int,
      count: { type: "integer", minimum: 1, description: "Refusals this event stands for" },
      method: str,
      path: str,
    },
    ["method", "path"],
  ),
  "process.exit": object(
    {
      role: { type: "string", description: "vrrp (the engine) or observer (API, history)" },
      pid: int,
      exitCode: { type: ["integer", "null"] },
      signal: { type: ["string", "null"] },
      killedFor: { type: "string", description: "Why the supervisor killed it (hung, over its memory limit)" },
      restartInMs: { type: "number", description: "When it is started again" },
    },
    ["killedFor", "restartInMs"],
  ),
  "history.degraded": object({ reason: str }),
  "history.recovered": object({ droppedEvents: int }),
  ...IPVS_EVENT_DATA,
};

function eventVariant(kind: EventKind, data: JsonSchema): JsonSchema {
  return object(
    {
      id: { type: "integer", minimum: 0, description: "Strictly increasing; orders events and is the SSE id" },
      kind: { const: kind },
      atMs: { type: "integer", description: "Wall-clock milliseconds since the epoch" },
      instance: {
        type: "string",
        description: "The VRRP instance or sync group it concerns; for ipvs.* the virtual server's id (ipvs.sync-daemon: the VRRP instance it follows)",
      },
      summary: { type: "string", description: "One line a person reads in a timeline" },
      data,
    },
    ["instance"],
    `A ${kind} event`,
  );
}

export const EVENT_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  TandemEvent: {
    description: "A stored event; `kind` says which `data` it carries",
    oneOf: (Object.entries(EVENT_DATA) as [EventKind, JsonSchema][]).map(([kind, data]) => eventVariant(kind, data)),
  },
  EventPage: object(
    {
      events: { type: "array", items: ref("TandemEvent") },
      nextCursor: { type: "string", description: "Present when more events may match: pass it as ?cursor= to continue" },
      partial: {
        const: true,
        description: "The page holds fewer events than asked because the query's work bound was reached; nextCursor continues the search",
      },
    },
    ["nextCursor", "partial"],
  ),
  EventKind: { type: "string", enum: Object.keys(EVENT_DATA) },
};
