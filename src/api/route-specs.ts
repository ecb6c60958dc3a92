// Every route the API serves, described once: the app registers its handlers from this
// table, the OpenAPI document is generated from it, and 405 answers read it.
import { API_EVENT_KINDS } from "./event-kinds.ts";
import { IPVS_ROUTE_SPECS } from "./ipvs-route-specs.ts";
import { authErrors, error, limitErrors, ok, readAuthErrors, type ParameterSpec, type ResponseSpec, type RouteSpec } from "./route-spec-parts.ts";
import { ref } from "./schemas.ts";

export type { Method, ParameterSpec, ResponseSpec, RouteSpec } from "./route-spec-parts.ts";

const instanceName: ParameterSpec = { name: "name", in: "path", required: true, description: "vrrp_instance name", schema: { type: "string" } };
const timeParam = (name: string, description: string): ParameterSpec => ({
  name,
  in: "query",
  description: `${description}: epoch milliseconds or ISO-8601 with a zone (2026-11-26T05:00:00Z)`,
  schema: { type: "string" },
});
const kindParam: ParameterSpec = {
  name: "kind",
  in: "query",
  description: "Event kinds to include; repeat the parameter or give a comma list",
  schema: { type: "array", items: { type: "string", enum: API_EVENT_KINDS } },
  explode: true,
};
const instanceFilter: ParameterSpec = {
  name: "instance",
  in: "query",
  description: "Only events about this instance or sync group",
  schema: { type: "string" },
};

export const ROUTE_SPECS: readonly RouteSpec[] = [
  {
    method: "get",
    path: "/",
    public: true,
    operationId: "statusPage",
    summary: "Live status page",
    tags: ["page"],
    responses: { "200": { description: "HTML page", content: { "text/html": { type: "string" } } } },
  },
  {
    method: "get",
    path: "/openapi.json",
    operationId: "openapi",
    summary: "This OpenAPI 3.1 document",
    tags: ["meta"],
    responses: { "200": ok("OpenAPI document", { type: "object" }) },
  },
  {
    method: "get",
    path: "/healthz",
    public: true,
    operationId: "health",
    summary: "Liveness, and whether the event history is being written",
    tags: ["meta"],
    responses: { "200": ok("The daemon answers", ref("Health")) },
  },
  {
    method: "get",
    path: "/metrics",
    operationId: "metrics",
    summary: "Prometheus metrics (keepalived-exporter names plus tandem_*)",
    tags: ["meta"],
    responses: { "200": { description: "Prometheus text format 0.0.4", content: { "text/plain": { type: "string" } } } },
  },
  {
    method: "get",
    path: "/vrrp/state",
    operationId: "vrrpState",
    summary: "Every VRRP instance and sync group, and the daemon",
    tags: ["vrrp"],
    responses: { "200": ok("State now", ref("VrrpStateResponse")) },
  },
  {
    method: "get",
    path: "/vrrp/instances/{name}",
    operationId: "vrrpInstance",
    summary: "One VRRP instance",
    tags: ["vrrp"],
    parameters: [instanceName],
    responses: { "200": ok("The instance", ref("InstanceView")), "404": error("No such instance") },
  },
  {
    method: "post",
    path: "/vrrp/instances/{name}/maintenance",
    operationId: "enterMaintenance",
    summary: "Maintenance: priority forced to 1 so the peer takes over; persisted across restarts and recorded in the history",
    tags: ["actions"],
    secured: true,
    parameters: [instanceName],
    responses: {
      "200": ok("In maintenance", ref("MaintenanceResponse")),
      ...authErrors,
      "404": error("No such instance"),
      "409": error("Refused in the present state"),
    },
  },
  {
    method: "delete",
    path: "/vrrp/instances/{name}/maintenance",
    operationId: "leaveMaintenance",
    summary: "Leave maintenance: the configured priority is restored",
    tags: ["actions"],
    secured: true,
    parameters: [instanceName],
    responses: {
      "200": ok("Out of maintenance", ref("MaintenanceResponse")),
      ...authErrors,
      "404": error("No such instance"),
      "409": error("Refused in the present state"),
    },
  },
  ...IPVS_ROUTE_SPECS,
  {
    method: "get",
    path: "/events",
    operationId: "events",
    summary: "The event history, newest first unless order=asc; page with nextCursor",
    tags: ["events"],
    parameters: [
      timeParam("sinceMs", "Events at or after this time"),
      timeParam("untilMs", "Events at or before this time"),
      timeParam("since", "Alias of sinceMs"),
      timeParam("until", "Alias of untilMs"),
      kindParam,
      instanceFilter,
      { name: "limit", in: "query", description: "Events per page (default 100)", schema: { type: "integer", minimum: 1, maximum: 1000 } },
      { name: "cursor", in: "query", description: "nextCursor of the previous page", schema: { type: "string" } },
      { name: "order", in: "query", description: "desc (newest first, default) or asc", schema: { enum: ["desc", "asc"] } },
    ],
    responses: { "200": ok("A page of events", ref("EventPage")), "400": error("A bad parameter (named in the error), or a bad cursor") },
  },
  {
    method: "get",
    path: "/events/stream",
    operationId: "eventStream",
    summary: "Live events as server-sent events (id: <id>, event: <kind>, data: <TandemEvent JSON>); a comment heartbeat every 15 s",
    tags: ["events"],
    parameters: [
      kindParam,
      instanceFilter,
      {
        name: "Last-Event-ID",
        in: "header",
        description: "Replay the events after this id first (EventSource sends it on reconnect)",
        schema: { type: "string" },
      },
      { name: "lastEventId", in: "query", description: "The same, for clients that cannot set headers", schema: { type: "integer", minimum: 0 } },
    ],
    responses: {
      "200": { description: "An event stream; each data line is a TandemEvent", content: { "text/event-stream": ref("TandemEvent") } },
      "400": error("A bad parameter"),
    },
  },
  {
    method: "get",
    path: "/config",
    operationId: "config",
    summary: "The effective configuration, secrets masked",
    tags: ["config"],
    responses: { "200": ok("Effective configuration", ref("EffectiveConfig")) },
  },
  {
    method: "post",
    path: "/config/validate",
    operationId: "validateConfig",
    summary: "Validate a keepalived.conf (include files cannot be followed from a body); it runs in a child process with a time and a memory limit",
    tags: ["config"],
    secured: true,
    requestBody: {
      required: true,
      description: "The keepalived.conf text (any text type), or JSON {config}",
      content: { "text/plain": { type: "string" }, "application/json": ref("ValidateConfigJsonRequest") },
    },
    responses: {
      "200": ok("Diagnostics; ok is false when the file has errors or a limit stopped the validation (then `limit` says which)", ref("ValidateConfigResponse")),
      "400": error("Empty body, bad JSON, or not UTF-8"),
      ...authErrors,
      "408": error("The body did not arrive within the deadline"),
      "413": error("Body over the size limit"),
      "415": error("A body type other than text or JSON"),
    },
  },
];

/** Every route's responses, with the refusals any route may give (auth where it applies, limits). */
export function responsesOf(route: RouteSpec): Record<string, ResponseSpec> {
  return { ...(route.public ? {} : route.secured ? authErrors : readAuthErrors), ...limitErrors, ...route.responses };
}

/** /vrrp/instances/{name} -> /vrrp/instances/:name, Hono's syntax. */
export function honoPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ":$1");
}

/** The methods served at the path a request names (for 405 and its Allow header). */
export function methodsFor(requestPath: string): string[] {
  const methods = ROUTE_SPECS.filter((route) => pathPattern(route.path).test(requestPath)).map((route) => route.method.toUpperCase());
  if (methods.includes("GET")) methods.push("HEAD");
  return methods;
}

function pathPattern(template: string): RegExp {
  const escaped = template.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join("[^/]+")}$`);
}
