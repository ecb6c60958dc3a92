// JSON Schemas of every request and response body, mirroring api/ports.ts; they become
// the OpenAPI document's components and the unit tests validate real responses with them.
import { EVENT_SCHEMAS, object, type JsonSchema } from "./event-schemas.ts";
import { IPVS_SCHEMAS } from "./ipvs-schemas.ts";

export type { JsonSchema } from "./event-schemas.ts";

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const str: JsonSchema = { type: "string" };
const int: JsonSchema = { type: "integer" };
const num: JsonSchema = { type: "number" };
const bool: JsonSchema = { type: "boolean" };
const strings: JsonSchema = { type: "array", items: str };

const TrackerView = object({
  kind: { enum: ["script", "file", "interface", "maintenance", "receive"] },
  name: str,
  healthy: bool,
  contribution: { type: "integer", description: "What it adds to the priority now (negative lowers it)" },
  fault: { type: "boolean", description: "The instance is in FAULT because of it" },
  detail: str,
});

const InstanceView = object(
  {
    name: str,
    vrid: { type: "integer", minimum: 1, maximum: 255 },
    interface: str,
    version: { enum: [2, 3] },
    state: ref("VrrpState"),
    basePriority: { type: "integer", minimum: 0, maximum: 255 },
    effectivePriority: { type: "integer", minimum: 0, maximum: 255 },
    vips: { ...strings, description: 'virtual_ipaddress as configured, e.g. "10.0.0.1/24" (the addresses carried in adverts)' },
    excludedVips: { ...strings, description: "virtual_ipaddress_excluded, formatted as vips (installed while master, not advertised)" },
    advertIntervalMs: num,
    sourceAddress: { type: "string", description: "Our advert source address" },
    master: object({ address: str, priority: int, lastSeenAtMs: num }, [], "The master we hear while BACKUP (or the last one heard)"),
    trackers: { type: "array", items: ref("TrackerView") },
    syncGroup: str,
    stateSinceMs: { type: "number", description: "Wall-clock ms of the last state change" },
    maintenance: bool,
    held: object(
      {
        untilMs: { type: "number", description: "Wall-clock ms: not master before then (while the director is awaited, director_ready_timeout's bound)" },
        by: { type: "array", items: { enum: ["vrrp_startup_delay", "director"] }, description: "What holds it" },
      },
      [],
      "Held in BACKUP at start (vrrp_startup_delay, or until the director has programmed IPVS); absent when not held",
    ),
    lastTakeoverMs: { type: "number", description: "Last takeover: last advert heard from the old master -> our VIPs installed" },
    counters: { type: "object", additionalProperties: { type: "integer", minimum: 0 }, description: "RFC 6527 / RFC 2787 counters by name" },
  },
  ["master", "syncGroup", "held", "lastTakeoverMs"],
);

const HistoryHealth = object(
  {
    state: { enum: ["ok", "degraded"] },
    path: str,
    reason: { type: "string", description: "Why it is degraded" },
    sinceMs: num,
    droppedEvents: { type: "integer", minimum: 0, description: "Events that could not be stored in the present degraded period" },
    notice: { type: "string", description: "Something to know although the history works, e.g. a corrupt file moved aside" },
  },
  ["reason", "sinceMs", "notice"],
);

const DaemonView = object(
  {
    version: str,
    pid: int,
    startedAtMs: num,
    configFile: str,
    routerId: str,
    history: ref("HistoryHealth"),
    lastSplitBrain: object({ instance: str, peer: str, atMs: num }, [], "Last split brain seen (another master for one of our VRIDs)"),
  },
  ["routerId", "lastSplitBrain"],
);

export const SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  VrrpState: { type: "string", enum: ["INIT", "BACKUP", "MASTER", "FAULT", "STOP"] },
  TrackerView,
  InstanceView,
  GroupView: object({ name: str, state: ref("VrrpState"), members: strings }),
  HistoryHealth,
  DaemonView,
  VrrpStateResponse: object({
    daemon: ref("DaemonView"),
    instances: { type: "array", items: ref("InstanceView") },
    groups: { type: "array", items: ref("GroupView") },
    ipvsDirector: { type: "boolean", description: "A virtual_server is configured: GET /ipvs/state shows the director" },
  }),
  ...EVENT_SCHEMAS,
  ...IPVS_SCHEMAS,
  Health: object({ status: { const: "ok" }, history: { enum: ["ok", "degraded"] } }),
  EffectiveConfig: { type: "object", description: "The running keepalived.conf as JSON, secrets (auth_pass) masked" },
  ValidateConfigJsonRequest: object({ config: { type: "string", description: "keepalived.conf text" } }),
  ValidateConfigResponse: object({ ok: bool, diagnostics: { ...strings, description: '"file:line:col: error: ..." lines' } }),
  MaintenanceResponse: object({ ok: { const: true }, instance: str, maintenance: bool, detail: str }),
  Error: object({ error: { type: "string", description: "What was wrong" }, detail: { type: "string", description: "Where, and what to do" } }, ["detail"]),
};
