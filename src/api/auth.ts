// Bearer-token check (RFC 6750): no token configured or no usable Authorization header
// -> 401 with WWW-Authenticate, a wrong token -> 403, compared in constant time. Every
// POST and DELETE needs it; with api_reads_need_token every read but /healthz and the page
// shell does too.

import { constantTimeEqual } from "../common/constant-time.ts";

const REALM = 'Bearer realm="tandem"';

export type TokenVerdict =
  { ok: true } | { ok: false; reason: "unauthenticated" | "wrong-token"; error: string; detail: string; headers: Record<string, string> };

/** Longer than any token a person or first-boot makes; compared past this only to waste time. */
const MAX_TOKEN_CHARS = 1024;

/** May a request with this Authorization header act (or read, where reads are protected)? */
export function checkToken(authorization: string | undefined, configured: string | undefined): TokenVerdict {
  if (configured === undefined || configured.length === 0) {
    return {
      ok: false,
      reason: "unauthenticated",
      error: "actions are disabled",
      detail: "no api_token_file is configured on this box (or it is empty); set one in global_defs to allow this request",
      headers: { "WWW-Authenticate": `${REALM}, error="invalid_token", error_description="no token is configured"` },
    };
  }
  // Any visible characters: a token file may hold more than RFC 6750's b64token alphabet.
  const match = authorization !== undefined && authorization.length <= MAX_TOKEN_CHARS + 16 ? /^Bearer +(\S+) *$/i.exec(authorization) : null;
  if (!match) {
    const detail = authorization ? 'the Authorization header is not "Bearer <token>"' : "send Authorization: Bearer <token> (the token in api_token_file)";
    return {
      ok: false,
      reason: "unauthenticated",
      error: "authentication required",
      detail,
      headers: { "WWW-Authenticate": authorization ? `${REALM}, error="invalid_request"` : REALM },
    };
  }
  if (!constantTimeEqual(match[1]!, configured)) {
    return {
      ok: false,
      reason: "wrong-token",
      error: "wrong token",
      detail: "the bearer token does not match api_token_file",
      headers: { "WWW-Authenticate": `${REALM}, error="invalid_token"` },
    };
  }
  return { ok: true };
}
