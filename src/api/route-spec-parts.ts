// The vocabulary of the route table (route-specs.ts, ipvs-route-specs.ts): what a route,
// its parameters and its answers are, and the answers many routes share.
import { ref, type JsonSchema } from "./schemas.ts";

export type Method = "get" | "post" | "delete";

export interface ParameterSpec {
  name: string;
  in: "path" | "query" | "header";
  required?: boolean;
  description: string;
  schema: JsonSchema;
  /** Repeatable query parameters (kind=a&kind=b). */
  explode?: boolean;
}

export interface ResponseSpec {
  description: string;
  /** Media type -> schema. */
  content?: Record<string, JsonSchema>;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
}

export interface RouteSpec {
  method: Method;
  /** OpenAPI template, e.g. /vrrp/instances/{name}. */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  parameters?: ParameterSpec[];
  requestBody?: { required: boolean; description: string; content: Record<string, JsonSchema> };
  responses: Record<string, ResponseSpec>;
  /** Needs the bearer token always (every POST and DELETE). */
  secured?: boolean;
  /** Never needs the token, even with api_reads_need_token (liveness, the page shell). */
  public?: boolean;
}

export const json = (schema: JsonSchema) => ({ "application/json": schema });
export const ok = (description: string, schema: JsonSchema): ResponseSpec => ({ description, content: json(schema) });
export const error = (description: string): ResponseSpec => ({ description, content: json(ref("Error")) });
export const authErrors: Record<string, ResponseSpec> = {
  "401": {
    ...error("No token configured, or no usable Authorization: Bearer header"),
    headers: { "WWW-Authenticate": { description: 'Bearer realm="tandem"', schema: { type: "string" } } },
  },
  "403": error("Wrong token"),
};
export const readAuthErrors: Record<string, ResponseSpec> = {
  "401": { ...error("With api_reads_need_token: no usable Authorization: Bearer header"), headers: authErrors["401"]!.headers },
  "403": error("With api_reads_need_token: wrong token"),
};
const retryAfter = { "Retry-After": { description: "Seconds to wait before trying again", schema: { type: "integer" } } };
/** What any route may answer when the caller or the box is over a limit (limits.ts). */
export const limitErrors: Record<string, ResponseSpec> = {
  "414": error("Path and query longer than the API accepts"),
  "429": { ...error("Too many requests (or event streams, or validations) in progress from this address"), headers: retryAfter },
  "503": { ...error("The API as a whole is at its limit of requests (or streams, or validations)"), headers: retryAfter },
};
