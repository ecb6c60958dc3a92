// The director's routes in the route table: its state, one virtual server, and the drain of
// a real server (secured as maintenance is, answering as it does).
import { authErrors, error, ok, type ParameterSpec, type ResponseSpec, type RouteSpec } from "./route-spec-parts.ts";
import { ref } from "./schemas.ts";

const virtualServerId: ParameterSpec = {
  name: "id",
  in: "path",
  required: true,
  description: 'The virtual server\'s id as GET /ipvs/state gives it, URL-encoded: "TCP 10.0.0.1:80" is TCP%2010.0.0.1%3A80',
  schema: { type: "string" },
};
const realServerId: ParameterSpec = {
  name: "rs",
  in: "path",
  required: true,
  description: 'The real server\'s id within the virtual server, URL-encoded: "10.0.1.2:80" is 10.0.1.2%3A80',
  schema: { type: "string" },
};
const noDirector = "No virtual_server is configured (no director runs), or no such virtual server";

const drainResponses = (done: string): Record<string, ResponseSpec> => ({
  "200": ok(done, ref("DrainResponse")),
  ...authErrors,
  "404": error("No virtual_server is configured, or no such virtual server or real server"),
  "409": error("Refused in the present state"),
  "503": error("The director or the supervisor could not take the request now (or the API is at its limit, with Retry-After)"),
});

export const IPVS_ROUTE_SPECS: readonly RouteSpec[] = [
  {
    method: "get",
    path: "/ipvs/state",
    operationId: "ipvsState",
    summary:
      "The IPVS director: every virtual server with its real servers (desired weight beside the kernel's, health, drains, connections), and whether it can program the kernel",
    tags: ["ipvs"],
    responses: { "200": ok("The director's view", ref("IpvsView")), "404": error("No virtual_server is configured (no director runs)") },
  },
  {
    method: "get",
    path: "/ipvs/virtual-servers/{id}",
    operationId: "ipvsVirtualServer",
    summary: "One virtual server and its real servers",
    tags: ["ipvs"],
    parameters: [virtualServerId],
    responses: { "200": ok("The virtual server", ref("VirtualServerIpvsView")), "404": error(noDirector) },
  },
  {
    method: "post",
    path: "/ipvs/virtual-servers/{id}/real-servers/{rs}/drain",
    operationId: "drainRealServer",
    summary:
      "Drain a real server: weight 0 so new connections go elsewhere, removed once its connections end (or at the drain timeout); kept across reloads and restarts, recorded in the history",
    tags: ["actions"],
    secured: true,
    parameters: [virtualServerId, realServerId],
    responses: drainResponses("Draining"),
  },
  {
    method: "delete",
    path: "/ipvs/virtual-servers/{id}/real-servers/{rs}/drain",
    operationId: "undrainRealServer",
    summary: "Undrain a real server: it takes connections again at its configured (or checked) weight",
    tags: ["actions"],
    secured: true,
    parameters: [virtualServerId, realServerId],
    responses: drainResponses("Not drained"),
  },
];
