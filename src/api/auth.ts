// Bearer-token check for actions: no token configured or no usable Authorization header
// -> 401 with WWW-Authenticate (RFC 6750), a wrong token -> 403, compared in constant time.
import { ApiError } from "./errors.ts";

const REALM = 'Bearer realm="tandem"';

/**
 * Equal strings, in time that depends only on the lengths, never on where they differ,
 * so a caller cannot find the token byte by byte from response times.
 */
export function constantTimeEqual(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let difference = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) difference |= (a[i % Math.max(a.length, 1)] ?? 0) ^ b[i]!;
  return difference === 0;
}

/** Throws the 401/403 ApiError for a request that may not act; returns when it may. */
export function requireToken(authorization: string | undefined, configured: string | undefined): void {
  if (configured === undefined || configured.length === 0) {
    throw new ApiError(401, "actions are disabled", "no api_token_file is configured on this box; set one in global_defs to allow actions", {
      "WWW-Authenticate": `${REALM}, error="invalid_token", error_description="no token is configured"`,
    });
  }
  // Any visible characters: a token file may hold more than RFC 6750's b64token alphabet.
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? "");
  if (!match) {
    const detail = authorization ? "the Authorization header is not \"Bearer <token>\"" : "send Authorization: Bearer <token> (the token in api_token_file)";
    throw new ApiError(401, "authentication required", detail, { "WWW-Authenticate": authorization ? `${REALM}, error="invalid_request"` : REALM });
  }
  if (!constantTimeEqual(match[1]!, configured)) throw new ApiError(403, "wrong token", "the bearer token does not match api_token_file");
}
