// The Hono app: routes from route-specs.ts bound to their handlers, and one error policy
// (caller mistakes are 4xx JSON; unknown routes 404, other methods 405, never a 500).
import { Hono, type Context } from "hono";
import { DEFAULT_MAX_BODY_BYTES } from "./body.ts";
import { ApiError, jsonError } from "./errors.ts";
import { createHandlers } from "./handlers.ts";
import type { ApiPorts } from "./ports.ts";
import { honoPath, methodsFor, ROUTE_SPECS } from "./route-specs.ts";

export interface ApiOptions {
  /** Largest accepted request body (POST /config/validate); default 1 MiB. */
  maxBodyBytes?: number;
}

function notFoundOrWrongMethod(c: Context): Response {
  const allowed = methodsFor(c.req.path);
  if (allowed.length > 0) {
    return jsonError(c, 405, `method ${c.req.method.slice(0, 16)} not allowed on ${c.req.path.slice(0, 256)}`, `allowed: ${allowed.join(", ")}`, { Allow: allowed.join(", ") });
  }
  return jsonError(c, 404, `no route ${c.req.path.slice(0, 256)}`, "GET /openapi.json lists every route");
}

export function createApiApp(ports: ApiPorts, options: ApiOptions = {}): Hono {
  const handlers = createHandlers(ports, { maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES });
  const app = new Hono();

  app.use(async (c, next) => {
    await next();
    c.res.headers.set("x-content-type-options", "nosniff");
    if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
  });

  for (const route of ROUTE_SPECS) {
    const handler = handlers[route.operationId];
    if (!handler) throw new Error(`route ${route.method.toUpperCase()} ${route.path}: no handler for operation ${route.operationId}`);
    app.on(route.method.toUpperCase(), honoPath(route.path), handler);
  }

  app.notFound(notFoundOrWrongMethod);
  app.onError((error, c) => {
    if (error instanceof ApiError) return jsonError(c, error.status, error.error, error.detail, error.headers);
    // A malformed URL (bad percent-encoding in a path parameter) is the caller's mistake too.
    if (error instanceof URIError) return jsonError(c, 400, "malformed URL", error.message);
    return jsonError(c, 500, "internal error", error.message);
  });
  return app;
}
