// The director's operations of ipvs-route-specs.ts: its view, one virtual server, and the
// drain of a real server through Actions (the supervisor owns the intent and decides; the
// view here may be a moment old, so it never refuses a drain on its own).
import type { Context } from "hono";
import { clientAddress } from "./client-address.ts";
import { jsonError } from "./errors.ts";
import type { Handler } from "./handlers.ts";
import type { ApiPorts } from "./ports.ts";

function noDirector(c: Context): Response {
  return jsonError(c, 404, "no virtual_server is configured", "the IPVS director runs only when keepalived.conf has virtual_server blocks");
}

function drain(ports: ApiPorts, on: boolean): Handler {
  return async (c) => {
    const virtualServer = c.req.param("id") ?? "";
    const realServer = c.req.param("rs") ?? "";
    const result = await ports.actions.setDrain(virtualServer, realServer, on, { address: clientAddress(c) });
    if (!result.ok) return jsonError(c, result.status, result.error);
    return c.json({ ok: true, virtualServer, realServer, drained: on, detail: result.detail });
  };
}

export function createIpvsHandlers(ports: ApiPorts): Record<string, Handler> {
  return {
    ipvsState: (c) => {
      const view = ports.status.ipvs();
      return view ? c.json(view) : noDirector(c);
    },
    ipvsVirtualServer: (c) => {
      const id = c.req.param("id") ?? "";
      const view = ports.status.ipvs();
      if (!view) return noDirector(c);
      const found = view.virtualServers.find((v) => v.id === id);
      if (found) return c.json(found);
      return jsonError(c, 404, `no virtual server ${id.slice(0, 128)}`, "GET /ipvs/state lists them; URL-encode the id, e.g. TCP%2010.0.0.1%3A80");
    },
    drainRealServer: drain(ports, true),
    undrainRealServer: drain(ports, false),
  };
}
