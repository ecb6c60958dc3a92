// JSON error bodies ({ error, detail? }) for every caller mistake, and the exception that
// carries one out of a handler so the app's error hook can answer with the right status.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface ErrorBody {
  error: string;
  detail?: string;
}

/** A mistake the caller can fix; never a 500. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly error: string,
    readonly detail?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ? `${error}: ${detail}` : error);
    this.name = "ApiError";
  }
}

export function errorBody(error: string, detail?: string): ErrorBody {
  return detail === undefined ? { error } : { error, detail };
}

export function jsonError(c: Context, status: ContentfulStatusCode, error: string, detail?: string, headers: Record<string, string> = {}): Response {
  return c.json(errorBody(error, detail), status, headers);
}

export const badRequest = (error: string, detail?: string) => new ApiError(400, error, detail);
