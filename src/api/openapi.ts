// GET /openapi.json: an OpenAPI 3.1 document generated from the route table and the
// JSON Schemas, so the description cannot list a route the app lacks or miss one it has.
import { responsesOf, ROUTE_SPECS, type RouteSpec } from "./route-specs.ts";
import { SCHEMAS, ref } from "./schemas.ts";

function operation(route: RouteSpec): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(responsesOf(route))) {
    responses[status] = {
      description: response.description,
      ...(response.headers ? { headers: response.headers } : {}),
      ...(response.content ? { content: Object.fromEntries(Object.entries(response.content).map(([type, schema]) => [type, { schema }])) } : {}),
    };
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: route.tags,
    ...(route.parameters
      ? {
          parameters: route.parameters.map((p) => ({
            name: p.name,
            in: p.in,
            required: p.in === "path" ? true : (p.required ?? false),
            description: p.description,
            schema: p.schema,
            ...(p.explode ? { style: "form", explode: true } : {}),
          })),
        }
      : {}),
    ...(route.requestBody
      ? {
          requestBody: {
            required: route.requestBody.required,
            description: route.requestBody.description,
            content: Object.fromEntries(Object.entries(route.requestBody.content).map(([type, schema]) => [type, { schema }])),
          },
        }
      : {}),
    responses,
    // Reads carry an optional requirement: they need the token only with api_reads_need_token.
    ...(route.secured ? { security: [{ bearerToken: [] }] } : route.public ? { security: [] } : { security: [{}, { bearerToken: [] }] }),
  };
}

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTE_SPECS) (paths[route.path] ??= {})[route.method] = operation(route);
  return {
    openapi: "3.1.0",
    info: {
      title: "Tandem REST API",
      version,
      description:
        "See and steer a tandem VRRP pair. Every POST and DELETE needs Authorization: Bearer <the token in api_token_file>; with api_reads_need_token, " +
        "so does every read but /healthz and the page shell. Every caller mistake is a 4xx with a JSON body {error, detail?}: unknown routes 404, wrong methods 405; " +
        "requests over a limit get 429 (this address) or 503 (the box) with Retry-After, and are counted in tandem_api_refused_total.",
    },
    jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
    paths,
    components: {
      schemas: SCHEMAS,
      securitySchemes: { bearerToken: { type: "http", scheme: "bearer", description: "The token in api_token_file (global_defs)" } },
      responses: {
        NotFound: { description: "Unknown route", content: { "application/json": { schema: ref("Error") } } },
        MethodNotAllowed: { description: "Known route, other method; Allow lists the methods", content: { "application/json": { schema: ref("Error") } } },
      },
    },
  };
}
