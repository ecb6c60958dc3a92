// One handler per operation of route-specs.ts: each reads its ports, checks its input,
// and answers JSON (or text, HTML, an event stream); caller mistakes throw ApiError.
import type { Context } from "hono";
import { requireToken } from "./auth.ts";
import { readJsonBody, readTextBody } from "./body.ts";
import { ApiError, jsonError } from "./errors.ts";
import { eventStreamResponse } from "./event-stream.ts";
import { parseEventsQuery, parseStreamQuery } from "./events-query.ts";
import { renderMetrics } from "./metrics.ts";
import { openApiDocument } from "./openapi.ts";
import type { ApiPorts } from "./ports.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus-text.ts";
import { statusPageHtml } from "./status-page/index.ts";

export type Handler = (c: Context) => Response | Promise<Response>;

/** What the HTTP server passes as Hono's env: the caller's address for the action log. */
export interface ApiBindings {
  remoteAddress?: string;
}

export interface HandlerOptions {
  maxBodyBytes: number;
}

/**
 * The page inlines its script and styles and talks only to this origin: nothing else may
 * load, frame it, or receive a form from it.
 */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

function remoteAddress(c: Context): string {
  const bindings = c.env as ApiBindings | undefined;
  return typeof bindings?.remoteAddress === "string" && bindings.remoteAddress !== "" ? bindings.remoteAddress : "unknown";
}

/** Media types whose body is taken as raw keepalived.conf text (curl --data-binary sends form-urlencoded). */
const RAW_TEXT_TYPES = /^(text\/[\w.+-]+|application\/x-www-form-urlencoded|application\/octet-stream)$/;

async function configText(c: Context, maxBodyBytes: number): Promise<string> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json") {
    const body = await readJsonBody(c.req.raw, maxBodyBytes);
    const config = (body as { config?: unknown } | null)?.config;
    if (typeof body !== "object" || body === null || Array.isArray(body) || typeof config !== "string") {
      throw new ApiError(400, 'the JSON body must be {"config": "<keepalived.conf text>"}');
    }
    return config;
  }
  if (type !== "" && !RAW_TEXT_TYPES.test(type)) throw new ApiError(415, `unsupported body type ${type.slice(0, 64)}`, "send the keepalived.conf as text/plain, or JSON {\"config\": \"...\"}");
  return readTextBody(c.req.raw, maxBodyBytes);
}

/**
 * store/ throws InvalidCursorError for a cursor it did not issue. api/ may not import
 * store/ at run time, so it is recognised by its name (or its class's name).
 */
function isInvalidCursor(error: unknown): boolean {
  return error instanceof Error && (error.name === "InvalidCursorError" || error.constructor.name === "InvalidCursorError");
}

function maintenance(ports: ApiPorts, on: boolean): Handler {
  return async (c) => {
    requireToken(c.req.header("authorization"), ports.token());
    const instance = c.req.param("name") ?? "";
    const result = await ports.actions.setMaintenance(instance, on, { address: remoteAddress(c) });
    if (!result.ok) return jsonError(c, result.status, result.error);
    return c.json({ ok: true, instance, maintenance: on, detail: result.detail });
  };
}

export function createHandlers(ports: ApiPorts, options: HandlerOptions): Record<string, Handler> {
  return {
    statusPage: (c) => {
      c.header("content-security-policy", STATUS_PAGE_CSP);
      c.header("referrer-policy", "no-referrer");
      return c.html(statusPageHtml());
    },
    openapi: (c) => c.json(openApiDocument(ports.status.daemon().version)),
    health: (c) => c.json({ status: "ok", history: ports.status.daemon().history.state }),
    metrics: (c) => c.body(renderMetrics(ports.status), 200, { "content-type": PROMETHEUS_CONTENT_TYPE }),
    vrrpState: (c) => c.json({ daemon: ports.status.daemon(), instances: ports.status.instances(), groups: ports.status.groups() }),
    vrrpInstance: (c) => {
      const name = c.req.param("name") ?? "";
      const instance = ports.status.instances().find((i) => i.name === name);
      return instance ? c.json(instance) : jsonError(c, 404, `no VRRP instance named ${name.slice(0, 128)}`);
    },
    enterMaintenance: maintenance(ports, true),
    leaveMaintenance: maintenance(ports, false),
    events: (c) => {
      const filter = parseEventsQuery(c.req.url);
      try {
        return c.json(ports.events.query(filter));
      } catch (error) {
        if (isInvalidCursor(error)) throw new ApiError(400, "bad cursor", `${(error as Error).message}; use nextCursor from a previous page`);
        throw error;
      }
    },
    eventStream: (c) => {
      const query = parseStreamQuery(c.req.url, c.req.header("last-event-id"));
      // HEAD gets the headers only: a stream nobody reads would keep its subscription.
      if (c.req.method === "HEAD") return c.body(null, 200, { "content-type": "text/event-stream; charset=utf-8" });
      return eventStreamResponse({ events: ports.events, clock: ports.clock, query, signal: c.req.raw.signal });
    },
    config: (c) => c.json(ports.config.effective() as object),
    validateConfig: async (c) => {
      const text = await configText(c, options.maxBodyBytes);
      if (text.trim() === "") throw new ApiError(400, "the request body is empty", "send the keepalived.conf text to validate");
      return c.json(ports.config.validate(text));
    },
  };
}
