// The REST API's public surface: the Hono app the daemon serves, built from ApiPorts.
export { createApiApp, type ApiOptions } from "./app.ts";
export type { ApiBindings } from "./client-address.ts";
export { DEFAULT_API_LIMITS, type ApiLimits } from "./limits.ts";
export { RefusalLog, REFUSAL_REASONS, type RefusalReason } from "./refusals.ts";
export { DEFAULT_MAX_BODY_BYTES } from "./body.ts";
export { openApiDocument } from "./openapi.ts";
export { renderMetrics } from "./metrics.ts";
export type { ApiPorts } from "./ports.ts";
