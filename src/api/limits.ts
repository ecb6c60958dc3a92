// What one client, and all clients together, may ask of the API at a time. An appliance's
// API shares a box with the VRRP engine: every limit here is a refusal with a clear status
// (429 for one client over its share, 503 when the box as a whole is full) that is counted.

export interface ApiLimits {
  /** Requests in progress from one address (event streams are counted apart). */
  requestsPerClient: number;
  /** Requests in progress from all addresses. */
  requestsTotal: number;
  /** Open GET /events/stream connections from one address, and from all. */
  streamsPerClient: number;
  streamsTotal: number;
  /** POST /config/validate runs in progress from one address (each is a child process). */
  validationsPerClient: number;
  /** The request body of POST /config/validate. */
  maxBodyBytes: number;
  /** A request body must have arrived within this (a client trickling bytes is cut off). */
  bodyDeadlineMs: number;
  /** Path and query together. */
  maxUrlChars: number;
  /** Largest page of GET /events; a larger `limit` is clamped to it. */
  maxPageEvents: number;
}

export const DEFAULT_API_LIMITS: Readonly<ApiLimits> = Object.freeze({
  requestsPerClient: 8,
  requestsTotal: 64,
  streamsPerClient: 8,
  streamsTotal: 128,
  validationsPerClient: 1,
  maxBodyBytes: 1024 * 1024,
  bodyDeadlineMs: 10_000,
  maxUrlChars: 4096,
  maxPageEvents: 1000,
});
