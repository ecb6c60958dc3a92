// One handler per operation of route-specs.ts: each reads its ports, checks its input,
// and answers JSON (or text, HTML, an event stream); caller mistakes throw ApiError, and
// limits (streams, validations, bodies) throw RefusalError. The token is checked before.
import type { Context } from "hono";
import type { AdmissionControl } from "./admission.ts";
import type { ApiStats } from "./api-stats.ts";
import { readJsonBody, readTextBody, type BodyLimits } from "./body.ts";
import { clientAddress } from "./client-address.ts";
import { ApiError, jsonError } from "./errors.ts";
import { eventStreamResponse } from "./event-stream.ts";
import { parseEventsQuery, parseStreamQuery } from "./events-query.ts";
import { createIpvsHandlers } from "./ipvs-handlers.ts";
import { renderMetrics } from "./metrics.ts";
import { openApiDocument } from "./openapi.ts";
import type { ApiLimits } from "./limits.ts";
import type { ApiPorts } from "./ports.ts";
import { PROMETHEUS_CONTENT_TYPE, type MetricFamily } from "./prometheus-text.ts";
import { RefusalError } from "./refusal-error.ts";
import { statusPageHtml } from "./status-page/index.ts";

export type Handler = (c: Context) => Response | Promise<Response>;

export type { ApiBindings } from "./client-address.ts";

export interface HandlerOptions {
  limits: ApiLimits;
  admission: AdmissionControl;
  stats: ApiStats;
  /** The API's own metric families (refusals, responses, validations), rendered after the status ones. */
  metrics: () => MetricFamily[];
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

/** Media types whose body is taken as raw keepalived.conf text (curl --data-binary sends form-urlencoded). */
const RAW_TEXT_TYPES = /^(text\/[\w.+-]+|application\/x-www-form-urlencoded|application\/octet-stream)$/;

async function configText(c: Context, body: BodyLimits): Promise<string> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json") {
    const json = await readJsonBody(c.req.raw, body);
    const config = (json as { config?: unknown } | null)?.config;
    if (typeof json !== "object" || json === null || Array.isArray(json) || typeof config !== "string") {
      throw new ApiError(400, 'the JSON body must be {"config": "<keepalived.conf text>"}');
    }
    return config;
  }
  if (type !== "" && !RAW_TEXT_TYPES.test(type))
    throw new ApiError(415, `unsupported body type ${type.slice(0, 64)}`, 'send the keepalived.conf as text/plain, or JSON {"config": "..."}');
  return readTextBody(c.req.raw, body);
}

function maintenance(ports: ApiPorts, on: boolean): Handler {
  return async (c) => {
    const instance = c.req.param("name") ?? "";
    const result = await ports.actions.setMaintenance(instance, on, { address: clientAddress(c) });
    if (!result.ok) return jsonError(c, result.status, result.error);
    return c.json({ ok: true, instance, maintenance: on, detail: result.detail });
  };
}

/** POST /config/validate: one at a time per address, the body bounded in size and time, the parse in a child. */
function validateConfig(ports: ApiPorts, options: HandlerOptions): Handler {
  const { limits, admission, stats } = options;
  return async (c) => {
    const slot = admission.enter(clientAddress(c), "validation");
    if (!slot.ok) throw new RefusalError(slot.reason, `at most ${limits.validationsPerClient} at a time per address`);
    try {
      const text = await configText(c, { maxBytes: limits.maxBodyBytes, deadlineMs: limits.bodyDeadlineMs, clock: ports.clock });
      if (text.trim() === "") throw new ApiError(400, "the request body is empty", "send the keepalived.conf text to validate");
      const answer = await ports.config.validate(text);
      switch (answer.kind) {
        case "done":
          stats.validation(answer.ok ? "valid" : "invalid");
          return c.json({ ok: answer.ok, diagnostics: answer.diagnostics, durationMs: Math.round(answer.durationMs) });
        case "limit":
          stats.validation(`${answer.limit}-limit`);
          return c.json({
            ok: false,
            diagnostics: [`keepalived.conf:1:1: error: validation stopped at its ${answer.limit} limit: ${answer.detail}`],
            limit: { kind: answer.limit, detail: answer.detail },
            durationMs: Math.round(answer.durationMs),
          });
        case "busy":
          stats.validation("busy");
          throw new RefusalError("server-validations", "every validation slot of this box is in use");
        case "failed":
          stats.validation("failed");
          return jsonError(c, 503, "the validator could not run", answer.detail, { "Retry-After": "5" });
      }
    } finally {
      slot.release();
    }
  };
}

export function createHandlers(ports: ApiPorts, options: HandlerOptions): Record<string, Handler> {
  const { limits, admission, stats } = options;
  return {
    statusPage: (c) => {
      c.header("content-security-policy", STATUS_PAGE_CSP);
      c.header("referrer-policy", "no-referrer");
      return c.html(statusPageHtml());
    },
    openapi: (c) => c.json(openApiDocument(ports.status.daemon().version)),
    health: (c) => c.json({ status: "ok", history: ports.status.daemon().history.state }),
    metrics: (c) => c.body(renderMetrics(ports.status, options.metrics()), 200, { "content-type": PROMETHEUS_CONTENT_TYPE }),
    vrrpState: (c) =>
      c.json({
        daemon: ports.status.daemon(),
        instances: ports.status.instances(),
        groups: ports.status.groups(),
        // The status page reads GET /ipvs/state only when there is a director, so a VRRP-only box answers it no 404.
        ipvsDirector: ports.status.ipvs() !== undefined,
      }),
    vrrpInstance: (c) => {
      const name = c.req.param("name") ?? "";
      const instance = ports.status.instances().find((i) => i.name === name);
      return instance ? c.json(instance) : jsonError(c, 404, `no VRRP instance named ${name.slice(0, 128)}`);
    },
    enterMaintenance: maintenance(ports, true),
    leaveMaintenance: maintenance(ports, false),
    events: (c) => {
      const { filter, clamped } = parseEventsQuery(c.req.url, limits.maxPageEvents);
      for (const parameter of clamped) stats.clamp(parameter.split("=")[0]!);
      if (clamped.length > 0) c.header("tandem-clamped", clamped.join(", "));
      const result = ports.events.query(filter);
      if (!result.ok) throw new ApiError(400, "bad cursor", `${result.detail}; use nextCursor from a previous page`);
      return c.json(result.page);
    },
    eventStream: (c) => {
      const query = parseStreamQuery(c.req.url, c.req.header("last-event-id"));
      // HEAD gets the headers only: a stream nobody reads would keep its subscription.
      if (c.req.method === "HEAD") return c.body(null, 200, { "content-type": "text/event-stream; charset=utf-8" });
      const slot = admission.enter(clientAddress(c), "stream");
      if (!slot.ok)
        throw new RefusalError(
          slot.reason,
          slot.reason === "client-streams" ? `at most ${limits.streamsPerClient} per address` : `at most ${limits.streamsTotal} in all`,
        );
      try {
        return eventStreamResponse({ events: ports.events, clock: ports.clock, query, signal: c.req.raw.signal, onClose: slot.release });
      } catch (error) {
        slot.release();
        throw error;
      }
    },
    config: (c) => c.json(ports.config.effective() as object),
    validateConfig: validateConfig(ports, options),
    ...createIpvsHandlers(ports),
  };
}
