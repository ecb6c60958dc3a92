// The Hono app: routes from route-specs.ts bound to their handlers, in front of them the
// limits every request passes (URL length, requests in progress per address and in all,
// the token where a route needs it), and one error policy: caller mistakes are 4xx JSON,
// refusals are counted and traced in the history, unknown routes 404, other methods 405.
import { Hono, type Context, type Next } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AdmissionControl } from "./admission.ts";
import { ApiStats } from "./api-stats.ts";
import { checkToken } from "./auth.ts";
import { clientAddress } from "./client-address.ts";
import { ApiError, jsonError } from "./errors.ts";
import { createHandlers } from "./handlers.ts";
import { DEFAULT_API_LIMITS, type ApiLimits } from "./limits.ts";
import type { ApiPorts } from "./ports.ts";
import { RefusalError } from "./refusal-error.ts";
import { RefusalLog, REFUSALS } from "./refusals.ts";
import { honoPath, methodsFor, ROUTE_SPECS, type RouteSpec } from "./route-specs.ts";

export interface ApiOptions {
  limits?: Partial<ApiLimits>;
  /** The daemon passes its own, to stop its timer on shutdown; made here when absent. */
  refusals?: RefusalLog;
}

function notFoundOrWrongMethod(c: Context): Response {
  const allowed = methodsFor(c.req.path);
  if (allowed.length > 0) {
    return jsonError(c, 405, `method ${c.req.method.slice(0, 16)} not allowed on ${c.req.path.slice(0, 256)}`, `allowed: ${allowed.join(", ")}`, {
      Allow: allowed.join(", "),
    });
  }
  return jsonError(c, 404, `no route ${c.req.path.slice(0, 256)}`, "GET /openapi.json lists every route");
}

/** How long a refused client should wait: a second for its own share, a few for the box's. */
function retryAfter(status: number): Record<string, string> {
  return status === 429 ? { "Retry-After": "1" } : status === 503 ? { "Retry-After": "5" } : {};
}

export function createApiApp(ports: ApiPorts, options: ApiOptions = {}): Hono {
  const limits: ApiLimits = { ...DEFAULT_API_LIMITS, ...options.limits };
  const refusals = options.refusals ?? new RefusalLog({ clock: ports.clock, record: (event) => ports.history.record(event) });
  const admission = new AdmissionControl(limits);
  const stats = new ApiStats();
  const handlers = createHandlers(ports, { limits, admission, stats, metrics: () => stats.families(refusals, admission) });
  const app = new Hono();

  const refuse = (c: Context, refusal: RefusalError): Response => {
    const { status, error } = REFUSALS[refusal.reason];
    refusals.refused({ client: clientAddress(c), reason: refusal.reason, method: c.req.method.slice(0, 16), path: c.req.path.slice(0, 256) });
    // A body we stopped reading may still be arriving: close the connection rather than wait it out.
    const close: Record<string, string> = refusal.reason === "body-too-slow" || refusal.reason === "body-too-large" ? { connection: "close" } : {};
    return jsonError(c, status as ContentfulStatusCode, refusal.error ?? error, refusal.detail, { ...retryAfter(status), ...close, ...refusal.headers });
  };

  app.use(async (c, next) => {
    await next();
    c.res.headers.set("x-content-type-options", "nosniff");
    if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
    stats.response(c.res.status);
  });

  // Before any work: the URL's size, then a slot among the requests in progress.
  app.use(async (c, next) => {
    const url = c.req.url;
    const pathStart = url.indexOf("/", url.indexOf("//") + 2);
    if (url.length - Math.max(pathStart, 0) > limits.maxUrlChars) {
      return refuse(c, new RefusalError("url-too-long", `path and query may have at most ${limits.maxUrlChars} characters`));
    }
    const slot = admission.enter(clientAddress(c), "request");
    if (!slot.ok)
      return refuse(
        c,
        new RefusalError(
          slot.reason,
          `at most ${slot.reason === "client-requests" ? `${limits.requestsPerClient} per address` : `${limits.requestsTotal} in all`}`,
        ),
      );
    try {
      await next();
    } finally {
      slot.release();
    }
  });

  const guard = (route: RouteSpec) => async (c: Context, next: Next) => {
    const needsToken = route.secured || (!route.public && ports.readsNeedToken());
    if (needsToken) {
      const verdict = checkToken(c.req.header("authorization"), ports.token());
      if (!verdict.ok) return refuse(c, new RefusalError(verdict.reason, verdict.detail, verdict.headers, verdict.error));
    }
    await next();
  };

  for (const route of ROUTE_SPECS) {
    const handler = handlers[route.operationId];
    if (!handler) throw new Error(`route ${route.method.toUpperCase()} ${route.path}: no handler for operation ${route.operationId}`);
    app.on(route.method.toUpperCase(), honoPath(route.path), guard(route), handler);
  }

  app.notFound(notFoundOrWrongMethod);
  app.onError((error, c) => {
    if (error instanceof RefusalError) return refuse(c, error);
    if (error instanceof ApiError) return jsonError(c, error.status, error.error, error.detail, error.headers);
    // A malformed URL (bad percent-encoding in a path parameter) is the caller's mistake too.
    if (error instanceof URIError) return jsonError(c, 400, "malformed URL", error.message);
    return jsonError(c, 500, "internal error", error.message);
  });
  return app;
}
